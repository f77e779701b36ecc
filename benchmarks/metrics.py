"""Accuracy of one system's decisions against the synthetic truth, and the matched threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _join(decisions: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    t = truth[["request_id", "tin", "verifiable"]].rename(columns={"tin": "truth_tin"})
    return t.merge(decisions, on="request_id", how="left")


def accuracy(decisions: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float | int]:
    """Overmatch per linked (wrong tin or not in register) and recall over verifiable requests.

    ``linked`` is VERIFIED for xverify, best candidate above the recommended threshold for peers.
    """
    j = _join(decisions, truth)
    linked = j["linked"].fillna(False).to_numpy(bool) & j["tin"].notna().to_numpy()
    right = (j["tin"].astype(object) == j["truth_tin"].astype(object)).to_numpy(bool).copy()
    right &= j["truth_tin"].notna().to_numpy()
    verifiable = j["verifiable"].to_numpy(bool)
    n_linked = int(linked.sum())
    wrong = int((linked & ~right).sum())
    correct = int((linked & right & verifiable).sum())
    return {
        "linked": n_linked,
        "wrong": wrong,
        "overmatch": wrong / n_linked if n_linked else 0.0,
        "recall": correct / max(int(verifiable.sum()), 1),
        "verifiable": int(verifiable.sum()),
    }


def matched(
    decisions: pd.DataFrame, truth: pd.DataFrame, target: float
) -> dict[str, float | int | None]:
    """Sweep the best-candidate score: the cut with the highest recall whose overmatch <= target."""
    j = _join(decisions, truth)
    j = j[j["tin"].notna() & j["score"].notna()].sort_values("score", ascending=False)
    if j.empty:
        return {"threshold": None, "linked": 0, "wrong": 0, "overmatch": 0.0, "recall": 0.0}
    score = j["score"].to_numpy(float)
    right = (j["tin"].astype(object) == j["truth_tin"].astype(object)).to_numpy(bool).copy()
    right &= j["truth_tin"].notna().to_numpy()
    good = right & j["verifiable"].to_numpy(bool)
    wrong_c, good_c = np.cumsum(~right), np.cumsum(good)
    n = np.arange(1, len(j) + 1)
    last_of_tie = np.r_[score[1:] != score[:-1], True]  # cut only between distinct scores
    ok = np.flatnonzero(last_of_tie & (wrong_c <= target * n + 1e-12))
    n_verifiable = max(int(truth["verifiable"].sum()), 1)
    if ok.size == 0:  # the target is out of reach: report the lowest overmatch any cut gives
        cuts = np.flatnonzero(last_of_tie)
        lowest = float(np.min(wrong_c[cuts] / n[cuts]))
        return {"threshold": None, "linked": 0, "wrong": 0, "overmatch": None, "recall": 0.0,
                "unreachable": True, "lowest_overmatch": lowest}  # fmt: skip
    k = int(ok[np.argmax(good_c[ok])])
    return {
        "threshold": float(score[k]),
        "linked": k + 1,
        "wrong": int(wrong_c[k]),
        "overmatch": float(wrong_c[k] / (k + 1)),
        "recall": float(good_c[k] / n_verifiable),
    }
