"""Submission profiles: how far requests stray from the register, and how many are invalid."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from ..errors import ConfigError


class Profile(enum.Enum):
    """Named request mixes (``xverify synth submissions --profile``)."""

    CLEAN = "clean"
    REALISTIC = "realistic"
    HARD = "hard"
    REPLAY_2025 = "replay-2025"

    @classmethod
    def parse(cls, text: str) -> Profile:
        try:
            return cls(text)
        except ValueError:
            names = ", ".join(p.value for p in cls)
            raise ConfigError(f"unknown profile {text!r}; choose one of {names}") from None


class Noise(enum.Enum):
    """Distortions of a request relative to the register (tags in truth ``noise``)."""

    TYPO = "typo"
    OCR = "ocr"
    PHONETIC = "phonetic"
    NICKNAME = "nickname"
    MIDDLE_DROPPED = "middle_dropped"
    MIDDLE_INITIAL = "middle_initial"
    GIVEN_SPLIT = "given_split"  # MARIA DEL CARMEN -> MARIA / DEL CARMEN or MARIA
    FIRST_SURNAME_ONLY = "first_surname_only"
    SURNAMES_SWAPPED = "surnames_swapped"
    SURNAMES_HYPHENATED = "surnames_hyphenated"
    ACCENTS_DROPPED = "accents_dropped"
    PARTICLE_SPACING = "particle_spacing"  # DE LA CRUZ <-> DELACRUZ
    SUFFIX_DROPPED = "suffix_dropped"
    CASE = "case"
    NAME_ORDER = "name_order"  # first and last swapped
    STREET_ABBREV = "street_abbrev"  # ST <-> STREET, N <-> NORTH
    UNIT_MISSING = "unit_missing"
    UNIT_IN_STREET = "unit_in_street"
    ZIP_DIGIT = "zip_digit"
    ZIP_PLUS4 = "zip_plus4"
    STREET_TYPO = "street_typo"
    CITY_TYPO = "city_typo"
    HOUSE_NUMBER = "house_number"
    # not text distortions: where the address came from
    OUTDATED_ADDRESS = "outdated_address"
    ADDRESS_NOT_ON_FILE = "address_not_on_file"


class InvalidKind(enum.Enum):
    """Ways a request breaks 26 U.S.C. 6103(i)(2)(B) or the data contract."""

    ADDRESS_PLACEHOLDER = "address_placeholder"
    ADDRESS_BLANK = "address_blank"
    ZIP_ONLY = "zip_only"
    NO_PERIOD = "no_period"
    INVERTED_PERIOD = "inverted_period"
    PERIOD_OUTSIDE = "period_outside"
    NO_STATUTE = "no_statute"
    BAD_STATUTE = "bad_statute"
    NO_REASON = "no_reason"
    NO_NAME = "no_name"


class TargetKind(enum.Enum):
    """Who a request is about (truth column ``target_kind``)."""

    REGISTERED = "registered"
    STRANGER = "stranger"  # not in the register, unrelated to anyone in it
    NAMESAKE = "namesake"  # same name as a registered person, elsewhere in the same ZIP
    NEIGHBOR = "neighbor"  # same name, same building or street, different unit or number
    HOUSEMATE = "housemate"  # lives at a registered person's address, same surname


_TEXT_WEIGHTS: dict[Noise, float] = {
    Noise.TYPO: 3,
    Noise.OCR: 1,
    Noise.PHONETIC: 2,
    Noise.NICKNAME: 2.5,
    Noise.MIDDLE_DROPPED: 3,
    Noise.MIDDLE_INITIAL: 1,
    Noise.GIVEN_SPLIT: 3,
    Noise.FIRST_SURNAME_ONLY: 5,
    Noise.SURNAMES_SWAPPED: 1,
    Noise.SURNAMES_HYPHENATED: 2,
    Noise.ACCENTS_DROPPED: 8,
    Noise.PARTICLE_SPACING: 3,
    Noise.SUFFIX_DROPPED: 1,
    Noise.CASE: 1,
    Noise.STREET_ABBREV: 4,
    Noise.UNIT_MISSING: 3,
    Noise.UNIT_IN_STREET: 2,
    Noise.ZIP_DIGIT: 2,
    Noise.ZIP_PLUS4: 1,
    Noise.STREET_TYPO: 2,
    Noise.CITY_TYPO: 1,
}
_HARD_WEIGHTS = {**_TEXT_WEIGHTS, Noise.NAME_ORDER: 1.0, Noise.HOUSE_NUMBER: 1.0}

_INVALID_WEIGHTS: dict[InvalidKind, float] = {
    InvalidKind.ADDRESS_PLACEHOLDER: 35,
    InvalidKind.ZIP_ONLY: 25,
    InvalidKind.ADDRESS_BLANK: 8,
    InvalidKind.NO_PERIOD: 8,
    InvalidKind.INVERTED_PERIOD: 4,
    InvalidKind.PERIOD_OUTSIDE: 4,
    InvalidKind.NO_STATUTE: 5,
    InvalidKind.BAD_STATUTE: 4,
    InvalidKind.NO_REASON: 6,
    InvalidKind.NO_NAME: 1,
}


def _check_dist(name: str, weights: dict | tuple) -> None:
    values = list(weights.values()) if isinstance(weights, dict) else list(weights)
    if any(v < 0 for v in values) or sum(values) <= 0:
        raise ConfigError(f"{name} must be non-negative and not all zero")


@dataclass(frozen=True)
class ProfileConfig:
    """Every knob of a submission profile (shares are probabilities in [0, 1])."""

    in_register_share: float = 0.9
    invalid_share: float = 0.0
    noise_count: tuple[float, ...] = (1.0,)  # P(0 distortions), P(1), ...
    noise_weights: dict[Noise, float] = field(default_factory=lambda: dict(_TEXT_WEIGHTS))
    invalid_weights: dict[InvalidKind, float] = field(
        default_factory=lambda: dict(_INVALID_WEIGHTS)
    )
    outsider_weights: dict[TargetKind, float] = field(
        default_factory=lambda: {
            TargetKind.STRANGER: 0.6,
            TargetKind.NAMESAKE: 0.2,
            TargetKind.NEIGHBOR: 0.1,
            TargetKind.HOUSEMATE: 0.1,
        }
    )
    outdated_share: float = 0.0  # address from an earlier filing than the requested period's
    not_on_file_share: float = 0.0  # an address the register never had (moved since)
    single_year_share: float = 0.6  # period is one tax year (else a 2-4 year span)
    overhang_share: float = 0.0  # period reaching before or after the register years
    birth_date_share: float = 0.0
    common_anchor_share: float = 0.6  # look-alikes imitating people whose name is common

    def __post_init__(self) -> None:
        for name in [
            "in_register_share",
            "invalid_share",
            "outdated_share",
            "not_on_file_share",
            "single_year_share",
            "overhang_share",
            "birth_date_share",
            "common_anchor_share",
        ]:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1")
        if self.outdated_share + self.not_on_file_share > 1:
            raise ConfigError("outdated_share + not_on_file_share must not exceed 1")
        _check_dist("noise_count", self.noise_count)
        _check_dist("noise_weights", self.noise_weights)
        _check_dist("invalid_weights", self.invalid_weights)
        _check_dist("outsider_weights", self.outsider_weights)

    def with_in_register_share(self, share: float | None) -> ProfileConfig:
        return self if share is None else replace(self, in_register_share=share)


PROFILES: dict[Profile, ProfileConfig] = {
    Profile.CLEAN: ProfileConfig(in_register_share=1.0),
    Profile.REALISTIC: ProfileConfig(
        in_register_share=0.9,
        invalid_share=0.02,
        noise_count=(0.3, 0.4, 0.2, 0.1),
        outdated_share=0.05,
        not_on_file_share=0.03,
        overhang_share=0.05,
        birth_date_share=0.3,
    ),
    Profile.HARD: ProfileConfig(
        in_register_share=0.8,
        invalid_share=0.05,
        noise_count=(0.1, 0.25, 0.3, 0.2, 0.15),
        noise_weights=dict(_HARD_WEIGHTS),
        outsider_weights={
            TargetKind.STRANGER: 0.3,
            TargetKind.NAMESAKE: 0.3,
            TargetKind.NEIGHBOR: 0.2,
            TargetKind.HOUSEMATE: 0.2,
        },
        outdated_share=0.1,
        not_on_file_share=0.06,
        overhang_share=0.1,
        birth_date_share=0.2,
    ),
    Profile.REPLAY_2025: ProfileConfig(
        in_register_share=0.35,
        invalid_share=0.3,
        noise_count=(0.3, 0.4, 0.2, 0.1),
        outsider_weights={
            TargetKind.STRANGER: 0.4,
            TargetKind.NAMESAKE: 0.25,
            TargetKind.NEIGHBOR: 0.15,
            TargetKind.HOUSEMATE: 0.2,
        },
        outdated_share=0.1,
        not_on_file_share=0.1,
        overhang_share=0.1,
    ),
}
