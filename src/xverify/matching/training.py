"""Training stage: the m/u model from candidate and random pairs (no data, only counts).

  whatever the chunking), with a pseudo-count so that unseen levels keep a small u.
* **m** by EM on the candidate pairs (grouped into distinct level patterns: fast), in sessions
  as Splink trains ("block on name, learn address; block on address, learn name"): given-name m
  among pairs at the same street address, surname m among pairs at the same address with the
  same given name, address / middle / birth date / TIN m among pairs agreeing on the name. In a
  session the comparisons implied by its selection are left out and the others' non-match
  distribution is the random-pair u (household members have unrelated given names, namesakes
  unrelated addresses). Plain EM over all candidates learns "same family at the same address"
  as the match class; the sessions avoid it.
* **λ**: a last EM over all candidates, m fixed, candidate non-matches with their own level
  distribution, gives the candidate match rate; λ = that rate x candidates / (submissions x
  register rows).
* The suffix m is fixed (:data:`FIXED_M`): EM cannot learn that JR vs SR means two people.
* A surname x address :class:`Interaction` (bits <= 0) corrects for relatives sharing both;
  estimated from the candidate non-matches after EM.
* A comparison with no non-missing value among the candidates is left untrained: its m is
  :data:`DEFAULT_M` (middle, birth date, TIN) or u (weight 0), ``trained=False``.

API
---
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, InputError
from .compare import CompareConfig, Comparison, holds
from .levels import MISSING, Rule
from .model import N_LEVELS, ComparisonParams, Interaction, MatchModel


@dataclass(frozen=True)
class TrainConfig:
    """EM and u-sampling settings."""

    u_pairs_per_row: int = 2
    u_pseudo_count: float = 0.5
    m_pseudo_count: float = 1.0
    max_iterations: int = 200
    tolerance: float = 1e-6
    min_session_pairs: float = 50.0

    def __post_init__(self) -> None:
        if self.u_pairs_per_row < 1 or self.max_iterations < 1:
            raise ConfigError("u_pairs_per_row and max_iterations must be positive")
        if min(self.u_pseudo_count, self.m_pseudo_count, self.tolerance) <= 0:
            raise ConfigError("pseudo-counts and tolerance must be positive")


def _pattern_codes(levels: np.ndarray) -> np.ndarray:
    """Level vectors as int64 codes (3 bits per comparison)."""
    code = np.zeros(levels.shape[0], np.int64)
    for c in range(levels.shape[1]):
        code |= (levels[:, c].astype(np.int64) + 1) << (3 * c)
    return code


def _decode(codes: np.ndarray) -> np.ndarray:
    return np.stack(
        [((codes >> (3 * c)) & 7).astype(np.int8) - 1 for c in range(len(Comparison))], axis=1
    )


@dataclass(frozen=True)
class TrainingData:
    """What EM needs: distinct level patterns of candidates with counts, random-pair counts."""

    patterns: np.ndarray  # (k, comparisons) int8
    counts: np.ndarray  # (k,) float64
    u_counts: tuple[np.ndarray, ...]  # per comparison: random pairs per level
    random_pairs: int
    submissions: int
    register_rows: int


@dataclass(frozen=True)
class TrainingCounts:
    """EM's sufficient statistics over some register rows, a partial result: the distinct level
    patterns of the candidate pairs with their counts, and the random pairs' level counts."""

    codes: np.ndarray  # int64 pattern codes (3 bits per comparison), sorted
    counts: np.ndarray  # float64 candidate pairs per code
    u: tuple[np.ndarray, ...]  # per comparison: random pairs per level
    random_pairs: int
    rows: int  # register rows seen

    @classmethod
    def of(cls, levels: np.ndarray, random_levels: np.ndarray, rows: int) -> TrainingCounts:
        codes, counts = np.unique(_pattern_codes(levels), return_counts=True)
        u = tuple(
            np.bincount(lv[lv != MISSING], minlength=N_LEVELS[c]).astype(np.float64)
            for c in Comparison
            for lv in (random_levels[:, int(c)],)
        )
        return cls(codes, counts.astype(np.float64), u, int(random_levels.shape[0]), rows)

    @classmethod
    def merge(cls, parts: Iterable[TrainingCounts]) -> TrainingCounts:
        """The sum of partial counts, merged as they arrive (memory ~ distinct patterns)."""
        pending: list[TrainingCounts] = []
        total: TrainingCounts | None = None
        for part in parts:
            pending.append(part)
            if len(pending) >= 32:
                total = cls._sum([*([total] if total else []), *pending])
                pending = []
        return cls._sum([*([total] if total else []), *pending])

    @classmethod
    def _sum(cls, parts: list[TrainingCounts]) -> TrainingCounts:
        if not parts:
            return cls(np.empty(0, np.int64), np.empty(0), _zero_u(), 0, 0)
        codes, inv = np.unique(np.concatenate([p.codes for p in parts]), return_inverse=True)
        counts = np.bincount(inv, weights=np.concatenate([p.counts for p in parts]))
        u = tuple(sum((p.u[int(c)] for p in parts), np.zeros(N_LEVELS[c])) for c in Comparison)
        return cls(
            codes,
            counts.astype(np.float64),
            u,
            sum(p.random_pairs for p in parts),
            sum(p.rows for p in parts),
        )

    def data(self, submissions: int) -> TrainingData:
        return TrainingData(
            _decode(self.codes), self.counts, self.u, self.random_pairs, submissions, self.rows
        )


def _zero_u() -> tuple[np.ndarray, ...]:
    return tuple(np.zeros(N_LEVELS[c]) for c in Comparison)


# ============================================================================ EM
@dataclass(frozen=True)
class _EmFit:
    m: list[np.ndarray]
    u: list[np.ndarray]
    lam: float
    iterations: int
    converged: bool
    posterior: np.ndarray  # match probability of each pattern (last E-step)


def _em(
    pats: np.ndarray,
    cnt: np.ndarray,
    active: tuple[Comparison, ...],
    m: list[np.ndarray],
    u: list[np.ndarray],
    lam: float,
    config: TrainConfig,
    *,
    fit_m: bool = True,
    fit_u: bool = True,
) -> _EmFit:
    """Two-class EM over level patterns using only ``active`` comparisons; m and the non-match
    distribution u are re-estimated when ``fit_m`` / ``fit_u``, λ always."""
    m = [x.copy() for x in m]
    u = [x.copy() for x in u]
    total = float(cnt.sum())
    it, converged = 0, False
    p = np.zeros(pats.shape[0])
    for it in range(1, config.max_iterations + 1):  # noqa: B007 -- reported
        logbf = np.zeros(pats.shape[0])
        for c in active:
            lv = pats[:, int(c)]
            ok = lv != MISSING
            logbf[ok] += np.log(m[int(c)][lv[ok]] / u[int(c)][lv[ok]])
        z = np.clip(math.log(lam / (1.0 - lam)) + logbf, -700, 700)
        p = 1.0 / (1.0 + np.exp(-z))
        wp, wq = cnt * p, cnt * (1.0 - p)
        delta = 0.0
        for c in active:
            lv = pats[:, int(c)]
            ok = lv != MISSING
            n = N_LEVELS[c]
            if fit_m:
                h = np.bincount(lv[ok], weights=wp[ok], minlength=n)
                nm = (h + config.m_pseudo_count / n) / (h.sum() + config.m_pseudo_count)
                delta = max(delta, float(np.abs(nm - m[int(c)]).max()))
                m[int(c)] = nm
            if fit_u:
                h = np.bincount(lv[ok], weights=wq[ok], minlength=n)
                u[int(c)] = (h + config.m_pseudo_count / n) / (h.sum() + config.m_pseudo_count)
        new_lam = float(np.clip(wp.sum() / total, 1e-12, 1 - 1e-12))
        delta = max(delta, abs(new_lam - lam) / max(lam, 1e-12))
        lam = new_lam
        if delta < config.tolerance:
            converged = True
            break
    return _EmFit(m, u, lam, it, converged, p)


#: Training sessions: pairs selected by a level condition, the comparisons active in EM (those
#: not implied by the selection) and those whose m is kept. Within a session the non-matches
#: follow the random-pair u on the active comparisons: household members at one address have
#: unrelated given names, namesakes have unrelated addresses.
_NAME_COMPS = (Comparison.GIVEN, Comparison.SURNAME)
_OTHER_COMPS = tuple(c for c in Comparison if c not in (*_NAME_COMPS, Comparison.ADDRESS))

#: m used for a comparison never observed among the candidates (a documented guess: the same
#: person rarely disagrees on these); u still comes from the random pairs.
DEFAULT_M: dict[Comparison, tuple[float, ...]] = {
    Comparison.MIDDLE: (0.1, 0.9),
    Comparison.BIRTH_DATE: (0.03, 0.97),
    Comparison.TIN: (0.01, 0.99),
}


#: m fixed by domain knowledge, never trained: EM cannot learn that JR vs SR means two people,
#: because Jr. and Sr. agree on everything else (same name, same home) and look like a match.
#: A differing suffix — including a JR on the request against a record without one, who may be
#: the registered father's son — is near-decisive evidence of another person (m = 1e-6); a
#: suffix only on the register record is weak evidence against (requests often drop it).
FIXED_M: dict[Comparison, tuple[float, ...]] = {Comparison.SUFFIX: (1e-6, 0.1, 0.899999)}


def _unobserved_m(c: Comparison, u: np.ndarray) -> np.ndarray:
    return np.asarray(DEFAULT_M[c]) if c in DEFAULT_M else u


def fit_model(
    data: TrainingData,
    config: TrainConfig | None = None,
    *,
    compare: CompareConfig | None = None,
    tf_adjust: bool = True,
) -> MatchModel:
    """Estimate m by EM in two sessions, then λ by EM with m fixed (see module docstring)."""
    config = config or TrainConfig()
    n_cand = float(data.counts.sum())
    if n_cand == 0 or data.random_pairs == 0:
        raise InputError("no candidate or random pairs to train the match model on")
    pats, cnt = data.patterns.astype(np.int64), data.counts
    u_rand = [
        (data.u_counts[int(c)] + config.u_pseudo_count)
        / (data.u_counts[int(c)].sum() + config.u_pseudo_count * N_LEVELS[c])
        for c in Comparison
    ]
    observed = [bool((pats[:, int(c)] != MISSING).any()) for c in Comparison]
    m0 = [np.power(4.0, np.arange(N_LEVELS[c])) for c in Comparison]
    m0 = [x / x.sum() for x in m0]
    u0 = []
    for c in Comparison:
        lv = pats[:, int(c)]
        h = np.bincount(lv[lv != MISSING], weights=cnt[lv != MISSING], minlength=N_LEVELS[c]) + 1.0
        u0.append(h / h.sum())
    lam0 = min(0.5, data.submissions / n_cand)
    m = [x.copy() for x in m0]
    iterations, converged = 0, True

    at_address = holds(Rule.STREET_LINE_AGREES, pats)
    same_given = holds(Rule.GIVEN_AGREES, pats)
    same_name = same_given & holds(Rule.SURNAME_AGREES, pats)
    sessions = (
        (at_address, (Comparison.GIVEN, *_OTHER_COMPS), (Comparison.GIVEN,)),
        (at_address & same_given, (Comparison.SURNAME, *_OTHER_COMPS), (Comparison.SURNAME,)),
        (same_name, (Comparison.ADDRESS, *_OTHER_COMPS), (Comparison.ADDRESS, *_OTHER_COMPS)),
    )
    for sel, active, keep in sessions:
        if cnt[sel].sum() < config.min_session_pairs:
            continue
        fit = _em(pats[sel], cnt[sel], active, m0, u_rand, 0.5, config, fit_u=False)
        for c in keep:
            m[int(c)] = fit.m[int(c)]
        iterations += fit.iterations
        converged &= fit.converged
    for c, fixed in FIXED_M.items():
        m[int(c)] = np.asarray(fixed)
    final = _em(pats, cnt, tuple(Comparison), m, u0, lam0, config, fit_m=False)
    iterations += final.iterations
    converged &= final.converged
    lam = final.lam
    trained = [observed[int(c)] and c not in FIXED_M for c in Comparison]
    params = tuple(
        ComparisonParams(
            c,
            tuple(
                float(x)
                for x in (
                    m[int(c)]
                    if observed[int(c)] or c in FIXED_M
                    else _unobserved_m(c, u_rand[int(c)])
                )
            ),
            tuple(float(x) for x in u_rand[int(c)]),
            trained=trained[int(c)],
        )
        for c in Comparison
    )
    household = _household(pats, cnt * (1.0 - final.posterior), u_rand, data)
    total = float(data.submissions) * float(max(data.register_rows, 1))
    prior = float(np.clip(lam * n_cand / total, 1e-15, 0.5))
    return MatchModel(
        params=params,
        prior=prior,
        candidate_prior=float(np.clip(lam, 1e-12, 1 - 1e-12)),
        compare=compare or CompareConfig(),
        tf_adjust=tf_adjust,
        iterations=iterations,
        converged=converged,
        candidates=int(n_cand),
        random_pairs=data.random_pairs,
        interactions=(household,),
    )


#: The household interaction: a shared exact surname at an agreeing address (a ZIP typo does not
#: make a relative a stranger), skipped when the given names resemble at all: registered
#: relatives compete as candidates in the decision, so the correction is only needed when the
#: given name leaves a relative as a plausible explanation.
_HOUSEHOLD = (Rule.SURNAME_AGREES, Rule.ADDRESS_AGREES, Rule.GIVEN_RESEMBLES)


def _household(
    pats: np.ndarray, non_match: np.ndarray, u_rand: list[np.ndarray], data: TrainingData
) -> Interaction:
    """The surname x address :class:`Interaction` from the candidate non-matches.

    ``h`` (same-surname rows per submission at its address, among non-matches) is the weighted
    count of surname- and address-agreeing candidate non-matches per submission: blocking on
    surname x ZIP reaches all of them. ``bits`` (no TF term) uses the share of address agreement
    among surname-agreeing candidate non-matches: blocking over-samples nearby non-matches, so
    it errs on the strong side.
    """
    surname, address, unless = _HOUSEHOLD
    s = holds(surname, pats)
    u_addr = float(u_rand[int(address.comparison)][address.min_level :].sum())
    both = float(non_match[s & holds(address, pats)].sum())
    den = float(non_match[s & (pats[:, int(address.comparison)] != MISSING)].sum())
    bits = 0.0
    if den > 0 and both / den > u_addr > 0:
        bits = -math.log2(both / den / u_addr)
    h = max(both / max(data.submissions, 1), 1.0 / max(data.submissions, 1))
    tf_base = math.log2(u_addr) + math.log2(max(data.register_rows, 1)) - math.log2(h)
    return Interaction(
        surname.comparison,
        surname.min_level,
        address.comparison,
        address.min_level,
        bits,
        tf_base,
        unless=unless.comparison,
        unless_min=unless.min_level,
    )
