"""The audit report a person reads: words instead of metric keys, numbers as people write them,
the worst groups on the page and all in a CSV, a model section, and a warning when the
certified operating point is looser than the configured one."""

from __future__ import annotations

import html
import math
import re
from importlib import resources

import pytest

from test_audit_cli import synthetic
from xverify.audit import calibration_table, certify, compute_metrics, sweep
from xverify.audit import wording as w
from xverify.audit.intervals import Rate
from xverify.audit.metrics import FLAGGED_METRICS
from xverify.audit.report import TOP_STRATA, render_report, report_context, strata_table
from xverify.audit.thresholds import OperatingPoint
from xverify.config import MatchConfig
from xverify.matching.levels import LEVELS, Comparison
from xverify.matching.model import ComparisonParams, MatchModel


def model() -> MatchModel:
    """A model over the real level definitions: m rises and u falls with the level; the
    suffix is left untrained (a prior)."""
    params = []
    for c in Comparison:
        n = len(LEVELS[c])
        m = [4.0**i for i in range(n)]
        u = [4.0 ** (n - i) for i in range(n)]
        params.append(
            ComparisonParams(
                c,
                tuple(x / sum(m) for x in m),
                tuple(x / sum(u) for x in u),
                trained=c is not Comparison.SUFFIX,
            )
        )
    return MatchModel(params=tuple(params), prior=1e-4, candidate_prior=0.1, iterations=7)


@pytest.fixture(scope="module")
def audit_inputs():  # type: ignore[no-untyped-def]
    d, t = synthetic(2000, seed=11)
    table = sweep(d, t)
    return d, t, compute_metrics(d, t), table, calibration_table(d, t)


def text_of(page: str) -> str:
    """The words a reader sees: tags, attributes and inline images removed."""
    body = re.sub(r"<style.*?</style>|<[^>]+>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", body))


@pytest.mark.parametrize(
    "x, pct, odds",
    [
        (9.826e-05, "0.0098%", "about 1 in 10,000"),
        (0.0056, "0.56%", "about 1 in 180"),
        (0.9475, "94.8%", ""),
        (0.001, "0.1%", "about 1 in 1,000"),
        (0.0, "0%", "none"),
        (1.0, "100%", ""),
        (0.99999, "99.999%", ""),  # short of all never reads 100%
        (math.nan, "–", ""),
    ],
)
def test_numbers_read_as_people_write_them(x: float, pct: str, odds: str) -> None:
    assert w.percent(x) == pct
    assert w.one_in(x) == odds


def test_words_for_every_key_and_tag(audit_inputs) -> None:  # type: ignore[no-untyped-def]
    _, _, metrics, _, _ = audit_inputs
    keys = set(metrics.headline()["metric"]) | set(FLAGGED_METRICS)
    assert keys <= set(w.METRIC_WORDS)
    assert metrics.truth is not None
    for s in metrics.truth.strata:
        phrase = w.tag_words(s.tag, s.value)
        assert "_" not in phrase and phrase, (s.tag, s.value)
    assert w.tag_words("in_register", "false") == "not in the register"
    assert w.threshold(1 - 1e-4) == "0.9999" and w.threshold(0.5) == "0.5"
    assert w.rate_words(Rate.of(0, 686)) == "0 of 686 (0%; 95% interval 0% to 0.56%)"


def test_the_page_speaks_words_not_keys(audit_inputs) -> None:  # type: ignore[no-untyped-def]
    d, t, metrics, table, calib = audit_inputs
    op = certify(d, t, 0.05, table=table)
    page = render_report(
        metrics, sweep_table=table, calibration=calib, operating_point=op, model=model(),
        plots=False,
    )  # fmt: skip
    text = text_of(page)
    for key in [k for k in w.METRIC_WORDS if "_" in k]:  # "recall" is a word too
        assert key not in text, key
    assert not re.search(r"\d(\.\d+)?e[-+]?\d", text), "a number in e-notation"
    assert "Content-Security-Policy" in page and "<script" not in page
    # the verdict leads, and states the overmatch in words and odds
    verdict = report_context(metrics, plots=False)["verdict"]
    om = metrics.truth.overmatch_per_verified  # type: ignore[union-attr]
    assert f"an overmatch rate of {w.percent(om.value)}, {w.one_in(om.value)}" in " ".join(verdict)
    assert text.index("Of 2,000 requests") < text.index("Key figures")


def test_worst_groups_on_the_page_all_in_the_csv(audit_inputs) -> None:  # type: ignore[no-untyped-def]
    _, _, metrics, _, _ = audit_inputs
    ctx = report_context(metrics, plots=False)
    assert metrics.truth is not None
    assert len(ctx["strata"]["rows"]) == TOP_STRATA < len(metrics.truth.strata)
    csv = strata_table(metrics)
    assert len(csv) == len(metrics.truth.strata)
    assert [r["group"] for r in ctx["strata"]["rows"]] == list(csv["group"].head(TOP_STRATA))
    # worst first: flagged groups before unflagged ones
    flagged = csv["worse"].fillna("").str.len().to_numpy() > 0
    assert flagged[0] and not any(flagged[flagged.argmin() :])


def test_warning_when_the_certified_point_is_looser(audit_inputs) -> None:  # type: ignore[no-untyped-def]
    _, _, metrics, _, _ = audit_inputs

    def point(threshold: float, margin: float) -> OperatingPoint:
        return OperatingPoint(threshold, margin, 0.05, 10, Rate.of(0, 10), Rate.of(10, 20))

    configured = MatchConfig(threshold=0.99, margin_bits=6.0)
    looser = render_report(metrics, operating_point=point(0.9, 6.0), config=configured, plots=False)
    assert 'id="looser-warning"' in looser and "threshold 0.9 below the configured 0.99" in looser
    margin = render_report(metrics, operating_point=point(0.999, 2.0), config=configured,
                           plots=False)  # fmt: skip
    assert "margin 2 bits below the configured 6 bits" in margin
    stricter = render_report(metrics, operating_point=point(0.999, 8.0), config=configured,
                             plots=False)  # fmt: skip
    assert "looser-warning" not in stricter and "Certified operating point" in stricter


def test_model_section_shows_every_level(audit_inputs) -> None:  # type: ignore[no-untyped-def]
    _, _, metrics, _, _ = audit_inputs
    assert "The model" not in render_report(metrics, plots=False)
    ctx = report_context(metrics, model=model(), plots=False)["model"]
    groups = {g["comparison"]: g for g in ctx["groups"]}
    assert set(groups) == {c.name.lower().replace("_", " ") for c in Comparison}
    for c in Comparison:
        g = groups[c.name.lower().replace("_", " ")]
        assert [lv["label"] for lv in g["levels"]] == [s.label for s in LEVELS[c]]
        assert g["source"] == ("prior" if c is Comparison.SUFFIX else "trained by EM")
    given = model().param(Comparison.GIVEN)
    assert groups["given"]["levels"][-1]["weight"] == f"{given.weights[-1]:+.1f}"
    assert ctx["prior"] == "about 1 in 10,000"


def test_values_are_escaped(audit_inputs) -> None:  # type: ignore[no-untyped-def]
    _, _, metrics, _, _ = audit_inputs
    page = render_report(metrics, inputs={"decisions": "<img src=x onerror=alert(1)>"},
                         plots=False)  # fmt: skip
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_template_ships_in_the_package() -> None:
    template = resources.files("xverify.audit").joinpath("templates", "report.html")
    assert template.is_file() and "autoescap" in template.read_text(encoding="utf-8")


def test_plots_render_one_idea_each(audit_inputs) -> None:  # type: ignore[no-untyped-def]
    from xverify.audit import plot_model, plot_outcomes, plot_strata, plot_threshold_curve

    _, _, metrics, table, _ = audit_inputs
    assert len(plot_outcomes(metrics).axes) == 1
    strata = plot_strata(metrics, "undermatch", top=5).axes[0]
    assert len(strata.get_yticklabels()) == 5
    curve = plot_threshold_curve(table, configured=(0.99, 6.0)).axes[0]
    # by default one line per margin in use (here the configured one): no overlapping curves
    assert len([ln for ln in curve.get_lines() if len(ln.get_xdata()) > 1]) == 1
    bars = plot_model(model()).axes[0]
    assert len(bars.patches) == sum(len(LEVELS[c]) for c in Comparison)
