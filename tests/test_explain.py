"""Explanations: the chosen person's terms sum to its match weight and name no register value."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from xverify import LinkageSecret, MatchConfig, Verifier, encode_requests, read_submissions
from xverify.cli import main
from xverify.explain import REST, explain, why_counts
from xverify.matching.levels import Comparison

SAMPLE = Path(__file__).resolve().parent.parent / "synthetic_data"
KEY = LinkageSecret(hashlib.sha256(b"xverify tests/test_explain.py").digest())


@pytest.fixture(scope="module")
def verifier(tmp_path_factory: pytest.TempPathFactory) -> Verifier:
    cache = tmp_path_factory.mktemp("cache")
    return Verifier(SAMPLE / "register", KEY, MatchConfig(), log=None, cache_dir=cache)


@pytest.fixture(scope="module")
def matched(verifier: Verifier):  # type: ignore[no-untyped-def]
    table, _ = encode_requests(read_submissions(SAMPLE / "hard" / "submissions.csv"), KEY)
    return verifier.match(table)


def test_terms_sum_to_the_match_weight_for_every_outcome(matched) -> None:  # type: ignore[no-untyped-def]
    d = matched.decisions
    for outcome, group in d[d["match_weight"].notna()].groupby("outcome"):
        request_id = group["request_id"].iloc[0]
        e = explain(d, matched.model, request_id)
        assert e.outcome == outcome
        assert list(e.terms["term"]) == ["prior", *(c.name.lower() for c in Comparison), REST]
        assert e.terms["bits"].sum() == pytest.approx(e.match_weight, abs=1e-9)
        # the per-comparison bits are the model's weights at the decision's levels
        given = e.terms.set_index("term").loc["given"]
        level = int(group["level_given"].iloc[0])
        if level >= 0:
            assert given["bits"] == pytest.approx(
                matched.model.param(Comparison.GIVEN).weights[level]
            )


def test_an_undisclosed_decision_says_what_failed(matched) -> None:  # type: ignore[no-untyped-def]
    d = matched.decisions
    row = d[(d["outcome"] != "VERIFIED") & (d["outcome"] != "REJECTED")].iloc[0]
    text = "\n".join(explain(d, matched.model, row["request_id"]).lines())
    assert row["reason"] and row["reason"] in text
    counts = why_counts(d)
    assert counts["requests"].is_monotonic_decreasing
    assert counts["requests"].sum() == (d["outcome"] != "VERIFIED").sum()


def test_cli_explains_from_the_run_folder_without_register_values(
    matched,
    verifier: Verifier,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    d = matched.identified(verifier.encoded_register().tins)  # as verify() writes them
    d.to_parquet(tmp_path / "decisions.parquet", index=False)
    matched.model.save(tmp_path / "model.json")
    verified = d[d["outcome"] == "VERIFIED"].iloc[0]
    main(["explain", str(tmp_path), verified["request_id"]])
    out = capsys.readouterr().out
    assert "VERIFIED" in out and "match weight" in out
    assert verified["tin"] not in out
    assert not np.isnan(verified["match_weight"])


def test_the_waterfall_has_one_bar_per_term(matched) -> None:  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    d = matched.decisions
    verified = d[d["outcome"] == "VERIFIED"].iloc[0]
    e = explain(d, matched.model, verified["request_id"])
    ax = e.plot()
    assert len(ax.patches) == len(e.terms)
    # the last bar ends at the match weight
    last = ax.patches[-1]
    assert last.get_x() + last.get_width() == pytest.approx(e.match_weight)
