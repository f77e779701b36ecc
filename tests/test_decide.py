"""The decision rule on hand-made candidate evidence: each outcome of DESIGN.md section 4."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xverify.config import MatchConfig
from xverify.decide import Candidates, Requests, decide
from xverify.outcomes import Outcome

TINS = np.array(["000-00-0001", "000-00-0002", "000-00-0003"], dtype=object)
ALL_YEARS = np.uint32(0b111111)  # 2019..2024
FIRST = 2019


def run(
    pairs: list[tuple[int, int, int, float, float, bool]],
    n: int = 1,
    *,
    span: np.uint32 = ALL_YEARS,
    vetoed: list[bool] | None = None,
    **cfg: float,
):
    """pairs: (request, person, years mask, weight, name_weight, address_agrees); ``span``
    the requested years of every request, ``vetoed`` per pair."""
    req = Requests(
        request_id=np.array([f"R{i}" for i in range(n)], dtype=object),
        accepted=np.ones(n, dtype=bool),
        reason=np.full(n, "", dtype=object),
        span_mask=np.full(n, span, dtype=np.uint32),
    )
    arr = np.array(pairs, dtype=object).reshape(-1, 6)
    cand = Candidates(
        request=arr[:, 0].astype(np.int64),
        person=arr[:, 1].astype(np.int64),
        years=arr[:, 2].astype(np.uint32),
        weight=arr[:, 3].astype(float),
        name_weight=arr[:, 4].astype(float),
        address_agrees=arr[:, 5].astype(bool),
        levels=np.zeros((len(arr), 2), dtype=np.int8),
        vetoed=None if vetoed is None else np.array(vetoed, dtype=bool),
    )
    return decide(req, cand, TINS, ["name", "address"], MatchConfig(**cfg), FIRST)


def test_one_clear_person_is_verified() -> None:
    d = run([(0, 0, 0b100000, 25.0, 15.0, True), (0, 1, 0b100000, 5.0, 3.0, True)])
    row = d.iloc[0]
    assert row.outcome == Outcome.VERIFIED and row.tin == "000-00-0001"
    assert row.address_year == 2024 and row.address_agrees
    assert row.probability > 0.99 and row.runner_up_match_weight == 5.0


def test_jr_and_sr_at_one_address_without_distinguishing_evidence_are_ambiguous() -> None:
    d = run([(0, 0, 0b111111, 25.0, 15.0, True), (0, 1, 0b111111, 25.0, 15.0, True)])
    assert d.iloc[0].outcome == Outcome.AMBIGUOUS


def test_margin_is_required_even_when_the_other_has_no_address_agreement() -> None:
    d = run([(0, 0, 0b000001, 20.0, 12.0, True), (0, 1, 0b000001, 17.0, 12.0, False)])
    assert d.iloc[0].outcome == Outcome.AMBIGUOUS
    d = run(
        [(0, 0, 0b000001, 20.0, 12.0, True), (0, 1, 0b000001, 17.0, 12.0, False)], margin_bits=2
    )
    assert d.iloc[0].outcome == Outcome.AMBIGUOUS  # the runner-up itself passes 0.99
    d = run([(0, 0, 0b000001, 20.0, 12.0, True), (0, 1, 0b000001, 5.0, 12.0, False)])
    assert d.iloc[0].outcome == Outcome.VERIFIED


def test_address_outside_the_period_gives_name_only() -> None:
    pair = (0, 0, 0b000011, 25.0, 15.0, True)  # address on file 2019-2020
    assert run([pair]).iloc[0].outcome == Outcome.VERIFIED
    out = run([pair], span=np.uint32(0b110000))  # 2023-2024 asked
    assert out.iloc[0].outcome == Outcome.NAME_ONLY and not out.iloc[0].address_agrees


def test_name_match_with_disagreeing_address_is_name_only_and_weak_name_is_no_match() -> None:
    assert run([(0, 0, 0b1, 12.0, 12.0, False)]).iloc[0].outcome == Outcome.NAME_ONLY
    assert run([(0, 0, 0b1, 3.0, 2.0, False)]).iloc[0].outcome == Outcome.NO_MATCH


def test_below_threshold_is_not_verified() -> None:
    d = run([(0, 0, 0b1, 5.0, 4.0, True)])  # p = 0.97
    assert d.iloc[0].outcome != Outcome.VERIFIED


def test_request_without_candidates_is_no_match() -> None:
    d = run([(0, 0, 0b1, 25.0, 15.0, True)], n=2)
    assert list(d.outcome) == [Outcome.VERIFIED, Outcome.NO_MATCH]
    assert pd.isna(d.iloc[1].tin) and d.iloc[1].n_candidates == 0


def test_rejected_requests_stay_rejected_and_carry_no_evidence() -> None:
    req = Requests(
        np.array(["A", "B"], dtype=object),
        np.array([False, True]),
        np.array(["ZIP_ONLY", ""], dtype=object),
        np.array([ALL_YEARS] * 2, np.uint32),
    )
    cand = Candidates(
        np.array([0, 1]),
        np.array([0, 1]),
        np.array([1, 1], np.uint32),
        np.array([30.0, 30.0]),
        np.array([15.0, 15.0]),
        np.array([True, True]),
        np.zeros((2, 1), np.int8),
    )
    d = decide(req, cand, TINS, ["x"], MatchConfig(), FIRST)
    assert list(d.outcome) == [Outcome.REJECTED, Outcome.VERIFIED]
    assert d.iloc[0].reason == "ZIP_ONLY" and pd.isna(d.iloc[0].tin)
    assert np.isnan(d.iloc[0].probability)


@pytest.mark.parametrize("seed", range(5))
def test_decisions_do_not_depend_on_pair_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pairs = [
        (int(r), int(p), int(rng.integers(1, 64)), float(w), float(w) / 2, bool(a))
        for r, p, w, a in zip(
            rng.integers(0, 4, 30),
            rng.integers(0, 3, 30),
            rng.normal(10, 8, 30),
            rng.random(30) < 0.6,
            strict=True,
        )
    ]
    a = run(pairs, n=4)
    b = run([pairs[i] for i in rng.permutation(len(pairs))], n=4)
    assert a.equals(b)


def test_a_vetoed_pair_is_never_verified_however_high_its_weight() -> None:
    """JR asked, a Sr. (or no suffix) on file: a rare name must not outweigh the suffix."""
    pair = (0, 0, 1, 40.0, 30.0, True)
    assert run([pair], vetoed=[False]).iloc[0].outcome == Outcome.VERIFIED
    d = run([pair], vetoed=[True])
    assert d.iloc[0].outcome == Outcome.NAME_ONLY and not d.iloc[0].address_agrees
