"""The audit report: ``metrics.json`` (stable keys, docs/metrics.md), a ``report.html`` a person
reads, and ``strata.csv`` (every stratum; the page shows the worst ten and links the file).

The page is rendered from a Jinja2 template shipped in the package (``templates/report.html``,
read through importlib.resources, autoescaped) from a context of display-ready strings built
here: numbers through :mod:`xverify.audit.wording` ("0.0098%", "about 1 in 10,000"), never raw
floats or metric keys. It is self-contained: charts are inline PNG, a Content-Security-Policy
forbids every fetch, and the only link is to ``strata.csv`` beside it.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import __version__
from .._io import atomic_dir
from ..config import MatchConfig
from ..outcomes import Outcome
from . import wording as w
from .intervals import Rate
from .metrics import ALPHA, FLAGGED_METRICS, AuditMetrics, Stratum
from .plots import (
    OUTCOME_ORDER,
    level_rows,
    plot_calibration,
    plot_model,
    plot_outcomes,
    plot_strata,
    plot_threshold_curve,
    rank_strata,
)
from .policies import ReplayResult
from .thresholds import REPORT_MARGINS, REPORT_THRESHOLDS, OperatingPoint

if TYPE_CHECKING:
    from jinja2 import Template
    from matplotlib.figure import Figure

    from ..matching.model import MatchModel

SCHEMA = "xverify.audit.metrics/1"
#: strata shown on the page; all of them go to ``strata.csv``
TOP_STRATA = 10
STRATA_CSV = "strata.csv"


# ---------------------------------------------------------------- metrics.json


def _on_grid(values: pd.Series, grid: Sequence[float]) -> np.ndarray:
    """Which values are grid points (up to float noise: 0.9999 and 1 - 1e-4 are one point,
    0.9999982 is not 0.99999)."""
    v = values.to_numpy(dtype=float)[:, None]
    return np.asarray(np.isclose(v, np.array(grid)[None], rtol=0.0, atol=1e-12).any(axis=1))


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
            _on_grid(sweep_table["threshold"], REPORT_THRESHOLDS)
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


# ---------------------------------------------------------------- the page's context


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return base64.b64encode(buf.getvalue()).decode("ascii")


@dataclass(frozen=True)
class _Cell:
    """A rate in a table: the figure people read, its interval as a tooltip, and k of n."""

    text: str
    detail: str
    title: str
    bad: bool = False

    @classmethod
    def of(cls, r: Rate, *, bad: bool = False) -> _Cell:
        if r.n == 0:
            return cls("–", "0 of 0", "nothing to count")
        return cls(
            w.percent(r.value),
            f"{w.count(r.k)} of {w.count(r.n)}",
            f"95% interval {w.interval(r)}",
            bad,
        )


def _figure_row(key: str, r: Rate) -> dict[str, str]:
    return {
        "label": w.metric_words(key),
        "value": w.percent(r.value) if r.n else "–",
        "odds": w.one_in(r.value) if r.n and key.startswith(("overmatch", "address")) else "",
        "k_of_n": f"{w.count(r.k)} of {w.count(r.n)}",
        "interval": w.interval(r),
    }


def looser_than(op: OperatingPoint, config: MatchConfig) -> list[str]:
    """What makes the certified setting looser than the configured one, in words (empty: it is
    not looser); the report's warning and the CLI's both read it."""
    out = []
    if op.threshold < config.threshold and not math.isclose(op.threshold, config.threshold):
        out.append(
            f"probability threshold {w.threshold(op.threshold)} below the configured "
            f"{w.threshold(config.threshold)}"
        )
    if op.margin_bits < config.margin_bits:
        out.append(
            f"margin {op.margin_bits:g} bits below the configured {config.margin_bits:g} bits"
        )
    return out


def _verdict(metrics: AuditMetrics) -> list[str]:
    """The top paragraph, sentence by sentence: what was disclosed and how often wrongly."""
    n, v = metrics.n_requests, metrics.outcomes[Outcome.VERIFIED.value].k
    out = [f"Of {w.count(n)} requests, {w.count(v)} were VERIFIED: their identity was disclosed."]
    t = metrics.truth
    if t is None:
        lf = metrics.label_free
        out.append(
            f"No ground truth was given. If the match probabilities are honest, about "
            f"{w.number(lf.expected_wrong, 2)} of the disclosures went to the wrong person "
            f"(95% interval {w.number(lf.low, 2)} to {w.number(lf.high, 2)})."
        )
    else:
        om = t.overmatch_per_verified
        if om.n == 0:
            out.append("Nothing was disclosed, so nothing was disclosed wrongly.")
        elif om.k == 0:
            out.append(
                f"None went to the wrong person. With 95% confidence the overmatch rate is at "
                f"most {w.percent(om.high)} ({w.one_in(om.high)} disclosures)."
            )
        else:
            out.append(
                f"{w.count(om.k)} went to the wrong person ({w.count(t.wrong_person)} to another "
                f"registered person, {w.count(t.not_in_register)} about someone not in the "
                f"register): an overmatch rate of {w.percent(om.value)}, {w.one_in(om.value)} "
                f"disclosures (95% interval {w.interval(om)})."
            )
        rc = t.recall
        if rc.n:
            out.append(
                f"Of {w.count(rc.n)} requests that could have been verified, "
                f"{w.percent(rc.value)} were, with the right person; {w.count(rc.n - rc.k)} "
                "were withheld or missed."
            )
        rej = t.rejection
        if rej.invalid_rejected.n or rej.valid_rejected.k:
            out.append(
                f"The legal checks rejected {w.count(rej.invalid_rejected.k)} of "
                f"{w.count(rej.invalid_rejected.n)} invalid requests and "
                f"{w.count(rej.valid_rejected.k)} valid ones."
            )
        worse = [s for s in rank_strata(t.strata) if s.worse]
        if worse:
            named = "; ".join(
                f"{w.tag_words(s.tag, s.value)} ({', '.join(w.metric_words(m) for m in s.worse)})"
                for s in worse[:3]
            )
            more = f" and {len(worse) - 3} more" if len(worse) > 3 else ""
            out.append(f"Groups that fare significantly worse than the rest: {named}{more}.")
        else:
            out.append("No group fares significantly worse than the rest.")
    au = metrics.address_unconfirmed
    if au.k:
        out.append(f"{w.count(au.k)} disclosures did not confirm an address on file.")
    elif v:
        out.append("Every disclosure confirmed an address on file in the requested period.")
    return out


def _strata_context(metrics: AuditMetrics, plots: bool) -> dict[str, Any] | None:
    t = metrics.truth
    if t is None:
        return None
    cols = ("overmatch_per_verified", "undermatch", "valid_rejected")
    rows = []
    for s in rank_strata(t.strata)[:TOP_STRATA]:
        rows.append(
            {
                "group": w.tag_words(s.tag, s.value),
                "n": w.count(s.n),
                "cells": [_Cell.of(s.rates[c], bad=c in s.worse) for c in cols],
                "worse": ", ".join(w.metric_words(m) for m in s.worse) or "–",
            }
        )
    charts = []
    if plots:
        for metric in ("overmatch_per_request", "undermatch"):
            if any(s.rates[metric].k for s in t.strata):
                charts.append(
                    {
                        "png": _png(plot_strata(metrics, metric, top=TOP_STRATA)),
                        "alt": f"{w.metric_words(metric)} by group",
                    }
                )
    return {
        "head": [w.METRIC_SHORT[c] for c in cols],
        "rows": rows,
        "total": w.count(len(t.strata)),
        "shown": len(rows),
        "csv": STRATA_CSV,
        "alpha": f"{ALPHA:g}",
        "charts": charts,
    }


def _rejection_context(metrics: AuditMetrics) -> dict[str, Any] | None:
    if metrics.truth is None:
        return None
    rej = metrics.truth.rejection
    return {
        "rates": [
            (w.metric_words(k), _Cell.of(r))
            for k, r in (
                ("invalid_rejected", rej.invalid_rejected),
                ("valid_rejected", rej.valid_rejected),
                ("invalid_disclosed", rej.invalid_disclosed),
            )
        ],
        "by_reason": [
            {
                "code": code or "(none)",
                "count": w.count(r.count),
                "valid": _Cell.of(r.wrongly_rejected),
            }
            for code, r in sorted(rej.by_reason.items())
        ],
        "by_kind": [(kind, _Cell.of(r)) for kind, r in sorted(rej.by_invalid_kind.items())],
    }


def _sweep_context(
    table: pd.DataFrame | None,
    op: OperatingPoint | None,
    config: MatchConfig,
    plots: bool,
) -> dict[str, Any] | None:
    if table is None or not len(table):
        return None
    has_truth = "recall" in table and table["recall"].notna().any()
    # the configured margin's row of the sweep (or the nearest margin the table holds)
    margins = table["margin_bits"].to_numpy(dtype=float)
    margin = float(margins[np.argmin(np.abs(margins - config.margin_bits))])
    at = table[np.isclose(margins, margin)]
    grid = _on_grid(at["threshold"], REPORT_THRESHOLDS)
    at = at[grid].sort_values("threshold") if grid.any() else at.sort_values("threshold")
    rows = []
    for r in at.to_dict(orient="records"):
        row = {
            "threshold": w.threshold(float(r["threshold"])),
            "configured": math.isclose(float(r["threshold"]), config.threshold),
            "n_verified": w.count(r["n_verified"]),
            "expected_wrong": w.number(float(r["expected_wrong"]), 2),
        }
        if has_truth:
            row["wrong"] = w.count(r["wrong"])
            row["bound"] = w.percent(float(r["overmatch_high"])) if r["n_verified"] else "–"
            row["recall"] = w.percent(float(r["recall"]))
        rows.append(row)
    chart = None
    if plots:
        fig = plot_threshold_curve(
            table, operating_point=op, configured=(config.threshold, config.margin_bits)
        )
        chart = _png(fig)
    return {"chart": chart, "rows": rows, "truth": has_truth, "margin": f"{margin:g}"}


def _operating_context(op: OperatingPoint | None, config: MatchConfig) -> dict[str, Any] | None:
    if op is None:
        return None
    return {
        "target": w.percent(op.target_overmatch),
        "target_odds": w.one_in(op.target_overmatch),
        "threshold": w.threshold(op.threshold),
        "margin": f"{op.margin_bits:g}",
        "n_verified": w.count(op.n_verified),
        "bound": w.percent(op.overmatch.high),
        "recall": w.percent(op.recall.value) if op.recall.n else "–",
        "configured_threshold": w.threshold(config.threshold),
        "configured_margin": f"{config.margin_bits:g}",
        "looser": looser_than(op, config),
    }


def _calibration_context(calibration: pd.DataFrame | None, plots: bool) -> dict[str, Any] | None:
    if calibration is None or not len(calibration):
        return None
    rows = [
        {
            "bin": f"{w.threshold(r['p_low']) if r['p_low'] else '0'} to "
            f"{w.threshold(r['p_high']) if r['p_high'] < 1 else '1'}",
            "n": w.count(r["n"]),
            "mean": w.percent(float(r["mean_probability"])),
            "expected": w.number(float(r["expected_wrong"]), 2),
            "observed": w.count(r["observed_wrong"]),
        }
        for r in calibration.to_dict(orient="records")
        if r["n"] > 0
    ]
    return {"chart": _png(plot_calibration(calibration)) if plots else None, "rows": rows}


def _model_context(model: MatchModel | None, plots: bool) -> dict[str, Any] | None:
    if model is None:
        return None
    rows = level_rows(model)
    groups: list[dict[str, Any]] = []
    for name, sub in rows.groupby("comparison", sort=False):
        groups.append(
            {
                "comparison": str(name),
                "source": "trained by EM" if sub["m_source"].iloc[0] == "trained" else "prior",
                "levels": [
                    {
                        "label": r["level"],
                        "m": w.percent(r["m"], 3),
                        "u": w.percent(r["u"], 3),
                        "weight": f"{r['weight']:+.1f}",
                        "positive": r["weight"] >= 0,
                        "tf": r["tf_adjusted"],
                    }
                    for r in sub.to_dict(orient="records")
                ],
            }
        )
    return {
        "groups": groups,
        "prior": w.one_in(model.prior) or w.percent(model.prior),
        "prior_bits": f"{model.prior_weight:+.1f}",
        "iterations": w.count(model.iterations),
        "converged": model.converged,
        "candidates": w.count(model.candidates),
        "random_pairs": w.count(model.random_pairs),
        "interactions": [(x.label(), f"{x.bits:+.1f}") for x in model.interactions],
        "tf_adjust": model.tf_adjust,
        "chart": _png(plot_model(model)) if plots else None,
    }


def _replay_context(replay: ReplayResult | None) -> list[dict[str, Any]] | None:
    if replay is None:
        return None
    return [
        {
            "policy": r.policy,
            "disclosures": w.count(r.disclosures),
            "wrong": w.count(r.wrong_person.k),
            "unconfirmed": w.count(r.address_unconfirmed.k),
            "recall": _Cell.of(r.recall),
            "invalid_not_rejected": w.count(r.invalid_not_rejected.k),
            "invalid_disclosed": w.count(r.invalid_disclosed.k),
        }
        for r in replay.rows
    ]


def report_context(
    metrics: AuditMetrics,
    *,
    sweep_table: pd.DataFrame | None = None,
    calibration: pd.DataFrame | None = None,
    operating_point: OperatingPoint | None = None,
    replay: ReplayResult | None = None,
    inputs: Mapping[str, str] | None = None,
    model: MatchModel | None = None,
    config: MatchConfig | None = None,
    plots: bool = True,
) -> dict[str, Any]:
    """What the template shows, as display-ready strings (tests read it without HTML)."""
    config = config or MatchConfig()
    t = metrics.truth
    figures: list[tuple[str, Rate]] = [("address_unconfirmed", metrics.address_unconfirmed)]
    if t is not None:
        figures = [
            ("overmatch_per_verified", t.overmatch_per_verified),
            ("overmatch_per_request", t.overmatch_per_request),
            *figures,
            ("recall", t.recall),
            ("undermatch", t.undermatch),
            ("ambiguous_share", t.ambiguous_share),
            ("name_only_share", t.name_only_share),
            ("invalid_rejected", t.rejection.invalid_rejected),
            ("valid_rejected", t.rejection.valid_rejected),
        ]
    lf = metrics.label_free
    operating = _operating_context(operating_point, config)
    return {
        "version": __version__,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "inputs": sorted((inputs or {}).items()),
        "n_requests": w.count(metrics.n_requests),
        "verdict": _verdict(metrics),
        "warnings": [] if operating is None else operating["looser"],
        "headline_chart": _png(plot_outcomes(metrics)) if plots else None,
        "figures": [_figure_row(k, r) for k, r in figures],
        "truth": t is not None,
        "outcomes": [
            {
                "outcome": o.value,
                "meaning": w.OUTCOME_WORDS[o.value],
                "cell": _Cell.of(metrics.outcomes[o.value]),
                "verifiable": None if t is None else _Cell.of(t.per_outcome[o.value].verifiable),
                "correct": None if t is None else _Cell.of(t.per_outcome[o.value].correct_tin),
            }
            for o in OUTCOME_ORDER
        ],
        "strata": _strata_context(metrics, plots),
        "rejection": _rejection_context(metrics),
        "operating": operating,
        "sweep": _sweep_context(sweep_table, operating_point, config, plots),
        "calibration": _calibration_context(calibration, plots),
        "label_free": {
            "n": w.count(lf.n_verified),
            "expected": w.number(lf.expected_wrong, 2),
            "interval": f"{w.number(lf.low, 2)} to {w.number(lf.high, 2)}",
            "conservative": f"{w.number(lf.low_conservative, 2)} to "
            f"{w.number(lf.high_conservative, 2)}",
            "observed": None if lf.observed_wrong is None else w.count(lf.observed_wrong),
            "brackets": lf.brackets,
        },
        "model": _model_context(model, plots),
        "replay": _replay_context(replay),
        "config": {
            "threshold": w.threshold(config.threshold),
            "margin": f"{config.margin_bits:g}",
        },
        "flagged": ", ".join(w.metric_words(m) for m in FLAGGED_METRICS),
        "alpha": f"{ALPHA:g}",
    }


@cache
def _template() -> Template:
    """The packaged template, autoescaped; an undefined name is an error, not a blank."""
    from jinja2 import Environment, StrictUndefined

    text = (
        resources.files("xverify.audit")
        .joinpath("templates", "report.html")
        .read_text(encoding="utf-8")
    )
    env = Environment(
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.from_string(text)


def render_report(
    metrics: AuditMetrics,
    *,
    sweep_table: pd.DataFrame | None = None,
    calibration: pd.DataFrame | None = None,
    operating_point: OperatingPoint | None = None,
    replay: ReplayResult | None = None,
    inputs: Mapping[str, str] | None = None,
    model: MatchModel | None = None,
    config: MatchConfig | None = None,
    plots: bool = True,
) -> str:
    """The report as one HTML string: the template over :func:`report_context` (every value
    escaped). ``config`` is the setting the matcher runs with (default: ``MatchConfig()``);
    the page warns when the certified operating point is looser. ``model`` adds the model
    section."""
    context = report_context(
        metrics,
        sweep_table=sweep_table,
        calibration=calibration,
        operating_point=operating_point,
        replay=replay,
        inputs=inputs,
        model=model,
        config=config,
        plots=plots,
    )
    return _template().render(**context)


def strata_table(metrics: AuditMetrics) -> pd.DataFrame:
    """Every stratum, worst first (the page shows the first :data:`TOP_STRATA`): the group in
    words, then :meth:`AuditMetrics.strata_frame`'s columns (rates, intervals, p-values)."""
    if metrics.truth is None:
        return pd.DataFrame(columns=["group", "tag", "value", "n"])
    order: list[Stratum] = rank_strata(metrics.truth.strata)
    frame = metrics.strata_frame().set_index(["tag", "value"])
    frame = frame.loc[[(s.tag, s.value) for s in order]].reset_index()
    frame.insert(0, "group", [w.tag_words(s.tag, s.value) for s in order])
    return frame


def write_report(
    out_dir: str | Path,
    metrics: AuditMetrics,
    *,
    sweep_table: pd.DataFrame | None = None,
    calibration: pd.DataFrame | None = None,
    operating_point: OperatingPoint | None = None,
    replay: ReplayResult | None = None,
    inputs: Mapping[str, str] | None = None,
    model: MatchModel | None = None,
    config: MatchConfig | None = None,
    force: bool = False,
) -> Path:
    """Write ``metrics.json``, ``report.html``, with truth ``strata.csv`` and with an operating
    point ``operating_point.json`` into ``out_dir`` as a whole: everything is rendered in
    memory first, and the directory appears only when all files are written.
    """
    kwargs: dict[str, Any] = {
        "sweep_table": sweep_table,
        "calibration": calibration,
        "operating_point": operating_point,
        "replay": replay,
        "inputs": inputs,
    }
    doc = json.dumps(metrics_document(metrics, **kwargs), indent=2, allow_nan=False)
    page = render_report(metrics, model=model, config=config, **kwargs)
    strata = strata_table(metrics).to_csv(index=False) if metrics.truth is not None else None
    out = Path(out_dir)
    with atomic_dir(out, force=force) as tmp:
        (tmp / "metrics.json").write_text(doc + "\n", encoding="utf-8")
        (tmp / "report.html").write_text(page, encoding="utf-8")
        if strata is not None:
            (tmp / STRATA_CSV).write_text(strata, encoding="utf-8")
        if operating_point is not None:
            (tmp / "operating_point.json").write_text(
                json.dumps(_clean(operating_point.to_config()), indent=2) + "\n",
                encoding="utf-8",
            )
    return out


__all__ = [
    "SCHEMA",
    "STRATA_CSV",
    "TOP_STRATA",
    "looser_than",
    "metrics_document",
    "plot_calibration",
    "plot_model",
    "plot_outcomes",
    "plot_strata",
    "plot_threshold_curve",
    "render_report",
    "report_context",
    "strata_table",
    "write_report",
]
