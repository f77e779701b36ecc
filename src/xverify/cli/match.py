"""``xverify match`` and ``xverify log verify``: the custodian's commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import AuditLogError


@click.command()
@click.argument("encoded", type=click.Path(path_type=Path))
@click.option("--key", "key_file", required=True, type=click.Path(path_type=Path),
              help="Linkage secret file (from 'xverify keygen').")  # fmt: skip
@click.option("--register", "register", required=True, type=click.Path(path_type=Path),
              help="Register folder (taxpayers.parquet, addresses.parquet).")  # fmt: skip
@click.option("--out", "outdir", required=True, type=click.Path(path_type=Path),
              help="Folder for response, decisions and model.")  # fmt: skip
@click.option("--log", "log_path", type=click.Path(path_type=Path), default=None,
              help="Audit log to append to (default OUT/audit.log).")  # fmt: skip
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              help="JSON match config, e.g. an audit's operating_point.json.")  # fmt: skip
@click.option("--model", "model_file", type=click.Path(path_type=Path), default=None,
              help="Reuse a trained model.json instead of training by EM.")  # fmt: skip
@click.option("--cache", "cache_dir", type=click.Path(path_type=Path), default=None,
              help="Encoded register cache (default REGISTER/.xverify-cache).")  # fmt: skip
@click.option("--disclose", default=None, help="Comma-separated identity fields: name,address,tin.")
@click.option("--force", is_flag=True, help="Replace existing output files.")
def match(
    encoded: Path,
    key_file: Path,
    register: Path,
    outdir: Path,
    log_path: Path | None,
    config_file: Path | None,
    model_file: Path | None,
    cache_dir: Path | None,
    disclose: str | None,
    force: bool,
) -> None:
    """Match ENCODED submissions against the register; disclose identity for VERIFIED only."""
    from dataclasses import replace

    from .._io import check_writable
    from ..config import MatchConfig
    from ..disclosure import parse_fields
    from ..encoding.keys import LinkageSecret
    from ..matching.model import MatchModel
    from ..verifier import Verifier

    secret = LinkageSecret.from_file(key_file)
    config = MatchConfig.from_file(config_file) if config_file else MatchConfig()
    if disclose:
        config = replace(config, disclose=parse_fields(disclose.split(",")))
    for name in ("response.parquet", "response.csv", "decisions.parquet", "model.json"):
        check_writable(outdir / name, force=force)
    model = MatchModel.from_json(Path(model_file).read_text()) if model_file else None
    verifier = Verifier(
        register,
        secret,
        config,
        log=log_path or outdir / "audit.log",
        model=model,
        cache_dir=cache_dir,
        progress=_progress if sys.stderr.isatty() else None,
    )
    result = verifier.verify(encoded)
    assert verifier.log is not None  # given above
    names = ", ".join(p.name for p in result.write(outdir, force=force))
    for line in result.summary.lines():
        click.echo(line)
    click.echo(f"wrote {names} in {outdir}")
    click.echo(f"audit log: {verifier.log.path} (head {verifier.log.head().hash[:16]}...)")


def _progress(stage: str) -> None:
    click.echo(f"  {stage} ...", err=True)


@click.group()
def log() -> None:
    """Inspect and verify the tamper-evident audit log."""


@log.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--head", "expected_head", default=None,
              help="Head hash recorded earlier: catches entries cut from the end.")  # fmt: skip
def log_verify(path: Path, expected_head: str | None) -> None:
    """Check the hash chain of PATH; exit 1 at the first broken line."""
    from ..auditlog import verify

    try:
        result = verify(path, expected_head=expected_head)
    except AuditLogError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{path}: {result}")
    if not result.ok:
        sys.exit(1)
