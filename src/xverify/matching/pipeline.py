"""The matching stages as partition functions, run through an engine over the register.

Every pass over the register is ``engine.map_parts(register, partition function)`` followed by a
merge on the driver. The partition functions read one :class:`~xverify.engines.RegisterPart`
and a :class:`SubmissionsIndex` (small: the requests, built once and shipped to every worker):

* :func:`training_part` — EM's sufficient statistics (:class:`TrainingCounts`), summed;
* :func:`scoring_part` — the scored pairs that survive pruning, concatenated;
* token counts for term frequencies and block caps: ``TokenStats.from_batches``.

Entry points: :func:`train_model`, :func:`score_candidates`, and :func:`match` (both in one pass,
keeping the compared pairs in memory). ``register_batches`` is an iterable of Arrow batches or a
callable returning a fresh one; with a callable (or table) and no ``stats``, token statistics
are counted in an extra pass — count them once and pass them to both calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import pyarrow as pa

from ..encoding.schema import EncodingSchema
from ..engines.base import Engine, RegisterPart, RegisterSource, rereadable
from ..engines.local import LocalEngine
from ..errors import InputError, SchemaError
from .blocking import (
    BlockingConfig,
    BlockingIndex,
    CandidatePairs,
    Encoded,
    Kernels,
    TokenStats,
    build_index,
    mix64,
)
from .compare import CompareConfig, ComparedPairs, RequestFrequencies, compare_pairs
from .model import MatchModel
from .score import ScoredPairs, score_compared
from .training import TrainConfig, TrainingCounts, TrainingData, fit_model


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
    kernels: Kernels = Kernels.NUMBA_PARALLEL  # what runs the hot loops inside a part
    min_weight: float | None = None
    min_name_weight: float | None = None


@dataclass(frozen=True)
class SubmissionsIndex:
    """What every partition needs about the requests: their encodings, blocking index and
    term-frequency lookups, with the pipeline settings. Built once on the driver."""

    subs: Encoded
    index: BlockingIndex
    frequencies: RequestFrequencies
    stats: TokenStats | None
    config: PipelineConfig

    @classmethod
    def build(
        cls,
        submissions: pa.Table | pa.RecordBatch,
        config: PipelineConfig,
        stats: TokenStats | None,
    ) -> SubmissionsIndex:
        subs = Encoded.of(submissions)
        if subs.rows == 0:
            raise InputError("no submissions to match")
        index = build_index(subs, config.blocking, stats)
        return cls(subs, index, RequestFrequencies.of(subs, stats), stats, config)

    def compare(self, part: RegisterPart, thresholds: CompareConfig) -> ComparedPairs:
        """Block and compare one register part against the requests."""
        reg = Encoded.of(part.batch)
        kernels = self.config.kernels
        pairs = self.index.join(reg, part.row0, kernels)
        return compare_pairs(
            self.subs, reg, pairs, thresholds, self.stats,
            reg_row0=part.row0, kernels=kernels, frequencies=self.frequencies,
        )  # fmt: skip

    def random_levels(self, part: RegisterPart, thresholds: CompareConfig, seed: int) -> np.ndarray:
        """Levels of the part's random pairs (u-probabilities), the same whatever the parts."""
        reg = Encoded.of(part.batch)
        per_row = self.config.train.u_pairs_per_row
        pairs = _random_pairs(part.row0, reg.rows, self.subs.rows, per_row, seed)
        kernels = self.config.kernels
        return compare_pairs(
            self.subs, reg, pairs, thresholds, None, reg_row0=part.row0, kernels=kernels
        ).levels


def training_part(
    ix: SubmissionsIndex, seed: int, part: RegisterPart, *, keep: bool = False
) -> tuple[TrainingCounts, ComparedPairs | None]:
    """EM's sufficient statistics of one part (and its compared pairs when ``keep``)."""
    thresholds = ix.config.compare
    compared = ix.compare(part, thresholds)
    counts = TrainingCounts.of(compared.levels, ix.random_levels(part, thresholds, seed), part.rows)
    return counts, compared if keep else None


def scoring_part(ix: SubmissionsIndex, model: MatchModel, part: RegisterPart) -> ScoredPairs:
    """The scored candidate pairs of one part that survive the pipeline's weight floors."""
    c = ix.config
    return score_compared(
        ix.compare(part, model.compare), model, c.kernels, c.min_weight, c.min_name_weight
    )


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
    engine: Engine | None = None,
) -> TrainingData:
    """One pass over the register: candidate level patterns and random-pair level counts."""
    config = config or PipelineConfig()
    ix = SubmissionsIndex.build(submissions, config, stats)
    parts = (engine or LocalEngine()).map_parts(
        register_batches, partial(training_part, ix, _seed(rng)), part_rows=_part_rows(config)
    )
    return TrainingCounts.merge(c for c, _ in parts).data(submissions.num_rows)


def train_model(
    submissions: pa.Table | pa.RecordBatch,
    register_batches: RegisterSource,
    schema: EncodingSchema | None,
    rng: np.random.Generator,
    config: PipelineConfig | None = None,
    stats: TokenStats | None = None,
    engine: Engine | None = None,
) -> MatchModel:
    """Train a :class:`MatchModel`: u from random pairs, m by EM on the candidate pairs.

    ``schema`` (optional) is checked against the submissions' columns. Without ``stats``, token
    statistics are counted from the register when the source can be read twice (a callable or
    a table); TF adjustment and block caps need them.
    """
    config = config or PipelineConfig()
    check_layout(submissions, schema)
    stats = _auto_stats(register_batches, stats, engine)
    data = collect_training_data(submissions, register_batches, rng, config, stats, engine)
    return fit_model(data, config.train, compare=config.compare, tf_adjust=stats is not None)


def check_layout(table: pa.Table | pa.RecordBatch, schema: EncodingSchema | None) -> None:
    """Raise :class:`SchemaError` unless ``table`` has the schema's encoded columns and widths."""
    if schema is None:
        return
    for f in schema.arrow_fields():
        if f.name not in table.schema.names or table.schema.field(f.name).type != f.type:
            raise SchemaError(f"column {f.name!r} is missing or not of the encoding schema's type")


def _auto_stats(
    source: RegisterSource, stats: TokenStats | None, engine: Engine | None
) -> TokenStats | None:
    if stats is None and rereadable(source):
        return TokenStats.from_batches(source, engine=engine)
    return stats


def _part_rows(config: PipelineConfig) -> int:
    return config.blocking.chunk_rows


def score_candidates(
    submissions: pa.Table | pa.RecordBatch,
    register_batches: RegisterSource,
    model: MatchModel,
    config: PipelineConfig | None = None,
    stats: TokenStats | None = None,
    *,
    batch_rows: int | None = None,
    engine: Engine | None = None,
) -> ScoredPairs:
    """Block, compare (with the model's thresholds) and score every candidate pair.

    ``batch_rows`` overrides the register part size. ``stats`` as in :func:`train_model`.
    """
    config = config or PipelineConfig()
    if batch_rows is not None:
        config = replace(config, blocking=replace(config.blocking, chunk_rows=batch_rows))
    stats = _auto_stats(register_batches, stats, engine) if model.tf_adjust else stats
    ix = SubmissionsIndex.build(submissions, config, stats)
    parts = (engine or LocalEngine()).map_parts(
        register_batches, partial(scoring_part, ix, model), part_rows=_part_rows(config)
    )
    return ScoredPairs.concat(list(parts))


def match(
    submissions: pa.Table | pa.RecordBatch,
    register_batches: RegisterSource,
    rng: np.random.Generator,
    config: PipelineConfig | None = None,
    stats: TokenStats | None = None,
    engine: Engine | None = None,
) -> tuple[MatchModel, ScoredPairs]:
    """Train and score in one pass over the register (compared pairs kept in memory)."""
    config = config or PipelineConfig()
    stats = _auto_stats(register_batches, stats, engine)
    ix = SubmissionsIndex.build(submissions, config, stats)
    fn = partial(training_part, ix, _seed(rng), keep=True)
    engine = engine or LocalEngine()
    parts = list(engine.map_parts(register_batches, fn, part_rows=_part_rows(config)))
    model = fit_model(
        TrainingCounts.merge(c for c, _ in parts).data(submissions.num_rows),
        config.train,
        compare=config.compare,
        tf_adjust=stats is not None,
    )
    scored = [
        score_compared(c, model, config.kernels, config.min_weight, config.min_name_weight)
        for _, c in parts
        if c is not None
    ]
    return model, ScoredPairs.concat(scored)
