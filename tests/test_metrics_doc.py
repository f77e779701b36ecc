"""docs/metrics.md documents the keys metrics.json really has: every key the audit writes is in
the docs, and every documented key is written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from test_audit_cli import synthetic
from xverify.audit import calibration_table, certify, compute_metrics, replay, sweep
from xverify.audit.report import metrics_document

DOC = (Path(__file__).resolve().parent.parent / "docs" / "metrics.md").read_text()


def section(heading: str) -> str:
    """The text under a markdown heading, up to the next heading of any level."""
    start = DOC.index(f"\n{heading}\n") + len(heading) + 2
    end = re.search(r"\n#{2,} ", DOC[start:])
    return DOC[start : start + end.start()] if end else DOC[start:]


def table_keys(heading: str) -> set[str]:
    """The backticked names in the first column of the section's table."""
    keys: set[str] = set()
    for line in section(heading).splitlines():
        if line.startswith("| `"):
            keys |= set(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return keys


def listed(text: str) -> set[str]:
    return set(re.findall(r"`([a-z_]+)`", text))


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    from test_audit_policies import evidence, truth

    d, t = synthetic(1500, seed=8)
    table = sweep(d, t)
    return metrics_document(
        compute_metrics(d, t),
        sweep_table=table,
        calibration=calibration_table(d, t),
        operating_point=certify(d, t, 0.05, table=table),
        replay=replay(evidence(), truth(), "name-zip,exact,xverify"),
        inputs={"decisions": "d.parquet", "truth": "t.parquet"},
    )


def top(keys: set[str]) -> set[str]:
    return {k.split(".")[0] for k in keys}


def test_top_level_keys(doc: dict[str, Any]) -> None:
    assert top(table_keys("## Top level")) == set(doc)


def test_label_free_keys(doc: dict[str, Any]) -> None:
    assert table_keys("## `label_free` — expected wrong disclosures without truth") == set(
        doc["label_free"]
    )


def test_truth_keys(doc: dict[str, Any]) -> None:
    keys = table_keys("## `truth`")
    assert top(keys) == set(doc["truth"])
    rejection = {k.split(".")[1] for k in keys if k.startswith("rejection.")}
    assert rejection == set(doc["truth"]["rejection"])
    outcome = next(iter(doc["truth"]["per_outcome"].values()))
    row = next(ln for ln in section("## `truth`").splitlines() if "`per_outcome." in ln)
    assert set(outcome) == listed(row.split("|")[3])
    reason = next(iter(doc["truth"]["rejection"]["by_reason"].values()))
    row = next(ln for ln in section("## `truth`").splitlines() if "`rejection.by_reason" in ln)
    assert set(reason) == listed(row.split("|")[3])


def test_strata_keys(doc: dict[str, Any]) -> None:
    text = section("### `truth.strata` — by stratum")
    stratum = doc["truth"]["strata"][0]
    assert set(stratum) == set(re.findall(r'"([a-z]+)"', text.split("\n\n")[0]))
    rates = text[text.index("`rates` has") : text.index("(definitions as above)")]
    assert set(stratum["rates"]) == listed(rates) - {"rates"}
    flagged = text[text.index("`comparisons.<metric>`") : text.index("`p_value`")]
    compared = {m for s in doc["truth"]["strata"] for m in s["comparisons"]}
    assert compared == listed(flagged) - {"rest"}
    assert set(next(iter(stratum["comparisons"].values()))) == {"rest", "p_value", "worse"}


def test_sweep_calibration_and_replay_columns(doc: dict[str, Any]) -> None:
    sweep_text = section("## `thresholds` — the sweep")
    columns = sweep_text[sweep_text.index("`threshold`, `margin_bits`") :]
    columns = columns[: columns.index("(null without truth)")]
    assert set(doc["thresholds"][0]) == listed(columns)
    # the report grid the docs name, exactly (no near-grid threshold such as 0.9999982)
    grid = re.search(r"t ∈ \{([^}]*)\}, m ∈ \{([^}]*)\}", sweep_text)
    assert grid is not None
    assert {r["threshold"] for r in doc["thresholds"]} == {
        float(t) for t in grid.group(1).replace("…", "0.99, 0.999, 0.9999, 0.99999").split(",")
    }
    assert {r["margin_bits"] for r in doc["thresholds"]} == {
        float(m) for m in grid.group(2).split(",")
    }
    per_bin = section("## `calibration`")
    assert set(doc["calibration"][0]) == listed(per_bin[per_bin.index("Per bin:") :])
    row = doc["replay"]["policies"][0]
    assert top(table_keys("## `replay` — policy replay")) == set(row)


def test_operating_point_keys(doc: dict[str, Any]) -> None:
    example = section("## `operating_point` / `operating_point.json`")
    assert set(re.findall(r'"([a-z_]+)":', example)) == set(doc["operating_point"]) | set(
        doc["operating_point"]["certification"]
    )
