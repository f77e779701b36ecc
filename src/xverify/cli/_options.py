"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path

import click

#: the linkage secret: --key FILE, else $XVERIFY_SECRET (hex), else $XVERIFY_KEY_FILE
key_option = click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Linkage secret file (from 'xverify keygen'); without it the hex secret in "
    "$XVERIFY_SECRET, else the file named by $XVERIFY_KEY_FILE.",
)

#: the register a custodian matches against, and where its encoding is cached
register_option = click.option(
    "--register",
    "register",
    required=True,
    help="Register: a folder (taxpayers.parquet, addresses.parquet), a DuckDB file "
    "(duckdb:///path/reg.duckdb) or a PostgreSQL URI (postgresql://user@host:port/db).",
)
cache_option = click.option(
    "--cache",
    "cache_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Encoded register cache (default REGISTER/.xverify-cache; for a DuckDB file "
    "FILE.xverify-cache; for PostgreSQL ~/.cache/xverify/...).",
)

#: the encoding schema's hardening: requester (encode) and custodian (train, match) must agree
hardening_option = click.option(
    "--hardening",
    "hardening",
    type=click.Choice(["none", "diffusion"]),
    default="none",
    show_default=True,
    help="Bloom-filter hardening of the encoding schema (EncodingSchema.hardened; see "
    "docs/threat-model.md). Requester and custodian must pass the same: a file encoded "
    "otherwise is refused.",
)
