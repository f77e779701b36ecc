"""``--engine`` and ``--spark-master``: where ``match`` runs the matching stages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..engines import Engine, LocalEngine


def engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--engine`` and ``--spark-master`` to a command."""
    command = click.option(
        "--spark-master", "spark_master", default=None, metavar="URL",
        help="Spark master for --engine spark, e.g. local[2] (default: what spark-submit "
        "set, else every local core).",
    )(command)  # fmt: skip
    return click.option(
        "--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
        help="Run the matching stages in this process, or on Spark (pip install "
        "'xverify[spark]').",
    )(command)  # fmt: skip


def make_engine(engine: str, spark_master: str | None) -> Engine:
    """The engine ``--engine`` names (a Spark one on ``--spark-master``)."""
    if engine == "local":
        if spark_master is not None:
            raise click.UsageError("--spark-master needs --engine spark")
        return LocalEngine()
    from ..engines.spark import SparkEngine, spark_session

    return SparkEngine(spark_session(spark_master))
