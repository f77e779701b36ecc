"""``xverify explain``: why a request got its outcome, from a match output folder."""

from __future__ import annotations

from pathlib import Path

import click

from ..explain import explain_run, why_counts


@click.command(
    epilog="Example: xverify explain out R000123    (out: the folder 'xverify match' wrote)"
)
@click.argument("run_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.argument("request_id", required=False)
def explain(run_dir: Path, request_id: str | None) -> None:
    """Levels and match weights behind REQUEST_ID's outcome (custodian and auditor only:
    reads decisions.parquet and model.json, never prints a register value). Without a
    REQUEST_ID: the most common reasons for undisclosed outcomes."""
    if request_id is None:
        import pandas as pd

        counts = why_counts(pd.read_parquet(run_dir / "decisions.parquet"))
        for row in counts.itertuples(index=False):
            click.echo(f"{row.outcome:<10} {row.reason:<24} {row.requests:>9}")
        return
    for line in explain_run(run_dir, request_id).lines():
        click.echo(line)
