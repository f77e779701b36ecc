"""The engine seam: the stages are partition functions that survive being shipped to a worker."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from xverify import (
    Engine,
    LinkageSecret,
    LocalEngine,
    MatchConfig,
    Verifier,
    encode_requests,
    read_submissions,
)
from xverify.engines import RegisterPart, RegisterSource
from xverify.engines.base import R

SAMPLE = Path(__file__).resolve().parent.parent / "synthetic_data"
KEY = LinkageSecret(hashlib.sha256(b"xverify tests/test_engines.py").digest())


@dataclass
class ShippingEngine:
    """An engine that does what a distributed one must: every partition function, register
    part and partial result crosses a process boundary as pickled bytes, parts in small slices."""

    name: str = "shipping"
    shipped: list[bytes] = field(default_factory=list)

    def map_parts(
        self, source: RegisterSource, fn: Callable[[RegisterPart], R], *, part_rows: int
    ) -> Iterator[R]:
        code = pickle.dumps(fn)
        self.shipped.append(code)
        for part in LocalEngine().map_parts(source, lambda p: p, part_rows=min(part_rows, 3000)):
            worker_fn = pickle.loads(code)
            result = worker_fn(pickle.loads(pickle.dumps(part)))
            yield pickle.loads(pickle.dumps(result))


def test_a_shipping_engine_gives_the_local_decisions(tmp_path: Path) -> None:
    table, _ = encode_requests(read_submissions(SAMPLE / "hard" / "submissions.csv"), KEY)

    def decisions(engine: Engine) -> pd.DataFrame:
        v = Verifier(SAMPLE / "register", KEY, MatchConfig(), log=None, cache_dir=tmp_path,
                     engine=engine)  # fmt: skip
        return v.match(table).decisions

    shipping = ShippingEngine()
    assert isinstance(shipping, Engine)  # the protocol is all an engine needs
    local, shipped = decisions(LocalEngine()), decisions(shipping)
    pd.testing.assert_frame_equal(local, shipped)
    # match() names people by register row, never by TIN: verify() alone yields TINs, and logs
    assert "tin" not in local.columns and local["person"].notna().any()
    tins = set(pd.read_parquet(SAMPLE / "register" / "taxpayers.parquet", columns=["tin"])["tin"])
    assert not tins & set(local.astype(str).to_numpy().ravel())
    assert (local["outcome"] == "VERIFIED").sum() > 100
    # token counts, training and scoring all went through the engine
    assert len(shipping.shipped) >= 3
    # the linkage secret is never part of what is shipped to workers
    assert not any(KEY._key in code for code in shipping.shipped)


@pytest.mark.parametrize("part_rows", [1, 7, 1000])
def test_local_parts_cover_the_register_once_in_order(part_rows: int) -> None:
    import pyarrow as pa

    batches = [pa.record_batch({"x": list(range(n))}) for n in (5, 0, 12)]
    parts = list(LocalEngine().map_parts(batches, lambda p: p, part_rows=part_rows))
    starts = [p.row0 for p in parts]
    assert starts == sorted(starts)
    assert sum(p.rows for p in parts) == 17
    assert all(0 < p.rows <= part_rows for p in parts)
    assert [p.row0 + p.rows for p in parts][:-1] == starts[1:]


def test_without_pyspark_xverify_imports_and_the_spark_engine_names_its_extra() -> None:
    """``import xverify``, the CLI and the local engine never import PySpark; asking for the Spark
    engine without it says which extra to install."""
    import subprocess
    import sys

    code = """
import sys
sys.modules["pyspark"] = None  # as if not installed: importing it raises ImportError
import xverify
from xverify.cli import main  # noqa: F401
from xverify import LocalEngine, ConfigError
import xverify.engines, xverify.verifier, xverify.cli.match
from xverify.engines.spark import SparkEngine
try:
    SparkEngine(None)
except ConfigError as exc:
    print(exc)
from xverify.cli._engine import make_engine
assert isinstance(make_engine("local", None), LocalEngine)
try:
    make_engine("spark", "local[2]")
except ConfigError as exc:
    print(exc)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("pip install 'xverify[spark]'") == 2, done.stdout
