"""``xverify keygen`` and ``xverify encode``: the requester's two commands."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..encoding.keys import LinkageSecret, write_secret
from ..requests import ReasonCode, RequestPolicy, encode_submissions_file
from ._options import hardening_option, key_option


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Linkage secret file to write (hex, mode 0600).",
)
@click.option(
    "--signing",
    "signing",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Custodian's log-signing key pair to write: SIGNING (private, PEM, mode 0600) and "
    "SIGNING.pub (public, PEM).",
)
@click.option("--force", is_flag=True, help="Replace existing key files.")
def keygen(out: Path | None, signing: Path | None, force: bool) -> None:
    """Write a fresh 32-byte linkage secret (--out; share it with the custodian only) or the
    custodian's Ed25519 log-signing key pair (--signing; give auditors the .pub file)."""
    from ..errors import ConfigError

    if (out is None) == (signing is None):
        raise ConfigError("keygen needs exactly one of --out (linkage secret) or --signing")
    if signing is not None:
        from ..signing import public_key_path, write_signing_key

        key = write_signing_key(signing, force=force)
        click.echo(f"wrote {signing} (private, mode 0600) and {public_key_path(signing)} "
                   f"(public; key fingerprint {key.fingerprint()})")  # fmt: skip
        return
    assert out is not None
    secret = write_secret(out, force=force)
    click.echo(f"wrote {out} (key fingerprint {secret.fingerprint()})")


@click.command()
@click.argument("submissions", type=click.Path(dir_okay=False, path_type=Path))
@key_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Encoded submissions (Parquet) to write.",
)
@click.option(
    "--policy",
    "policy",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Request policy JSON (allowed statutes, minimum reason length, tax years).",
)
@hardening_option
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def encode(
    submissions: Path,
    key_file: Path | None,
    out: Path,
    policy: Path | None,
    hardening: str,
    force: bool,
) -> None:
    """Validate every request (26 U.S.C. 6103(i)(2)(B)) and encode the accepted ones."""
    from ..encoding.schema import EncodingSchema, Hardening

    started = time.perf_counter()
    secret = LinkageSecret.resolve(key_file)
    pol = RequestPolicy.from_json(policy) if policy is not None else RequestPolicy()
    schema = EncodingSchema.hardened(Hardening(hardening))
    result = encode_submissions_file(
        submissions, out, secret, schema=schema, policy=pol, force=force
    )
    n = len(result.code)
    accepted = int(result.accepted.sum())
    secs = time.perf_counter() - started
    click.echo(f"wrote {out}: {n} requests, {accepted} accepted, {n - accepted} rejected "
               f"({secs:.1f} s, key fingerprint {secret.fingerprint()})")  # fmt: skip
    for code, count in sorted(result.counts().items()):
        click.echo(f"  {code:<22} {count:>8}  {ReasonCode(code).message}")
