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
    SURVEY = "survey"

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
    HOUSE_NUMBER = "house_number"  # one digit of the house number wrong
    # survey-grade noise (the ``survey`` profile)
    KEYBOARD = "keyboard"  # a neighbouring key on a QWERTY keyboard
    PLACEHOLDER_GIVEN = "placeholder_given"  # WIFE, RESIDENT, DAUGHTER OF, LADY OF, MRS ...
    GIVEN_INITIAL = "given_initial"  # the given name cut to its initial
    GIVEN_BLANK = "given_blank"  # no given name: the request lacks a name (invalid)
    SURNAME_BLANK = "surname_blank"  # no surname: the request lacks a name (invalid)
    SURNAME_TRUNCATED = "surname_truncated"  # cut short by a field length or a scan
    NAME_JOINED = "name_joined"  # words of a given name or surname run together
    STREET_NAME_TRUNCATED = "street_name_truncated"  # WASHINGTON -> WASHIN
    STREET_TYPE_TRUNCATED = "street_type_truncated"  # STREET -> STRE, ROAD -> R
    STREET_JOINED = "street_joined"  # two words of the street line run together
    HOUSE_NUMBER_TRANSPOSED = "house_number_transposed"  # 1234 -> 1243
    HOUSE_DIGIT_DROPPED = "house_digit_dropped"  # 1234 -> 124
    HOUSE_NUMBER_BLANK = "house_number_blank"  # MAIN ST without its number
    CITY_BLANK = "city_blank"
    STATE_BLANK = "state_blank"
    ZIP_BLANK = "zip_blank"
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
    # non-filing household members of a filer: same surname, middle initial and address
    HOUSEHOLD_OTHER_GIVEN = "household_other_given"  # a different given name outright
    HOUSEHOLD_NEAR_GIVEN = "household_near_given"  # a given name one letter from the filer's
    HOUSEHOLD_SAME_NAME = "household_same_name"  # the filer's full name (father/son, no suffix)


#: target kinds that are non-filing members of a registered filer's household
HOUSEHOLD_KINDS = frozenset(
    {
        TargetKind.HOUSEHOLD_OTHER_GIVEN,
        TargetKind.HOUSEHOLD_NEAR_GIVEN,
        TargetKind.HOUSEHOLD_SAME_NAME,
    }
)


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
    # each kind applied independently with its probability (when it applies to the request),
    # in the mapping's order, after the ``noise_count`` distortions
    noise_rates: dict[Noise, float] = field(default_factory=dict)
    well_formed_column: bool = False  # truth carries ``well_formed`` (survey profile)

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
        for kind, rate in self.noise_rates.items():
            if not isinstance(kind, Noise) or not 0.0 <= rate <= 1.0:
                raise ConfigError("noise_rates must map Noise kinds to probabilities in [0, 1]")
            if kind in (Noise.OUTDATED_ADDRESS, Noise.ADDRESS_NOT_ON_FILE):
                raise ConfigError(f"{kind.value} is set by outdated_share / not_on_file_share")

    def with_in_register_share(self, share: float | None) -> ProfileConfig:
        return self if share is None else replace(self, in_register_share=share)


#: Survey-grade noise: per-request probability of each distortion where it applies (see
#: docs/profiles.md for the sources; most rates are judgement anchored on Winkler's working
#: figure of about 5% typographical error per field). Applied in this order.
SURVEY_NOISE_RATES: dict[Noise, float] = {
    # structure of the name as a survey captures it
    Noise.FIRST_SURNAME_ONLY: 0.30,
    Noise.SURNAMES_SWAPPED: 0.03,
    Noise.SURNAMES_HYPHENATED: 0.05,
    Noise.PARTICLE_SPACING: 0.15,
    Noise.NAME_JOINED: 0.03,
    Noise.GIVEN_SPLIT: 0.20,
    Noise.NICKNAME: 0.03,
    Noise.MIDDLE_DROPPED: 0.15,
    Noise.MIDDLE_INITIAL: 0.50,
    Noise.SUFFIX_DROPPED: 0.50,
    Noise.ACCENTS_DROPPED: 0.50,
    # placeholder, initial-only and blank name parts
    Noise.PLACEHOLDER_GIVEN: 0.015,
    Noise.GIVEN_INITIAL: 0.01,
    Noise.GIVEN_BLANK: 0.004,
    Noise.SURNAME_TRUNCATED: 0.01,
    Noise.SURNAME_BLANK: 0.002,
    # typographical errors in a name field (given 40%, surname 60%)
    Noise.TYPO: 0.04,
    Noise.KEYBOARD: 0.02,
    Noise.OCR: 0.02,
    Noise.PHONETIC: 0.03,
    # street line
    Noise.STREET_ABBREV: 0.15,
    Noise.STREET_TYPE_TRUNCATED: 0.02,
    Noise.STREET_NAME_TRUNCATED: 0.01,
    Noise.STREET_TYPO: 0.03,
    Noise.HOUSE_NUMBER: 0.01,
    Noise.HOUSE_NUMBER_TRANSPOSED: 0.005,
    Noise.HOUSE_DIGIT_DROPPED: 0.005,
    Noise.HOUSE_NUMBER_BLANK: 0.01,
    Noise.UNIT_IN_STREET: 0.05,
    Noise.UNIT_MISSING: 0.15,
    Noise.STREET_JOINED: 0.01,
    # city, state, ZIP
    Noise.CITY_TYPO: 0.02,
    Noise.CITY_BLANK: 0.02,
    Noise.STATE_BLANK: 0.005,
    Noise.ZIP_DIGIT: 0.01,
    Noise.ZIP_PLUS4: 0.02,
    Noise.ZIP_BLANK: 0.01,
    # applied last
    Noise.NAME_ORDER: 0.01,
}

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
    Profile.SURVEY: ProfileConfig(
        in_register_share=0.85,
        invalid_share=0.02,
        noise_count=(1.0,),
        noise_rates=dict(SURVEY_NOISE_RATES),
        outsider_weights={
            TargetKind.STRANGER: 0.30,
            TargetKind.NAMESAKE: 0.10,
            TargetKind.NEIGHBOR: 0.05,
            TargetKind.HOUSEMATE: 0.05,
            TargetKind.HOUSEHOLD_OTHER_GIVEN: 0.25,
            TargetKind.HOUSEHOLD_NEAR_GIVEN: 0.125,
            TargetKind.HOUSEHOLD_SAME_NAME: 0.125,
        },
        outdated_share=0.05,
        not_on_file_share=0.03,
        overhang_share=0.05,
        birth_date_share=0.5,
        well_formed_column=True,
    ),
}


def _pct(x: float) -> str:
    return "0" if x == 0 else f"{100 * x:.3g}%"


def profiles_markdown() -> str:
    """The tables of docs/profiles.md, generated from :data:`PROFILES` (a test holds them
    equal): request mix, look-alike mix, counted distortions, and survey rates."""
    cols = list(PROFILES)
    head = "| | " + " | ".join(f"`{p.value}`" for p in cols) + " |"
    rule = "|---" * (len(cols) + 1) + "|"
    out = ["### Request mix", "", head, rule]
    knobs = {
        "in register": "in_register_share",
        "invalid (REJECTED by design)": "invalid_share",
        "address outdated (earlier filing)": "outdated_share",
        "address never on file": "not_on_file_share",
        "period reaching outside the register years": "overhang_share",
        "one-year period (else 2-4 years)": "single_year_share",
        "birth date in the request": "birth_date_share",
        "look-alikes anchored on a common name": "common_anchor_share",
    }
    for label, attr in knobs.items():
        cells = " | ".join(_pct(getattr(PROFILES[p], attr)) for p in cols)
        out.append(f"| {label} | {cells} |")
    out.append(
        "| distortions per request, P(0), P(1), ... | "
        + " | ".join(", ".join(_pct(x) for x in PROFILES[p].noise_count) for p in cols)
        + " |"
    )
    out.append(
        "| truth column `well_formed` | "
        + " | ".join("yes" if PROFILES[p].well_formed_column else "no" for p in cols)
        + " |"
    )
    out += ["", "### Who a request is about when it is not a registered person", "", head, rule]
    for kind in TargetKind:
        if kind is TargetKind.REGISTERED:
            continue
        shares = []
        for p in cols:
            kinds_w = PROFILES[p].outsider_weights
            shares.append(_pct(kinds_w.get(kind, 0.0) / sum(kinds_w.values())))
        out.append(f"| `{kind.value}` | " + " | ".join(shares) + " |")
    counted = [p for p in cols if len(PROFILES[p].noise_count) > 1]
    out += [
        "",
        "### Counted distortions: share of the draws",
        "",
        "| noise | " + " | ".join(f"`{p.value}`" for p in counted) + " |",
        "|---" * (len(counted) + 1) + "|",
    ]
    kinds = [n for n in Noise if any(n in PROFILES[p].noise_weights for p in counted)]
    for n in kinds:
        shares = []
        for p in counted:
            noise_w = PROFILES[p].noise_weights
            shares.append(_pct(noise_w.get(n, 0.0) / sum(noise_w.values())))
        out.append(f"| `{n.value}` | " + " | ".join(shares) + " |")
    rated = [p for p in cols if PROFILES[p].noise_rates]
    out += [
        "",
        "### Independent distortions: probability per request where the kind applies",
        "",
        "| noise | " + " | ".join(f"`{p.value}`" for p in rated) + " |",
        "|---" * (len(rated) + 1) + "|",
    ]
    kinds = list(dict.fromkeys(n for p in rated for n in PROFILES[p].noise_rates))
    for n in kinds:
        out.append(
            f"| `{n.value}` | "
            + " | ".join(_pct(PROFILES[p].noise_rates.get(n, 0.0)) for p in rated)
            + " |"
        )
    return "\n".join(out) + "\n"
