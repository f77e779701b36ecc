"""Name frequency tables (Census 2010 surnames, SSA first names) and vectorized sampling.

Surnames are drawn by origin with P(name | Hispanic) proportional to count x Hispanic share, so
that with the census Hispanic share every surname keeps its census frequency. First names are
drawn by sex and birth decade from SSA counts, reweighted the same way by the census Hispanic
share of the name; a share of Hispanic adults draw from the all-ages census table instead
(SSA counts only U.S.-born babies and so understates MARIA and JOSE).
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .lexicon import ACCENTED, COMPOUND_GIVEN, PARTICLE_SURNAMES

_MISSING_HISPANIC_SHARE = 0.1


def _data_table(name: str) -> pa.Table:
    with resources.as_file(resources.files("xverify.data") / name) as path:
        return pq.read_table(path)


def accent(name: str) -> str:
    """Spanish spelling of each word of ``name`` when we know one (GARCIA -> GARCÍA)."""
    return " ".join(ACCENTED.get(word, word) for word in name.split(" "))


def _cdf(weights: np.ndarray) -> np.ndarray:
    c = np.cumsum(weights, dtype=np.float64)
    return c / c[-1]


def draw(cdf: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` indices drawn with the probabilities of ``cdf``."""
    idx = np.searchsorted(cdf, rng.random(n), side="right")
    return np.minimum(idx, len(cdf) - 1)


class SurnameForm(enum.IntEnum):
    """Offsets into :attr:`Surnames.forms` (one block of all surnames per form)."""

    PLAIN = 0
    SPACED = 1  # particles written apart: DE LA CRUZ
    ACCENTED = 2
    SPACED_ACCENTED = 3


@dataclass(frozen=True)
class Surnames:
    """All 2010 Census surnames with the per-origin sampling tables."""

    plain: np.ndarray  # census spelling, object array
    forms: pa.Array  # 4 blocks of len(plain) strings, indexed by SurnameForm
    hispanic_share: np.ndarray  # fraction of bearers of Hispanic origin
    particle: np.ndarray  # bool: DE LA CRUZ-style surname
    decile: np.ndarray  # int8, 9 = the most common surnames (first 10% of people)
    cdf_hispanic: np.ndarray
    cdf_other: np.ndarray

    @property
    def size(self) -> int:
        return len(self.plain)

    def sample(self, hispanic: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One surname index per person, by origin."""
        out = np.empty(len(hispanic), dtype=np.int32)
        out[hispanic] = draw(self.cdf_hispanic, int(hispanic.sum()), rng)
        out[~hispanic] = draw(self.cdf_other, int((~hispanic).sum()), rng)
        return out


@functools.cache
def surnames() -> Surnames:
    """Load the shipped surname table once per process."""
    t = _data_table("surnames.parquet")
    plain = np.asarray(t["name"].to_pylist(), dtype=object)
    count = t["count"].to_numpy().astype(np.float64)
    share = t["hispanic"].to_numpy().astype(np.float64)
    spaced = [PARTICLE_SURNAMES.get(s, s) for s in plain]
    forms = pa.array(
        list(plain) + spaced + [accent(s) for s in plain] + [accent(s) for s in spaced],
        pa.string(),
    )
    order = np.argsort(-count, kind="stable")
    before = np.empty_like(count)
    before[order] = np.cumsum(count[order]) - count[order]
    decile = (9 - np.floor(10 * before / count.sum())).clip(0, 9).astype(np.int8)
    return Surnames(
        plain=plain,
        forms=forms,
        hispanic_share=share,
        particle=np.isin(plain, list(PARTICLE_SURNAMES)),
        decile=decile,
        cdf_hispanic=_cdf(count * share),
        cdf_other=_cdf(count * (1 - share)),
    )


class FirstNameSource(enum.IntEnum):
    """Which table a given name is drawn from."""

    OTHER = 0  # SSA by birth decade, weighted by the non-Hispanic share
    HISPANIC_SSA = 1  # SSA by birth decade, weighted by the Hispanic share
    HISPANIC_CENSUS = 2  # census names of Hispanic bearers of all ages


DECADES = tuple(range(1920, 2010, 10))


@dataclass(frozen=True)
class FirstNames:
    """SSA/census given names plus Hispanic compound given names, with accented forms."""

    plain: np.ndarray  # object array: table rows, then compound given names
    count: np.ndarray  # float counts of the table rows (compound given names: 0)
    forms: pa.Array  # plain block then accented block
    tables: dict[tuple[str, int, FirstNameSource], tuple[np.ndarray, np.ndarray]]
    compound: dict[str, tuple[np.ndarray, np.ndarray]]  # sex -> (indices, cdf)

    @property
    def size(self) -> int:
        return len(self.plain)

    def sample(
        self,
        sex: np.ndarray,
        birth_year: np.ndarray,
        source: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """One given-name index per person (sex 'F'/'M' as bool ``female``)."""
        decade = np.clip(birth_year // 10 * 10, DECADES[0], DECADES[-1])
        out = np.empty(len(sex), dtype=np.int32)
        female = np.asarray(sex, dtype=bool)
        for (s, d, src), (rows, cdf) in self.tables.items():
            want = (female == (s == "F")) & (source == src)
            if src != FirstNameSource.HISPANIC_CENSUS:
                want &= decade == d
            n = int(want.sum())
            if n:
                out[want] = rows[draw(cdf, n, rng)]
        return out

    def sample_compound(self, female: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Compound Hispanic given names (MARIA DEL CARMEN, JOSE LUIS) by sex."""
        out = np.empty(len(female), dtype=np.int32)
        for s, want in (("F", female), ("M", ~female)):
            rows, cdf = self.compound[s]
            out[want] = rows[draw(cdf, int(want.sum()), rng)]
        return out


@functools.cache
def first_names() -> FirstNames:
    """Load the shipped first-name table once per process."""
    t = _data_table("first_names.parquet")
    sex = np.asarray(t["sex"].to_pylist(), dtype=object)
    decade = t["decade"].to_numpy()
    names = list(t["name"].to_pylist())
    count = t["count"].to_numpy().astype(np.float64)
    share = np.nan_to_num(
        t["hispanic"].to_numpy(zero_copy_only=False).astype(np.float64),
        nan=_MISSING_HISPANIC_SHARE,
    )
    tables: dict[tuple[str, int, FirstNameSource], tuple[np.ndarray, np.ndarray]] = {}
    for s in ("F", "M"):
        for d in DECADES:
            rows = np.flatnonzero((sex == s) & (decade == d))
            tables[(s, d, FirstNameSource.OTHER)] = (rows, _cdf(count[rows] * (1 - share[rows])))
            tables[(s, d, FirstNameSource.HISPANIC_SSA)] = (rows, _cdf(count[rows] * share[rows]))
        rows = np.flatnonzero((sex == s) & (decade == 0))
        tables[(s, 0, FirstNameSource.HISPANIC_CENSUS)] = (rows, _cdf(count[rows]))
    compound: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for s, entries in COMPOUND_GIVEN.items():
        start = len(names)
        names.extend(name for name, _ in entries)
        weights = np.array([w for _, w in entries], dtype=np.float64)
        compound[s] = (np.arange(start, len(names)), _cdf(weights))
    plain = np.asarray(names, dtype=object)
    forms = pa.array(names + [accent(n) for n in names], pa.string())
    counts = np.r_[count, np.zeros(len(names) - len(count))]
    return FirstNames(plain=plain, count=counts, forms=forms, tables=tables, compound=compound)
