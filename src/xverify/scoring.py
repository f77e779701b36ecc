"""Scoring stage: Fellegi–Sunter match weights, EM training, term-frequency adjustment.

Model
-----
For each :class:`~xverify.compare.Comparison` and level ``l``: ``m[l]`` = P(level | same person),
``u[l]`` = P(level | different people). A pair's match weight (bits) is

    weight = log2(λ / (1 - λ)) + Σ_c log2(m_c[l_c] / u_c[l_c]) + Σ_TF log2(u_c[l_c] / f_t)
             + Σ_interactions bits

where missing levels (-1) add 0, ``λ`` is the probability that a random (submission, register
row) pair is a match, and ``f_t`` the register frequency of the agreeing token ``t`` (sum of log2
frequencies over agreeing components; floored at one register row). The TF term replaces the
average u of an exact surname / given-name agreement by the token's own frequency (Splink-style):
agreeing on a rare surname is stronger evidence than agreeing on GARCIA. The match probability is
``1 / (1 + 2^-weight)``. ``name_weight`` sums the name comparisons (given, surname, middle,
suffix) with their TF terms, ``address_weight`` the address comparison; birth date, TIN and the
prior are only in ``weight``.

Training (:func:`train_model`)
------------------------------
* **u** from random (submission, register row) pairs: each register row is paired with
  ``u_pairs_per_row`` submissions chosen by a seeded hash of its global row index (same sample
  whatever the chunking), with a pseudo-count so that unseen levels keep a small u.
* **m** by EM on the candidate pairs (grouped into distinct level patterns: fast), in sessions
  as Splink trains ("block on name, learn address; block on address, learn name"): given-name m
  among pairs at the same street address, surname m among pairs at the same address with the
  same given name, address / middle / birth date / TIN m among pairs agreeing on the name. In a
  session the comparisons implied by its selection are left out and the others' non-match
  distribution is the random-pair u (household members have unrelated given names, namesakes
  unrelated addresses). Plain EM over all candidates learns "same family at the same address"
  as the match class; the sessions avoid it.
* **λ**: a last EM over all candidates, m fixed, candidate non-matches with their own level
  distribution, gives the candidate match rate; λ = that rate x candidates / (submissions x
  register rows).
* The suffix m is fixed (:data:`FIXED_M`): EM cannot learn that JR vs SR means two people.
* A surname x address :class:`Interaction` (bits <= 0) corrects for relatives sharing both;
  estimated from the candidate non-matches after EM.
* A comparison with no non-missing value among the candidates is left untrained: its m is
  :data:`DEFAULT_M` (middle, birth date, TIN) or u (weight 0), ``trained=False``.

API
---
* :func:`train_model` ``(submissions, register_batches, schema, rng, config=None, stats=None)
  -> MatchModel``
* :func:`score_candidates` ``(submissions, register_batches, model, config=None, stats=None, *,
  batch_rows=None) -> ScoredPairs``
* ``register_batches`` is an iterable of Arrow batches or a callable returning a fresh one;
  with a callable (or table) and no ``stats``, :class:`TokenStats` are counted in an extra pass —
  count them once (``TokenStats.from_batches``) and pass them to both calls.
* :func:`match` — both in one pass over the register (keeps compared pairs in memory).
* :func:`score_compared` ``(ComparedPairs, MatchModel) -> ScoredPairs``.
* :class:`MatchModel` — frozen; ``to_json``/``from_json``/``save``/``load``, ``describe()``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import kernels as K
from ._io import atomic_path
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
from .compare import (
    ADDRESS_AGREES_MIN_LEVEL,
    LEVEL_LABELS,
    PARTS,
    TF_COMPARISONS,
    TF_LEVELS,
    CompareConfig,
    ComparedPairs,
    Comparison,
    Part,
    RequestFrequencies,
    compare_pairs,
)
from .encoding.schema import EncodingSchema
from .errors import ConfigError, InputError, SchemaError

__all__ = [
    "ComparisonParams",
    "Interaction",
    "MatchModel",
    "PipelineConfig",
    "ScoredPairs",
    "TrainConfig",
    "TrainingData",
    "collect_training_data",
    "fit_model",
    "match",
    "probability",
    "score_candidates",
    "score_compared",
    "train_model",
]

MODEL_VERSION = 3  # 3: given levels "nickname" (one-sided) and "some exact"
_N_LEVELS = {c: len(LEVEL_LABELS[c]) for c in Comparison}
_MAX_LEVELS = max(_N_LEVELS.values())


@dataclass(frozen=True)
class TrainConfig:
    """EM and u-sampling settings."""

    u_pairs_per_row: int = 2
    u_pseudo_count: float = 0.5
    m_pseudo_count: float = 1.0
    max_iterations: int = 200
    tolerance: float = 1e-6
    min_session_pairs: float = 50.0

    def __post_init__(self) -> None:
        if self.u_pairs_per_row < 1 or self.max_iterations < 1:
            raise ConfigError("u_pairs_per_row and max_iterations must be positive")
        if min(self.u_pseudo_count, self.m_pseudo_count, self.tolerance) <= 0:
            raise ConfigError("pseudo-counts and tolerance must be positive")


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


# ============================================================================ the model
@dataclass(frozen=True)
class ComparisonParams:
    """m and u per level of one comparison (index = level)."""

    comparison: Comparison
    m: tuple[float, ...]
    u: tuple[float, ...]
    trained: bool = True

    def __post_init__(self) -> None:
        n = _N_LEVELS[self.comparison]
        if len(self.m) != n or len(self.u) != n:
            raise ConfigError(f"comparison {self.comparison.name} needs {n} m and u values")
        if any(not 0 < x <= 1 for x in (*self.m, *self.u)):
            raise ConfigError(f"m and u of {self.comparison.name} must be in (0, 1]")

    @property
    def weights(self) -> tuple[float, ...]:
        """log2(m / u) per level (bits)."""
        return tuple(math.log2(m / u) for m, u in zip(self.m, self.u, strict=True))


@dataclass(frozen=True)
class Interaction:
    """A correction (bits, <= 0) added when comparison ``a`` >= ``a_min`` and ``b`` >= ``b_min``.

    Fellegi–Sunter multiplies the evidence of comparisons as if independent. Surname and address
    are not independent among non-matches: relatives share both (households, Jr./Sr.). Among
    non-matches, the chance that a register row at the submission's address shares its surname
    token ``t`` is about ``h / count(t)`` (``h``: same-surname housemates per person), not the
    random-pair u of the address. The correction replaces one by the other:
    ``min(0, log2(u_address) + log2(count(t)))  - log2(h))``, i.e. ``tf_base + tf`` with the
    surname TF term ``tf = log2(count(t) / rows)``; so a shared rare surname at one address is
    no longer counted as two independent rare coincidences. ``bits`` is used when no TF term.
    """

    a: Comparison
    a_min: int
    b: Comparison
    b_min: int
    bits: float
    tf_base: float | None = None  # with the TF term of comparison ``a``
    part: Part = Part.ADDRESS
    unless: Comparison | None = None  # skipped when this comparison ...
    unless_min: int = 0  # ... reaches this level

    def label(self) -> str:
        text = f"{self.a.name.lower()}>={self.a_min} & {self.b.name.lower()}>={self.b_min}"
        if self.unless is not None:
            text += f" & {self.unless.name.lower()}<{self.unless_min}"
        return text


@dataclass(frozen=True)
class MatchModel:
    """A trained Fellegi–Sunter model: inspect with :meth:`describe`, keep with :meth:`save`."""

    params: tuple[ComparisonParams, ...]  # one per Comparison, in order
    prior: float  # λ: P(match) for a random (submission, register row) pair
    candidate_prior: float  # P(match) among candidate pairs (EM)
    compare: CompareConfig = field(default_factory=CompareConfig)
    tf_adjust: bool = True
    iterations: int = 0
    converged: bool = True
    candidates: int = 0
    random_pairs: int = 0
    interactions: tuple[Interaction, ...] = ()

    def __post_init__(self) -> None:
        if tuple(p.comparison for p in self.params) != tuple(Comparison):
            raise ConfigError("a match model needs the parameters of every comparison, in order")
        for name in ("prior", "candidate_prior"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ConfigError(f"{name} must be in (0, 1)")

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1.0 - self.prior))

    def param(self, c: Comparison) -> ComparisonParams:
        return self.params[int(c)]

    # -- kernel tables -------------------------------------------------------------------
    def weight_table(self) -> np.ndarray:
        """``(comparisons, 1 + max levels)``: column 0 missing (0 bits), then level weights."""
        t = np.zeros((len(Comparison), _MAX_LEVELS + 1), np.float64)
        for p in self.params:
            t[int(p.comparison), 1 : 1 + len(p.m)] = p.weights
        return t

    def bits(self, levels: np.ndarray, comparisons: Sequence[Comparison]) -> np.ndarray:
        """Per pair, the summed weights (bits, no TF) of ``comparisons`` at their ``levels``."""
        table = self.weight_table()
        out = np.zeros(len(levels), np.float64)
        for c in comparisons:
            out += table[int(c), levels[:, int(c)].astype(np.int64) + 1]
        return out

    def tf_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """TF comparison per column, the levels it adjusts, and log2 u of those levels."""
        comp = np.array([int(c) for c in TF_COMPARISONS], np.int64)
        on = np.zeros((len(TF_COMPARISONS), _MAX_LEVELS + 1), np.bool_)
        log2u = np.zeros((len(TF_COMPARISONS), _MAX_LEVELS + 1), np.float64)
        if self.tf_adjust:
            for k, c in enumerate(TF_COMPARISONS):
                p = self.param(c)
                for lev in TF_LEVELS[c]:
                    on[k, lev + 1] = p.trained
                    log2u[k, lev + 1] = math.log2(p.u[lev])
        return comp, on, log2u

    def interaction_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """``(k, 8)`` int64 (a, a_min, b, b_min, part, tf column or -1, unless or -1, unless_min)
        and ``(k, 2)`` float64
        (bits, tf_base) of the interactions (see :func:`xverify.kernels.score_nb`)."""
        tf_col = {c: k for k, c in enumerate(TF_COMPARISONS)}
        spec = np.array(
            [
                [
                    int(x.a),
                    x.a_min,
                    int(x.b),
                    x.b_min,
                    int(x.part),
                    tf_col.get(x.a, -1) if x.tf_base is not None and self.tf_adjust else -1,
                    -1 if x.unless is None else int(x.unless),
                    x.unless_min,
                ]
                for x in self.interactions
            ],
            np.int64,
        ).reshape(-1, 8)
        bits = np.array(
            [[x.bits, x.tf_base if x.tf_base is not None else 0.0] for x in self.interactions],
            np.float64,
        ).reshape(-1, 2)
        return spec, bits

    # -- inspection ----------------------------------------------------------------------
    def describe(self) -> pd.DataFrame:
        """One row per comparison level: label, m, u, weight (bits), TF-adjusted, trained."""
        rows = []
        for p in self.params:
            for lev, (m, u, w) in enumerate(zip(p.m, p.u, p.weights, strict=True)):
                rows.append(
                    {
                        "comparison": p.comparison.name.lower(),
                        "level": lev,
                        "label": LEVEL_LABELS[p.comparison][lev],
                        "m": m,
                        "u": u,
                        "weight": w,
                        "tf_adjusted": self.tf_adjust and lev in TF_LEVELS.get(p.comparison, ()),
                        "trained": p.trained,
                    }
                )
            rows.append(
                {
                    "comparison": p.comparison.name.lower(),
                    "level": K.MISSING,
                    "label": "missing",
                    "m": np.nan,
                    "u": np.nan,
                    "weight": 0.0,
                    "tf_adjusted": False,
                    "trained": p.trained,
                }
            )
        for x in self.interactions:
            rows.append(
                {
                    "comparison": f"{x.a.name.lower()}&{x.b.name.lower()}",
                    "level": x.b_min,
                    "label": x.label(),
                    "m": np.nan,
                    "u": np.nan,
                    "weight": x.bits,
                    "tf_adjusted": False,
                    "trained": True,
                }
            )
        df = pd.DataFrame(rows)
        df.attrs["prior"] = self.prior
        df.attrs["prior_weight"] = self.prior_weight
        return df

    # -- (de)serialisation ---------------------------------------------------------------
    def to_json(self) -> str:
        d: dict[str, Any] = {
            "version": MODEL_VERSION,
            "prior": self.prior,
            "candidate_prior": self.candidate_prior,
            "compare": asdict(self.compare),
            "tf_adjust": self.tf_adjust,
            "iterations": self.iterations,
            "converged": self.converged,
            "candidates": self.candidates,
            "random_pairs": self.random_pairs,
            "interactions": [
                {
                    "a": x.a.name.lower(),
                    "a_min": x.a_min,
                    "b": x.b.name.lower(),
                    "b_min": x.b_min,
                    "bits": x.bits,
                    "tf_base": x.tf_base,
                    "part": x.part.name.lower(),
                    "unless": None if x.unless is None else x.unless.name.lower(),
                    "unless_min": x.unless_min,
                }
                for x in self.interactions
            ],
            "comparisons": {
                p.comparison.name.lower(): {"m": list(p.m), "u": list(p.u), "trained": p.trained}
                for p in self.params
            },
        }
        return json.dumps(d, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> MatchModel:
        try:
            d = json.loads(text)
            if d["version"] != MODEL_VERSION:
                raise InputError(f"match model version {d['version']} is not supported")
            params = tuple(
                ComparisonParams(
                    c,
                    tuple(float(x) for x in d["comparisons"][c.name.lower()]["m"]),
                    tuple(float(x) for x in d["comparisons"][c.name.lower()]["u"]),
                    bool(d["comparisons"][c.name.lower()]["trained"]),
                )
                for c in Comparison
            )
            return cls(
                params=params,
                prior=float(d["prior"]),
                candidate_prior=float(d["candidate_prior"]),
                compare=CompareConfig(**d["compare"]),
                tf_adjust=bool(d["tf_adjust"]),
                iterations=int(d["iterations"]),
                converged=bool(d["converged"]),
                candidates=int(d["candidates"]),
                random_pairs=int(d["random_pairs"]),
                interactions=tuple(
                    Interaction(
                        Comparison[x["a"].upper()],
                        int(x["a_min"]),
                        Comparison[x["b"].upper()],
                        int(x["b_min"]),
                        float(x["bits"]),
                        None if x["tf_base"] is None else float(x["tf_base"]),
                        Part[x["part"].upper()],
                        None if x.get("unless") is None else Comparison[x["unless"].upper()],
                        int(x.get("unless_min", 0)),
                    )
                    for x in d.get("interactions", [])
                ),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"malformed match model ({type(exc).__name__})") from None

    def save(self, path: Path | str) -> None:
        """Write the model as JSON, atomically."""
        with atomic_path(Path(path)) as tmp:
            tmp.write_text(self.to_json())

    @classmethod
    def load(cls, path: Path | str) -> MatchModel:
        try:
            text = Path(path).read_text()
        except OSError:
            raise InputError.at("cannot read the match model", file=str(path)) from None
        return cls.from_json(text)


# ============================================================================ scored pairs
@dataclass(frozen=True)
class ScoredPairs:
    """Scored candidate pairs, sorted by (register row, submission)."""

    sub_idx: np.ndarray  # int32
    reg_idx: np.ndarray  # int64
    levels: np.ndarray  # (n, len(Comparison)) int8, -1 = missing
    weight: np.ndarray  # float64 bits, prior included
    name_weight: np.ndarray  # float64 bits: given, surname, middle, suffix (+ TF)
    address_weight: np.ndarray  # float64 bits: the address comparison
    probability: np.ndarray  # float64 calibrated match probability

    def __len__(self) -> int:
        return int(self.sub_idx.shape[0])

    @staticmethod
    def concat(parts: list[ScoredPairs]) -> ScoredPairs:
        if not parts:
            return empty_scored()
        return ScoredPairs(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in _SCORED_FIELDS)
        )

    def level(self, c: Comparison) -> np.ndarray:
        return self.levels[:, int(c)]


_SCORED_FIELDS = (
    "sub_idx",
    "reg_idx",
    "levels",
    "weight",
    "name_weight",
    "address_weight",
    "probability",
)


def empty_scored() -> ScoredPairs:
    e = np.empty(0, np.float64)
    return ScoredPairs(
        np.empty(0, np.int32),
        np.empty(0, np.int64),
        np.empty((0, len(Comparison)), np.int8),
        e,
        e.copy(),
        e.copy(),
        e.copy(),
    )


def probability(weight: np.ndarray) -> np.ndarray:
    """Match probability of a weight in bits: 1 / (1 + 2^-weight)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp2(-np.asarray(weight, np.float64)))


_SCORE = {Engine.NUMBA: K.score_nb, Engine.NUMBA_PARALLEL: K.score_par_nb}


def score_compared(
    compared: ComparedPairs,
    model: MatchModel,
    engine: Engine = Engine.NUMBA,
    min_weight: float | None = None,
    min_name_weight: float | None = None,
) -> ScoredPairs:
    """Weights and probabilities of compared pairs under ``model``."""
    part = np.array([int(PARTS[c]) for c in Comparison], np.int64)
    comp, on, log2u = model.tf_tables()
    inter, inter_bits = model.interaction_tables()
    fn = _SCORE.get(engine, K.score_np)
    w, nw, aw = fn(
        np.ascontiguousarray(compared.levels),
        np.ascontiguousarray(compared.tf),
        model.weight_table(),
        part,
        comp,
        on,
        log2u,
        inter,
        inter_bits,
        model.prior_weight,
    )
    pairs = compared.pairs
    levels = compared.levels
    if min_weight is not None:
        keep = w >= min_weight
        if min_name_weight is not None:
            keep |= nw >= min_name_weight
        pairs = CandidatePairs(pairs.sub_idx[keep], pairs.reg_idx[keep])
        levels, w, nw, aw = levels[keep], w[keep], nw[keep], aw[keep]
    return ScoredPairs(pairs.sub_idx, pairs.reg_idx, levels, w, nw, aw, probability(w))


# ============================================================================ streaming
@dataclass(frozen=True)
class _Chunk:
    row0: int
    rows: int
    compared: ComparedPairs
    random_levels: np.ndarray | None  # levels of the random pairs of this chunk


def _stream(
    submissions: pa.Table | pa.RecordBatch,
    register_batches: RegisterSource,
    config: PipelineConfig,
    compare: CompareConfig,
    stats: TokenStats | None,
    u_seed: int | None,
) -> Iterator[_Chunk]:
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
        yield _Chunk(row0, reg.rows, compared, rnd)


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


def _pattern_codes(levels: np.ndarray) -> np.ndarray:
    """Level vectors as int64 codes (3 bits per comparison)."""
    code = np.zeros(levels.shape[0], np.int64)
    for c in range(levels.shape[1]):
        code |= (levels[:, c].astype(np.int64) + 1) << (3 * c)
    return code


def _decode(codes: np.ndarray) -> np.ndarray:
    return np.stack(
        [((codes >> (3 * c)) & 7).astype(np.int8) - 1 for c in range(len(Comparison))], axis=1
    )


@dataclass(frozen=True)
class TrainingData:
    """What EM needs: distinct level patterns of candidates with counts, random-pair counts."""

    patterns: np.ndarray  # (k, comparisons) int8
    counts: np.ndarray  # (k,) float64
    u_counts: tuple[np.ndarray, ...]  # per comparison: random pairs per level
    random_pairs: int
    submissions: int
    register_rows: int


class _Collector:
    def __init__(self) -> None:
        self.codes: list[tuple[np.ndarray, np.ndarray]] = []
        self.u = [np.zeros(_N_LEVELS[c], np.float64) for c in Comparison]
        self.random = 0
        self.rows = 0

    def add(self, chunk: _Chunk) -> None:
        self.rows += chunk.rows
        u, c = np.unique(_pattern_codes(chunk.compared.levels), return_counts=True)
        self.codes.append((u, c.astype(np.float64)))
        if len(self.codes) > 32:
            self.codes = [self._merged()]
        if chunk.random_levels is not None:
            self.random += chunk.random_levels.shape[0]
            for c in Comparison:
                lv = chunk.random_levels[:, int(c)]
                self.u[int(c)] += np.bincount(lv[lv >= 0], minlength=_N_LEVELS[c])

    def _merged(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.codes:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        u, inv = np.unique(np.concatenate([x[0] for x in self.codes]), return_inverse=True)
        w = np.bincount(inv, weights=np.concatenate([x[1] for x in self.codes]), minlength=u.size)
        return u, w

    def result(self, submissions: int) -> TrainingData:
        codes, counts = self._merged()
        return TrainingData(
            _decode(codes), counts, tuple(self.u), self.random, submissions, self.rows
        )


# ============================================================================ EM
@dataclass(frozen=True)
class _EmFit:
    m: list[np.ndarray]
    u: list[np.ndarray]
    lam: float
    iterations: int
    converged: bool
    posterior: np.ndarray  # match probability of each pattern (last E-step)


def _em(
    pats: np.ndarray,
    cnt: np.ndarray,
    active: tuple[Comparison, ...],
    m: list[np.ndarray],
    u: list[np.ndarray],
    lam: float,
    config: TrainConfig,
    *,
    fit_m: bool = True,
    fit_u: bool = True,
) -> _EmFit:
    """Two-class EM over level patterns using only ``active`` comparisons; m and the non-match
    distribution u are re-estimated when ``fit_m`` / ``fit_u``, λ always."""
    m = [x.copy() for x in m]
    u = [x.copy() for x in u]
    total = float(cnt.sum())
    it, converged = 0, False
    p = np.zeros(pats.shape[0])
    for it in range(1, config.max_iterations + 1):  # noqa: B007 -- reported
        logbf = np.zeros(pats.shape[0])
        for c in active:
            lv = pats[:, int(c)]
            ok = lv >= 0
            logbf[ok] += np.log(m[int(c)][lv[ok]] / u[int(c)][lv[ok]])
        z = np.clip(math.log(lam / (1.0 - lam)) + logbf, -700, 700)
        p = 1.0 / (1.0 + np.exp(-z))
        wp, wq = cnt * p, cnt * (1.0 - p)
        delta = 0.0
        for c in active:
            lv = pats[:, int(c)]
            ok = lv >= 0
            n = _N_LEVELS[c]
            if fit_m:
                h = np.bincount(lv[ok], weights=wp[ok], minlength=n)
                nm = (h + config.m_pseudo_count / n) / (h.sum() + config.m_pseudo_count)
                delta = max(delta, float(np.abs(nm - m[int(c)]).max()))
                m[int(c)] = nm
            if fit_u:
                h = np.bincount(lv[ok], weights=wq[ok], minlength=n)
                u[int(c)] = (h + config.m_pseudo_count / n) / (h.sum() + config.m_pseudo_count)
        new_lam = float(np.clip(wp.sum() / total, 1e-12, 1 - 1e-12))
        delta = max(delta, abs(new_lam - lam) / max(lam, 1e-12))
        lam = new_lam
        if delta < config.tolerance:
            converged = True
            break
    return _EmFit(m, u, lam, it, converged, p)


#: Training sessions: pairs selected by a level condition, the comparisons active in EM (those
#: not implied by the selection) and those whose m is kept. Within a session the non-matches
#: follow the random-pair u on the active comparisons: household members at one address have
#: unrelated given names, namesakes have unrelated addresses.
_NAME_COMPS = (Comparison.GIVEN, Comparison.SURNAME)
_OTHER_COMPS = tuple(c for c in Comparison if c not in (*_NAME_COMPS, Comparison.ADDRESS))
_ADDR_MIN = 4  # street line + ZIP agree
_SURNAME_EXACT = 4  # some surname component agrees exactly

#: m used for a comparison never observed among the candidates (a documented guess: the same
#: person rarely disagrees on these); u still comes from the random pairs.
DEFAULT_M: dict[Comparison, tuple[float, ...]] = {
    Comparison.MIDDLE: (0.1, 0.9),
    Comparison.BIRTH_DATE: (0.03, 0.97),
    Comparison.TIN: (0.01, 0.99),
}


#: m fixed by domain knowledge, never trained: EM cannot learn that JR vs SR means two people,
#: because Jr. and Sr. agree on everything else (same name, same home) and look like a match.
#: A differing suffix — including a JR on the request against a record without one, who may be
#: the registered father's son — is near-decisive evidence of another person (m = 1e-6); a
#: suffix only on the register record is weak evidence against (requests often drop it).
FIXED_M: dict[Comparison, tuple[float, ...]] = {Comparison.SUFFIX: (1e-6, 0.1, 0.899999)}


def _unobserved_m(c: Comparison, u: np.ndarray) -> np.ndarray:
    return np.asarray(DEFAULT_M[c]) if c in DEFAULT_M else u


def fit_model(
    data: TrainingData,
    config: TrainConfig | None = None,
    *,
    compare: CompareConfig | None = None,
    tf_adjust: bool = True,
) -> MatchModel:
    """Estimate m by EM in two sessions, then λ by EM with m fixed (see module docstring)."""
    config = config or TrainConfig()
    n_cand = float(data.counts.sum())
    if n_cand == 0 or data.random_pairs == 0:
        raise InputError("no candidate or random pairs to train the match model on")
    pats, cnt = data.patterns.astype(np.int64), data.counts
    u_rand = [
        (data.u_counts[int(c)] + config.u_pseudo_count)
        / (data.u_counts[int(c)].sum() + config.u_pseudo_count * _N_LEVELS[c])
        for c in Comparison
    ]
    observed = [bool((pats[:, int(c)] >= 0).any()) for c in Comparison]
    m0 = [np.power(4.0, np.arange(_N_LEVELS[c])) for c in Comparison]
    m0 = [x / x.sum() for x in m0]
    u0 = []
    for c in Comparison:
        lv = pats[:, int(c)]
        h = np.bincount(lv[lv >= 0], weights=cnt[lv >= 0], minlength=_N_LEVELS[c]) + 1.0
        u0.append(h / h.sum())
    lam0 = min(0.5, data.submissions / n_cand)
    m = [x.copy() for x in m0]
    iterations, converged = 0, True

    at_address = pats[:, int(Comparison.ADDRESS)] >= _ADDR_MIN
    same_given = pats[:, int(Comparison.GIVEN)] >= 3
    same_name = same_given & (pats[:, int(Comparison.SURNAME)] >= 4)
    sessions = (
        (at_address, (Comparison.GIVEN, *_OTHER_COMPS), (Comparison.GIVEN,)),
        (at_address & same_given, (Comparison.SURNAME, *_OTHER_COMPS), (Comparison.SURNAME,)),
        (same_name, (Comparison.ADDRESS, *_OTHER_COMPS), (Comparison.ADDRESS, *_OTHER_COMPS)),
    )
    for sel, active, keep in sessions:
        if cnt[sel].sum() < config.min_session_pairs:
            continue
        fit = _em(pats[sel], cnt[sel], active, m0, u_rand, 0.5, config, fit_u=False)
        for c in keep:
            m[int(c)] = fit.m[int(c)]
        iterations += fit.iterations
        converged &= fit.converged
    for c, fixed in FIXED_M.items():
        m[int(c)] = np.asarray(fixed)
    final = _em(pats, cnt, tuple(Comparison), m, u0, lam0, config, fit_m=False)
    iterations += final.iterations
    converged &= final.converged
    lam = final.lam
    trained = [observed[int(c)] and c not in FIXED_M for c in Comparison]
    params = tuple(
        ComparisonParams(
            c,
            tuple(
                float(x)
                for x in (
                    m[int(c)]
                    if observed[int(c)] or c in FIXED_M
                    else _unobserved_m(c, u_rand[int(c)])
                )
            ),
            tuple(float(x) for x in u_rand[int(c)]),
            trained=trained[int(c)],
        )
        for c in Comparison
    )
    household = _household(pats, cnt * (1.0 - final.posterior), u_rand, data)
    total = float(data.submissions) * float(max(data.register_rows, 1))
    prior = float(np.clip(lam * n_cand / total, 1e-15, 0.5))
    return MatchModel(
        params=params,
        prior=prior,
        candidate_prior=float(np.clip(lam, 1e-12, 1 - 1e-12)),
        compare=compare or CompareConfig(),
        tf_adjust=tf_adjust,
        iterations=iterations,
        converged=converged,
        candidates=int(n_cand),
        random_pairs=data.random_pairs,
        interactions=(household,),
    )


#: A given name that agrees exactly tells a person from the relatives at the same address:
#: registered relatives compete as candidates in the decision, so the surname x address
#: correction is only needed when the given name leaves a relative as a plausible explanation.
_GIVEN_DISTINGUISHES = 1
#: every address level that counts as agreement (a ZIP typo does not make a relative a stranger)
_HOUSEHOLD_ADDR_MIN = ADDRESS_AGREES_MIN_LEVEL


def _household(
    pats: np.ndarray, non_match: np.ndarray, u_rand: list[np.ndarray], data: TrainingData
) -> Interaction:
    """The surname x address :class:`Interaction` from the candidate non-matches.

    ``h`` (same-surname rows per submission at its address, among non-matches) is the weighted
    count of surname- and address-agreeing candidate non-matches per submission: blocking on
    surname x ZIP reaches all of them. ``bits`` (no TF term) uses the share of address agreement
    among surname-agreeing candidate non-matches: blocking over-samples nearby non-matches, so
    it errs on the strong side.
    """
    s = pats[:, int(Comparison.SURNAME)] >= _SURNAME_EXACT
    a = pats[:, int(Comparison.ADDRESS)]
    u_addr = float(u_rand[int(Comparison.ADDRESS)][_HOUSEHOLD_ADDR_MIN:].sum())
    both = float(non_match[s & (a >= _HOUSEHOLD_ADDR_MIN)].sum())
    den = float(non_match[s & (a >= 0)].sum())
    bits = 0.0
    if den > 0 and both / den > u_addr > 0:
        bits = -math.log2(both / den / u_addr)
    h = max(both / max(data.submissions, 1), 1.0 / max(data.submissions, 1))
    tf_base = math.log2(u_addr) + math.log2(max(data.register_rows, 1)) - math.log2(h)
    return Interaction(
        Comparison.SURNAME,
        _SURNAME_EXACT,
        Comparison.ADDRESS,
        _HOUSEHOLD_ADDR_MIN,
        bits,
        tf_base,
        unless=Comparison.GIVEN,
        unless_min=_GIVEN_DISTINGUISHES,
    )


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
    col = _Collector()
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
    col = _Collector()
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
