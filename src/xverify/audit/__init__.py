"""The auditor's side: overmatch metrics, threshold sweeps, policy replay and the HTML report.

Typical use in a notebook::

    from xverify import audit
    d, t = audit.load_decisions("decisions.parquet"), audit.load_truth("truth.parquet")
    m = audit.compute_metrics(d, t)
    m.headline(); m.strata_frame()
    curve = audit.sweep(d, t)
    op = audit.certify(d, t, target_overmatch=1e-3, table=curve)

Plots (:mod:`xverify.audit.plots`) and the report import matplotlib and Jinja2 only when called;
:mod:`xverify.audit.wording` turns rates into the words and numbers the report shows.
"""

from __future__ import annotations

from typing import Any

from .inputs import check_decisions, check_truth, load_decisions, load_truth
from .intervals import Rate, fisher_greater, wilson
from .metrics import AuditMetrics, LabelFreeEstimate, Stratum, compute_metrics, strata_tags
from .policies import (
    EVIDENCE_COLUMNS,
    ExactPolicy,
    NameZipPolicy,
    Policy,
    ReplayResult,
    XVerifyPolicy,
    check_evidence,
    parse_policies,
    replay,
)
from .thresholds import OperatingPoint, calibration_table, certify, sweep

_REPORT = ("metrics_document", "render_report", "report_context", "strata_table", "write_report")
_PLOTS = ("plot_calibration", "plot_model", "plot_outcomes", "plot_strata", "plot_threshold_curve")


def __getattr__(name: str) -> Any:
    if name in _REPORT:
        from . import report

        return getattr(report, name)
    if name in _PLOTS:
        from . import plots

        return getattr(plots, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EVIDENCE_COLUMNS",
    "AuditMetrics",
    "ExactPolicy",
    "LabelFreeEstimate",
    "NameZipPolicy",
    "OperatingPoint",
    "Policy",
    "Rate",
    "ReplayResult",
    "Stratum",
    "XVerifyPolicy",
    "calibration_table",
    "certify",
    "check_decisions",
    "check_evidence",
    "check_truth",
    "compute_metrics",
    "fisher_greater",
    "load_decisions",
    "load_truth",
    "metrics_document",
    "parse_policies",
    "plot_calibration",
    "plot_model",
    "plot_outcomes",
    "plot_strata",
    "plot_threshold_curve",
    "render_report",
    "replay",
    "report_context",
    "strata_table",
    "strata_tags",
    "sweep",
    "wilson",
    "write_report",
]
