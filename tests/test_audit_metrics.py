"""Audit metrics: Wilson intervals, Fisher test, hand-computed rates, and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xverify.audit import Rate, check_truth, compute_metrics, fisher_greater, wilson
from xverify.audit.metrics import LabelFreeEstimate, strata_tags
from xverify.errors import InputError
from xverify.outcomes import Outcome

# ---------------------------------------------------------------- intervals


def test_wilson_hand_values() -> None:
    low, high = wilson(0, 10)
    assert low == 0.0
    assert high == pytest.approx(0.27753, abs=5e-5)
    assert wilson(5, 10) == pytest.approx((0.23659, 0.76341), abs=5e-5)
    # k=1, n=4 by hand: centre (0.25 + z²/8)/(1 + z²/4), half-width z/(1+z²/4)·√(p(1−p)/n + z²/4n²)
    assert wilson(1, 4) == pytest.approx((0.04559, 0.69936), abs=5e-5)
    low, high = wilson(10, 10)
    assert high == 1.0
    assert low == pytest.approx(1 - 0.27753, abs=5e-5)
    assert wilson(0, 0) == (0.0, 1.0)


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_rate_json_and_complement() -> None:
    r = Rate.of(5, 10)
    assert r.to_dict() == {"k": 5, "n": 10, "value": 0.5, "low": r.low, "high": r.high}
    assert Rate.of(0, 0).to_dict()["value"] is None
    assert Rate.of(3, 10).complement().k == 7


@given(st.integers(0, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
@settings(max_examples=150)
def test_wilson_contains_point(kn: tuple[int, int]) -> None:
    k, n = kn
    r = Rate.of(k, n)
    assert 0.0 <= r.low <= r.high <= 1.0
    if n:
        assert r.low <= r.value <= r.high


def _fisher_brute(k1: int, n1: int, k2: int, n2: int) -> float:
    total, events = n1 + n2, k1 + k2
    den = math.comb(total, n1)
    return (
        sum(
            math.comb(events, x) * math.comb(total - events, n1 - x)
            for x in range(k1, min(events, n1) + 1)
        )
        / den
    )


def test_fisher_hand_value() -> None:
    # all 3 events in the 3-person stratum: p = 1 / C(6, 3)
    assert fisher_greater(3, 3, 0, 3) == pytest.approx(0.05)
    assert fisher_greater(0, 5, 3, 5) == 1.0


@given(
    st.integers(0, 25).flatmap(lambda n1: st.tuples(st.integers(0, n1), st.just(n1))),
    st.integers(1, 25).flatmap(lambda n2: st.tuples(st.integers(0, n2), st.just(n2))),
)
@settings(max_examples=80)
def test_fisher_matches_brute_force(g1: tuple[int, int], g2: tuple[int, int]) -> None:
    (k1, n1), (k2, n2) = g1, g2
    p = fisher_greater(k1, n1, k2, n2)
    assert 0.0 <= p <= 1.0
    if n1 and k1 + k2:
        assert p == pytest.approx(_fisher_brute(k1, n1, k2, n2), rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------- hand-computed metrics


def hand_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nine requests whose every metric is worked out in the test below."""
    rows = [
        # id, outcome, reason, tin, p, agrees | truth tin, verifiable, invalid, kind, origin, noise
        ("a", "VERIFIED", "", "T1", 0.99, True, "T1", True, False, None, "hispanic", "typo"),
        ("b", "VERIFIED", "", "T2", 0.90, False, "T9", False, False, None, "hispanic", ""),
        ("c", "VERIFIED", "", "T3", 0.80, True, None, False, False, None, "hispanic", "typo;swap"),
        ("d", "NAME_ONLY", "", "T4", 0.70, False, "T4", True, False, None, "hispanic", ""),
        ("e", "AMBIGUOUS", "", "T5", 0.60, True, "T5", True, False, None, "other", ""),
        ("f", "REJECTED", "zip_only", None, None, None, "T6", False, True, "zip_only", "other", ""),
        ("g", "REJECTED", "no_period", None, None, None, "T7", True, False, None, "other", ""),
        ("h", "NO_MATCH", "", None, None, False, None, False, False, None, "other", "swap"),
        ("i", "VERIFIED", "", "T8", 0.95, True, "T8", False, True, "no_statute", "other", ""),
    ]
    d = pd.DataFrame(
        {
            "request_id": [r[0] for r in rows],
            "outcome": [r[1] for r in rows],
            "reason": [r[2] for r in rows],
            "tin": [r[3] for r in rows],
            "probability": [r[4] for r in rows],
            "match_weight": [None if r[4] is None else math.log2(r[4] / (1 - r[4])) for r in rows],
            "runner_up_match_weight": [None] * len(rows),
            "address_agrees": [r[5] for r in rows],
        }
    )
    t = pd.DataFrame(
        {
            "request_id": [r[0] for r in rows],
            "tin": [r[6] for r in rows],
            "in_register": [r[6] is not None for r in rows],
            "verifiable": [r[7] for r in rows],
            "invalid": [r[8] for r in rows],
            "invalid_kind": [r[9] for r in rows],
            "name_origin": [r[10] for r in rows],
            "noise": [r[11] for r in rows],
        }
    )
    return d, t


def test_hand_computed_metrics() -> None:
    d, t = hand_frames()
    m = compute_metrics(d, t)
    assert m.n_requests == 9
    assert {k: v.k for k, v in m.outcomes.items()} == {
        "REJECTED": 2,
        "NO_MATCH": 1,
        "NAME_ONLY": 1,
        "AMBIGUOUS": 1,
        "VERIFIED": 4,
    }
    tm = m.truth
    assert tm is not None
    assert (tm.overmatch_per_verified.k, tm.overmatch_per_verified.n) == (2, 4)
    assert (tm.overmatch_per_request.k, tm.overmatch_per_request.n) == (2, 9)
    assert (tm.wrong_person, tm.not_in_register) == (1, 1)
    assert (m.address_unconfirmed.k, m.address_unconfirmed.n) == (1, 4)
    assert (tm.recall.k, tm.recall.n) == (1, 4)
    assert (tm.undermatch.k, tm.undermatch.n) == (3, 4)
    assert (tm.name_only_share.k, tm.ambiguous_share.k) == (1, 1)
    rej = tm.rejection
    assert (rej.invalid_rejected.k, rej.invalid_rejected.n) == (1, 2)
    assert (rej.valid_rejected.k, rej.valid_rejected.n) == (1, 7)
    assert (rej.invalid_disclosed.k, rej.invalid_disclosed.n) == (1, 2)
    assert rej.by_reason["no_period"].wrongly_rejected.k == 1
    assert rej.by_reason["no_period"].of_valid.n == 7
    assert rej.by_reason["zip_only"].wrongly_rejected.k == 0
    assert rej.by_invalid_kind["zip_only"].k == 1
    assert rej.by_invalid_kind["no_statute"].k == 0
    assert tm.per_outcome["VERIFIED"].correct_tin.k == 2
    lf = m.label_free
    assert lf.expected_wrong == pytest.approx(0.01 + 0.10 + 0.20 + 0.05)
    assert lf.sd == pytest.approx(math.sqrt(0.0099 + 0.09 + 0.16 + 0.0475))
    assert lf.observed_wrong == 2
    strata = {(s.tag, s.value): s for s in tm.strata}
    hisp = strata[("name_origin", "hispanic")]
    assert hisp.n == 4
    assert (hisp.rates["overmatch_per_verified"].k, hisp.rates["overmatch_per_verified"].n) == (
        2,
        3,
    )
    assert hisp.comparisons["overmatch_per_request"].rest.k == 0
    assert strata[("noise:typo", "true")].n == 2
    assert strata[("noise:swap", "true")].n == 2
    assert strata[("noise:any", "false")].n == 6


def test_without_truth() -> None:
    d, _ = hand_frames()
    m = compute_metrics(d)
    assert m.truth is None
    assert m.label_free.observed_wrong is None
    assert m.to_dict()["truth"] is None
    assert list(m.headline()["metric"]) == ["address_unconfirmed"]


def test_flags_a_clearly_worse_stratum() -> None:
    rng = np.random.default_rng(7)
    n = 400
    hisp = np.arange(n) < 200
    wrong = np.where(hisp, rng.random(n) < 0.3, rng.random(n) < 0.01)
    d = pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in range(n)],
            "outcome": "VERIFIED",
            "tin": [f"T{i}" for i in range(n)],
            "probability": 0.99,
            "match_weight": 6.6,
            "runner_up_match_weight": np.nan,
            "address_agrees": True,
        }
    )
    t = pd.DataFrame(
        {
            "request_id": d["request_id"],
            "tin": [f"X{i}" if w else f"T{i}" for i, w in enumerate(wrong)],
            "verifiable": ~wrong,
            "invalid": False,
            "name_origin": np.where(hisp, "hispanic", "other"),
        }
    )
    m = compute_metrics(d, t)
    assert m.truth is not None
    by = {(s.tag, s.value): s for s in m.truth.strata}
    assert "overmatch_per_verified" in by[("name_origin", "hispanic")].worse
    assert by[("name_origin", "other")].worse == ()


def test_label_free_conservative_bound_brackets_calibrated_truth() -> None:
    rng = np.random.default_rng(11)
    p = 1.0 - rng.beta(0.5, 40.0, size=5000)
    wrong = int((rng.random(p.size) > p).sum())
    lf = LabelFreeEstimate.from_probabilities(p, observed_wrong=wrong)
    assert lf.low_conservative <= lf.low <= lf.expected_wrong <= lf.high <= lf.high_conservative
    assert lf.brackets_conservative


# ---------------------------------------------------------------- properties

_OUTCOMES = [o.value for o in Outcome]
row = st.tuples(
    st.sampled_from(_OUTCOMES),
    st.sampled_from(["T1", "T2", "T3", None]),  # candidate
    st.sampled_from(["T1", "T2", "T3", None]),  # truth
    st.floats(0.0, 1.0),
    st.booleans(),  # address agrees
    st.booleans(),  # verifiable
    st.booleans(),  # invalid
    st.sampled_from(["hispanic", "other", None]),
    st.sampled_from(["", "typo", "typo;swap", "drop"]),
    st.integers(0, 9),
)


@given(st.lists(row, min_size=1, max_size=40))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_metric_properties(rows: list[tuple]) -> None:
    outcome = [r[0] for r in rows]
    cand = [r[1] if (r[0] != "VERIFIED" or r[1]) else "T1" for r in rows]
    d = pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in range(len(rows))],
            "outcome": outcome,
            "tin": cand,
            "probability": [r[3] for r in rows],
            "match_weight": 0.0,
            "runner_up_match_weight": np.nan,
            "address_agrees": [r[4] for r in rows],
        }
    )
    t = pd.DataFrame(
        {
            "request_id": d["request_id"],
            "tin": [r[2] for r in rows],
            "verifiable": [r[5] for r in rows],
            "invalid": [r[6] for r in rows],
            "name_origin": [r[7] for r in rows],
            "noise": [r[8] for r in rows],
            "name_decile": [r[9] for r in rows],
        }
    )
    m = compute_metrics(d, t)
    n = len(rows)
    assert sum(r.k for r in m.outcomes.values()) == n
    tm = m.truth
    assert tm is not None
    assert tm.recall.k + tm.undermatch.k == tm.recall.n
    assert tm.wrong_person + tm.not_in_register == tm.overmatch_per_verified.k
    assert sum(b.count for b in tm.per_outcome.values()) == n

    def check(r: Rate) -> None:
        assert 0 <= r.k <= r.n
        assert 0.0 <= r.low <= r.high <= 1.0
        if r.n:
            assert r.low - 1e-12 <= r.value <= r.high + 1e-12

    for r in [tm.overmatch_per_verified, tm.overmatch_per_request, tm.recall, *m.outcomes.values()]:
        check(r)
    by_tag: dict[str, list] = {}
    for s in tm.strata:
        by_tag.setdefault(s.tag, []).append(s)
        for r in s.rates.values():
            check(r)
        for c in s.comparisons.values():
            assert 0.0 <= c.p_value <= 1.0
    assert set(by_tag) == set(strata_tags(check_truth(t)))
    for strata in by_tag.values():  # each tag's values partition the requests
        assert sum(s.n for s in strata) == n
        assert sum(s.rates["overmatch_per_request"].k for s in strata) == tm.overmatch_per_request.k
        assert sum(s.rates["recall"].n for s in strata) == tm.recall.n


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (lambda d, t: (d.iloc[:0], t), "no rows"),
        (lambda d, t: (d.drop(columns=["address_agrees"]), t), "missing column(s) address_agrees"),
        (lambda d, t: (d.assign(outcome=d["outcome"].replace("NO_MATCH", "MAYBE")), t), "unknown"),
        (lambda d, t: (pd.concat([d, d.iloc[[0]]]), t), "duplicate request_id"),
        (lambda d, t: (d.iloc[1:], t), "do not cover the same requests"),
        (lambda d, t: (d, t.iloc[1:]), "do not cover the same requests"),
        (lambda d, t: (d, t.drop(columns=["verifiable"])), "missing column(s) verifiable"),
        (lambda d, t: (d.assign(probability=d["probability"] * 2), t), "outside [0, 1]"),
    ],
)
def test_bad_input(mutate, needle: str) -> None:  # type: ignore[no-untyped-def]
    d, t = hand_frames()
    d, t = mutate(d, t)
    with pytest.raises(InputError) as err:
        compute_metrics(d, t)
    assert needle in str(err.value)
    for tin in ("T1", "T2", "T9"):
        assert tin not in str(err.value)
