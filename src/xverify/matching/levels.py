"""Agreement levels: every comparison, each of its levels, and the rules that read them.

This module is the only place a level has a number. The comparison kernels write these enums,
the model indexes its m/u tables by them, and the decision rules, the audit and the decisions
columns name them through :data:`LEVELS` and :class:`Rule` (a test forbids level literals
anywhere else in the package).

Each pair gets one int8 level per :class:`Comparison`; higher is stronger agreement, ``-1`` is
the explicit **missing** level (a side lacks the value) and contributes match weight 0 by policy:
a missing value is no evidence either way. Levels are mutually exclusive and tested in the order
below (first that holds wins).

=============  =====  ==========================================================================
comparison     level  meaning
=============  =====  ==========================================================================
given          5      all given-name components agree exactly (same sets; TF-adjusted)
               4      some component agrees exactly (JOSE ~ JOSE LUIS; TF-adjusted)
               3      one name is a nickname of the other (BILL ~ WILLIAM; not two
                      nicknames of a third name: CHRIS and TINA both of CHRISTINA)
               2      Dice of given-name filters >= ``given_hi`` (0.9)
               1      Dice >= ``given_lo`` (0.6) or the phonetic codes agree (typo, OCR)
               0      else;  -1 missing on a side
surname        5      all surname components agree exactly (same component sets; TF-adjusted)
               4      some component agrees exactly (dropped second surname; TF-adjusted)
               3      Dice of surname filters >= ``surname_hi`` (0.9)
               2      a phonetic code of a component agrees
               1      Dice >= ``surname_lo`` (0.6)
               0      else;  -1 missing
middle         1      middle initial agrees;  0 differs;  -1 missing
suffix         2      suffix agrees
               1      only the register record has a suffix (requests often drop it)
               0      differs: JR vs SR, or a suffix asked that the record lacks (JR asked,
                      none on file: maybe the registered father's son);  -1 neither side
birth_date     1 / 0 / -1  (0 vetoes disclosure: :func:`~xverify.matching.compare.vetoed`)
tin            1 / 0 / -1  (0 vetoes disclosure)
address        5      street line + ZIP agree and unit agrees (or neither has one)
               4      street line + ZIP agree, a unit on the request that the record lacks
               3      house number + ZIP agree and street Dice >= ``street_hi`` (0.8)
               2      house number agrees, street Dice >= ``street_hi`` and place (city, ZIP)
                      Dice >= ``place_hi`` (0.8): a ZIP typo, with or without a typo in the
                      street name, and never a neighbour's house number
               1      street line + ZIP agree (or level 2 or 3 holds), the record has a unit and
                      the request gives none: the same building, confirmed as the same home only
                      together with an agreeing birth date or TIN (a namesake in another
                      apartment is the classic wrong disclosure)
               0      else, and whenever the record has a unit the request does not match
                      (another apartment: another home);  -1 street missing on a side
=============  =====  ==========================================================================

The address is compared **as one unit**: street, unit, city and ZIP are not independent evidence.
Levels from ``Rule.ADDRESS_AGREES`` up mean "the address agrees", and so does the building level
together with an agreeing birth date or TIN (:func:`xverify.matching.compare.address_agrees`).

The thresholds (``given_hi`` ...) are :class:`xverify.matching.compare.CompareConfig`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Final

__all__ = [
    "LEVELS",
    "LEVEL_LABELS",
    "MISSING",
    "PARTS",
    "Address",
    "BirthDate",
    "Comparison",
    "Given",
    "LevelSpec",
    "Middle",
    "Part",
    "Rule",
    "Suffix",
    "Surname",
    "Tin",
    "levels_of",
]

#: the level of a comparison when a side lacks the value
MISSING: Final = -1


class Comparison(IntEnum):
    """Columns of the levels matrix, in kernel column order."""

    GIVEN = 0
    SURNAME = 1
    MIDDLE = 2
    SUFFIX = 3
    BIRTH_DATE = 4
    TIN = 5
    ADDRESS = 6


class Part(IntEnum):
    """Which share of the match weight a comparison contributes to."""

    OTHER = 0
    NAME = 1
    ADDRESS = 2


PARTS: Mapping[Comparison, Part] = {
    Comparison.GIVEN: Part.NAME,
    Comparison.SURNAME: Part.NAME,
    Comparison.MIDDLE: Part.NAME,
    Comparison.SUFFIX: Part.NAME,
    Comparison.BIRTH_DATE: Part.OTHER,
    Comparison.TIN: Part.OTHER,
    Comparison.ADDRESS: Part.ADDRESS,
}


class Given(IntEnum):
    """Given names (all components of both sides)."""

    ELSE = 0
    FUZZY = 1  # Dice >= given_lo, or the phonetic codes agree (typo, OCR)
    CLOSE = 2  # Dice >= given_hi
    NICKNAME = 3  # one is a nickname of the other (not two nicknames of a third name)
    SOME_EXACT = 4  # some component agrees exactly (JOSE ~ JOSE LUIS); TF-adjusted
    ALL_EXACT = 5  # the same component sets; TF-adjusted


class Surname(IntEnum):
    """Surnames (all components of both sides)."""

    ELSE = 0
    FUZZY = 1  # Dice >= surname_lo
    PHONETIC = 2  # a phonetic code of a component agrees
    CLOSE = 3  # Dice >= surname_hi
    SOME_EXACT = 4  # some component agrees exactly (a dropped second surname); TF-adjusted
    ALL_EXACT = 5  # the same component sets; TF-adjusted


class Middle(IntEnum):
    """Middle initial."""

    DIFFERS = 0
    AGREES = 1


class Suffix(IntEnum):
    """Generational suffix; missing only when neither side has one."""

    DIFFERS = 0  # JR vs SR, or a suffix asked that the record lacks (maybe the father's son)
    REGISTER_ONLY = 1  # only the register record has one (requests often drop it)
    AGREES = 2


class BirthDate(IntEnum):
    """Birth date; DIFFERS vetoes disclosure."""

    DIFFERS = 0
    AGREES = 1


class Tin(IntEnum):
    """TIN; DIFFERS vetoes disclosure."""

    DIFFERS = 0
    AGREES = 1


class Address(IntEnum):
    """The address as one unit: street, unit, city and ZIP are not independent evidence."""

    DIFFERS = 0  # also whenever the record has a unit the request does not match
    BUILDING = 1  # street line + ZIP agree (or FUZZY_PLACE/FUZZY_STREET would), the record has
    # a unit and the request none: the same home only with an agreeing birth date or TIN
    FUZZY_PLACE = 2  # house number agrees, street Dice >= street_hi, place Dice >= place_hi
    FUZZY_STREET = 3  # house number + ZIP agree, street Dice >= street_hi
    UNIT_ASKED = 4  # street line + ZIP agree, the request has a unit the record lacks
    EXACT = 5  # street line + ZIP agree and the unit agrees (or neither has one)


_ENUMS: Mapping[Comparison, type[IntEnum]] = {
    Comparison.GIVEN: Given,
    Comparison.SURNAME: Surname,
    Comparison.MIDDLE: Middle,
    Comparison.SUFFIX: Suffix,
    Comparison.BIRTH_DATE: BirthDate,
    Comparison.TIN: Tin,
    Comparison.ADDRESS: Address,
}


def levels_of(c: Comparison) -> type[IntEnum]:
    """The level enum of comparison ``c``."""
    return _ENUMS[c]


class Rule(Enum):
    """Named rules over levels: each holds from a minimum level of one comparison up.

    ``value`` is (comparison, minimum level, what it means)."""

    GIVEN_RESEMBLES = (Comparison.GIVEN, Given.FUZZY, "any similarity of the given names")
    GIVEN_AGREES = (Comparison.GIVEN, Given.NICKNAME, "given names agree (nickname or exact)")
    SURNAME_RESEMBLES = (Comparison.SURNAME, Surname.FUZZY, "any similarity of the surnames")
    SURNAME_AGREES = (Comparison.SURNAME, Surname.SOME_EXACT, "a surname component is exact")
    ADDRESS_AGREES = (Comparison.ADDRESS, Address.FUZZY_PLACE, "the address agrees")
    STREET_LINE_AGREES = (Comparison.ADDRESS, Address.UNIT_ASKED, "street line + ZIP agree")

    @property
    def comparison(self) -> Comparison:
        return self.value[0]

    @property
    def min_level(self) -> int:
        return int(self.value[1])

    def holds(self, level: int) -> bool:
        return level >= self.min_level


#: levels whose u-probability is replaced by the agreeing token's register frequency
_TF: Mapping[Comparison, tuple[IntEnum, ...]] = {
    Comparison.GIVEN: (Given.SOME_EXACT, Given.ALL_EXACT),
    Comparison.SURNAME: (Surname.SOME_EXACT, Surname.ALL_EXACT),
}

#: labels in level order (keyed by enum: IntEnum members of different enums compare equal)
_LABELS: Mapping[type[IntEnum], tuple[str, ...]] = {
    Given: ("else", "dice>=lo|phonetic", "dice>=hi", "nickname", "some exact", "all exact"),
    Surname: ("else", "dice>=lo", "phonetic", "dice>=hi", "some exact", "all exact"),
    Middle: ("differs", "initial agrees"),
    Suffix: ("differs", "register only", "agrees"),
    BirthDate: ("differs", "agrees"),
    Tin: ("differs", "agrees"),
    Address: (
        "differs",
        "same building, no unit asked",
        "street~ + place~",
        "number+zip, street~",
        "street+zip, unit only asked",
        "street+zip+unit",
    ),
}


@dataclass(frozen=True)
class LevelSpec:
    """One level of one comparison: its number, label, and the rules it satisfies."""

    comparison: Comparison
    level: int
    name: str
    label: str
    tf_adjusted: bool
    rules: tuple[Rule, ...]


#: every level of every comparison, in level order
LEVELS: Mapping[Comparison, tuple[LevelSpec, ...]] = {
    c: tuple(
        LevelSpec(
            c,
            int(lv),
            lv.name.lower(),
            _LABELS[levels_of(c)][lv],
            lv in _TF.get(c, ()),
            tuple(r for r in Rule if r.comparison is c and r.holds(int(lv))),
        )
        for lv in levels_of(c)
    )
    for c in Comparison
}
#: human-readable label of each level (index = level), per comparison
LEVEL_LABELS: Mapping[Comparison, tuple[str, ...]] = {
    c: tuple(s.label for s in specs) for c, specs in LEVELS.items()
}
