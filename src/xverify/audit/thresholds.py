"""Replay the decision rule at other (threshold, margin) settings and certify an operating point.

Under a setting ``(t, m)`` a request is VERIFIED iff it was not REJECTED, its best candidate has
``address_agrees``, ``probability >= t``, the runner-up's probability is below ``t`` (or there is
no runner-up) and ``margin >= m`` where margin = ``match_weight − runner_up_match_weight`` in
bits (infinite without a runner-up) — the matcher's rule (:mod:`xverify.matching.decide`).
Everything comes from the decisions columns, so no re-matching is needed. Rejected requests
stay rejected.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._io import atomic_path
from ..errors import ConfigError
from ..matching.decide import RequestEvidence
from ..outcomes import Outcome
from .inputs import check_decisions, check_truth, join
from .intervals import Rate

#: default probability thresholds: 0.5 and 1 − 10^(−x) for x = 0.5, 0.75, ..., 12
DEFAULT_THRESHOLDS: tuple[float, ...] = (0.5, *(1.0 - 10.0 ** (-x / 4) for x in range(2, 49)))
#: default margins in bits
DEFAULT_MARGINS: tuple[float, ...] = tuple(float(m) for m in np.arange(0.0, 20.5, 0.5))
#: the coarse grid kept in metrics.json and plotted in the report
REPORT_THRESHOLDS: tuple[float, ...] = (0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999)
REPORT_MARGINS: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0)
#: calibration bin edges on the match probability
CALIBRATION_EDGES: tuple[float, ...] = (
    0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999, 0.9999, 0.99999, 1.0,
)  # fmt: skip

SWEEP_COLUMNS = [
    "threshold",
    "margin_bits",
    "n_verified",
    "expected_wrong",
    "wrong",
    "overmatch",
    "overmatch_low",
    "overmatch_high",
    "correct",
    "verifiable",
    "recall",
    "recall_low",
    "recall_high",
]


def _prepared(decisions: pd.DataFrame, truth: pd.DataFrame | None) -> pd.DataFrame:
    d = check_decisions(decisions)
    if truth is None:
        return d
    return join(d, check_truth(truth))


def sweep(
    decisions: pd.DataFrame,
    truth: pd.DataFrame | None = None,
    *,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    margins: Sequence[float] = DEFAULT_MARGINS,
) -> pd.DataFrame:
    """One row per (threshold, margin_bits): disclosures, label-free expected wrong ones and,
    with truth, wrong disclosures and overmatch per VERIFIED and recall with Wilson intervals.

    Columns: :data:`SWEEP_COLUMNS` (truth columns are NaN without truth).
    """
    df = _prepared(decisions, truth)
    evidence = RequestEvidence.from_decisions(df)
    # the matcher's rule (xverify.matching.decide.outcomes): VERIFIED at (t, m) iff score >= t and
    # margin >= m, so per margin the count at every t is one cumulative sum over the scores
    p = evidence.verification_score()
    margin = evidence.margin()
    has_truth = truth is not None
    n_verifiable = 0
    # per-row sums: [1, 1 − p, wrong, correct]
    weights = np.zeros((len(df), 4))
    weights[:, 0] = 1.0
    weights[:, 1] = 1.0 - np.nan_to_num(evidence.probability)
    if has_truth:
        truth_tin = df["truth_tin"]
        same = (df["tin"] == truth_tin).to_numpy(dtype=bool) & truth_tin.notna().to_numpy()
        verifiable = df["verifiable"].to_numpy(dtype=bool)
        n_verifiable = int(verifiable.sum())
        weights[:, 2] = ~same
        weights[:, 3] = same & verifiable
    t_arr = np.asarray(sorted({float(t) for t in thresholds}), dtype=float)
    m_list = sorted({float(x) for x in margins})
    if m_list and m_list[0] < 0:
        raise ConfigError("margins must be >= 0 bits")
    rows: list[dict[str, Any]] = []
    for m in m_list:
        mask = margin >= m
        sums = _sums_ge(p[mask], weights[mask], t_arr)
        counts, expected = np.rint(sums[:, [0, 2, 3]]).astype(np.int64), sums[:, 1]
        for i, t in enumerate(t_arr):
            c, wrong, correct = (int(v) for v in counts[i])
            row: dict[str, Any] = {
                "threshold": float(t),
                "margin_bits": m,
                "n_verified": c,
                "expected_wrong": max(0.0, float(expected[i])),
            }
            if has_truth:
                over = Rate.of(wrong, c)
                rec = Rate.of(correct, n_verifiable)
                row.update(
                    wrong=over.k,
                    overmatch=over.value,
                    overmatch_low=over.low,
                    overmatch_high=over.high,
                    correct=rec.k,
                    verifiable=rec.n,
                    recall=rec.value,
                    recall_low=rec.low,
                    recall_high=rec.high,
                )
            rows.append(row)
    return pd.DataFrame(rows, columns=SWEEP_COLUMNS)


def _sums_ge(key: np.ndarray, weights: np.ndarray, t_arr: np.ndarray) -> np.ndarray:
    """For each t: column sums of ``weights`` over rows with ``key >= t`` (NaN keys never)."""
    ok = ~np.isnan(key)
    order = np.argsort(-key[ok], kind="stable")
    ks = key[ok][order]
    cum = np.vstack([np.zeros((1, weights.shape[1])), np.cumsum(weights[ok][order], axis=0)])
    return cum[np.searchsorted(-ks, -t_arr, side="right")]


@dataclass(frozen=True)
class OperatingPoint:
    """A certified (threshold, margin) setting: the matcher reads ``threshold``/``margin_bits``."""

    threshold: float
    margin_bits: float
    target_overmatch: float
    n_verified: int
    overmatch: Rate
    recall: Rate

    def to_config(self) -> dict[str, Any]:
        """The JSON config the matcher accepts (it reads ``threshold`` and ``margin_bits``)."""
        return {
            "threshold": self.threshold,
            "margin_bits": self.margin_bits,
            "certification": {
                "target_overmatch": self.target_overmatch,
                "criterion": "wilson95_upper_overmatch_per_verified<=target",
                "n_verified": self.n_verified,
                "overmatch_per_verified": self.overmatch.to_dict(),
                "recall": self.recall.to_dict(),
            },
        }

    def write(self, path: str | Path, *, force: bool = True) -> Path:
        """Write :meth:`to_config` as JSON, atomically."""
        path = Path(path)
        with atomic_path(path, force=force) as tmp:
            tmp.write_text(json.dumps(self.to_config(), indent=2) + "\n", encoding="utf-8")
        return path


def certify(
    decisions: pd.DataFrame,
    truth: pd.DataFrame,
    target_overmatch: float,
    *,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    margins: Sequence[float] = DEFAULT_MARGINS,
    table: pd.DataFrame | None = None,
) -> OperatingPoint:
    """The loosest setting whose Wilson 95% *upper* bound on overmatch per VERIFIED is
    <= ``target_overmatch``.

    Loosest = most disclosures; ties go to the lower threshold, then the lower margin.
    ``table`` may pass a :func:`sweep` result (with truth) to avoid recomputing it.
    Raises :class:`ConfigError` when no setting with at least one disclosure meets the target
    (too few verified requests to certify so small a rate, or a policy that overmatches).
    """
    if not 0.0 < target_overmatch < 1.0:
        raise ConfigError("target overmatch must lie strictly between 0 and 1")
    if table is None:
        table = sweep(decisions, truth, thresholds=thresholds, margins=margins)
    if table["overmatch_high"].isna().all() and len(table):
        raise ConfigError("certifying an operating point needs truth")
    ok = table[(table["n_verified"] > 0) & (table["overmatch_high"] <= target_overmatch)]
    if ok.empty:
        raise ConfigError(
            f"no (threshold, margin) setting has an upper 95% overmatch bound <= "
            f"{target_overmatch:g}; more verified requests or a stricter policy are needed"
        )
    best = ok.sort_values(
        ["n_verified", "threshold", "margin_bits"], ascending=[False, True, True]
    ).iloc[0]
    return OperatingPoint(
        threshold=float(best["threshold"]),
        margin_bits=float(best["margin_bits"]),
        target_overmatch=float(target_overmatch),
        n_verified=int(best["n_verified"]),
        overmatch=Rate.of(int(best["wrong"]), int(best["n_verified"])),
        recall=Rate.of(int(best["correct"]), int(best["verifiable"])),
    )


CALIBRATION_COLUMNS = [
    "p_low",
    "p_high",
    "n",
    "mean_probability",
    "expected_wrong",
    "observed_wrong",
    "accuracy",
    "accuracy_low",
    "accuracy_high",
]


def calibration_table(
    decisions: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    edges: Sequence[float] = CALIBRATION_EDGES,
    verified_only: bool = False,
) -> pd.DataFrame:
    """Reliability table: per probability bin, mean predicted probability vs the observed share
    of best candidates that are the true person (Wilson interval), and Σ(1 − p) vs the count of
    wrong ones. Rows: requests with a candidate that were not REJECTED (or only VERIFIED ones).
    Bins are half-open ``[p_low, p_high)``; the last one includes 1.
    """
    df = _prepared(decisions, truth)
    p = df["probability"].to_numpy(dtype=float)
    outcome = df["outcome"].to_numpy()
    rows_mask = ~np.isnan(p) & df["tin"].notna().to_numpy() & (outcome != Outcome.REJECTED)
    if verified_only:
        rows_mask &= outcome == Outcome.VERIFIED
    same = (df["tin"] == df["truth_tin"]).to_numpy(dtype=bool) & df["truth_tin"].notna().to_numpy()
    e = np.asarray(edges, dtype=float)
    idx = np.clip(np.searchsorted(e, p, side="right") - 1, 0, len(e) - 2)
    rows = []
    for b in range(len(e) - 1):
        mask = rows_mask & (idx == b)
        n = int(mask.sum())
        acc = Rate.of(int((same & mask).sum()), n)
        rows.append(
            {
                "p_low": float(e[b]),
                "p_high": float(e[b + 1]),
                "n": n,
                "mean_probability": float(p[mask].mean()) if n else float("nan"),
                "expected_wrong": float((1.0 - p[mask]).sum()),
                "observed_wrong": n - acc.k,
                "accuracy": acc.value,
                "accuracy_low": acc.low,
                "accuracy_high": acc.high,
            }
        )
    return pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)


__all__ = [
    "CALIBRATION_COLUMNS",
    "CALIBRATION_EDGES",
    "DEFAULT_MARGINS",
    "DEFAULT_THRESHOLDS",
    "REPORT_MARGINS",
    "REPORT_THRESHOLDS",
    "SWEEP_COLUMNS",
    "OperatingPoint",
    "calibration_table",
    "certify",
    "sweep",
]
