"""The audit's charts, one idea each: where the requests went, who bears the errors, the
threshold trade-off, calibration, and what each comparison level weighs.

Plots use matplotlib's object API (``Figure``, never ``pyplot``), so they hold no global state
and work headless; every function returns the ``Figure`` (notebooks show it) or, given ``ax``,
the figure that holds it. Labels come from :mod:`xverify.audit.wording`, never metric keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..outcomes import Outcome
from . import wording as w
from .metrics import AuditMetrics, Stratum
from .thresholds import OperatingPoint

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from ..matching.model import MatchModel

#: colours with a meaning, the same in every chart
RIGHT, WRONG, MISSED, NEUTRAL, CONFIGURED = "#2f7d32", "#c62828", "#ef8f00", "#9e9e9e", "#1565c0"

#: outcomes from the one that discloses to the one that never reached matching
OUTCOME_ORDER = (
    Outcome.VERIFIED,
    Outcome.AMBIGUOUS,
    Outcome.NAME_ONLY,
    Outcome.NO_MATCH,
    Outcome.REJECTED,
)


def _figure(**kwargs: Any) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ModuleNotFoundError:
        raise ConfigError("plots need matplotlib (a dependency of xverify: reinstall it)") from None
    return Figure(**kwargs)


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure | SubFigure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = _figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


# ---------------------------------------------------------------- where the requests went


@overload
def plot_outcomes(metrics: AuditMetrics, *, ax: None = ...) -> Figure: ...
@overload
def plot_outcomes(metrics: AuditMetrics, *, ax: Axes) -> Figure | SubFigure: ...
def plot_outcomes(metrics: AuditMetrics, *, ax: Axes | None = None) -> Figure | SubFigure:
    """The headline chart: requests per outcome, split by whether the outcome was right.

    With truth, VERIFIED splits into right and wrong person, and every other outcome into
    verifiable requests (missed) and the rest (rightly not disclosed). Without truth, counts only.
    """
    fig, ax = _axes(ax, (8, 3.2))
    t = metrics.truth
    names = [o.value for o in OUTCOME_ORDER]
    y = np.arange(len(names))
    total = max(metrics.n_requests, 1)
    for i, name in enumerate(names):
        n = metrics.outcomes[name].k
        if t is None:
            parts = [(n, NEUTRAL, "requests")]
        elif name == Outcome.VERIFIED:
            wrong = t.overmatch_per_verified.k
            parts = [(n - wrong, RIGHT, "right person"), (wrong, WRONG, "wrong person")]
        else:
            missed = t.per_outcome[name].verifiable.k
            parts = [
                (n - missed, NEUTRAL, "rightly not disclosed"),
                (missed, MISSED, "verifiable: missed"),
            ]
        left = 0
        for size, colour, label in parts:
            ax.barh(i, size, left=left, color=colour, label=label, height=0.6)
            left += size
        text = w.count(n)
        if t is not None and name == Outcome.VERIFIED:
            text += f"  ({w.count(t.overmatch_per_verified.k)} wrong person)"
        elif t is not None and t.per_outcome[name].verifiable.k:
            text += f"  ({w.count(t.per_outcome[name].verifiable.k)} verifiable)"
        ax.text(left + total * 0.01, i, text, va="center", fontsize=9)
    ax.set_yticks(y, [f"{n}\n{w.OUTCOME_WORDS[n]}" for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, total * 1.35)
    ax.set_xlabel("requests")
    ax.spines[["top", "right"]].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    if t is not None:
        ax.legend(unique.values(), unique.keys(), fontsize=8, loc="lower right", frameon=False)
    ax.set_title(f"What happened to the {w.count(metrics.n_requests)} requests", loc="left")
    return fig


# ---------------------------------------------------------------- who bears the errors


def rank_strata(strata: Sequence[Stratum]) -> list[Stratum]:
    """Strata ordered by how badly they fare: most worse-than-the-rest flags, then the
    smallest p-value of any comparison, then size."""

    def key(s: Stratum) -> tuple[int, float, int]:
        p = min((c.p_value for c in s.comparisons.values()), default=1.0)
        return (-len(s.worse), p, -s.n)

    return sorted(strata, key=key)


@overload
def plot_strata(
    metrics: AuditMetrics, metric: str = ..., *, top: int | None = ..., ax: None = ...
) -> Figure: ...
@overload
def plot_strata(
    metrics: AuditMetrics, metric: str = ..., *, top: int | None = ..., ax: Axes
) -> Figure | SubFigure: ...
def plot_strata(
    metrics: AuditMetrics,
    metric: str = "overmatch_per_request",
    *,
    top: int | None = 10,
    ax: Axes | None = None,
) -> Figure | SubFigure:
    """One rate by group with Wilson 95% bars against the rate of all requests (dashed); the
    ``top`` groups with the smallest p-value on this metric, flagged ones in red."""
    if metrics.truth is None:
        raise ConfigError("strata need truth")
    strata = [s for s in metrics.truth.strata if s.rates[metric].n > 0]
    strata.sort(key=lambda s: s.comparisons[metric].p_value if metric in s.comparisons else 1.0)
    if top is not None:
        strata = strata[:top]
    fig, ax = _axes(ax, (8, max(2.5, 0.32 * len(strata) + 1.2)))
    for i, s in enumerate(strata):
        r = s.rates[metric]
        ax.errorbar(
            [r.value],
            [i],
            xerr=[[r.value - r.low], [r.high - r.value]],
            fmt="o",
            color=WRONG if metric in s.worse else CONFIGURED,
            capsize=3,
        )
    overall = _overall(metrics, metric)
    if overall is not None:
        ax.axvline(overall, color="grey", ls="--", lw=1, label="all requests")
        ax.legend(fontsize=8, loc="lower right", frameon=False)
    ax.set_yticks(range(len(strata)), [w.tag_words(s.tag, s.value) for s in strata], fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_percent_formatter())
    ax.set_xlabel(f"{w.metric_words(metric)} (95% interval)")
    ax.grid(True, alpha=0.3, axis="x")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(
        f"{w.metric_words(metric).capitalize()}, by group (red: worse than the rest)",
        loc="left",
        fontsize=10,
    )
    return fig


def _overall(metrics: AuditMetrics, metric: str) -> float | None:
    t = metrics.truth
    if t is None:
        return None
    rate = {
        "overmatch_per_verified": t.overmatch_per_verified,
        "overmatch_per_request": t.overmatch_per_request,
        "undermatch": t.undermatch,
        "recall": t.recall,
        "valid_rejected": t.rejection.valid_rejected,
    }.get(metric)
    return None if rate is None or rate.n == 0 else rate.value


def _percent_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: w.percent(x) if x >= 0 else "")


def _odds_formatter() -> Any:
    """Log-axis ticks as odds ("1 in 10,000"), the way the report words rates."""
    from matplotlib.ticker import FuncFormatter

    def fmt(x: float, _pos: int) -> str:
        if x >= 0.5:
            return w.percent(x)
        return w.one_in(x).removeprefix("about ") if x > 0 else ""

    return FuncFormatter(fmt)


# ---------------------------------------------------------------- threshold and margin


def _near(values: pd.Series, target: float) -> pd.Series:
    return pd.Series(np.isclose(values.to_numpy(dtype=float), target), index=values.index)


@overload
def plot_threshold_curve(
    table: pd.DataFrame,
    *,
    margins: Sequence[float] | None = ...,
    operating_point: OperatingPoint | None = ...,
    configured: tuple[float, float] | None = ...,
    ax: None = ...,
) -> Figure: ...
@overload
def plot_threshold_curve(
    table: pd.DataFrame,
    *,
    margins: Sequence[float] | None = ...,
    operating_point: OperatingPoint | None = ...,
    configured: tuple[float, float] | None = ...,
    ax: Axes,
) -> Figure | SubFigure: ...
def plot_threshold_curve(
    table: pd.DataFrame,
    *,
    margins: Sequence[float] | None = None,
    operating_point: OperatingPoint | None = None,
    configured: tuple[float, float] | None = None,
    ax: Axes | None = None,
) -> Figure | SubFigure:
    """The trade-off as the threshold rises: recall against the upper 95% bound on overmatch
    per VERIFIED (log scale), one line per margin, with the configured setting
    ``(threshold, margin_bits)`` and the certified one marked.

    Few lines stay legible: by default the configured and certified margins, or 0, 3 and 12
    bits. Without truth it plots label-free expected wrong disclosures against disclosures.
    """
    fig, ax = _axes(ax, (8, 4.5))
    has_truth = "recall" in table and table["recall"].notna().any()
    present = sorted(table["margin_bits"].unique())
    if margins is None:
        wanted = [
            m
            for m in (
                configured[1] if configured else None,
                operating_point.margin_bits if operating_point else None,
            )
            if m is not None
        ]
        margins = sorted(set(wanted)) or [m for m in (0.0, 3.0, 12.0) if m in present] or present
    styles = ("-", "--", ":", "-.")
    for i, m in enumerate([m for m in margins if np.isclose(present, m).any()]):
        sub = table[_near(table["margin_bits"], m) & (table["n_verified"] > 0)]
        sub = sub.sort_values("threshold")
        x, y = (
            (sub["recall"], sub["overmatch_high"])
            if has_truth
            else (sub["n_verified"], sub["expected_wrong"])
        )
        ax.plot(
            x,
            y,
            ls=styles[i % len(styles)],
            marker=".",
            color="black",
            lw=1,
            label=f"margin ≥ {m:g} bits, threshold rising to the left",
        )
    for setting, colour, label in (
        (configured, CONFIGURED, "configured"),
        (
            None
            if operating_point is None
            else (operating_point.threshold, operating_point.margin_bits),
            MISSED,
            "certified",
        ),
    ):
        if setting is None:
            continue
        row = table[_near(table["threshold"], setting[0]) & _near(table["margin_bits"], setting[1])]
        if row.empty or int(row["n_verified"].iloc[0]) == 0:
            continue
        px, py = (
            (row["recall"], row["overmatch_high"])
            if has_truth
            else (row["n_verified"], row["expected_wrong"])
        )
        ax.plot(
            px,
            py,
            marker="o",
            ms=11,
            ls="",
            color=colour,
            label=f"{label}: p ≥ {w.threshold(setting[0])}, margin ≥ {setting[1]:g} bits",
        )
    if has_truth:
        if operating_point is not None:
            ax.axhline(
                operating_point.target_overmatch,
                color=MISSED,
                ls=":",
                lw=1,
                label=f"target: {w.percent(operating_point.target_overmatch)}",
            )
        ax.set_xlabel("recall: verifiable requests VERIFIED with the right person")
        ax.set_ylabel("wrong person, of the VERIFIED\n(upper 95% bound)")
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(_percent_formatter())
        ax.yaxis.set_major_formatter(_percent_formatter())
        ax.set_title("More disclosures cost a higher bound on wrong ones", loc="left")
    else:
        ax.set_xlabel("disclosures (VERIFIED)")
        ax.set_ylabel("expected wrong disclosures Σ(1 − p)")
        ax.set_yscale("symlog", linthresh=0.1)
        ax.set_title("Expected wrong disclosures as the threshold falls", loc="left")
    ax.grid(True, alpha=0.3, which="both")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False)
    return fig


# ---------------------------------------------------------------- calibration


@overload
def plot_calibration(table: pd.DataFrame, *, ax: None = ...) -> Figure: ...
@overload
def plot_calibration(table: pd.DataFrame, *, ax: Axes) -> Figure | SubFigure: ...
def plot_calibration(table: pd.DataFrame, *, ax: Axes | None = None) -> Figure | SubFigure:
    """Predicted against observed error per probability bin (Wilson 95% bars), on log scales
    so the bins near p = 1, where disclosures happen, are visible. Bins with no observed error
    sit on the floor (open markers); the table beside it gives the counts."""
    fig, ax = _axes(ax, (6, 4.5))
    sub = table[table["n"] > 0]
    floor = 1e-7
    x = np.maximum(1.0 - sub["mean_probability"].to_numpy(dtype=float), floor)
    y = np.maximum(1.0 - sub["accuracy"].to_numpy(dtype=float), floor)
    y_low = np.maximum(1.0 - sub["accuracy_high"].to_numpy(dtype=float), floor)
    y_high = np.maximum(1.0 - sub["accuracy_low"].to_numpy(dtype=float), floor)
    zero = sub["observed_wrong"].to_numpy() == 0
    ax.errorbar(x, y, yerr=[y - y_low, y_high - y], fmt="none", ecolor=CONFIGURED, capsize=3)
    ax.plot(x[~zero], y[~zero], "o", color=CONFIGURED, label="observed")
    ax.plot(x[zero], y[zero], "o", mfc="white", color=CONFIGURED, label="none observed")
    lo = min([floor, *x, *y_low]) if len(x) else floor
    ax.plot([lo, 1], [lo, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(_odds_formatter())
    ax.yaxis.set_major_formatter(_odds_formatter())
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("predicted error: 1 − mean probability in the bin")
    ax.set_ylabel("observed error: best candidate\nis not the person")
    ax.grid(True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Are the probabilities honest?", loc="left")
    return fig


# ---------------------------------------------------------------- the model


def level_rows(model: MatchModel) -> pd.DataFrame:
    """One row per comparison level: comparison and level in words, m, u, match weight (bits),
    term-frequency adjusted, and whether m was trained by EM or is a prior (a documented guess,
    or fixed by domain knowledge)."""
    from ..matching.levels import LEVELS

    rows = []
    for p in model.params:
        for spec, m, u, bits in zip(LEVELS[p.comparison], p.m, p.u, p.weights, strict=True):
            rows.append(
                {
                    "comparison": p.comparison.name.lower().replace("_", " "),
                    "level": spec.label,
                    "m": m,
                    "u": u,
                    "weight": bits,
                    "tf_adjusted": model.tf_adjust and spec.tf_adjusted,
                    "m_source": "trained" if p.trained else "prior",
                }
            )
    return pd.DataFrame(rows)


@overload
def plot_model(model: MatchModel, *, ax: None = ...) -> Figure: ...
@overload
def plot_model(model: MatchModel, *, ax: Axes) -> Figure | SubFigure: ...
def plot_model(model: MatchModel, *, ax: Axes | None = None) -> Figure | SubFigure:
    """Match weight (bits, log2 m/u) of every level of every comparison: what agreement on
    each field is worth. Bars right of zero are evidence for the same person."""
    rows = level_rows(model)
    fig, ax = _axes(ax, (8, 0.24 * len(rows) + 1.4))
    y = np.arange(len(rows))
    weights = rows["weight"].to_numpy(dtype=float)
    clipped = np.clip(weights, -25, 25)
    ax.barh(y, clipped, color=np.where(weights >= 0, RIGHT, WRONG), height=0.7)
    for i, (v, c) in enumerate(zip(weights, clipped, strict=True)):
        ax.text(
            c + (0.4 if v >= 0 else -0.4),
            i,
            f"{v:+.1f}",
            va="center",
            ha="left" if v >= 0 else "right",
            fontsize=7,
        )
    ax.set_yticks(
        y,
        [f"{c}: {lv}" for c, lv in zip(rows["comparison"], rows["level"], strict=True)],
        fontsize=7,
    )
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    lim = max(5.0, float(np.abs(clipped).max()) + 4)
    ax.set_xlim(-lim, lim)
    ax.set_xlabel("match weight (bits): log2 m/u; +1 bit doubles the odds of the same person")
    ax.grid(True, alpha=0.3, axis="x")
    ax.spines[["top", "right"]].set_visible(False)
    names = rows["comparison"].to_numpy()
    for boundary in np.flatnonzero(names[1:] != names[:-1]):
        ax.axhline(boundary + 0.5, color="grey", lw=0.5)
    ax.set_title("What each comparison level weighs", loc="left")
    return fig


__all__ = [
    "OUTCOME_ORDER",
    "level_rows",
    "plot_calibration",
    "plot_model",
    "plot_outcomes",
    "plot_strata",
    "plot_threshold_curve",
    "rank_strata",
]
