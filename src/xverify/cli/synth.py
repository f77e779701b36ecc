"""``xverify synth``: generate a synthetic register and submissions with ground truth."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from ..errors import ConfigError


@click.group()
def synth() -> None:
    """Generate a synthetic taxpayer register and requests against it."""


def _positive(name: str, value: int) -> int:
    if value < 1:
        raise ConfigError(f"--{name} must be a positive integer")
    return value


@synth.command("register")
@click.option("--people", type=int, required=True, help="Number of people in the register.")
@click.option("--years", default="2019-2024", show_default=True, help="Tax years, e.g. 2019-2024.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
def register_cmd(people: int, years: str, seed: int, out: Path, force: bool) -> None:
    """Write taxpayers, addresses, returns (and the generator's people truth) as Parquet."""
    from .._io import check_writable
    from ..synth import parse_years, write_register

    _positive("people", people)
    span = parse_years(years)
    if seed < 0:
        raise ConfigError("--seed must be non-negative")
    check_writable(out, force=force)
    write_register(out, people, span, np.random.default_rng(seed), force=force)
    click.echo(f"wrote a register of {people} people, tax years {span[0]}-{span[-1]}, to {out}")


@synth.command("submissions")
@click.option(
    "--register", "register_dir", type=click.Path(path_type=Path), required=True,
    help="A register folder written by 'xverify synth register'.",
)  # fmt: skip
@click.option("--count", type=int, required=True, help="Number of requests.")
@click.option("--profile", required=True, help="clean, realistic, hard or replay-2025.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--in-register-share", type=float, default=None, help="Share of registered targets.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
def submissions_cmd(
    register_dir: Path,
    count: int,
    profile: str,
    seed: int,
    in_register_share: float | None,
    out: Path,
    force: bool,
) -> None:
    """Write submissions.csv and truth.parquet."""
    from .._io import check_writable
    from ..synth import Profile, generate_submissions, write_submissions

    _positive("count", count)
    prof = Profile.parse(profile)
    if seed < 0:
        raise ConfigError("--seed must be non-negative")
    if in_register_share is not None and not 0.0 <= in_register_share <= 1.0:
        raise ConfigError("--in-register-share must be between 0 and 1")
    check_writable(out, force=force)
    subs, truth = generate_submissions(
        register_dir,
        count,
        prof,
        np.random.default_rng(seed),
        in_register_share=in_register_share,
    )
    write_submissions(out, subs, truth, force=force)
    click.echo(f"wrote {count} {prof.value} requests to {out}")
