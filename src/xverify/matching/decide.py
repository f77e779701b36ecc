"""Decision: one outcome per request from its scored candidate pairs (DESIGN.md section 4).

Candidate pairs are (request, register row) where a register row is one person at one address,
with the tax years it is on file for. Per request and candidate *person*:

* ``full`` — best match weight over that person's rows whose address agrees **and** is on file
  for a tax year inside the requested period, and that carry no *veto* (evidence that names
  another person outright, such as JR asked and SR or no suffix on file, or another birth date:
  a Jr. and a Sr. with a rare name and one address must never be disclosed for one another,
  however high the weight);
* ``any`` — best match weight over all that person's rows (any address, any year);
* ``name`` — the name part of the weight.

A request is about at most one register person, so the candidate persons *compete*: with
match weights in bits (prior included) the probability that the request is about P is

    p(P) = 2^w(P) / (1 + sum over candidate persons Q of 2^w(Q))

(the 1 stands for "someone not among the candidates"), plus, when P's surname and address
agree, one more alternative: the request is about an *unregistered* member of P's household
(see :class:`Household`). Pairwise Fellegi-Sunter weights
assume independent fields, which fails for households: a spouse agrees on surname and address
and can score high on her own. Normalising across the request's candidates lets the true person
win clearly while Jr./Sr. at one address, or twins, split the probability and stay below the
threshold. P's own weight is its ``full`` weight, the others' their ``any`` weight (their best
evidence wherever their address is, deliberately conservative).

VERIFIED when the chosen person's ``p`` clears the threshold and its weight beats every other
candidate's by ``margin_bits``; AMBIGUOUS when a person with an address in the period has enough
evidence on its own (pairwise probability above the threshold) but is not clear of the others;
NAME_ONLY when the name agrees (some candidate's name evidence reaches ``name_min_bits`` and the
chosen person's given name resembles the request's) but no address in the period does; NO_MATCH
otherwise. Each undisclosed outcome says what failed (:func:`reasons`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from ..config import MatchConfig
from ..outcomes import Outcome, Why
from .compare import holds
from .levels import MISSING, BirthDate, Comparison, Given, Rule, Tin
from .model import HousemateRates


def probability(weight: np.ndarray) -> np.ndarray:
    """Match probability from a match weight (log2 posterior odds, prior included)."""
    return 1.0 / (1.0 + np.exp2(-np.asarray(weight, dtype=np.float64)))


@dataclass(frozen=True)
class Requests:
    """What the decision needs to know about the submitted requests, row-aligned."""

    request_id: np.ndarray  # str
    accepted: np.ndarray  # bool
    reason: np.ndarray  # str, reason code of rejected rows ('' when accepted)
    span_mask: np.ndarray  # uint32: register years inside the requested period
    #: bool: the request's given name is a real name on file (a typo mostly is not); None: unknown
    given_on_file: np.ndarray | None = None


@dataclass(frozen=True)
class Household:
    """Per candidate pair, what tells the candidate from an unregistered member of their home.

    Requests are also made about people who live with a registered person but are not on file
    themselves. Such a request agrees with a registered resident on surname and address, and a
    near-spelled or related given name (MICHELLE asked, MICHAEL on file; CHRIS and TINA) looks
    like a typo or a nickname. Against that alternative, H, the surname and the address are no
    evidence (a housemate shares them); only the personal fields are. The odds of P against H are

        (1 - rho) / rho  x  m(given level) / u_home(given level)  x  2^personal_bits

    with ``u_home`` the given-level distribution between two residents of one home and ``rho``
    the share of requests about an unregistered resident among the requests that reach a
    registered home. Both are estimated when the model is trained (:func:`estimate_housemates`)
    and kept in it (:class:`~xverify.matching.model.HousemateRates`): ``u_home`` from the
    registered co-residents of persons named exactly, ``rho`` by EM over the given levels.
    """

    at_home: np.ndarray  # bool: surname and address agree
    given: np.ndarray  # int8 given-name level (-1 missing)
    suffixed: np.ndarray  # bool: request or record has a suffix (JR, SR...)
    personal_bits: np.ndarray  # float64 bits of the personal comparisons (middle, suffix, ...)
    given_m: np.ndarray  # float64 m per given level (the match model's)
    given_u: np.ndarray  # float64 u per given level (random pairs: the prior of ``u_home``)


#: Prior of the housemate share: ``HOME_PRIOR_RATE`` of the requests that reach a registered home
#: are about an unregistered resident, with the weight of ``HOME_PRIOR_REQUESTS`` requests (keeps
#: small batches from an estimate of 0 or 1). It is also a floor: a requester cannot make the
#: custodian less cautious by padding a batch with requests that name residents exactly.
HOME_PRIOR_RATE = 0.02
HOME_PRIOR_REQUESTS = 50.0
#: Prior of ``u_home``: the random-pair u (residents' given names as independent draws), with the
#: weight of ``HOME_PRIOR_PAIRS`` co-resident pairs (a small batch cannot make them look alike).
#: The random-pair u is a floor too: residents' names are no less alike than strangers'.
HOME_PRIOR_PAIRS = 1000.0
#: z of the one-sided upper bounds (95%) taken on the housemate rates
UPPER_Z = 1.645


@dataclass(frozen=True)
class Candidates:
    """Scored candidate pairs, one entry per (request, register row)."""

    request: np.ndarray  # int64 row index into Requests
    person: np.ndarray  # int64 person index into the register
    years: np.ndarray  # uint32 years the register row's address is on file for
    weight: np.ndarray  # float64 total match weight (prior included)
    name_weight: np.ndarray  # float64 name part
    address_agrees: np.ndarray  # bool: the address comparison is an agreement level
    levels: np.ndarray  # int8 (pairs, comparisons)
    vetoed: np.ndarray | None = None  # bool: evidence that names another person (JR vs SR)
    household: Household | None = None  # None: no unregistered-housemate alternative

    def __len__(self) -> int:
        return len(self.request)


@dataclass(frozen=True)
class RequestEvidence:
    """Per request, everything the decision rule reads (row-aligned arrays).

    :func:`decide` computes it from the candidates; the audit rebuilds it from a decisions table
    (:meth:`from_decisions`) to replay the rule at other thresholds. Either way :func:`outcomes`
    is the one function that turns it into outcomes.
    """

    rejected: np.ndarray  # bool: the request failed validation
    address_agrees: np.ndarray  # bool: the chosen person has an agreeing address in the period
    match_weight: np.ndarray  # float64 bits of the chosen person (NaN: no candidate)
    probability: np.ndarray  # float64 its share against every alternative
    runner_up_match_weight: np.ndarray  # float64 bits of the best other person (NaN: none)
    name_weight: np.ndarray  # float64 best name evidence of any candidate (-inf/NaN: none)
    given_level: np.ndarray  # int8 given-name level of the chosen pair (MISSING: none)
    surname_level: np.ndarray  # int8 surname level of the chosen pair (MISSING: none)
    runner_up_probability: np.ndarray  # float64 the best other person's share
    housemate_probability: np.ndarray  # float64 the unregistered housemate's share (NaN: none)
    #: bool: another real name resembling the chosen person's, asked at their home, with no birth
    #: date or TIN to separate them: a relative who does not file is as likely as a typo
    other_name_at_home: np.ndarray

    @classmethod
    def from_decisions(cls, frame: pd.DataFrame) -> RequestEvidence:
        """From the columns of ``decisions.parquet`` (docs/formats.md). Without ``name_weight``
        (decisions made elsewhere) NAME_ONLY cannot be told from NO_MATCH; VERIFIED and
        AMBIGUOUS are unaffected."""

        def col(name: str) -> np.ndarray:
            if name not in frame:
                return np.full(len(frame), np.nan)
            return frame[name].to_numpy(dtype=np.float64, na_value=np.nan)

        def level(name: str) -> np.ndarray:
            if name not in frame:  # decisions made elsewhere: the name is taken to agree
                return np.full(len(frame), Given.ALL_EXACT, np.int8)
            return frame[name].to_numpy(dtype=np.int8)

        return cls(
            rejected=(frame["outcome"] == Outcome.REJECTED.value).to_numpy(dtype=bool),
            address_agrees=frame["address_agrees"].to_numpy(dtype=bool),
            match_weight=col("match_weight"),
            probability=col("probability"),
            runner_up_match_weight=col("runner_up_match_weight"),
            name_weight=col("name_weight"),
            given_level=level("level_given"),
            surname_level=level("level_surname"),
            runner_up_probability=col("runner_up_probability"),
            housemate_probability=col("housemate_probability"),
            other_name_at_home=(
                frame["other_name_at_home"].to_numpy(dtype=bool)
                if "other_name_at_home" in frame
                else np.zeros(len(frame), dtype=bool)
            ),
        )

    def given_resembles(self) -> np.ndarray:
        """The chosen pair's given names resemble at all (``Rule.GIVEN_RESEMBLES``): without
        that, a housemate of the same surname at the same address is the likelier person."""
        return self.given_level >= Rule.GIVEN_RESEMBLES.min_level

    def margin(self) -> np.ndarray:
        """Bits by which the chosen person beats the runner-up (+inf without a runner-up)."""
        with np.errstate(invalid="ignore"):
            return self.match_weight - np.where(
                np.isnan(self.runner_up_match_weight), -np.inf, self.runner_up_match_weight
            )

    def verification_score(self) -> np.ndarray:
        """The probability a threshold is held against for VERIFIED: the chosen person's share
        and its pairwise probability must both clear it; NaN where VERIFIED is impossible
        (rejected, no candidate, or no agreeing address in the period)."""
        score = np.fmin(self.probability, probability(self.match_weight))
        eligible = ~self.rejected & self.address_agrees & ~np.isnan(self.match_weight)
        eligible &= self.given_resembles() & ~self.other_name_at_home
        return np.where(eligible, score, np.nan)


def outcomes(evidence: RequestEvidence, config: MatchConfig) -> np.ndarray:
    """The decision rule: one outcome per request (object array of :class:`Outcome` values).

    VERIFIED when the chosen person's address agrees in the period, its given name resembles the
    request's, both its share and its pairwise probability clear ``threshold`` and it beats the
    runner-up by ``margin_bits``; AMBIGUOUS when its pairwise probability clears the threshold (it
    would pass on its own) but it is not clear of the others; NAME_ONLY when some candidate's
    name evidence reaches ``name_min_bits``, the given name resembles and no address in the
    period agrees; NO_MATCH otherwise; REJECTED whatever the scores when validation failed.
    """
    ev = evidence
    with np.errstate(invalid="ignore"):
        passes = (
            ev.address_agrees
            & ev.given_resembles()
            & (probability(ev.match_weight) >= config.threshold)
        )
        clear = (ev.verification_score() >= config.threshold) & (ev.margin() >= config.margin_bits)
        # the name agrees (enough name evidence, a resembling given name) and no address does
        named = (ev.name_weight >= config.name_min_bits) & ev.given_resembles() & ~ev.address_agrees
    outcome = np.full(len(ev.rejected), Outcome.NO_MATCH.value, dtype=object)
    outcome[named] = Outcome.NAME_ONLY.value
    outcome[passes & ~clear] = Outcome.AMBIGUOUS.value
    outcome[clear] = Outcome.VERIFIED.value
    outcome[ev.rejected] = Outcome.REJECTED.value
    return outcome


def reasons(evidence: RequestEvidence, config: MatchConfig, outcome: np.ndarray) -> np.ndarray:
    """What failed, per request (:class:`~xverify.outcomes.Why` values; "" for VERIFIED and
    REJECTED): the first of the rule's conditions, in :class:`~xverify.outcomes.Why` order,
    that the chosen person does not meet."""
    ev = evidence
    with np.errstate(invalid="ignore"):
        housemate = np.nan_to_num(ev.housemate_probability, nan=0.0)
        runner_up = np.nan_to_num(ev.runner_up_probability, nan=0.0)
        close = (ev.margin() < config.margin_bits) | (runner_up > 1.0 - config.threshold)
        checks = [
            (np.isnan(ev.match_weight), Why.NO_CANDIDATE),
            (ev.given_level == MISSING, Why.PLACEHOLDER_NAME),
            (~ev.given_resembles(), Why.GIVEN_NAME_DISAGREES),
            (ev.surname_level < Rule.SURNAME_RESEMBLES.min_level, Why.SURNAME_DISAGREES),
            (~ev.address_agrees, Why.ADDRESS_NOT_CONFIRMED),
            (ev.other_name_at_home, Why.HOUSEMATE_RISK),
            ((housemate > 1.0 - config.threshold) & (housemate >= runner_up), Why.HOUSEMATE_RISK),
            (close, Why.RUNNER_UP_TOO_CLOSE),
        ]
    why = np.full(len(outcome), Why.BELOW_THRESHOLD.value, dtype=object)
    for failed, code in reversed(checks):
        why[failed] = code.value
    done = (outcome == Outcome.VERIFIED.value) | (outcome == Outcome.REJECTED.value)
    why[done] = ""
    return why


@dataclass(frozen=True)
class _Choice:
    """Per request, the person the evidence points to and the pair that carries it.

    Groups are (request, candidate person); ``pair`` indexes the candidates.
    """

    g_req: np.ndarray  # per group: request
    g_person: np.ndarray  # per group: person
    g_any: np.ndarray  # per group: best weight, any address and year
    chosen: np.ndarray  # per request: group index, -1 none
    valid: np.ndarray  # per request: has a chosen group
    chosen_w: np.ndarray  # per request: the chosen person's weight (NaN none)
    addr_ok: np.ndarray  # per request: the chosen person has an agreeing address in the period
    pair: np.ndarray  # per request: the chosen pair (0 where none)
    max_name: np.ndarray  # per request: best name evidence of any candidate

    @classmethod
    def of(cls, requests: Requests, c: Candidates) -> _Choice:
        n = len(requests.request_id)
        in_span = c.address_agrees & ((c.years & requests.span_mask[c.request]) != 0)
        if c.vetoed is not None:
            in_span &= ~c.vetoed
        # -- per (request, person): best full / any weights and the pair that gave them
        order = np.lexsort((-c.weight, c.person, c.request))
        req, per = c.request[order], c.person[order]
        head = np.ones(len(order), dtype=bool)
        head[1:] = (req[1:] != req[:-1]) | (per[1:] != per[:-1])
        group = np.cumsum(head) - 1
        g_req, g_person = req[head], per[head]
        g_any = c.weight[order][head]
        g_any_pair = order[head]
        g_name = np.full(len(g_req), -np.inf)
        np.maximum.at(g_name, group, c.name_weight[order])
        full_w = np.where(in_span[order], c.weight[order], -np.inf)
        g_full = np.full(len(g_req), -np.inf)
        np.maximum.at(g_full, group, full_w)
        # the pair giving g_full: first in weight order among in-span agreeing pairs of the group
        g_full_pair = np.full(len(g_req), -1, dtype=np.int64)
        hit = np.flatnonzero(in_span[order])
        first_hit = np.unique(group[hit], return_index=True)
        g_full_pair[first_hit[0]] = order[hit[first_hit[1]]]

        # -- per request: best person by full weight, else best by any weight
        has_full = np.isfinite(g_full)
        best_full = _argmax_per(g_req, np.where(has_full, g_full, -np.inf), g_person, n)
        best_any = _argmax_per(g_req, g_any, g_person, n)
        max_name = np.full(n, -np.inf)
        np.maximum.at(max_name, g_req, g_name)
        chosen = np.where(best_full >= 0, best_full, best_any)  # group index or -1
        valid = chosen >= 0
        chosen_w = np.full(n, np.nan)
        chosen_w[valid] = np.where(
            best_full[valid] >= 0, g_full[chosen[valid]], g_any[chosen[valid]]
        )
        safe = np.maximum(chosen, 0)
        pair = np.where(best_full >= 0, g_full_pair[safe], g_any_pair[safe]) if len(g_req) else safe
        addr_ok = best_full >= 0
        return cls(g_req, g_person, g_any, chosen, valid, chosen_w, addr_ok, pair, max_name)

    def at_home(self, h: Household) -> np.ndarray:
        """Per request: the chosen pair agrees on address (in the period) and surname."""
        return self.addr_ok & h.at_home[self.pair]


def estimate_housemates(requests: Requests, candidates: Candidates) -> HousemateRates:
    """The household rates of a batch (training only: a decision reads them from the model).

    Co-residents are the other at-home candidates of requests that name their person exactly.
    """
    h = candidates.household
    if h is None:
        raise ValueError("estimating household rates needs the candidates' household evidence")
    c = candidates
    if len(c) == 0:
        return housemate_rates(h.given_m, h.given_u, h.given, h.given)
    ch = _Choice.of(requests, c)
    home = ch.at_home(h)
    named = home & (h.given[ch.pair] == Given.ALL_EXACT)
    person = ch.g_person[np.maximum(ch.chosen, 0)]
    co = h.at_home & named[c.request] & (c.person != person[c.request])
    co &= (h.given != MISSING) & ~h.suffixed
    return housemate_rates(h.given_m, h.given_u, h.given[co], h.given[ch.pair[home]])


class TinLookup(Protocol):
    """Person index -> TIN: a NumPy object array, or a lazy column (the identity index)."""

    def __getitem__(self, persons: np.ndarray) -> np.ndarray: ...


def decide(
    requests: Requests,
    candidates: Candidates,
    tins: np.ndarray | TinLookup,
    comparison_names: Sequence[str],
    config: MatchConfig,
    first_year: int,
    housemates: HousemateRates | None = None,
) -> pd.DataFrame:
    """The decisions table (docs/formats.md), one row per request in input order.

    A request's row depends on its own candidates and on ``housemates`` (the model's household
    rates; required when the candidates carry household evidence) only: never on the other
    requests of the batch.
    """
    n = len(requests.request_id)
    c = candidates
    ch = _Choice.of(requests, c)
    chosen, valid, chosen_w, pair, addr_ok = ch.chosen, ch.valid, ch.chosen_w, ch.pair, ch.addr_ok
    runner_w = _runner_up(ch.g_req, ch.g_any, chosen, n)

    # all candidate persons' evidence: the chosen one's full weight, the others' any weight
    total = _sum_exp2_others(ch.g_req, ch.g_any, chosen, n) + np.exp2(
        np.nan_to_num(chosen_w, nan=-np.inf)
    )
    housemate_w = np.full(n, -np.inf)
    if c.household is not None and len(c):
        if housemates is None:
            raise ValueError("candidates with household evidence need the model's housemates")
        home = ch.at_home(c.household)
        housemate_w[home] = chosen_w[home] - _home_bits(c.household, housemates, pair[home])
        total = total + np.exp2(housemate_w)
    prob = _share(chosen_w, total)
    runner_p = _share(runner_w, total)
    rejected = ~requests.accepted
    evidence = RequestEvidence(
        rejected=rejected,
        address_agrees=addr_ok,
        match_weight=chosen_w,
        probability=prob,
        runner_up_match_weight=runner_w,
        name_weight=ch.max_name,
        given_level=_chosen_level(c, pair, valid, Comparison.GIVEN),
        surname_level=_chosen_level(c, pair, valid, Comparison.SURNAME),
        runner_up_probability=runner_p,
        housemate_probability=_share(housemate_w, total),
        other_name_at_home=_other_name_at_home(requests, c, pair, addr_ok),
    )
    outcome = outcomes(evidence, config)

    chosen_person = np.full(n, -1, dtype=np.int64)  # register person index, -1: none
    chosen_person[valid & ~rejected] = ch.g_person[chosen[valid & ~rejected]]
    tin = np.full(n, None, dtype=object)
    tin[chosen_person >= 0] = tins[chosen_person[chosen_person >= 0]]
    person = pd.array(chosen_person, dtype="Int64")
    person[chosen_person < 0] = pd.NA
    bits = np.zeros(n, dtype=np.uint32)
    bits[addr_ok] = c.years[pair[addr_ok]] & requests.span_mask[addr_ok]
    year = np.full(n, np.nan)
    year[bits > 0] = first_year + np.floor(np.log2(bits[bits > 0].astype(np.float64)))
    no_evidence = rejected | ~valid
    max_name = ch.max_name
    out = pd.DataFrame(
        {
            "request_id": requests.request_id,
            "outcome": outcome,
            "reason": np.where(rejected, requests.reason, reasons(evidence, config, outcome)),
            "tin": tin,
            "person": person,
            "probability": np.where(no_evidence, np.nan, prob),
            "match_weight": np.where(no_evidence, np.nan, chosen_w),
            "runner_up_probability": np.where(no_evidence, np.nan, runner_p),
            "runner_up_match_weight": np.where(no_evidence, np.nan, runner_w),
            "housemate_probability": np.where(no_evidence, np.nan, evidence.housemate_probability),
            "address_agrees": addr_ok & ~rejected,
            "address_year": pd.array(np.where(rejected, np.nan, year), dtype="Int16"),
            "n_candidates": np.where(rejected, 0, np.bincount(ch.g_req, minlength=n)).astype(
                np.int32
            ),
            "name_weight": np.where(rejected | ~np.isfinite(max_name), np.nan, max_name),
            "other_name_at_home": evidence.other_name_at_home & ~rejected,
        }
    )
    for j, name in enumerate(comparison_names):
        out[f"level_{name}"] = _chosen_level(c, pair, valid & ~rejected, j)
    return out


def _other_name_at_home(
    requests: Requests, c: Candidates, pair: np.ndarray, at_address: np.ndarray
) -> np.ndarray:
    """Per request: the chosen person is at home (surname and address agree) with a given name
    that only resembles the request's, the request's is itself a name on file, and no birth
    date or TIN agrees — MATTHEW asked where MATHEW files, JOAN where JOHN does."""
    n = len(requests.request_id)
    if requests.given_on_file is None or len(c) == 0:
        return np.zeros(n, dtype=bool)
    lv = c.levels[pair]
    given = lv[:, Comparison.GIVEN]
    resembles_only = (given >= Rule.GIVEN_RESEMBLES.min_level) & (given < Given.NICKNAME)
    personal = (lv[:, Comparison.BIRTH_DATE] == BirthDate.AGREES) | (
        lv[:, Comparison.TIN] == Tin.AGREES
    )
    home = at_address & holds(Rule.SURNAME_RESEMBLES, lv)
    return home & resembles_only & requests.given_on_file & ~personal


def _chosen_level(c: Candidates, pair: np.ndarray, valid: np.ndarray, column: int) -> np.ndarray:
    """Per request, the level of comparison ``column`` of the chosen pair (MISSING: none)."""
    level = np.full(len(valid), MISSING, dtype=np.int8)
    level[valid] = c.levels[pair[valid], column]
    return level


def housemate_rates(
    given_m: np.ndarray, given_u: np.ndarray, co_resident: np.ndarray, chosen: np.ndarray
) -> HousemateRates:
    """``u_home`` and ``rho`` of :class:`Household` from the requests a model is trained on.

    ``co_resident``: given levels between requests that name their (at-home) person exactly and
    the other residents among their candidates, which are resident-to-resident levels; pairs
    with a suffix are left out by the caller (Jr. and Sr. are told apart by it, and the suffix
    comparison weighs that). ``chosen``: given levels of the requests' at-home best candidates.
    ``u_home``: the co-resident level shares, prior ``HOME_PRIOR_PAIRS`` x ``given_u``.
    ``rho``: EM over ``chosen``, ``given_m`` against ``u_home``, prior ``HOME_PRIOR_*``. Both
    are returned as 95% upper bounds, and never below their priors: neither estimation noise nor
    the batch's composition can make a disclosure easier.
    """
    m = np.asarray(given_m, np.float64)
    counts = np.bincount(co_resident, minlength=len(m)).astype(np.float64)
    counts += HOME_PRIOR_PAIRS * np.asarray(given_u, np.float64)
    u_home = counts / counts.sum()
    seen = np.bincount(chosen[chosen >= 0], minlength=len(m)).astype(np.float64)
    a = HOME_PRIOR_RATE * HOME_PRIOR_REQUESTS
    rho, about_housemates = HOME_PRIOR_RATE, 0.0
    for _ in range(200):
        about_housemates = float(seen @ (rho * u_home / (rho * u_home + (1.0 - rho) * m)))
        new = (about_housemates + a) / (float(seen.sum()) + HOME_PRIOR_REQUESTS)
        done = abs(new - rho) < 1e-9
        rho = new
        if done:
            break
    rho_upper = _upper(np.array([about_housemates + a]))[0] / (seen.sum() + HOME_PRIOR_REQUESTS)
    rho = min(0.5, max(HOME_PRIOR_RATE, float(rho_upper)))
    u_upper = np.maximum(_upper(counts) / counts.sum(), given_u)
    return HousemateRates(tuple(float(x) for x in u_upper), rho, int(seen.sum()), len(co_resident))


def _upper(count: np.ndarray, z: float = UPPER_Z) -> np.ndarray:
    """One-sided upper confidence bounds of Poisson counts (Wilson-Hilferty)."""
    k = np.asarray(count, np.float64) + 1.0
    return k * (1.0 - 1.0 / (9.0 * k) + z / (3.0 * np.sqrt(k))) ** 3


def _home_bits(h: Household, rates: HousemateRates, pairs: np.ndarray) -> np.ndarray:
    """log2 odds of the candidate against an unregistered housemate, for at-home ``pairs``."""
    level = h.given[pairs]
    ratio = np.log2(np.asarray(h.given_m) / np.asarray(rates.u_home))
    given = np.where(level != MISSING, ratio[np.maximum(level, Given.ELSE)], 0.0)
    return math.log2((1.0 - rates.rho) / rates.rho) + given + h.personal_bits[pairs]


def _sum_exp2_others(
    owner: np.ndarray, value: np.ndarray, chosen: np.ndarray, n: int
) -> np.ndarray:
    """Per owner, the sum of 2^value over its entries other than ``chosen``."""
    masked = np.exp2(value)
    masked[chosen[chosen >= 0]] = 0.0
    return np.bincount(owner, weights=masked, minlength=n)


def _share(weight: np.ndarray, total: np.ndarray) -> np.ndarray:
    """2^w / (1 + total): one person's share of the request's probability (NaN stays NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.exp2(weight) / (1.0 + total)
    return out


def _argmax_per(owner: np.ndarray, value: np.ndarray, tie: np.ndarray, n: int) -> np.ndarray:
    """Per owner, the index of the entry with the largest finite value (ties: smallest tie key)."""
    best = np.full(n, -1, dtype=np.int64)
    finite = np.flatnonzero(np.isfinite(value))
    if finite.size == 0:
        return best
    order = finite[np.lexsort((tie[finite], -value[finite], owner[finite]))]
    first = np.ones(order.size, dtype=bool)
    first[1:] = owner[order][1:] != owner[order][:-1]
    best[owner[order[first]]] = order[first]
    return best


def _runner_up(owner: np.ndarray, value: np.ndarray, chosen: np.ndarray, n: int) -> np.ndarray:
    """Per owner, the largest value among its entries other than ``chosen`` (NaN if none)."""
    masked = value.copy()
    masked[chosen[chosen >= 0]] = -np.inf
    out = np.full(n, -np.inf)
    np.maximum.at(out, owner, masked)
    out[~np.isfinite(out)] = np.nan
    return out
