"""Threshold/margin sweep, certification of an operating point, calibration table."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from xverify.audit import calibration_table, certify, sweep
from xverify.errors import ConfigError


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
    # c lacks an address, d stays REJECTED. b's runner-up (p 0.9798) passes every threshold up
    # to 0.9798, so b counts only above it; margins: a inf, b 1, e 7.2 bits
    assert s.loc[(0.5, 0.0), "n_verified"] == 2  # a, e
    assert s.loc[(0.5, 0.0), "wrong"] == 1  # e
    assert s.loc[(0.5, 0.0), "correct"] == 1
    assert s.loc[(0.5, 0.0), "verifiable"] == 4
    assert s.loc[(0.5, 0.0), "expected_wrong"] == pytest.approx(0.001 + 0.05)
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
    # stricter margins only remove disclosures (thresholds need not: a runner-up that passes a
    # low threshold blocks a request that a higher threshold lets through)
    for _, g in s.groupby("threshold"):
        assert (np.diff(g.sort_values("margin_bits")["n_verified"]) <= 0).all()
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


def test_sweep_matches_a_direct_count() -> None:
    """The cumulative-sum sweep against the rule applied row by row."""
    rng = np.random.default_rng(5)
    n = 400
    d, t = frames(n - 40, 0.99, 40, 0.99)
    d["probability"] = rng.uniform(0.4, 1.0, n)
    d["match_weight"] = rng.normal(8, 4, n)  # deliberately not the probability's log-odds
    d["runner_up_match_weight"] = np.where(rng.random(n) < 0.3, np.nan, rng.normal(4, 4, n))
    d["runner_up_probability"] = rng.uniform(0.0, 1.0, n)
    d["address_agrees"] = rng.random(n) < 0.8
    d.loc[rng.random(n) < 0.1, "outcome"] = "REJECTED"
    ts, ms = [0.5, 0.7, 0.9, 0.95], [0.0, 1.0, 4.0]
    s = sweep(d, t, thresholds=ts, margins=ms).set_index(["threshold", "margin_bits"])
    p = d["probability"].to_numpy()
    margin = np.where(
        d["runner_up_match_weight"].isna(),
        np.inf,
        d["match_weight"] - d["runner_up_match_weight"],
    )
    rp = d["runner_up_probability"].to_numpy()
    wrong = (d["tin"] != t["tin"]).to_numpy()
    base = (d["outcome"] != "REJECTED").to_numpy() & d["address_agrees"].to_numpy()
    for th in ts:
        for m in ms:
            v = base & (p >= th) & ~(rp >= th) & (margin >= m)
            assert s.loc[(th, m), "n_verified"] == v.sum()
            assert s.loc[(th, m), "wrong"] == (v & wrong).sum()
            assert s.loc[(th, m), "expected_wrong"] == pytest.approx((1 - p[v]).sum())
