"""Threshold/margin sweep, certification of an operating point, calibration table."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xverify.audit import calibration_table, certify, sweep
from xverify.config import MatchConfig
from xverify.errors import ConfigError
from xverify.matching.decide import Candidates, RequestEvidence, Requests, decide, outcomes
from xverify.matching.levels import MISSING, Comparison, Given, Surname


def frames(
    n_right: int, p_right: float, n_wrong: int, p_wrong: float, margin: float = 10.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n_right`` correct candidates at ``p_right``, ``n_wrong`` wrong ones at ``p_wrong``."""
    n = n_right + n_wrong
    p = np.r_[np.full(n_right, p_right), np.full(n_wrong, p_wrong)]
    mw = np.log2(p / (1 - p))
    d = pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in range(n)],
            "outcome": "VERIFIED",
            "tin": [f"T{i}" for i in range(n)],
            "probability": p,
            "match_weight": mw,
            "runner_up_match_weight": mw - margin,
            "address_agrees": True,
        }
    )
    t = pd.DataFrame(
        {
            "request_id": d["request_id"],
            "tin": [f"T{i}" if i < n_right else f"X{i}" for i in range(n)],
            "verifiable": np.arange(n) < n_right,
            "invalid": False,
        }
    )
    return d, t


def test_sweep_hand_case() -> None:
    d = pd.DataFrame(
        {
            "request_id": ["a", "b", "c", "d", "e"],
            "outcome": ["VERIFIED", "AMBIGUOUS", "NAME_ONLY", "REJECTED", "VERIFIED"],
            "tin": ["T1", "T2", "T3", "T4", "T5"],
            "probability": [0.999, 0.99, 0.9, 0.9999, 0.95],
            "match_weight": [10.0, 6.6, 3.2, 13.3, 4.2],
            "runner_up_match_weight": [np.nan, 5.6, np.nan, np.nan, -3.0],
            "address_agrees": [True, True, False, True, True],
        }
    )
    t = pd.DataFrame(
        {
            "request_id": list("abcde"),
            "tin": ["T1", "T2", "T3", "T4", "T9"],
            "verifiable": [True, True, True, True, False],
            "invalid": False,
        }
    )
    s = sweep(d, t, thresholds=[0.5, 0.98], margins=[0.0, 2.0]).set_index(
        ["threshold", "margin_bits"]
    )
    # c lacks an address, d stays REJECTED. Scores (the lower of share and pairwise
    # probability, as the matcher's rule holds them): a 0.999, b 0.9898, e 0.9484; margins: a inf,
    # b 1, e 7.2 bits
    assert s.loc[(0.5, 0.0), "n_verified"] == 3  # a, b, e
    assert s.loc[(0.5, 0.0), "wrong"] == 1  # e
    assert s.loc[(0.5, 0.0), "correct"] == 2
    assert s.loc[(0.5, 0.0), "verifiable"] == 4
    assert s.loc[(0.5, 0.0), "expected_wrong"] == pytest.approx(0.001 + 0.01 + 0.05)
    assert s.loc[(0.5, 2.0), "n_verified"] == 2
    assert s.loc[(0.98, 0.0), "n_verified"] == 2  # a, b
    assert s.loc[(0.98, 0.0), "wrong"] == 0
    assert s.loc[(0.98, 0.0), "correct"] == 2
    assert s.loc[(0.98, 2.0), "n_verified"] == 1  # b's margin is 1 bit


def test_sweep_margin_monotone_and_works_without_truth() -> None:
    rng = np.random.default_rng(3)
    d, t = frames(300, 0.999, 30, 0.9)
    d["probability"] = rng.uniform(0.5, 1.0, len(d))
    d["match_weight"] = np.log2(d["probability"] / (1 - d["probability"]))
    d["runner_up_match_weight"] = d["match_weight"] - rng.uniform(0, 12, len(d))
    s = sweep(d, t)
    # stricter margins and stricter thresholds only remove disclosures
    for _, g in s.groupby("threshold"):
        assert (np.diff(g.sort_values("margin_bits")["n_verified"]) <= 0).all()
    for _, g in s.groupby("margin_bits"):
        assert (np.diff(g.sort_values("threshold")["n_verified"]) <= 0).all()
    assert (s["n_verified"] >= s["wrong"]).all()
    s0 = sweep(d)
    assert s0["overmatch"].isna().all()
    assert (s0["n_verified"].to_numpy() == s["n_verified"].to_numpy()).all()


def test_certify_picks_loosest_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    d, t = frames(2000, 0.9999, 50, 0.95)
    op = certify(d, t, 0.01)
    # every threshold <= 0.95 lets the 50 wrong ones in; the lowest grid value above is chosen
    assert 0.95 < op.threshold <= 0.9999
    assert op.threshold == pytest.approx(1 - 10 ** (-1.5))
    assert op.margin_bits == 0.0
    assert op.n_verified == 2000
    assert op.overmatch.k == 0
    assert op.overmatch.high <= 0.01
    assert op.recall.k == 2000
    path = op.write(tmp_path / "op.json")
    cfg = json.loads(path.read_text())
    assert cfg["threshold"] == op.threshold
    assert cfg["margin_bits"] == 0.0
    assert cfg["certification"]["target_overmatch"] == 0.01
    from xverify.config import MatchConfig

    mc = MatchConfig.from_file(path)  # the matcher accepts the certified point as is
    assert (mc.threshold, mc.margin_bits) == (op.threshold, op.margin_bits)


def test_certify_uses_margin_when_threshold_cannot_separate() -> None:
    p = 1 - 1e-6
    d, t = frames(2000, p, 50, p)
    d.loc[:1999, "runner_up_match_weight"] = np.nan
    d.loc[2000:, "runner_up_match_weight"] = d.loc[2000:, "match_weight"] - 1.0
    op = certify(d, t, 0.01, thresholds=[p], margins=[0.0, 0.5, 1.0, 1.5, 2.0])
    assert (op.margin_bits, op.n_verified, op.overmatch.k) == (1.5, 2000, 0)


def test_runner_up_that_passes_blocks_verification() -> None:
    # wrong ones have a runner-up nearly as likely: below its probability they never verify
    d, t = frames(2000, 0.9999, 50, 0.9999)
    d.loc[2000:, "runner_up_match_weight"] = d.loc[2000:, "match_weight"] - 1.0
    op = certify(d, t, 0.01)
    assert op.threshold < 0.9999  # the 50 are excluded by their runner-up, not by t
    assert (op.n_verified, op.overmatch.k) == (2000, 0)


def test_certify_fails_when_target_is_out_of_reach() -> None:
    d, t = frames(2000, 0.9999, 50, 0.95)
    with pytest.raises(ConfigError, match="no \\(threshold, margin\\) setting"):
        certify(d, t, 1e-4)  # 2000 clean disclosures cannot certify 1e-4
    with pytest.raises(ConfigError):
        certify(d, t, 0.0)


def test_calibration_table() -> None:
    d, t = frames(90, 0.995, 10, 0.8)
    c = calibration_table(d, t)
    assert c["n"].sum() == 100
    row = c[(c["p_low"] <= 0.995) & (c["p_high"] > 0.995)].iloc[0]
    assert row["n"] == 90
    assert row["observed_wrong"] == 0
    assert row["expected_wrong"] == pytest.approx(90 * 0.005)
    row = c[(c["p_low"] <= 0.8) & (c["p_high"] > 0.8)].iloc[0]
    assert (row["n"], row["observed_wrong"]) == (10, 10)
    assert math.isclose(row["mean_probability"], 0.8)


@st.composite
def scored_batches(draw: st.DrawFn) -> tuple[Requests, Candidates]:
    """Random requests with random candidate pairs (persons, years, weights, address, veto)."""
    n = draw(st.integers(1, 12))
    pairs = draw(st.integers(0, 40))
    ints = st.integers
    weight = st.floats(-20.0, 40.0, allow_nan=False)
    rows = draw(
        st.lists(
            st.tuples(ints(0, n - 1), ints(0, 5), ints(0, 63), weight, weight, st.booleans(),
                      st.booleans(), ints(MISSING, Given.ALL_EXACT),
                      ints(MISSING, Surname.ALL_EXACT)),
            min_size=pairs, max_size=pairs,
        )
    )  # fmt: skip
    accepted = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    requests = Requests(
        request_id=np.array([f"R{i}" for i in range(n)], dtype=object),
        accepted=accepted,
        reason=np.where(accepted, "", "NO_STATUTE").astype(object),
        span_mask=np.array(draw(st.lists(ints(1, 63), min_size=n, max_size=n)), np.uint32),
        given_on_file=np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))),
    )
    a = np.array(rows, dtype=object).reshape(-1, 9)
    levels = np.full((len(a), len(Comparison)), MISSING, np.int8)
    levels[:, Comparison.GIVEN] = a[:, 7].astype(np.int8)
    levels[:, Comparison.SURNAME] = a[:, 8].astype(np.int8)
    candidates = Candidates(
        request=a[:, 0].astype(np.int64),
        person=a[:, 1].astype(np.int64),
        years=a[:, 2].astype(np.uint32),
        weight=a[:, 3].astype(float),
        name_weight=a[:, 4].astype(float),
        address_agrees=a[:, 5].astype(bool),
        levels=levels,
        vetoed=a[:, 6].astype(bool),
    )
    return requests, candidates


@given(
    batch=scored_batches(),
    threshold=st.floats(0.5, 0.999999),
    margin=st.floats(0.0, 12.0),
)
def test_sweep_and_policy_run_the_matchers_rule(
    batch: tuple[Requests, Candidates], threshold: float, margin: float
) -> None:
    """One rule: the sweep's VERIFIED at (threshold, margin), and the replayed xverify policy,
    equal ``decide`` run with that threshold and margin, row for row."""
    requests, candidates = batch
    tins = np.array([f"T{i}" for i in range(6)], dtype=object)
    names = [c.name.lower() for c in Comparison]
    decisions = decide(requests, candidates, tins, names, MatchConfig(), 2019)
    config = MatchConfig(threshold=threshold, margin_bits=margin)
    want = decide(requests, candidates, tins, names, config, 2019)["outcome"].to_numpy()
    verified = want == "VERIFIED"
    replayed = outcomes(RequestEvidence.from_decisions(decisions), config)
    assert (replayed == want).all()
    for row in range(len(decisions)):
        one = sweep(decisions.iloc[[row]], thresholds=[threshold], margins=[margin])
        assert one["n_verified"].item() == verified[row]
    total = sweep(decisions, thresholds=[threshold], margins=[margin])["n_verified"].item()
    assert total == verified.sum()
