"""Households: who lives with whom, their ages, sexes and origin (vectorized, no per-person loop).

Every household is drawn from a template (a kind plus the roles of its members); members are then
laid out contiguously, so "the head of my household" is an index computed once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import HouseholdKind, RegisterConfig, Role
from .names import _cdf, draw

# (kind, roles, weight within kind)
TEMPLATES: tuple[tuple[HouseholdKind, tuple[Role, ...], float], ...] = (
    (HouseholdKind.SINGLE, (Role.HEAD,), 1.0),
    (HouseholdKind.COUPLE, (Role.HEAD, Role.SPOUSE), 1.0),
    (HouseholdKind.FAMILY, (Role.HEAD, Role.SPOUSE, Role.CHILD), 0.6),
    (HouseholdKind.FAMILY, (Role.HEAD, Role.SPOUSE, Role.CHILD, Role.CHILD), 0.4),
    (HouseholdKind.SINGLE_PARENT, (Role.HEAD, Role.CHILD), 1.0),
    (HouseholdKind.MULTIGEN, (Role.HEAD, Role.SPOUSE, Role.ELDER), 0.4),
    (HouseholdKind.MULTIGEN, (Role.HEAD, Role.SPOUSE, Role.ELDER, Role.CHILD), 0.6),
    (HouseholdKind.JR_SR, (Role.HEAD, Role.SPOUSE, Role.JUNIOR), 1.0),
    (HouseholdKind.TWINS, (Role.HEAD, Role.SPOUSE, Role.TWIN, Role.TWIN), 1.0),
    (HouseholdKind.ROOMMATES, (Role.ROOMMATE,) * 2, 0.5),
    (HouseholdKind.ROOMMATES, (Role.ROOMMATE,) * 3, 0.3),
    (HouseholdKind.ROOMMATES, (Role.ROOMMATE,) * 4, 0.2),
)
KINDS = tuple(HouseholdKind)
ROLES = tuple(Role)
_ROLE = {r: i for i, r in enumerate(ROLES)}
_KIND = {k: i for i, k in enumerate(KINDS)}

# Adult age density (at the last register year): flat to 64, then thinning out to 95.
_AGES = np.arange(18, 96)
_AGE_CDF = _cdf(np.where(_AGES < 65, 1.0, 1.0 - 0.95 * (_AGES - 64) / 31))


@dataclass(frozen=True)
class Households:
    """Per-person arrays of one chunk; households are contiguous runs of people."""

    household: np.ndarray  # int64, chunk-local household number
    kind: np.ndarray  # int8 index into KINDS
    role: np.ndarray  # int8 index into ROLES
    head: np.ndarray  # int64 index of the household's first member
    spouse: np.ndarray  # int64 index of the head's spouse, -1 if none
    female: np.ndarray  # bool
    hispanic: np.ndarray  # bool
    two_surnames: np.ndarray  # bool: paternal + maternal surnames
    age: np.ndarray  # int16 at the last register year
    twin_of: np.ndarray  # int64 index of the other twin (-1) for shared birth dates

    @property
    def size(self) -> int:
        return len(self.household)

    def is_role(self, role: Role) -> np.ndarray:
        return self.role == _ROLE[role]

    def is_kind(self, kind: HouseholdKind) -> np.ndarray:
        return self.kind == _KIND[kind]


def _template_table(cfg: RegisterConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    weights = np.array([cfg.household_shares.get(k, 0.0) * w for k, _, w in TEMPLATES])
    sizes = np.array([len(r) for _, r, _ in TEMPLATES])
    roles = np.array([_ROLE[r] for _, rs, _ in TEMPLATES for r in rs], dtype=np.int8)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    return _cdf(weights), sizes, starts, roles


def draw_households(n: int, cfg: RegisterConfig, rng: np.random.Generator) -> Households:
    """Exactly ``n`` people in households; the remainder after whole households are singles."""
    cdf, sizes, starts, roles_flat = _template_table(cfg)
    mean = float(np.dot(np.diff(np.r_[0.0, cdf]), sizes))
    tmpl = draw(cdf, int(n / mean * 1.05) + 16, rng)
    fit = np.cumsum(sizes[tmpl]) <= n
    tmpl = tmpl[fit]
    single = next(i for i, (k, _, _) in enumerate(TEMPLATES) if k is HouseholdKind.SINGLE)
    tmpl = np.r_[tmpl, np.full(n - int(sizes[tmpl].sum()), single)]
    hsize = sizes[tmpl]
    n_h = len(tmpl)
    hh = np.repeat(np.arange(n_h), hsize)
    hstart = np.r_[0, np.cumsum(hsize)[:-1]]
    head = np.repeat(hstart, hsize)
    pos = np.arange(n) - head
    role = roles_flat[starts[tmpl][hh] + pos]
    kind_of_tmpl = np.array([_KIND[k] for k, _, _ in TEMPLATES], dtype=np.int8)
    kind = kind_of_tmpl[tmpl][hh]
    has_spouse = roles_flat[np.minimum(starts[tmpl] + 1, len(roles_flat) - 1)] == _ROLE[Role.SPOUSE]
    has_spouse &= hsize > 1
    spouse = np.where(has_spouse[hh], head + 1, -1)

    is_ = {r: role == _ROLE[r] for r in Role}
    roommate = is_[Role.ROOMMATE]
    h_hisp = rng.random(n_h) < cfg.hispanic_share
    hispanic = np.where(roommate, rng.random(n) < cfg.hispanic_share, h_hisp[hh])
    h_two = rng.random(n_h) < cfg.two_surname_share
    two = hispanic & np.where(roommate, rng.random(n) < cfg.two_surname_share, h_two[hh])

    age = _ages(kind, is_, head, rng)
    female = _sexes(kind, is_, head, spouse, rng)
    twin_of = np.full(n, -1, dtype=np.int64)
    second = is_[Role.TWIN] & (pos == 3)
    twin_of[second] = np.flatnonzero(second) - 1
    age[second] = age[twin_of[second]]
    return Households(
        household=hh.astype(np.int64),
        kind=kind,
        role=role,
        head=head.astype(np.int64),
        spouse=spouse.astype(np.int64),
        female=female,
        hispanic=hispanic,
        two_surnames=two,
        age=age.astype(np.int16),
        twin_of=twin_of,
    )


def _ages(
    kind: np.ndarray, is_: dict[Role, np.ndarray], head: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    n = len(kind)
    age = _AGES[draw(_AGE_CDF, n, rng)].astype(np.int64)
    parent_kinds = np.isin(
        kind,
        [
            _KIND[k]
            for k in (HouseholdKind.FAMILY, HouseholdKind.SINGLE_PARENT, HouseholdKind.TWINS)
        ],
    )
    older = is_[Role.HEAD] & parent_kinds
    age[older] = rng.integers(40, 81, int(older.sum()))
    jr = is_[Role.HEAD] & (kind == _KIND[HouseholdKind.JR_SR])
    age[jr] = rng.integers(42, 86, int(jr.sum()))
    mid = is_[Role.HEAD] & (kind == _KIND[HouseholdKind.MULTIGEN])
    age[mid] = rng.integers(35, 61, int(mid.sum()))
    room = is_[Role.ROOMMATE]
    age[room] = 18 + np.minimum(rng.gamma(2.0, 5.0, int(room.sum())).astype(np.int64), 60)
    head_age = age[head]
    sp = is_[Role.SPOUSE]
    age[sp] = head_age[sp] + np.round(rng.normal(-2, 4, int(sp.sum()))).astype(np.int64)
    kid = is_[Role.CHILD] | is_[Role.JUNIOR] | is_[Role.TWIN]
    age[kid] = head_age[kid] - rng.integers(20, 39, int(kid.sum()))
    eld = is_[Role.ELDER]
    age[eld] = head_age[eld] + rng.integers(20, 36, int(eld.sum()))
    return np.clip(age, 18, 99)


def _sexes(
    kind: np.ndarray,
    is_: dict[Role, np.ndarray],
    head: np.ndarray,
    spouse: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    n = len(kind)
    female = rng.random(n) < 0.5
    coupled = is_[Role.HEAD] & (spouse >= 0)
    female[coupled] = rng.random(int(coupled.sum())) < 0.03
    female[is_[Role.HEAD] & (kind == _KIND[HouseholdKind.JR_SR])] = False
    female[is_[Role.JUNIOR]] = False
    sp = is_[Role.SPOUSE]
    same_sex = rng.random(int(sp.sum())) < 0.03
    female[sp] = np.where(same_sex, female[head[sp]], ~female[head[sp]])
    return female
