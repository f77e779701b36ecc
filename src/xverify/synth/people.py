"""Names, suffixes, birth dates and TINs of the people in a chunk of households.

Latin American customs for Hispanic households: paternal + maternal surnames (children take the
father's first surname and the mother's first surname), spouses keeping their own surnames,
particles (DE LA CRUZ), compound given names (MARIA DEL CARMEN) and diacritics (JOSÉ, MUÑOZ).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .config import HouseholdKind, RegisterConfig, Role
from .households import Households
from .names import FirstNameSource, SurnameForm, first_names, surnames
from .tins import TinAllocator

_JOINERS = pa.array([" ", " Y ", "-"])
_SUFFIXES = pa.array(["JR", "SR", "II"])


class Suffix(enum.IntEnum):
    """Generational suffix codes (index into ``_SUFFIXES``; -1 = none)."""

    JR = 0
    SR = 1
    II = 2


@dataclass(frozen=True)
class NamedPeople:
    """Name components of a chunk (indices into the name tables) and the resulting strings."""

    first: np.ndarray  # index into first_names().plain
    surname1: np.ndarray  # index into surnames().plain
    surname2: np.ndarray  # -1 when the person has one surname
    compound_surname: np.ndarray  # bool: two surnames or a particle surname
    itin: np.ndarray  # bool
    table: pa.Table  # taxpayers columns


def _household_flag(h: Households, p: float, rng: np.random.Generator) -> np.ndarray:
    """A coin per household (per person for roommates), shared by all members."""
    coin = rng.random(h.size) < p
    return np.where(h.is_role(Role.ROOMMATE), coin, coin[h.head])


def name_people(
    h: Households,
    last_year: int,
    tins: TinAllocator | None,
    cfg: RegisterConfig,
    rng: np.random.Generator,
) -> NamedPeople:
    """Draw every name component and build the ``taxpayers`` table of one chunk.

    Without ``tins`` the ``tin`` column is null (people who are not in any register).
    """
    fn, sn = first_names(), surnames()
    n = h.size
    hisp = h.hispanic
    head, spouse = h.head, h.spouse
    birth_year = (last_year - h.age).astype(np.int64)

    # given names
    census = rng.random(n) < cfg.hispanic_census_first_share
    source = np.where(
        hisp,
        np.where(census, FirstNameSource.HISPANIC_CENSUS, FirstNameSource.HISPANIC_SSA),
        FirstNameSource.OTHER,
    )
    first = fn.sample(h.female, birth_year, source, rng)
    twin2 = h.twin_of >= 0
    clash = twin2 & (fn.plain[first] == fn.plain[first[np.maximum(h.twin_of, 0)]])
    if clash.any():
        first[clash] = fn.sample(h.female[clash], birth_year[clash], source[clash], rng)
    compound_given = hisp & (rng.random(n) < cfg.compound_given_share)
    first[compound_given] = fn.sample_compound(h.female[compound_given], rng)
    middle = fn.sample(h.female, birth_year, source, rng)
    u = rng.random(n)
    has_middle = (
        np.where(
            hisp,
            u < cfg.hispanic_middle_share,
            u < cfg.middle_full_share + cfg.middle_initial_share,
        )
        & ~compound_given
    )
    initial = ~hisp & (u >= cfg.middle_full_share)
    junior = h.is_role(Role.JUNIOR)
    first[junior] = first[head[junior]]
    middle[junior] = middle[head[junior]]
    has_middle[junior] = has_middle[head[junior]]
    initial[junior] = initial[head[junior]]

    # surnames
    own1 = sn.sample(hisp, rng)
    own2 = sn.sample(np.ones(n, dtype=bool), rng)
    two = h.two_surnames
    s1 = own1.copy()
    s2 = np.where(two, own2, -1)
    has_sp = spouse >= 0
    sp_role = h.is_role(Role.SPOUSE)
    share_p = np.where(hisp, cfg.hispanic_couple_shared_surname, cfg.couple_shared_surname)
    shares = sp_role & ~two & (rng.random(n) < share_p)
    s1[shares] = s1[head[shares]]
    kid = h.is_role(Role.CHILD) | h.is_role(Role.TWIN) | h.is_role(Role.ELDER)
    s1[kid] = s1[head[kid]]
    from_mother = kid & two & has_sp & ~h.is_role(Role.ELDER)
    s2[from_mother] = s1[spouse[from_mother]]
    s1[junior], s2[junior] = s1[head[junior]], s2[head[junior]]

    accent = hisp & _household_flag(h, cfg.accent_share, rng)
    spaced = hisp & _household_flag(h, cfg.particle_spaced_share, rng)
    j = rng.random(n)
    joiner = np.where(
        j < cfg.surname_y_share,
        1,
        np.where(j < cfg.surname_y_share + cfg.surname_hyphen_share, 2, 0),
    )
    joiner = np.where(h.is_role(Role.ROOMMATE), joiner, joiner[head])
    form = np.where(spaced, SurnameForm.SPACED, SurnameForm.PLAIN) + np.where(
        accent, SurnameForm.ACCENTED, 0
    )
    last1 = sn.forms.take(pa.array(s1 + form * sn.size))
    mask2 = s2 < 0
    last2 = sn.forms.take(pa.array(np.where(mask2, 0, s2) + form * sn.size, mask=mask2))
    last = pc.binary_join_element_wise(
        last1, last2, _JOINERS.take(pa.array(joiner)), null_handling="skip"
    )

    acc_off = np.where(accent, fn.size, 0)
    first_s = fn.forms.take(pa.array(first + acc_off))
    mid_full = fn.forms.take(pa.array(middle + acc_off))
    mid_s = pc.if_else(pa.array(initial), pc.utf8_slice_codeunits(mid_full, 0, 1), mid_full)
    mid_s = pc.if_else(pa.array(has_middle), mid_s, pa.scalar(None, pa.string()))

    suffix = np.full(n, -1)
    jrsr_head = h.is_role(Role.HEAD) & h.is_kind(HouseholdKind.JR_SR)
    suffix[jrsr_head & (rng.random(n) < cfg.sr_suffix_share)] = Suffix.SR
    suffix[junior] = np.where(rng.random(int(junior.sum())) < 0.9, Suffix.JR, Suffix.II)
    mask = suffix < 0
    suffix_s = _SUFFIXES.take(pa.array(np.where(mask, 0, suffix), mask=mask))

    doy = rng.integers(0, 365, n)
    doy[h.twin_of >= 0] = doy[h.twin_of[h.twin_of >= 0]]
    birth = (birth_year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + doy
    itin = rng.random(n) < np.where(hisp, cfg.itin_share_hispanic, cfg.itin_share_other)
    table = pa.table(
        {
            "tin": tins.take(itin) if tins is not None else pa.nulls(n, pa.string()),
            "first_name": first_s,
            "middle_name": mid_s,
            "last_name": last,
            "suffix": suffix_s,
            "birth_date": pa.array(birth, pa.date32()),
        }
    )
    return NamedPeople(
        first=first,
        surname1=s1,
        surname2=s2,
        compound_surname=(s2 >= 0) | sn.particle[s1],
        itin=itin,
        table=table,
    )
