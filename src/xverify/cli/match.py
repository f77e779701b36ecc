"""``xverify match`` and ``xverify log verify``: the custodian's commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import AuditLogError
from ._engine import engine_options, make_engine
from ._options import cache_option, hardening_option, key_option, register_option


@click.command(
    epilog="Example: xverify match --key linkage.key --signing-key custodian.key "
    "--register reg --model model.json encoded.parquet --out out"
)
@click.argument("encoded", type=click.Path(path_type=Path))
@key_option
@register_option
@click.option("--out", "outdir", required=True, type=click.Path(path_type=Path),
              help="Folder for response, decisions and model.")  # fmt: skip
@click.option("--log", "log_path", type=click.Path(path_type=Path), default=None,
              help="Audit log to append to (default OUT/audit.log).")  # fmt: skip
@click.option("--signing-key", "signing_key", type=click.Path(path_type=Path), default=None,
              help="Custodian's log-signing key (from 'xverify keygen --signing').")  # fmt: skip
@click.option("--unsigned-log", is_flag=True,
              help="Seal the log unsigned (it never verifies; experiments only).")  # fmt: skip
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              help="JSON match config, e.g. an audit's operating_point.json.")  # fmt: skip
@click.option("--model", "model_file", type=click.Path(path_type=Path), default=None,
              help="The model from 'xverify train': decisions then depend on nothing else in "
                   "the batch. Without it the model is trained on this batch.")  # fmt: skip
@cache_option
@hardening_option
@click.option("--disclose", default=None, help="Comma-separated identity fields: name,address,tin.")
@click.option("--threshold", type=float, default=None,
              help="Probability VERIFIED needs (default 0.99; overrides --config).")  # fmt: skip
@click.option("--margin", "margin_bits", type=float, default=None,
              help="Lead in bits over the runner-up (default 6; overrides --config).")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace existing output files.")
@engine_options
@click.option(
    "--quiet", is_flag=True, help="No progress bars (none either when stderr is no terminal)."
)
def match(
    encoded: Path,
    key_file: Path,
    register: str,
    outdir: Path,
    log_path: Path | None,
    signing_key: Path | None,
    unsigned_log: bool,
    config_file: Path | None,
    model_file: Path | None,
    cache_dir: Path | None,
    hardening: str,
    disclose: str | None,
    threshold: float | None,
    margin_bits: float | None,
    force: bool,
    engine: str,
    spark_master: str | None,
    quiet: bool,
) -> None:
    """Match ENCODED submissions against the register; disclose identity for VERIFIED only."""
    from dataclasses import replace

    from ..auditlog import AuditLog
    from ..config import MatchConfig
    from ..disclosure import parse_fields
    from ..encoding.keys import LinkageSecret
    from ..encoding.schema import EncodingSchema, Hardening
    from ..errors import ConfigError
    from ..matching.model import MatchModel
    from ..progress import Bars, silent
    from ..signing import SigningKey
    from ..verifier import Delivered, Verifier

    if (signing_key is None) == (not unsigned_log):
        raise ConfigError(
            "match seals its audit log: pass --signing-key (from 'xverify keygen --signing') "
            "or, for an unsigned log that never verifies, --unsigned-log"
        )
    signer = SigningKey.from_file(signing_key) if signing_key is not None else None
    secret = LinkageSecret.resolve(key_file)
    config = MatchConfig.from_file(config_file) if config_file else MatchConfig()
    if disclose:
        config = replace(config, disclose=parse_fields(disclose.split(",")))
    if threshold is not None:
        config = replace(config, threshold=threshold)
    if margin_bits is not None:
        config = replace(config, margin_bits=margin_bits)
    model = MatchModel.load(model_file) if model_file else None
    bars = silent if quiet or not sys.stderr.isatty() else Bars()
    verifier = Verifier(
        register,
        secret,
        config,
        log=AuditLog(log_path or outdir / "audit.log", signing_key=signer),
        schema=EncodingSchema.hardened(Hardening(hardening)),
        model=model,
        cache_dir=cache_dir,
        progress=bars,
        engine=make_engine(engine, spark_master),
    )
    try:
        result = verifier.verify(encoded, out=outdir, force=force)
    finally:
        if isinstance(bars, Bars):
            bars.close()
    for line in result.summary.lines():
        click.echo(line)
    if result.model is not None:
        how = "from " + str(model_file) if model_file else "trained on this batch (no --model)"
        click.echo(f"model {result.model.digest[:16]}: {how}")
    names = ", ".join(p.name for p in result.written)
    if result.delivered is Delivered.RECOVERED:
        click.echo(f"batch {result.batch} was logged by a run that was stopped; "
                   f"its outputs are now in place: {names} in {outdir}")  # fmt: skip
    elif result.delivered is Delivered.ALREADY_LOGGED:
        click.echo(f"batch {result.batch} was already in the audit log: nothing appended; "
                   f"{names} in {outdir}")  # fmt: skip
    else:
        click.echo(f"wrote {names} in {outdir}")
    assert verifier.log is not None
    click.echo(f"audit log: {verifier.log.path} (head file {verifier.log.head_path})")
    click.echo(f"signed head: {verifier.log.head()}")


@click.group()
def log() -> None:
    """Inspect and verify the tamper-evident audit log."""


@log.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--public-key", "public_key", type=click.Path(path_type=Path), default=None,
              help="Custodian's public key (the .pub of 'xverify keygen --signing').")  # fmt: skip
@click.option("--head", "expected_head", default=None,
              help="An earlier signed head (head file or ENTRIES:CHAIN[:SIGNATURE] as 'match' "
                   "prints it): catches batches cut from the end.")  # fmt: skip
def log_verify(path: Path, public_key: Path | None, expected_head: str | None) -> None:
    """Check the canonical form, hash chain and every signed seal of the audit log PATH.

    Exit 0 only when all holds with --public-key; 1 when the log is broken; 3 when it was not
    verified because no public key was given (an unkeyed chain proves nothing). The head file
    beside PATH is checked as well unless --head names another.
    """
    from ..auditlog import Status, head_path, verify
    from ..signing import VerifyKey

    key = VerifyKey.from_file(public_key) if public_key is not None else None
    heads: list[str | Path | None] = [expected_head]
    if expected_head is None and head_path(path).is_file():
        heads = [head_path(path)]
    try:
        result = verify(path, key, expected_head=heads[0])
    except AuditLogError as exc:
        raise click.ClickException(str(exc)) from None
    checked = f" (checked against head {heads[0]})" if heads[0] is not None and result.ok else ""
    click.echo(f"{path}: {result}{checked}")
    if result.status is Status.BROKEN:
        sys.exit(1)
    if result.status is Status.UNCHECKED:
        click.echo("pass --public-key to verify the signatures", err=True)
        sys.exit(3)
