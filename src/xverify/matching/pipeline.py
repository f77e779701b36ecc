"""The matching stages in order, one pass over the register: block, compare, (train), score.

* :func:`train_model` ``(submissions, register_batches, schema, rng, config=None, stats=None)
  -> MatchModel``
* :func:`score_candidates` ``(submissions, register_batches, model, config=None, stats=None, *,
  batch_rows=None) -> ScoredPairs``
* ``register_batches`` is an iterable of Arrow batches or a callable returning a fresh one;
  with a callable (or table) and no ``stats``, :class:`TokenStats` are counted in an extra pass —
  count them once (``TokenStats.from_batches``) and pass them to both calls.
* :func:`match` — both in one pass over the register (keeps compared pairs in memory).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa

from ..encoding.schema import EncodingSchema
from ..errors import InputError, SchemaError
from .blocking import (
    BlockingConfig,
    CandidatePairs,
    Encoded,
    Engine,
    RegisterSource,
    TokenStats,
    build_index,
    mix64,
    register_chunks,
    rereadable,
)
from .compare import CompareConfig, ComparedPairs, RequestFrequencies, compare_pairs
from .model import MatchModel
from .score import ScoredPairs, score_compared
from .training import Chunk, Collector, TrainConfig, TrainingData, fit_model


@dataclass(frozen=True)
class PipelineConfig:
    """Everything the blocking -> comparison -> scoring pipeline needs.

    ``min_weight``: scored pairs below this weight are dropped (None keeps all), unless their
    name part reaches ``min_name_weight`` (a name match with another address is evidence for
    NAME_ONLY and for the runner-up).
    """

    blocking: BlockingConfig = field(default_factory=BlockingConfig)
    compare: CompareConfig = field(default_factory=CompareConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    engine: Engine = Engine.NUMBA_PARALLEL
    min_weight: float | None = None
    min_name_weight: float | None = None


# ============================================================================ streaming
def _stream(
    submissions: pa.Table | pa.RecordBatch,
    register_batches: RegisterSource,
    config: PipelineConfig,
    compare: CompareConfig,
    stats: TokenStats | None,
    u_seed: int | None,
) -> Iterator[Chunk]:
    subs = Encoded.of(submissions)
    if subs.rows == 0:
        raise InputError("no submissions to match")
    index = build_index(subs, config.blocking, stats)
    freq = RequestFrequencies.of(subs, stats)
    for row0, chunk in register_chunks(register_batches, config.blocking.chunk_rows):
        reg = Encoded.of(chunk)
        pairs = index.join(reg, row0, config.engine)
        compared = compare_pairs(
            subs, reg, pairs, compare, stats, reg_row0=row0, engine=config.engine, frequencies=freq
        )
        rnd = None
        if u_seed is not None:
            rp = _random_pairs(row0, reg.rows, subs.rows, config.train.u_pairs_per_row, u_seed)
            rnd = compare_pairs(subs, reg, rp, compare, None, reg_row0=row0, engine=config.engine)
            rnd = rnd.levels
        yield Chunk(row0, reg.rows, compared, rnd)


def _random_pairs(row0: int, rows: int, n_sub: int, per_row: int, seed: int) -> CandidatePairs:
    """Each register row paired with ``per_row`` submissions drawn by a seeded hash of its
    global index: the same sample whatever the chunking."""
    g = np.arange(row0, row0 + rows, dtype=np.uint64)
    salt = np.uint64(seed & 0xFFFFFFFFFFFFFFFF)
    subs = []
    with np.errstate(over="ignore"):
        for j in range(per_row):
            h = mix64(mix64(g ^ salt) + np.uint64(j))
            subs.append((h % np.uint64(n_sub)).astype(np.int32))
    sub = np.stack(subs, axis=1).reshape(-1)
    reg = np.repeat(g.astype(np.int64), per_row)
    return CandidatePairs(sub, reg)


# ============================================================================ entry points
def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**63 - 1))


def collect_training_data(
    submissions: pa.Table | pa.RecordBatch,
    register_batches: RegisterSource,
    rng: np.random.Generator,
    config: PipelineConfig | None = None,
    stats: TokenStats | None = None,
) -> TrainingData:
    """One pass over the register: candidate level patterns and random-pair level counts."""
    config = config or PipelineConfig()
    col = Collector()
    seed = _seed(rng)
    for chunk in _stream(submissions, register_batches, config, config.compare, stats, seed):
        col.add(chunk)
    return col.result(submissions.num_rows)


def train_model(
    submissions: pa.Table | pa.RecordBatch,
    register_batches: RegisterSource,
    schema: EncodingSchema | None,
    rng: np.random.Generator,
    config: PipelineConfig | None = None,
    stats: TokenStats | None = None,
) -> MatchModel:
    """Train a :class:`MatchModel`: u from random pairs, m by EM on the candidate pairs.

    ``schema`` (optional) is checked against the submissions' columns. Without ``stats``, token
    statistics are counted from the register when the source can be read twice (a callable or
    a table); TF adjustment and block caps need them.
    """
    config = config or PipelineConfig()
    check_layout(submissions, schema)
    stats = _auto_stats(register_batches, stats)
    data = collect_training_data(submissions, register_batches, rng, config, stats)
    return fit_model(data, config.train, compare=config.compare, tf_adjust=stats is not None)


def check_layout(table: pa.Table | pa.RecordBatch, schema: EncodingSchema | None) -> None:
    """Raise :class:`SchemaError` unless ``table`` has the schema's encoded columns and widths."""
    if schema is None:
        return
    for f in schema.arrow_fields():
        if f.name not in table.schema.names or table.schema.field(f.name).type != f.type:
            raise SchemaError(f"column {f.name!r} is missing or not of the encoding schema's type")


def _auto_stats(source: RegisterSource, stats: TokenStats | None) -> TokenStats | None:
    if stats is None and rereadable(source):
        return TokenStats.from_batches(source)
    return stats


def score_candidates(
    submissions: pa.Table | pa.RecordBatch,
    register_batches: RegisterSource,
    model: MatchModel,
    config: PipelineConfig | None = None,
    stats: TokenStats | None = None,
    *,
    batch_rows: int | None = None,
) -> ScoredPairs:
    """Block, compare (with the model's thresholds) and score every candidate pair.

    ``batch_rows`` overrides the register chunk size. ``stats`` as in :func:`train_model`.
    """
    config = config or PipelineConfig()
    if batch_rows is not None:
        config = replace(config, blocking=replace(config.blocking, chunk_rows=batch_rows))
    stats = _auto_stats(register_batches, stats) if model.tf_adjust else stats
    parts = [
        score_compared(ch.compared, model, config.engine, config.min_weight, config.min_name_weight)
        for ch in _stream(submissions, register_batches, config, model.compare, stats, None)
    ]
    return ScoredPairs.concat(parts)


def match(
    submissions: pa.Table | pa.RecordBatch,
    register_batches: RegisterSource,
    rng: np.random.Generator,
    config: PipelineConfig | None = None,
    stats: TokenStats | None = None,
) -> tuple[MatchModel, ScoredPairs]:
    """Train and score in one pass over the register (compared pairs kept in memory)."""
    config = config or PipelineConfig()
    stats = _auto_stats(register_batches, stats)
    col = Collector()
    kept: list[ComparedPairs] = []
    seed = _seed(rng)
    for chunk in _stream(submissions, register_batches, config, config.compare, stats, seed):
        col.add(chunk)
        kept.append(chunk.compared)
    model = fit_model(
        col.result(submissions.num_rows),
        config.train,
        compare=config.compare,
        tf_adjust=stats is not None,
    )
    scored = [
        score_compared(c, model, config.engine, config.min_weight, config.min_name_weight)
        for c in kept
    ]
    return model, ScoredPairs.concat(scored)
