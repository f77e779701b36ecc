"""The Spark engine in local mode: the same parts, the same decisions and audit log as the local
engine, and the linkage secret never in Spark's plans or event log.

One ``local[2]`` session serves the module (starting a JVM costs ~10 s); its event log goes to
a temporary folder that the secret test reads.
"""

from __future__ import annotations

import base64
import hashlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tinyworld import TinyWorld, tiny_world_fixture
from xverify import (
    AuditLog,
    LinkageSecret,
    MatchConfig,
    Verifier,
    XVerifyError,
    encode_requests,
    read_submissions,
)
from xverify.encoding.keys import KeyFile
from xverify.engines import LocalEngine, ParquetSource, RegisterPart
from xverify.signing import SigningKey
from xverify.synth import Profile, generate_submissions, write_register

pytestmark = pytest.mark.spark
pyspark = pytest.importorskip("pyspark", reason="the test extra installs PySpark")

from xverify.engines.spark import SparkEngine, spark_session  # noqa: E402
from xverify.errors import EngineError  # noqa: E402

KEY = LinkageSecret(hashlib.sha256(b"xverify tests/test_spark.py").digest())
#: people in the parity register, and requests of each profile (issue 13's acceptance size)
PEOPLE = 50_000
PER_PROFILE = 5_000

tiny_world = tiny_world_fixture()


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from pyspark import cloudpickle

    # this module's partition functions travel by value (workers cannot import tests/)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    events = tmp_path_factory.mktemp("spark-events")
    session = spark_session(
        "local[2]",
        **{
            "spark.eventLog.enabled": "true",
            "spark.eventLog.dir": events.as_uri(),
            "spark.eventLog.compress": "false",  # grep-able
        },
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def engine(spark: Any) -> SparkEngine:
    return SparkEngine(spark)


# ------------------------------------------------------------------------------ the parts
class Seen(NamedTuple):
    """What a partition function saw of its part (a tuple: workers cannot import tests/)."""

    row0: int
    rows: int
    types: tuple[pa.DataType, ...]
    first: int  # the part's first ``value``: checks row0 against the row it names


def describe(part: RegisterPart) -> tuple[int, int, tuple[pa.DataType, ...], int]:
    values = part.batch.column("value").to_numpy()
    return part.row0, part.rows, tuple(part.batch.schema.types), int(values[0])


def numbered(rows: int) -> pa.Table:
    return pa.table({
        "row_id": pa.array(np.arange(rows), pa.int64()),
        "value": pa.array(np.arange(rows) * 3, pa.uint32()),
        "code": pa.array([i.to_bytes(8, "little") for i in range(rows)], pa.binary(8)),
    })  # fmt: skip


@pytest.mark.parametrize("part_rows", [1, 64, 1000, 5000])
def test_parts_tile_the_register_in_order_with_its_types(
    engine: SparkEngine, tmp_path: Path, part_rows: int
) -> None:
    table = numbered(2500)
    pq.write_table(table, tmp_path / "r.parquet", row_group_size=300)  # several Spark splits
    source = ParquetSource(str(tmp_path / "r.parquet"))
    seen = [Seen(*s) for s in engine.map_parts(source, describe, part_rows=part_rows)]
    assert [s.row0 for s in seen] == sorted(s.row0 for s in seen)
    assert [s.row0 + s.rows for s in seen][:-1] == [s.row0 for s in seen][1:]
    assert seen[0].row0 == 0 and sum(s.rows for s in seen) == 2500
    assert all(0 < s.rows <= part_rows for s in seen)
    assert all(s.first == 3 * s.row0 for s in seen)  # row0 is the global index of the row
    # the function sees the register's own types: fixed-width binary, unsigned, no row_id
    assert {s.types for s in seen} == {(pa.uint32(), pa.binary(8))}


def test_a_gap_in_row_ids_splits_a_part_and_a_duplicate_is_refused(engine: SparkEngine) -> None:
    table = numbered(100)
    ids = np.arange(100)
    ids[50:] += 1000  # the rows after 50 are 1050..1099: two runs
    gapped = table.set_column(0, "row_id", pa.array(ids, pa.int64()))
    with pytest.raises(EngineError, match="skipped"):
        list(engine.map_parts(gapped, describe, part_rows=1000))
    twice = pa.concat_tables([table, table])
    with pytest.raises(EngineError, match="read twice"):
        list(engine.map_parts(twice, describe, part_rows=1000))


def test_a_stream_of_batches_is_refused_with_the_way_out(engine: SparkEngine) -> None:
    from xverify import ConfigError

    with pytest.raises(ConfigError, match="ParquetSource"):
        list(engine.map_parts(iter(numbered(10).to_batches()), describe, part_rows=10))


# ----------------------------------------------------------------------------- parity
@dataclass(frozen=True)
class World:
    register: Path
    encoded: pa.Table


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("spark-world")
    write_register(root / "register", PEOPLE, range(2019, 2025), np.random.default_rng(13))
    frames = []
    for i, profile in enumerate(Profile):
        subs, _ = generate_submissions(
            root / "register", PER_PROFILE, profile, np.random.default_rng(200 + i)
        )
        subs["request_id"] = profile.value + "-" + subs["request_id"].astype(str)
        frames.append(subs)
    encoded, _ = encode_requests(pd.concat(frames, ignore_index=True), KEY)
    return World(root / "register", encoded)


def fixed_clock() -> datetime:
    return datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_spark_decides_and_logs_exactly_as_the_local_engine(
    engine: SparkEngine, world: World, tmp_path: Path
) -> None:
    signer = SigningKey.generate()

    def run(name: str, eng: Any) -> tuple[pd.DataFrame, bytes]:
        log = AuditLog(tmp_path / f"{name}.log", signing_key=signer, clock=fixed_clock)
        v = Verifier(world.register, KEY, MatchConfig(), log=log,
                     cache_dir=tmp_path / "cache", engine=eng)  # fmt: skip
        result = v.verify(world.encoded)
        return result.decisions, (tmp_path / f"{name}.log").read_bytes()

    local, local_log = run("local", LocalEngine())
    spark, spark_log = run("spark", engine)
    assert len(local) == len(Profile) * PER_PROFILE
    assert local["outcome"].value_counts()["VERIFIED"] > 0.4 * len(local)
    pd.testing.assert_frame_equal(
        local[["request_id", "outcome", "reason", "tin"]],
        spark[["request_id", "outcome", "reason", "tin"]],
    )
    np.testing.assert_allclose(
        spark["match_weight"].to_numpy(float), local["match_weight"].to_numpy(float),
        rtol=0, atol=1e-9, equal_nan=True,
    )  # fmt: skip
    pd.testing.assert_frame_equal(local, spark)
    # same entries, same order, same signatures: the clock is the only thing that could differ
    assert spark_log == local_log


# ------------------------------------------------------------------------- the secret
def _event_log(spark: Any) -> str:
    folder = Path(spark.conf.get("spark.eventLog.dir").removeprefix("file:"))
    files = [f for f in folder.rglob("*") if f.is_file()]
    assert files, "Spark wrote no event log"
    return "\n".join(f.read_bytes().decode("utf-8", "replace") for f in files)


def test_the_secret_is_never_in_spark_plans_or_event_log(
    spark: Any, engine: SparkEngine, tiny_world: TinyWorld, tmp_path: Path
) -> None:
    secret = LinkageSecret.from_file(tiny_world.linkage_key)
    table, _ = encode_requests(read_submissions(tiny_world.submissions), secret)
    # the provider (a file name) is all the Verifier is given; the engine gets no secret at all
    v = Verifier(tiny_world.register, KeyFile(str(tiny_world.linkage_key)), MatchConfig(),
                 log=None, cache_dir=tmp_path, engine=engine)  # fmt: skip
    assert (v.match(table).decisions["outcome"] == "VERIFIED").any()
    plan = engine.frame(v.encoded_register().batches)._jdf.queryExecution().toString()
    log = _event_log(spark)
    assert "MapInArrow" in log and "physicalPlanDescription" in log  # plans were logged
    raw = secret.to_hex()
    forms = [raw, raw.upper(), base64.b64encode(bytes.fromhex(raw)).decode()]
    for text in (plan, log):
        assert not any(form in text for form in forms)
    blob = b"".join(f.read_bytes() for f in Path(spark.conf.get("spark.eventLog.dir")
                    .removeprefix("file:")).rglob("*") if f.is_file())  # fmt: skip
    assert bytes.fromhex(raw) not in blob


# ------------------------------------------------------------------------- bad input
def test_a_malformed_encoded_register_fails_naming_the_column_not_a_value(
    engine: SparkEngine, world: World, tmp_path: Path
) -> None:
    v = Verifier(world.register, KEY, MatchConfig(), log=None, cache_dir=tmp_path / "cache",
                 engine=engine)  # fmt: skip
    good = pq.read_table(v.encoded_register().path)
    col = good.column("tok_zip5").combine_chunks()
    broken = good.set_column(good.schema.get_field_index("tok_zip5"), "tok_zip5",
                             pa.array([None, *col.to_pylist()[1:]], col.type))  # fmt: skip
    pq.write_table(broken, tmp_path / "broken.parquet")
    with pytest.raises(XVerifyError, match="tok_zip5") as caught:
        list(engine.map_parts(ParquetSource(str(tmp_path / "broken.parquet")),
                              _encoded_rows, part_rows=65_536))  # fmt: skip
    assert bytes(col[1].as_py()).hex() not in str(caught.value)


def _encoded_rows(part: RegisterPart) -> int:
    from xverify.matching.blocking import Encoded

    return Encoded.of(part.batch).rows


def test_the_readme_spark_example_runs(
    spark: Any, tiny_world: TinyWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's Spark block, in the walkthrough's file names, on this module's session."""
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## On Apache Spark") :]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found
    for name, target in (("reg", tiny_world.register), ("linkage.key", tiny_world.linkage_key),
                         ("custodian.key", tiny_world.signing_key),
                         ("encoded.parquet", tiny_world.encoded)):  # fmt: skip
        (tmp_path / name).symlink_to(target)
    monkeypatch.chdir(tmp_path)
    scope: dict[str, Any] = {}
    exec(found.group(1), scope)
    assert scope["spark"] is spark and (tmp_path / "spark-audit.log").stat().st_size > 0
    assert scope["result"].summary.outcomes.get("VERIFIED", 0) > 0
