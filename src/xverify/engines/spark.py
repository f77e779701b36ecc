"""The partition functions on Apache Spark (optional extra: ``pip install 'xverify[spark]'``).

:class:`SparkEngine` reads the encoded register as a Spark DataFrame (Parquet, any URI Spark
reads) and runs a partition function per register part on the executors with ``mapInArrow``:

* the function (closing over the submissions index and the model: small) is pickled once and
  *broadcast*; the register is never shuffled and never leaves the executors;
* each task splits its rows into runs of consecutive ``row_id`` of at most ``part_rows`` rows,
  so :attr:`RegisterPart.row0 <xverify.engines.RegisterPart.row0>` is the global index of the
  part's first row whatever split Spark chose;
* every part's result comes back as one pickled payload (a partial result: token counts, EM
  sufficient statistics, the scored pairs that survived pruning) and the driver yields them in
  register order.

Nothing here holds the linkage secret: matching needs only encodings. The register is encoded
once on the driver (:func:`xverify.register.encode_register`) and cached as Parquet; encoding it
as a Spark job, with a :data:`~xverify.encoding.keys.SecretProvider` shipped to the executors,
is not built yet.

PySpark is imported when an engine is built, never by ``import xverify``.
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from .. import errors
from ..errors import ConfigError, EngineError, XVerifyError
from .base import ROW_ID, ParquetSource, R, RegisterPart, RegisterSource

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: what a task returns per register part: where it starts, its rows, the pickled result
RESULT_SCHEMA = "row0 long, rows long, payload binary"
SPARK_EXTRA = "the Spark engine needs PySpark 4: pip install 'xverify[spark]'"


def require_pyspark() -> None:
    """Raise :class:`ConfigError` naming the extra to install when PySpark is missing."""
    try:
        import pyspark
    except ImportError:
        raise ConfigError(SPARK_EXTRA) from None
    if int(pyspark.__version__.split(".")[0]) < 4:
        raise ConfigError(f"{SPARK_EXTRA} (found PySpark {pyspark.__version__})")


def spark_session(master: str | None = None, **conf: str) -> SparkSession:
    """The running Spark session, or a new one: on ``master`` when given, else on what
    ``spark-submit`` set, else on every local core. The web UI is off unless ``conf`` says.

    ``conf`` adds Spark settings: ``**{"spark.eventLog.enabled": "true"}``.
    """
    require_pyspark()
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("xverify").config("spark.ui.enabled", "false")
    if master is not None:
        builder = builder.master(master)
    elif not SparkConf().contains("spark.master"):
        builder = builder.master("local[*]")
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


@dataclass(frozen=True)
class SparkEngine:
    """Runs partition functions on a Spark session's executors, one ``mapInArrow`` per pass.

    ``task_threads``: threads each task gives the numba kernels. Spark already runs one task
    per core, so the default 1 keeps a ``local[2]`` run at two busy threads instead of four
    fighting over two cores.
    """

    spark: SparkSession = field(repr=False)
    task_threads: int = 1
    name: str = "spark"

    def __post_init__(self) -> None:
        require_pyspark()
        if self.task_threads < 1:
            raise ConfigError("task_threads must be positive")

    def frame(self, source: RegisterSource) -> DataFrame:
        """The register as a DataFrame with its ``row_id`` column.

        A :class:`ParquetSource` is read where it lives (any path or URI Spark reads); an
        in-memory Arrow table is numbered and handed to Spark (tests and small registers).
        """
        if isinstance(source, ParquetSource):
            return self.spark.read.parquet(_absolute(source.path))
        if isinstance(source, pa.Table):
            numbered = source
            if ROW_ID not in source.column_names:
                numbered = source.append_column(
                    ROW_ID, pa.array(np.arange(source.num_rows), pa.int64())
                )
            return self.spark.createDataFrame(_spark_safe(numbered))
        raise ConfigError(
            "the Spark engine reads a register from Parquet (a ParquetSource, e.g. an encoded "
            "register's .batches) or an Arrow table, not from a stream of batches"
        )

    def map_parts(
        self, source: RegisterSource, fn: Callable[[RegisterPart], R], *, part_rows: int
    ) -> Iterator[R]:
        """``fn`` of every part of at most ``part_rows`` consecutive rows, in register order."""
        from pyspark import cloudpickle

        frame = self.frame(source)
        if ROW_ID not in frame.columns:
            raise ConfigError(f"the register has no {ROW_ID!r} column: re-encode it")
        schema = _arrow_schema(source)
        shipped = self.spark.sparkContext.broadcast(cloudpickle.dumps(fn))
        try:
            task = _Task(shipped, part_rows, self.task_threads, schema)
            rows = frame.mapInArrow(task, RESULT_SCHEMA).collect()
        except Exception as exc:
            raise _task_error(exc) from None
        finally:
            shipped.destroy()
        rows.sort(key=lambda r: r["row0"])
        _check_tiling([(r["row0"], r["rows"]) for r in rows])
        rows.reverse()
        while rows:  # each payload is dropped once unpickled
            yield pickle.loads(rows.pop()["payload"])


def _absolute(path: str) -> str:
    """A relative local path made absolute: Spark would resolve it against the JVM's folder,
    not this process's (a URI such as ``s3a://...`` is left as it is)."""
    if re.match(r"^[A-Za-z][\w+.-]*:", path):
        return path
    return os.path.abspath(path)


def _arrow_schema(source: RegisterSource) -> pa.Schema | None:
    """The Arrow types the partition function expects (Spark has no fixed-width binary and no
    unsigned integers), when the source says; else they are inferred on the executor."""
    if isinstance(source, pa.Table):
        return source.schema
    if isinstance(source, ParquetSource):
        try:
            return source.schema()
        except (OSError, pa.ArrowInvalid, IndexError):
            return None  # a URI Arrow cannot read: widths are inferred from the data
    return None


def _spark_safe(table: pa.Table) -> pa.Table:
    """``table`` with types Spark accepts: fixed-width binary as binary, uint32 as int64."""
    fields = []
    for f in table.schema:
        if pa.types.is_fixed_size_binary(f.type):
            fields.append(pa.field(f.name, pa.binary()))
        elif pa.types.is_unsigned_integer(f.type):
            fields.append(pa.field(f.name, pa.int64()))
        else:
            fields.append(f)
    return table.cast(pa.schema(fields))


_XVERIFY_ERROR = re.compile(r"^xverify\.errors\.(\w+): (.*)$", re.M)
_RAISED = re.compile(r"^([\w.]+(?:Error|Exception)): ", re.M)


def _task_error(exc: Exception) -> Exception:
    """What to raise for a failed Spark job: an xverify error raised in a task comes back as
    that error (its message names fields, never values); any other failure as an
    :class:`EngineError` that names its kind only (a Python or Java message may quote data)."""
    from pyspark.errors import PySparkException

    if not isinstance(exc, PySparkException):
        return exc
    found = _XVERIFY_ERROR.findall(str(exc))
    if found:
        kind, message = found[-1]
        error = getattr(errors, kind, None)
        if isinstance(error, type) and issubclass(error, XVerifyError):
            return error(message)
    raised = _RAISED.findall(str(exc))
    kind = raised[-1] if raised else type(exc).__name__
    return EngineError(f"a Spark task failed ({kind}); the executor log has the details")


def _check_tiling(parts: list[tuple[int, int]]) -> None:
    """The parts, sorted, must cover rows 0..n-1 once each."""
    expected = 0
    for row0, rows in parts:
        if row0 != expected:
            raise EngineError(
                f"register rows {min(row0, expected)}..{max(row0, expected) - 1} were "
                f"{'skipped' if row0 > expected else 'read twice'}: is {ROW_ID!r} unique and "
                "consecutive from 0?"
            )
        expected = row0 + rows


@dataclass(frozen=True)
class _Task:
    """What runs in each Spark task: cut the task's rows into parts of consecutive ``row_id``,
    call the broadcast partition function on each, return its pickled result."""

    shipped: Any  # pyspark Broadcast of the cloudpickled function
    part_rows: int
    threads: int
    schema: pa.Schema | None

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import cloudpickle

        _limit_threads(self.threads)
        fn = cloudpickle.loads(self.shipped.value)
        pending: list[pa.RecordBatch] = []
        start = -1
        held = 0
        for batch in batches:
            ids = batch.column(ROW_ID).to_numpy()
            cuts = np.flatnonzero(np.diff(ids) != 1) + 1
            for lo, hi in zip([0, *cuts], [*cuts, len(ids)], strict=True):
                run = batch.slice(lo, hi - lo)
                first = int(ids[lo])
                if held and first != start + held:  # a gap: what is held is one part
                    yield self._part(fn, start, pending)
                    pending, held = [], 0
                while run.num_rows:
                    if not held:
                        start = first
                    take = min(run.num_rows, self.part_rows - held)
                    pending.append(run.slice(0, take))
                    held += take
                    first += take
                    run = run.slice(take)
                    if held == self.part_rows:
                        yield self._part(fn, start, pending)
                        pending, held = [], 0
        if held:
            yield self._part(fn, start, pending)

    def _part(
        self, fn: Callable[[RegisterPart], Any], row0: int, batches: list[pa.RecordBatch]
    ) -> pa.RecordBatch:
        table = pa.Table.from_batches(batches).drop_columns([ROW_ID])
        batch = _restore_types(table, self.schema).combine_chunks().to_batches()[0]
        result = fn(RegisterPart(row0, batch))
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        return pa.record_batch(
            {
                "row0": pa.array([row0], pa.int64()),
                "rows": pa.array([batch.num_rows], pa.int64()),
                "payload": pa.array([payload], pa.binary()),
            }
        )


def _restore_types(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
    """Spark's binary and int64 columns back to the register's fixed-width binary and unsigned
    types: from ``schema`` when known, else each binary column at the width of its values."""
    columns = []
    for name in table.column_names:
        col = table.column(name)
        if schema is not None and name in schema.names:
            target = schema.field(name).type
        elif pa.types.is_binary(col.type) and len(col):
            width = len(col[0].as_py())
            target = pa.binary(width) if width else col.type
        else:
            target = col.type
        columns.append(col if col.type == target else col.cast(target))
    return pa.table(columns, names=table.column_names)


def _limit_threads(threads: int) -> None:
    """Give this task's numba kernels ``threads`` threads (at most what numba started)."""
    import numba

    most = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    numba.set_num_threads(max(1, min(threads, most)))
