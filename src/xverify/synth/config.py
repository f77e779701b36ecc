"""Frozen configuration of the synthetic register; every realism knob lives here."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..errors import ConfigError


class HouseholdKind(enum.Enum):
    """Who lives together at one address."""

    SINGLE = "single"
    COUPLE = "couple"
    FAMILY = "family"  # couple with one or two adult children
    SINGLE_PARENT = "single_parent"  # one parent with an adult child
    MULTIGEN = "multigen"  # couple, an elderly parent, maybe an adult child
    JR_SR = "jr_sr"  # father and son with identical names, SR and JR
    TWINS = "twins"  # couple with adult twins (same birth date)
    ROOMMATES = "roommates"  # two to four unrelated adults


class Role(enum.Enum):
    """A person's place in the household, which fixes age, sex and surname rules."""

    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    ELDER = "elder"
    JUNIOR = "junior"
    TWIN = "twin"
    ROOMMATE = "roommate"


DEFAULT_HOUSEHOLD_SHARES: dict[HouseholdKind, float] = {
    HouseholdKind.SINGLE: 0.34,
    HouseholdKind.COUPLE: 0.33,
    HouseholdKind.FAMILY: 0.12,
    HouseholdKind.SINGLE_PARENT: 0.05,
    HouseholdKind.MULTIGEN: 0.04,
    HouseholdKind.JR_SR: 0.02,
    HouseholdKind.TWINS: 0.01,
    HouseholdKind.ROOMMATES: 0.09,
}


def _share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be between 0 and 1")


@dataclass(frozen=True)
class RegisterConfig:
    """Knobs of the synthetic register (shares are probabilities in [0, 1])."""

    # names
    hispanic_share: float = 0.163  # 2010 Census share of Hispanic surname bearers
    hispanic_census_first_share: float = 0.5  # Hispanic given names from the all-ages census table
    two_surname_share: float = 0.35  # Hispanic households keeping paternal + maternal surnames
    surname_y_share: float = 0.03  # two surnames joined with " Y "
    surname_hyphen_share: float = 0.10  # two surnames joined with "-" on the register
    particle_spaced_share: float = 0.75  # DE LA CRUZ rather than DELACRUZ (Hispanic bearers)
    accent_share: float = 0.35  # Hispanic names written with diacritics (JOSÉ, MUÑOZ)
    compound_given_share: float = 0.15  # Hispanic given names like MARIA DEL CARMEN
    middle_full_share: float = 0.50  # non-Hispanic people with a full middle name
    middle_initial_share: float = 0.15  # non-Hispanic people with a middle initial
    hispanic_middle_share: float = 0.20  # Hispanic people with a middle name
    # households
    household_shares: dict[HouseholdKind, float] = field(
        default_factory=lambda: dict(DEFAULT_HOUSEHOLD_SHARES)
    )
    couple_shared_surname: float = 0.85  # non-Hispanic couples sharing the surname
    hispanic_couple_shared_surname: float = 0.40
    sr_suffix_share: float = 0.7  # the father of a JR writes SR
    # addresses
    apartment_share: float = 0.28  # addresses in multi-unit buildings
    roommates_apartment_share: float = 0.85
    building_mean_units: float = 10.0
    po_box_share: float = 0.03
    full_street_type_share: float = 0.10  # register spells STREET instead of ST
    move_rate: float = 0.12  # households moving between consecutive tax years
    local_move_share: float = 0.5  # moves that stay in the same ZIP
    # filing and TINs
    file_rate: float = 0.93  # adults filing in a given year
    itin_share_hispanic: float = 0.12
    itin_share_other: float = 0.01
    # engineering
    chunk_people: int = 250_000  # people per streamed chunk (one Parquet row group each)

    def __post_init__(self) -> None:
        for name in [
            "hispanic_share",
            "hispanic_census_first_share",
            "two_surname_share",
            "surname_y_share",
            "surname_hyphen_share",
            "particle_spaced_share",
            "accent_share",
            "compound_given_share",
            "middle_full_share",
            "middle_initial_share",
            "hispanic_middle_share",
            "couple_shared_surname",
            "hispanic_couple_shared_surname",
            "sr_suffix_share",
            "apartment_share",
            "roommates_apartment_share",
            "po_box_share",
            "full_street_type_share",
            "move_rate",
            "local_move_share",
            "file_rate",
            "itin_share_hispanic",
            "itin_share_other",
        ]:
            _share(name, getattr(self, name))
        if self.middle_full_share + self.middle_initial_share > 1:
            raise ConfigError("middle_full_share + middle_initial_share must not exceed 1")
        if self.surname_y_share + self.surname_hyphen_share > 1:
            raise ConfigError("surname_y_share + surname_hyphen_share must not exceed 1")
        if self.apartment_share + self.po_box_share > 1:
            raise ConfigError("apartment_share + po_box_share must not exceed 1")
        shares = self.household_shares
        if any(v < 0 for v in shares.values()) or sum(shares.values()) <= 0:
            raise ConfigError("household_shares must be non-negative and not all zero")
        if self.building_mean_units < 1:
            raise ConfigError("building_mean_units must be at least 1")
        if self.chunk_people < 1000:
            raise ConfigError("chunk_people must be at least 1000")


def parse_years(text: str) -> range:
    """``"2019-2024"`` or ``"2022"`` -> ``range(2019, 2025)``; raises ConfigError otherwise."""
    parts = text.strip().split("-")
    try:
        first, last = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (0, -1)
    except ValueError:
        raise ConfigError(f"years must look like 2019-2024, got {text!r}") from None
    years = range(first, last + 1)
    check_years(years)
    return years


def check_years(years: range) -> None:
    """Years must be a non-empty increasing span of at most 30 plausible tax years."""
    if years.step != 1 or len(years) == 0:
        raise ConfigError("years must be an increasing span like 2019-2024")
    if years.start < 1950 or years.stop > 2101 or len(years) > 30:
        raise ConfigError("years must lie within 1950-2100 and span at most 30 years")
