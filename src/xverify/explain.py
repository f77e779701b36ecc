"""Why a request got its outcome: the chosen person's evidence, comparison by comparison.

Custodian and auditor only. An explanation holds levels, their labels and match weights (bits),
never a register value: it is read from ``decisions.parquet`` and the model that scored it.
The weights add up to the chosen person's match weight: the prior, one term per comparison at
its level, and the rest (term-frequency adjustment of exact name agreements and the
surname x address household correction), computed as the difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import InputError
from .matching.levels import LEVEL_LABELS, MISSING, Comparison
from .matching.model import MatchModel, probability
from .outcomes import Outcome

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Explanation", "explain", "explain_run", "why_counts"]

#: the term that is not a comparison at a level
REST = "term frequency + household"


@dataclass(frozen=True)
class Explanation:
    """One request's decision: ``terms`` (term, level label, bits) sum to ``match_weight``."""

    request_id: str
    outcome: str
    reason: str  # what decided it: a Why / ReasonCode value, or "" for VERIFIED
    terms: pd.DataFrame  # columns: term, level, label, bits
    match_weight: float  # NaN: no candidate
    probability: float  # the chosen person's share against every alternative
    pairwise_probability: float  # 1 / (1 + 2^-match_weight)
    runner_up_match_weight: float
    runner_up_probability: float
    housemate_probability: float

    def lines(self) -> list[str]:
        """A plain-text report."""
        why = self.reason or "clear of the threshold and of the runner-up by the margin"
        out = [f"request {self.request_id}: {self.outcome} ({why})"]
        if np.isnan(self.match_weight):
            return [*out, "  no candidate: nobody on file shares a blocking key with the request"]
        out.append(f"  {'term':<28} {'level':<30} {'bits':>8}")
        for row in self.terms.itertuples(index=False):
            out.append(f"  {row.term:<28} {row.label:<30} {row.bits:>8.2f}")
        out.append(f"  {'= match weight':<59} {self.match_weight:>8.2f}")
        out.append(
            f"  probability {self.probability:.6f} (pairwise {self.pairwise_probability:.6f}); "
            f"runner-up {_num(self.runner_up_match_weight)} bits, "
            f"probability {_num(self.runner_up_probability)}; "
            f"unregistered housemate {_num(self.housemate_probability)}"
        )
        return out

    def plot(self, ax: Axes | None = None) -> Axes:
        """A waterfall of the terms: each bar starts where the previous one ended."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.35 * len(self.terms) + 1.2))
        bits = self.terms["bits"].to_numpy(float)
        start = np.concatenate([[0.0], np.cumsum(bits)[:-1]])
        labels = [
            f"{t} ({lab})" if lab else t
            for t, lab in zip(self.terms["term"], self.terms["label"], strict=True)
        ]
        colors = ["tab:green" if b >= 0 else "tab:red" for b in bits]
        y = np.arange(len(bits))[::-1]
        ax.barh(y, bits, left=start, color=colors)
        ax.set_yticks(y, labels)
        ax.axvline(self.match_weight, color="black", lw=1)
        ax.set_xlabel("match weight (bits)")
        ax.set_title(f"{self.request_id}: {self.outcome}, {self.match_weight:.1f} bits")
        return ax


def _num(x: float) -> str:
    return "none" if np.isnan(x) else f"{x:.4g}"


def explain(
    decisions: pd.DataFrame,
    model: MatchModel | None,
    request_id: str,
) -> Explanation:
    """The explanation of ``request_id`` from a decisions table and the model that scored it."""
    hit = decisions.index[decisions["request_id"].astype(str) == str(request_id)]
    if len(hit) == 0:
        raise InputError("no such request_id in the decisions")  # the id is the caller's own
    row = decisions.loc[hit[0]]
    weight = float(row["match_weight"]) if pd.notna(row["match_weight"]) else np.nan
    terms = pd.DataFrame(columns=["term", "level", "label", "bits"])
    if model is not None and not np.isnan(weight):
        levels = np.array([[int(row[f"level_{c.name.lower()}"]) for c in Comparison]], np.int8)
        rows: list[tuple[str, int, str, float]] = [("prior", MISSING, "", model.prior_weight)]
        for c in Comparison:
            lv = int(levels[0, c])
            label = "missing" if lv == MISSING else LEVEL_LABELS[c][lv]
            rows.append((c.name.lower(), lv, label, float(model.bits(levels, [c])[0])))
        rows.append((REST, MISSING, "", weight - sum(r[3] for r in rows)))
        terms = pd.DataFrame(rows, columns=["term", "level", "label", "bits"])

    def num(name: str) -> float:
        return float(row[name]) if name in row and pd.notna(row[name]) else np.nan

    return Explanation(
        request_id=str(row["request_id"]),
        outcome=str(row["outcome"]),
        reason=str(row["reason"]) if pd.notna(row["reason"]) else "",
        terms=terms,
        match_weight=weight,
        probability=num("probability"),
        pairwise_probability=float(probability(np.array([weight]))[0]),
        runner_up_match_weight=num("runner_up_match_weight"),
        runner_up_probability=num("runner_up_probability"),
        housemate_probability=num("housemate_probability"),
    )


def explain_run(run_dir: Path | str, request_id: str) -> Explanation:
    """The explanation of ``request_id`` from a ``match`` output folder (decisions + model)."""
    run = Path(run_dir)
    try:
        decisions = pd.read_parquet(run / "decisions.parquet")
    except (OSError, ValueError):
        raise InputError.at("no readable decisions.parquet", file=str(run)) from None
    model_path = run / "model.json"
    model = MatchModel.load(model_path) if model_path.is_file() else None
    return explain(decisions, model, request_id)


def why_counts(decisions: pd.DataFrame) -> pd.DataFrame:
    """The batch view: how often each reason decided each undisclosed outcome, most common
    first."""
    undisclosed = decisions[decisions["outcome"] != Outcome.VERIFIED.value]
    counts = undisclosed.groupby(["outcome", "reason"]).size().rename("requests")
    return counts.reset_index().sort_values("requests", ascending=False, ignore_index=True)
