"""The audit report: ``metrics.json`` (stable keys, docs/metrics.md) and one self-contained
``report.html`` with the plots embedded as base64 PNG — no network, no external files.

Plots use matplotlib's object API (``Figure``, never ``pyplot``), so they hold no global state
and work headless; every plot function returns the ``Figure`` for notebooks.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import pandas as pd

from .. import __version__
from .._io import atomic_dir
from ..errors import ConfigError
from .intervals import Rate
from .metrics import ALPHA, FLAGGED_METRICS, AuditMetrics
from .policies import ReplayResult
from .thresholds import REPORT_MARGINS, REPORT_THRESHOLDS, OperatingPoint

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

SCHEMA = "xverify.audit.metrics/1"


def _figure(**kwargs: Any) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ModuleNotFoundError:
        raise ConfigError("plots need matplotlib (a dependency of xverify: reinstall it)") from None
    return Figure(**kwargs)


# ---------------------------------------------------------------- plots


# with ``ax`` each plot returns ``ax.figure``, a SubFigure for the axes of one
@overload
def plot_threshold_curve(
    table: pd.DataFrame,
    *,
    margins: Sequence[float] | None = ...,
    operating_point: OperatingPoint | None = ...,
    ax: None = ...,
) -> Figure: ...
@overload
def plot_threshold_curve(
    table: pd.DataFrame,
    *,
    margins: Sequence[float] | None = ...,
    operating_point: OperatingPoint | None = ...,
    ax: Axes,
) -> Figure | SubFigure: ...
def plot_threshold_curve(
    table: pd.DataFrame,
    *,
    margins: Sequence[float] | None = None,
    operating_point: OperatingPoint | None = None,
    ax: Axes | None = None,
) -> Figure | SubFigure:
    """Overmatch per VERIFIED (upper 95% bound, log scale) against recall, one line per margin.

    Without truth (no ``recall`` values) it plots label-free expected wrong disclosures against
    the number of disclosures instead.
    """
    fig = _figure(figsize=(7, 4.5)) if ax is None else ax.figure
    ax = fig.add_subplot() if ax is None else ax
    has_truth = "recall" in table and table["recall"].notna().any()
    all_margins = sorted(table["margin_bits"].unique())
    chosen = [m for m in all_margins if margins is None or m in set(margins)]
    if margins is None and len(chosen) > 7:
        chosen = [m for m in chosen if m in set(REPORT_MARGINS)] or chosen[
            :: max(1, len(chosen) // 6)
        ]
    for m in chosen:
        sub = table[table["margin_bits"] == m].sort_values("threshold")
        if has_truth:
            sub = sub[sub["n_verified"] > 0]
            ax.plot(sub["recall"], sub["overmatch_high"], marker=".", label=f"margin ≥ {m:g} bits")
        else:
            ax.plot(sub["n_verified"], sub["expected_wrong"], marker=".", label=f"margin ≥ {m:g}")
    if has_truth:
        ax.set_xlabel("recall (verifiable requests VERIFIED with the right person)")
        ax.set_ylabel("overmatch per VERIFIED, upper 95% bound")
        if operating_point is not None:
            ax.axhline(operating_point.target_overmatch, color="grey", ls="--", lw=1)
            ax.plot(
                [operating_point.recall.value],
                [operating_point.overmatch.high],
                marker="*",
                ms=14,
                color="black",
                ls="",
                label=f"certified: p ≥ {operating_point.threshold:.6g}, "
                f"margin ≥ {operating_point.margin_bits:g}",
            )
    else:
        ax.set_xlabel("disclosures (VERIFIED)")
        ax.set_ylabel("expected wrong disclosures Σ(1 − p)")
    ax.set_yscale("symlog", linthresh=1e-6 if has_truth else 0.1)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("threshold × margin sweep")
    return fig


@overload
def plot_calibration(table: pd.DataFrame, *, ax: None = ...) -> Figure: ...
@overload
def plot_calibration(table: pd.DataFrame, *, ax: Axes) -> Figure | SubFigure: ...
def plot_calibration(table: pd.DataFrame, *, ax: Axes | None = None) -> Figure | SubFigure:
    """Reliability plot: per probability bin, the observed share of best candidates that are the
    true person (Wilson 95% bars) against the mean predicted probability, on a log(1 − p) scale
    so the bins near 1, where disclosures happen, are visible.
    """
    fig = _figure(figsize=(7, 4.5)) if ax is None else ax.figure
    ax = fig.add_subplot() if ax is None else ax
    sub = table[table["n"] > 0]
    floor = 1e-7
    x = np.maximum(1.0 - sub["mean_probability"].to_numpy(dtype=float), floor)
    y = np.maximum(1.0 - sub["accuracy"].to_numpy(dtype=float), floor)
    y_low = np.maximum(1.0 - sub["accuracy_high"].to_numpy(dtype=float), floor)
    y_high = np.maximum(1.0 - sub["accuracy_low"].to_numpy(dtype=float), floor)
    ax.errorbar(x, y, yerr=[y - y_low, y_high - y], fmt="o", capsize=3, label="observed")
    lo = min([floor, *x, *y_low]) if len(x) else floor
    ax.plot([lo, 1], [lo, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("predicted error 1 − mean p (per bin)")
    ax.set_ylabel("observed error: best candidate is not the person")
    # bins with no observed error sit on the floor; the label says "0/n wrong"
    for xi, yi, n, w in zip(x, y, sub["n"], sub["observed_wrong"], strict=True):
        ax.annotate(
            f"{w}/{n} wrong", (xi, yi), fontsize=7, xytext=(4, 4), textcoords="offset points"
        )
    ax.grid(True, alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ax.set_title("calibration (reliability)")
    return fig


@overload
def plot_strata(metrics: AuditMetrics, metric: str = ..., *, ax: None = ...) -> Figure: ...
@overload
def plot_strata(metrics: AuditMetrics, metric: str = ..., *, ax: Axes) -> Figure | SubFigure: ...
def plot_strata(
    metrics: AuditMetrics, metric: str = "overmatch_per_request", *, ax: Axes | None = None
) -> Figure | SubFigure:
    """One rate by stratum with Wilson 95% bars; strata flagged worse than the rest in red."""
    if metrics.truth is None:
        raise ConfigError("strata need truth")
    strata = [s for s in metrics.truth.strata if s.rates[metric].n > 0]
    fig = _figure(figsize=(7, max(2.5, 0.22 * len(strata) + 1))) if ax is None else ax.figure
    ax = fig.add_subplot() if ax is None else ax
    for i, s in enumerate(strata):
        r = s.rates[metric]
        bad = metric in s.worse
        ax.errorbar(
            [r.value],
            [i],
            xerr=[[r.value - r.low], [r.high - r.value]],
            fmt="o",
            color="tab:red" if bad else "tab:blue",
            capsize=2,
        )
    ax.set_yticks(range(len(strata)), [f"{s.tag}={s.value}" for s in strata], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(metric.replace("_", " "))
    ax.grid(True, alpha=0.3, axis="x")
    ax.set_title(f"{metric.replace('_', ' ')} by stratum (red: worse than the rest)")
    return fig


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=96)
    return base64.b64encode(buf.getvalue()).decode("ascii")


# ---------------------------------------------------------------- metrics.json


def _clean(obj: Any) -> Any:
    """NaN/inf → null and numpy scalars → Python, so the JSON is strict."""
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _records(table: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    return None if table is None else _clean(table.to_dict(orient="records"))


def metrics_document(
    metrics: AuditMetrics,
    *,
    sweep_table: pd.DataFrame | None = None,
    calibration: pd.DataFrame | None = None,
    operating_point: OperatingPoint | None = None,
    replay: ReplayResult | None = None,
    inputs: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``metrics.json`` document (keys in docs/metrics.md). The sweep is cut to the
    report grid (:data:`REPORT_THRESHOLDS` × :data:`REPORT_MARGINS`) when it holds those rows.
    """
    if sweep_table is not None:
        coarse = sweep_table[
            np.isclose(
                sweep_table["threshold"].to_numpy()[:, None], np.array(REPORT_THRESHOLDS)[None]
            ).any(axis=1)
            & sweep_table["margin_bits"].isin(REPORT_MARGINS)
        ]
        sweep_table = coarse if len(coarse) else sweep_table
    doc = {
        "schema": SCHEMA,
        "xverify_version": __version__,
        "inputs": dict(inputs or {}),
        **metrics.to_dict(),
        "thresholds": _records(sweep_table),
        "calibration": _records(calibration),
        "operating_point": None if operating_point is None else operating_point.to_config(),
        "replay": None if replay is None else replay.to_dict(),
    }
    return _clean(doc)


# ---------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}
td.bad{background:#fde2e2;font-weight:600}
.note{color:#555;font-size:.85em}img{max-width:100%}
"""


def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.{digits}g}"


def _rate_cells(r: Rate) -> str:
    if r.n == 0:
        return "<td>–</td><td>–</td><td>0/0</td>"
    return (
        f"<td>{_fmt(r.value)}</td><td>[{_fmt(r.low, 3)}, {_fmt(r.high, 3)}]</td>"
        f"<td>{r.k}/{r.n}</td>"
    )


def _rate_text(r: Rate) -> str:
    if r.n == 0:
        return "–"
    return f"{_fmt(r.value, 3)} [{_fmt(r.low, 3)}, {_fmt(r.high, 3)}]"


def _table(head: Sequence[str], rows: Sequence[str], left: int = 1) -> str:
    ths = "".join(
        f'<th class="l">{_e(h)}</th>' if i < left else f"<th>{_e(h)}</th>"
        for i, h in enumerate(head)
    )
    return f"<table><thead><tr>{ths}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _img(b64: str, alt: str) -> str:
    return f'<p><img alt="{_e(alt)}" src="data:image/png;base64,{b64}"></p>'


def render_report(
    metrics: AuditMetrics,
    *,
    sweep_table: pd.DataFrame | None = None,
    calibration: pd.DataFrame | None = None,
    operating_point: OperatingPoint | None = None,
    replay: ReplayResult | None = None,
    inputs: Mapping[str, str] | None = None,
    plots: bool = True,
) -> str:
    """The report as one HTML string (plots embedded); every value is HTML-escaped."""
    parts: list[str] = []
    add = parts.append
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    add(f"<h1>xverify overmatch audit</h1><p class='note'>xverify {_e(__version__)}, {now}. ")
    add(", ".join(f"{_e(k)}: <code>{_e(v)}</code>" for k, v in (inputs or {}).items()))
    add(f". {metrics.n_requests} requests.</p>")
    t = metrics.truth

    if t is not None:
        add("<h2>Headline rates (95% Wilson intervals)</h2>")
        head = metrics.headline()
        # pandas-stubs type every itertuples() field as any pandas scalar (here they are ints)
        rows = [
            f"<tr><td class='l'>{_e(r.metric)}</td>"
            + _rate_cells(Rate.of(int(r.k), int(r.n)))  # type: ignore[arg-type]
            + "</tr>"
            for r in head.itertuples()
        ]
        add(_table(["metric", "value", "95% interval", "k/n"], rows))
        add(
            f"<p>Wrong disclosures: {t.overmatch_per_verified.k} "
            f"({t.wrong_person} about another registered person, {t.not_in_register} about "
            f"someone not in the register). Address-unconfirmed disclosures: "
            f"{metrics.address_unconfirmed.k}.</p>"
        )
    else:
        add(
            "<p class='note'>No truth given: only the outcome mix, address-unconfirmed "
            "disclosures and the label-free estimate can be shown.</p>"
        )

    add("<h2>Outcome mix</h2>")
    rows = [
        f"<tr><td class='l'>{_e(o)}</td>{_rate_cells(r)}</tr>" for o, r in metrics.outcomes.items()
    ]
    rows.append(
        "<tr><td class='l'>address-unconfirmed disclosures (of VERIFIED)</td>"
        f"{_rate_cells(metrics.address_unconfirmed)}</tr>"
    )
    add(_table(["outcome", "share", "95% interval", "count/requests"], rows))

    lf = metrics.label_free
    add("<h2>Label-free estimate of wrong disclosures</h2>")
    add(
        f"<p>Σ(1 − p) over {lf.n_verified} VERIFIED = <b>{_fmt(lf.expected_wrong)}</b> "
        f"(sd {_fmt(lf.sd, 3)}); normal 95% interval [{_fmt(lf.low, 3)}, {_fmt(lf.high, 3)}], "
        f"conservative (Bernstein) [{_fmt(lf.low_conservative, 3)}, "
        f"{_fmt(lf.high_conservative, 3)}]."
    )
    if lf.observed_wrong is not None:
        add(
            f" Observed against truth: <b>{lf.observed_wrong}</b> "
            f"({'inside' if lf.brackets else 'outside'} the normal interval, "
            f"{'inside' if lf.brackets_conservative else 'outside'} the conservative one)."
        )
    add(
        "</p><p class='note'>Assumes the match probabilities are calibrated and the errors "
        "independent; the calibration plot below checks the first assumption.</p>"
    )

    if t is not None:
        add("<h2>What each outcome really was</h2>")
        rows = [
            f"<tr><td class='l'>{_e(o)}</td><td>{b.count}</td>"
            f"<td>{_rate_text(b.verifiable)}</td><td>{_rate_text(b.in_register)}</td>"
            f"<td>{_rate_text(b.invalid)}</td><td>{_rate_text(b.correct_tin)}</td></tr>"
            for o, b in t.per_outcome.items()
        ]
        add(
            _table(
                ["outcome", "count", "verifiable", "in register", "invalid", "candidate is right"],
                rows,
            )
        )

        rej = t.rejection
        add("<h2>Rejection accuracy</h2>")
        rows = [
            f"<tr><td class='l'>{_e(name)}</td>{_rate_cells(r)}</tr>"
            for name, r in (
                ("invalid requests rejected", rej.invalid_rejected),
                ("valid requests wrongly rejected", rej.valid_rejected),
                ("invalid requests disclosed", rej.invalid_disclosed),
            )
        ]
        add(_table(["", "rate", "95% interval", "k/n"], rows))
        if rej.by_reason:
            rows = [
                f"<tr><td class='l'>{_e(code or '(none)')}</td><td>{r.count}</td>"
                f"<td>{r.wrongly_rejected.k}</td><td>{_rate_text(r.wrongly_rejected)}</td></tr>"
                for code, r in sorted(rej.by_reason.items())
            ]
            add(_table(["reason code", "rejected", "of them valid", "share valid"], rows))
        if rej.by_invalid_kind:
            rows = [
                f"<tr><td class='l'>{_e(kind)}</td>{_rate_cells(r)}</tr>"
                for kind, r in sorted(rej.by_invalid_kind.items())
            ]
            add(_table(["invalid kind", "rejected", "95% interval", "k/n"], rows))

        add("<h2>By stratum</h2>")
        add(
            "<p class='note'>Red: the stratum is worse than all other requests on that metric "
            "(one-sided Fisher exact test, Bonferroni-corrected over the strata tested for the "
            f"metric, family-wise α = {ALPHA:g}). Cells: rate [95% Wilson interval].</p>"
        )
        cols = [
            "overmatch_per_verified",
            "overmatch_per_request",
            "recall",
            "undermatch",
            "ambiguous_share",
            "name_only_share",
            "valid_rejected",
        ]
        rows = []
        for s in t.strata:
            cells = []
            for c in cols:
                comp = s.comparisons.get(c)
                bad = comp is not None and comp.worse
                title = f" title='p = {comp.p_value:.3g}'" if comp is not None else ""
                cells.append(
                    f"<td{' class=bad' if bad else ''}{title}>{_rate_text(s.rates[c])}</td>"
                )
            rows.append(
                f"<tr><td class='l'>{_e(s.tag)}</td><td class='l'>{_e(s.value)}</td>"
                f"<td>{s.n}</td>{''.join(cells)}</tr>"
            )
        add(_table(["tag", "value", "n", *(c.replace("_", " ") for c in cols)], rows, left=2))
        if plots:
            for metric in ("overmatch_per_request", "undermatch"):
                add(_img(_png(plot_strata(metrics, metric)), f"{metric} by stratum"))

    if sweep_table is not None and len(sweep_table):
        add("<h2>Threshold and margin</h2>")
        if plots:
            fig = plot_threshold_curve(sweep_table, operating_point=operating_point)
            add(_img(_png(fig), "threshold curve"))
        if operating_point is not None:
            op = operating_point
            add(
                f"<p><b>Certified operating point</b> for target overmatch "
                f"{_fmt(op.target_overmatch)}: threshold {op.threshold:.10g}, margin "
                f"{op.margin_bits:g} bits — {op.n_verified} disclosures, overmatch "
                f"{_rate_text(op.overmatch)}, recall {_rate_text(op.recall)}. Written to "
                "<code>operating_point.json</code>.</p>"
            )

    if calibration is not None and len(calibration):
        add("<h2>Calibration</h2>")
        if plots:
            add(_img(_png(plot_calibration(calibration)), "calibration"))
        # pandas-stubs type every itertuples() field as any pandas scalar (floats and ints here)
        rows = [
            f"<tr><td class='l'>[{_fmt(r.p_low, 6)}, {_fmt(r.p_high, 6)})</td><td>{r.n}</td>"  # type: ignore[arg-type]
            f"<td>{_fmt(r.mean_probability, 6)}</td><td>{_fmt(r.expected_wrong, 4)}</td>"  # type: ignore[arg-type]
            f"<td>{r.observed_wrong}</td></tr>"
            for r in calibration.itertuples()
            if r.n > 0  # type: ignore[operator, arg-type]
        ]
        add(_table(["probability bin", "n", "mean p", "expected wrong", "observed wrong"], rows))

    if replay is not None:
        add("<h2>Policy replay (same requests, same candidates)</h2>")
        rows = [
            f"<tr><td class='l'>{_e(r.policy)}</td><td>{r.disclosures}</td>"
            f"<td>{r.wrong_person.k}</td><td>{r.address_unconfirmed.k}</td>"
            f"<td>{_rate_text(r.recall)}</td><td>{r.invalid_not_rejected.k}</td>"
            f"<td>{r.invalid_disclosed.k}</td></tr>"
            for r in replay.rows
        ]
        add(
            _table(
                [
                    "policy",
                    "disclosures",
                    "wrong person",
                    "address unconfirmed",
                    "recall",
                    "invalid not rejected",
                    "invalid disclosed",
                ],
                rows,
            )
        )

    add(
        "<h2>Method</h2><p class='note'>Overmatch: a VERIFIED request whose disclosed person is "
        "not the person the request is about (including targets not in the register). Recall: "
        "verifiable requests VERIFIED with the right person. Intervals: Wilson score, 95%. "
        f"Flags: {', '.join(FLAGGED_METRICS)}.</p>"
    )
    body = "".join(parts)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>xverify audit</title>"
        f"<style>{_CSS}</style></head><body>{body}</body></html>\n"
    )


def write_report(
    out_dir: str | Path,
    metrics: AuditMetrics,
    *,
    sweep_table: pd.DataFrame | None = None,
    calibration: pd.DataFrame | None = None,
    operating_point: OperatingPoint | None = None,
    replay: ReplayResult | None = None,
    inputs: Mapping[str, str] | None = None,
    force: bool = False,
) -> Path:
    """Write ``metrics.json``, ``report.html`` and (with an operating point)
    ``operating_point.json`` into ``out_dir`` as a whole: everything is rendered in memory
    first, and the directory appears only when all files are written.
    """
    kwargs: dict[str, Any] = {
        "sweep_table": sweep_table,
        "calibration": calibration,
        "operating_point": operating_point,
        "replay": replay,
        "inputs": inputs,
    }
    doc = json.dumps(metrics_document(metrics, **kwargs), indent=2, allow_nan=False)
    page = render_report(metrics, **kwargs)
    out = Path(out_dir)
    with atomic_dir(out, force=force) as tmp:
        (tmp / "metrics.json").write_text(doc + "\n", encoding="utf-8")
        (tmp / "report.html").write_text(page, encoding="utf-8")
        if operating_point is not None:
            (tmp / "operating_point.json").write_text(
                json.dumps(_clean(operating_point.to_config()), indent=2) + "\n",
                encoding="utf-8",
            )
    return out


__all__ = [
    "SCHEMA",
    "metrics_document",
    "plot_calibration",
    "plot_strata",
    "plot_threshold_curve",
    "render_report",
    "write_report",
]
