"""``xverify train``: fit the model that decisions are made with, once."""

from __future__ import annotations

from pathlib import Path

import click

from ._options import cache_option, hardening_option, key_option, register_option


@click.command(
    epilog="Example: xverify train --key linkage.key --register reg calibration.parquet "
    "--out model.json"
)
@click.argument("calibration", type=click.Path(path_type=Path))
@key_option
@register_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the model (JSON with its content digest).")  # fmt: skip
@cache_option
@hardening_option
@click.option("--force", is_flag=True, help="Replace an existing model file.")
def train(
    calibration: Path,
    key_file: Path | None,
    register: str,
    out: Path,
    cache_dir: Path | None,
    hardening: str,
    force: bool,
) -> None:
    """Train on the encoded CALIBRATION requests (synthetic or past batches) and write a model.

    Everything a decision depends on is fitted here (m/u by EM, household rates); 'xverify
    match --model' applies the model without estimating anything from the batch it decides, so
    the same request gets the same answer in any batch. The model is bound to this register,
    schema, encoder revision and key, and refused for any other.
    """
    from .._io import check_writable
    from ..encoding.keys import LinkageSecret
    from ..encoding.schema import EncodingSchema, Hardening
    from ..verifier import Verifier

    check_writable(out, force=force)
    schema = EncodingSchema.hardened(Hardening(hardening))
    verifier = Verifier(
        register, LinkageSecret.resolve(key_file), log=None, schema=schema, cache_dir=cache_dir
    )
    model = verifier.train(calibration)
    model.save(out)
    click.echo(
        f"model {model.digest[:16]} trained on {model.candidates} candidate pairs "
        f"({'converged' if model.converged else 'NOT converged'} after {model.iterations} EM "
        f"iterations); household rates from {model.housemates.requests if model.housemates else 0} "
        f"requests at a registered home"
    )
    click.echo(f"wrote {out}")
