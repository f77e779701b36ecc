"""The decision rule on hand-made candidate evidence: each outcome of DESIGN.md section 4."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xverify.config import MatchConfig
from xverify.matching.decide import (
    HOME_PRIOR_PAIRS,
    HOME_PRIOR_RATE,
    Candidates,
    Household,
    Requests,
    decide,
    estimate_housemates,
    housemate_rates,
)
from xverify.matching.levels import MISSING, Address, BirthDate, Comparison, Given, Surname
from xverify.outcomes import Outcome, Why

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
        levels=name_levels(len(arr)),
        vetoed=None if vetoed is None else np.array(vetoed, dtype=bool),
    )
    return decide(req, cand, TINS, NAMES, MatchConfig(**cfg), FIRST)


NAMES = [c.name.lower() for c in Comparison]


def decide_one(levels: np.ndarray, weight: float, given_on_file: bool | None = None) -> pd.Series:
    """The decision of one request with one candidate at an agreeing address on file."""
    req = Requests(
        request_id=np.array(["R0"], dtype=object),
        accepted=np.ones(1, dtype=bool),
        reason=np.full(1, "", dtype=object),
        span_mask=np.full(1, ALL_YEARS, dtype=np.uint32),
        given_on_file=None if given_on_file is None else np.array([given_on_file]),
    )
    cand = Candidates(
        request=np.zeros(1, np.int64),
        person=np.zeros(1, np.int64),
        years=np.full(1, ALL_YEARS, np.uint32),
        weight=np.array([weight]),
        name_weight=np.array([weight / 2]),
        address_agrees=np.ones(1, bool),
        levels=levels,
    )
    return decide(req, cand, TINS, NAMES, MatchConfig(), FIRST).iloc[0]


def name_levels(n: int, given: np.ndarray | int = Given.ALL_EXACT) -> np.ndarray:
    """Levels of ``n`` pairs: names exact (or the ``given`` levels), address exact, the rest
    missing."""
    levels = np.full((n, len(Comparison)), MISSING, np.int8)
    levels[:, Comparison.GIVEN] = given
    levels[:, Comparison.SURNAME] = Surname.ALL_EXACT
    levels[:, Comparison.ADDRESS] = Address.EXACT
    return levels


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
        name_levels(2),
    )
    d = decide(req, cand, TINS, NAMES, MatchConfig(), FIRST)
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


GIVEN_M = np.array([0.01, 0.075, 0.025, 0.065, 0.02, 0.805])  # m per given level, top = exact
GIVEN_U = np.array([0.988, 0.005, 0.001, 0.002, 0.001, 0.003])  # random pairs


def run_homes(target_level: int, others: list[int]) -> pd.DataFrame:
    """Request 0 has one candidate at home at given level ``target_level``; request ``r`` >= 1
    one at ``others[r - 1]``. Every request also reaches a co-resident whose given name differs
    (level 0): the register's households."""
    levels = [target_level, *others]
    n = len(levels)
    rows = []
    for r, g in enumerate(levels):
        rows.append((r, 2 * r, 25.0 if g > 0 else 8.0, g))
        rows.append((r, 2 * r + 1, 0.0, 0))  # the co-resident
    arr = np.array(rows)
    req = Requests(
        request_id=np.array([f"R{i}" for i in range(n)], dtype=object),
        accepted=np.ones(n, dtype=bool),
        reason=np.full(n, "", dtype=object),
        span_mask=np.full(n, ALL_YEARS, dtype=np.uint32),
    )
    given = arr[:, 3].astype(np.int8)
    cand = Candidates(
        request=arr[:, 0].astype(np.int64),
        person=arr[:, 1].astype(np.int64),
        years=np.full(len(arr), ALL_YEARS, np.uint32),
        weight=arr[:, 2],
        name_weight=arr[:, 2] - 10.0,
        address_agrees=np.ones(len(arr), bool),
        levels=name_levels(len(arr), given),
        household=Household(
            at_home=np.ones(len(arr), bool),
            given=given,
            suffixed=np.zeros(len(arr), bool),
            personal_bits=np.zeros(len(arr)),
            given_m=GIVEN_M,
            given_u=GIVEN_U,
        ),
    )
    tins = np.array([f"T{i}" for i in range(2 * n)], dtype=object)
    # the model is trained on these very requests: its household rates are theirs
    return decide(req, cand, tins, NAMES, MatchConfig(), FIRST, estimate_housemates(req, cand))


def test_a_near_spelled_name_at_a_home_with_many_unregistered_residents_is_withheld() -> None:
    """MICHELLE asked where MICHAEL is on file: a typo if nobody unregistered is ever asked
    about at registered homes, but not beyond doubt when half the requests reaching a home name
    none of its residents. The exact name stays VERIFIED in both batches."""
    quiet = [5] * 600
    busy = [0] * 1500 + [5] * 1500
    assert run_homes(1, quiet).iloc[0].outcome == Outcome.VERIFIED
    typo = run_homes(1, busy).iloc[0]
    assert typo.outcome == Outcome.AMBIGUOUS and typo.housemate_probability > 0.01
    exact = run_homes(5, busy).iloc[0]
    assert exact.outcome == Outcome.VERIFIED and exact.housemate_probability < 0.01


def test_housemate_rates_are_upper_bounds_of_the_batch_estimates() -> None:
    """700 requests name their person exactly, 300 nobody at the home (rho = 0.3); of the
    co-residents of the exactly named, 20 in 700 have a near-spelled name (u_home[1], 4x the
    random-pair rate)."""
    chosen = np.array([5] * 700 + [0] * 300, np.int8)
    co = np.array([1] * 20 + [0] * 680, np.int8)
    rates = housemate_rates(GIVEN_M, GIVEN_U, co, chosen)
    assert rates.requests == 1000 and rates.co_residents == 700
    mean = (20 + HOME_PRIOR_PAIRS * GIVEN_U[1]) / (700 + HOME_PRIOR_PAIRS)  # prior: random u
    assert mean < rates.u_home[1] < 1.5 * mean
    assert 0.3 < rates.rho < 0.36
    none = housemate_rates(GIVEN_M, GIVEN_U, co[:0], chosen[:0])  # nobody at home: the prior
    assert none.requests == 0 and HOME_PRIOR_RATE < none.rho < 0.5


def test_padding_a_batch_cannot_lower_the_housemate_rates_below_their_floors() -> None:
    """100,000 requests naming residents exactly, whose co-residents all have unrelated names,
    would estimate rho and u_home near 0: the floors (prior rate, random-pair u) hold."""
    padded = housemate_rates(
        GIVEN_M, GIVEN_U, np.zeros(100_000, np.int8), np.full(100_000, 5, np.int8)
    )
    assert padded.rho == HOME_PRIOR_RATE
    assert np.all(np.asarray(padded.u_home) >= GIVEN_U)


@pytest.mark.parametrize("given", [Given.ELSE, MISSING])
def test_a_given_name_that_disagrees_outright_is_never_verified(given: int) -> None:
    """The household trap: a non-filing housemate with the filer's surname and address, and a
    different given name, whatever the weight the rest of the evidence gives."""
    row = decide_one(name_levels(1, given), weight=60.0)
    assert row.outcome != Outcome.VERIFIED
    want = Why.GIVEN_NAME_DISAGREES if given == Given.ELSE else Why.PLACEHOLDER_NAME
    assert row.reason == want


def test_every_undisclosed_decision_says_what_failed() -> None:
    d = run(
        [
            (0, 0, 0b100000, 25.0, 15.0, True),  # R0: one clear person
            (1, 0, 0b100000, 25.0, 15.0, True),  # R1: two people within the margin
            (1, 1, 0b100000, 24.0, 15.0, True),
            (2, 0, 0b100000, 25.0, 15.0, False),  # R2: the name, another address
            (3, 0, 0b100000, 2.0, 1.0, True),  # R3: weak evidence
        ],
        n=5,
    )
    assert d.reason.tolist() == [
        "",
        Why.RUNNER_UP_TOO_CLOSE,
        Why.ADDRESS_NOT_CONFIRMED,
        Why.BELOW_THRESHOLD,
        Why.NO_CANDIDATE,
    ]
    assert d.outcome.iloc[0] == Outcome.VERIFIED


@pytest.mark.parametrize(
    ("given", "on_file", "birth_date", "verified"),
    [
        (Given.FUZZY, True, MISSING, False),  # JOAN asked where JOHN files: maybe a relative
        (Given.CLOSE, True, MISSING, False),
        (Given.FUZZY, True, BirthDate.AGREES, True),  # the birth date separates them
        (Given.FUZZY, False, MISSING, True),  # JOHM is no name: a typo of JOHN
        (Given.NICKNAME, True, MISSING, True),  # BILL where WILLIAM files
        (Given.ALL_EXACT, True, MISSING, True),
    ],
)
def test_another_real_name_at_the_filers_home_is_withheld(
    given: int, on_file: bool, birth_date: int, verified: bool
) -> None:
    levels = name_levels(1, given)
    levels[:, Comparison.BIRTH_DATE] = birth_date
    row = decide_one(levels, weight=40.0, given_on_file=on_file)
    assert (row.outcome == Outcome.VERIFIED) is verified
    if not verified:
        assert row.outcome == Outcome.AMBIGUOUS and row.reason == Why.HOUSEMATE_RISK
