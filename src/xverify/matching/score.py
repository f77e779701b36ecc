"""Scoring stage: weights and probabilities of compared pairs under a :class:`MatchModel`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import score_kernels as K
from .blocking import CandidatePairs, Kernels
from .compare import PARTS, ComparedPairs, Comparison
from .model import MatchModel, probability


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


_SCORE = {Kernels.NUMBA: K.score_nb, Kernels.NUMBA_PARALLEL: K.score_par_nb}


def score_compared(
    compared: ComparedPairs,
    model: MatchModel,
    kernels: Kernels = Kernels.NUMBA,
    min_weight: float | None = None,
    min_name_weight: float | None = None,
) -> ScoredPairs:
    """Weights and probabilities of compared pairs under ``model``."""
    part = np.array([int(PARTS[c]) for c in Comparison], np.int64)
    comp, on, log2u = model.tf_tables()
    inter, inter_bits = model.interaction_tables()
    fn = _SCORE.get(kernels, K.score_np)
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
