"""Names and addresses into canonical components — one function set for requester and custodian.

Both parties must normalize identically, or equal people encode differently; so every function
here is *total* (any input, including ``None``, NaN and arbitrary Unicode, gives a result and
never raises) and *idempotent* (normalizing a normalized value changes nothing).

* :func:`fold`: Unicode NFKD, diacritics dropped, a few non-decomposing letters transliterated
  (Ø→O, ß→SS...), upper case, apostrophes removed ("O'BRIEN"→"OBRIEN"), other punctuation to
  space, whitespace collapsed. Output is ASCII ``[A-Z0-9 ]``.
* :func:`normalize_name`: given components, middle name, surname components and generational
  suffix. Particles (DE, DE LA, DEL, DE LOS, VAN, VON, DA, DOS...) are kept *with* the word they
  introduce ("DE LA CRUZ" is one component); the conjunction "Y" between surnames and hyphens are
  separators, so "GARCIA LOPEZ", "GARCIA-LOPEZ" and "GARCIA Y LOPEZ" give the same components.
  Nicknames add canonical given names (English: the ``nicknames`` package; Spanish: our own table
  ``data/nicknames_es.csv``) as *extra* values, never replacing the given name.
* :func:`normalize_street` and friends: a fast rule-based parser (house number, directionals,
  USPS Publication 28 suffix abbreviations, unit designator and number, PO boxes); no CRF parser
  on the hot path. City, state (full names to USPS codes) and ZIP5 (from ZIP+4 too).

Callers normalize per *distinct* value (see :mod:`xverify.encoding.encoder`); nothing here
caches plaintext beyond a call except public reference tables (suffixes, nicknames).
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jellyfish
import numba
import numpy as np
import pyarrow as pa

__all__ = [
    "GENERATIONAL_SUFFIXES",
    "GIVEN_SPECIAL",
    "MIDDLE_SPECIAL",
    "SURNAME_SPECIAL",
    "NormalizedName",
    "StreetColumn",
    "StreetParts",
    "as_text",
    "canonical_given",
    "core",
    "fold",
    "fold_address",
    "fold_column",
    "given_components",
    "middle_components",
    "normalize_city",
    "normalize_name",
    "normalize_state",
    "normalize_street",
    "normalize_suffix",
    "normalize_unit",
    "normalize_zip5",
    "phonetic",
    "street_column",
    "surname_components",
    "zip5_column",
]

# -- folding ---------------------------------------------------------------------------------

_TRANSLIT = str.maketrans(
    {
        "Ø": "O",
        "ø": "o",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "ß": "SS",
        "ẞ": "SS",
        "Ð": "D",
        "ð": "d",
        "Þ": "TH",
        "þ": "th",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "ı": "i",
        "Ħ": "H",
        "ħ": "h",
        "'": "",
        "’": "",
        "‘": "",
        "`": "",
        "´": "",
        "ʼ": "",
    }
)
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_NON_ADDR = re.compile(r"[^A-Z0-9#/\-]+")
_LOOSE_DASH_SLASH = re.compile(r"(?<![0-9])[/\-]|[/\-](?![0-9])")
_HASH = re.compile(r"#+")
_WS = re.compile(r"\s+")
_CLEAN_ADDR = re.compile(r"[A-Z0-9]+(?: [A-Z0-9]+)*")


def as_text(value: Any) -> str:
    """Any value as a string; None and NaN become ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:  # NaN
        return ""
    try:
        return str(value)
    except Exception:  # a hostile __str__ must not break totality
        return ""


def _ascii_upper(value: Any) -> str:
    s = as_text(value)
    if not s.isascii():
        s = unicodedata.normalize("NFKD", s.translate(_TRANSLIT))
        s = "".join(c for c in s if not unicodedata.combining(c))
        # a second pass: upper-casing can create new decomposable characters
        s = unicodedata.normalize("NFKD", s.upper().translate(_TRANSLIT))
        s = "".join(c for c in s if not unicodedata.combining(c))
    else:
        s = s.translate(_TRANSLIT)
    return s.upper()


def fold(value: Any) -> str:
    """Upper-case ASCII ``[A-Z0-9 ]`` with single spaces; total and idempotent."""
    if isinstance(value, str) and _CLEAN_ADDR.fullmatch(value):
        return value  # already folded
    return _NON_ALNUM.sub(" ", _ascii_upper(value)).strip()


def fold_address(value: Any) -> str:
    """Like :func:`fold` but keeps ``#`` (as its own word) and ``-``/``/`` between digits."""
    if isinstance(value, str) and _CLEAN_ADDR.fullmatch(value):
        return value  # already folded (the common case on re-parse)
    s = _NON_ADDR.sub(" ", _ascii_upper(value))
    s = _LOOSE_DASH_SLASH.sub(" ", s)
    s = _LOOSE_DASH_SLASH.sub(" ", s)  # "1--2": the first pass leaves a lone dash behind
    s = _HASH.sub(" # ", s)
    return _WS.sub(" ", s).strip()


# -- names -----------------------------------------------------------------------------------

#: particles that belong to the following word ("DE LA CRUZ", "VAN DER BERG", "DEL CARMEN")
PARTICLES = frozenset(
    {"DE", "DEL", "LA", "LAS", "LOS", "EL", "VAN", "VON", "DER", "DEN", "DA", "DAS", "DOS",
     "DI", "DU", "ST", "SAN", "SANTA", "MC", "MAC", "BIN", "AL", "TER"}
)  # fmt: skip
#: surname conjunctions: separators between two surnames ("GARCIA Y LOPEZ")
CONJUNCTIONS = frozenset({"Y", "E", "I"})
GENERATIONAL_SUFFIXES = ("JR", "SR", "II", "III", "IV", "V")
_SUFFIX_MAP = {
    "JR": "JR", "JNR": "JR", "JUNIOR": "JR", "SR": "SR", "SNR": "SR", "SENIOR": "SR",
    "II": "II", "2": "II", "2ND": "II", "III": "III", "3": "III", "3RD": "III",
    "IV": "IV", "4": "IV", "4TH": "IV", "V": "V", "5": "V", "5TH": "V",
}  # fmt: skip
_TITLES = frozenset({"MR", "MRS", "MS", "MISS", "DR", "SRA", "SRTA", "DON", "DONA"})
#: words of given-name fields that hold a role, title or placeholder instead of a name (WIFE,
#: DAUGHTER OF, MRS, RESIDENT, FNU "first name unknown"): a field of only these states no given
#: name, and is encoded as missing rather than compared as if it were one
GIVEN_PLACEHOLDER_WORDS = frozenset(
    {"WIFE", "HUSBAND", "SPOUSE", "DAUGHTER", "SON", "LADY", "OF", "RESIDENT", "OCCUPANT",
     "TENANT", "CURRENT", "BABY", "INFANT", "CHILD", "UNKNOWN", "FNU", "NFN", "NMN", "MR", "MRS",
     "MS", "MISS"}
)  # fmt: skip


def normalize_suffix(value: Any) -> str:
    """Generational suffix (JR, SR, II, III, IV, V) or ''; other suffixes (MD, ESQ) are dropped."""
    for word in fold(value).split():
        if word in _SUFFIX_MAP:
            return _SUFFIX_MAP[word]
    return ""


def _group_particles(words: list[str]) -> list[str]:
    """Attach particles to the next word; a trailing particle stays on its own."""
    out: list[str] = []
    pending: list[str] = []
    for w in words:
        if w in PARTICLES:
            pending.append(w)
            continue
        out.append(" ".join([*pending, w]))
        pending = []
    if pending:
        if out and len(pending) == 1 and len(pending[0]) <= 2:
            out.append(pending[0])
        else:
            out.append(" ".join(pending))
    return out


def _split_trailing_suffix(words: list[str]) -> tuple[list[str], str]:
    # a lone "V" after a single word is more likely an initial than "the fifth"
    if (
        len(words) >= 2
        and words[-1] in _SUFFIX_MAP
        and not words[-1].isdigit()
        and (words[-1] != "V" or len(words) >= 3)
    ):
        return words[:-1], _SUFFIX_MAP[words[-1]]
    return words, ""


#: digits an OCR misreads letters as; names hold no digits, so a word mixing letters and digits
#: is read back as letters (J0HN → JOHN, AUST1N → AUSTIN, 5MITH → SMITH)
_OCR_DIGITS = str.maketrans("012568", "OIZSGB")


def _ocr_letters(words: list[str]) -> list[str]:
    return [w.translate(_OCR_DIGITS) if not w.isalpha() and not w.isdigit() else w for w in words]


def surname_components(value: Any) -> tuple[tuple[str, ...], str]:
    """Surname components (particles attached, "Y" and hyphens dropped) and a trailing suffix."""
    words = fold(value).split()
    words, suffix = _split_trailing_suffix(words)
    words = _ocr_letters(words)
    words = [w for i, w in enumerate(words) if not (w in CONJUNCTIONS and 0 < i < len(words) - 1)]
    return tuple(_group_particles(words)), suffix


def given_components(value: Any) -> tuple[tuple[str, ...], str]:
    """Given-name components (titles dropped, particles attached) and a trailing suffix; none
    when the field holds only a placeholder (:data:`GIVEN_PLACEHOLDER_WORDS`)."""
    words = fold(value).split()
    while len(words) >= 2 and words[0] in _TITLES:
        words = words[1:]
    words, suffix = _split_trailing_suffix(words)
    if words and all(w in GIVEN_PLACEHOLDER_WORDS for w in words):
        return (), suffix
    return tuple(_group_particles(_ocr_letters(words))), suffix


def middle_components(value: Any) -> tuple[tuple[str, ...], str]:
    """Middle-name words and a trailing suffix ("JR" in a middle-name field)."""
    words, suffix = _split_trailing_suffix(fold(value).split())
    return tuple(_ocr_letters(words)), suffix


def core(component: str) -> str:
    """A component without its particles: "DE LA CRUZ" → "CRUZ" (the word that carries it)."""
    parts = component.split()
    for w in reversed(parts):
        if w not in PARTICLES:
            return w
    return parts[-1] if parts else ""


@functools.cache
def _spanish_nicknames() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    text = resources.files("xverify.data").joinpath("nicknames_es.csv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines()):
        nick, canon = fold(row["nickname"]), fold(row["canonical"])
        if nick and canon:
            table.setdefault(nick, []).append(canon)
    return {k: tuple(v) for k, v in table.items()}


@functools.cache
def _given_popularity() -> dict[str, float]:
    """Bearers per given name (the SSA/census counts shipped in ``xverify.data``)."""
    import pyarrow.parquet as pq

    table = pq.read_table(
        resources.files("xverify.data").joinpath("first_names.parquet"), columns=["name", "count"]
    )
    counts: dict[str, float] = {}
    for name, c in zip(table["name"].to_pylist(), table["count"].to_pylist(), strict=True):
        key = fold(name)
        counts[key] = counts.get(key, 0.0) + float(c)
    return counts


@functools.cache
def _english_nicknames() -> dict[str, tuple[str, ...]]:
    """nickname → the names it is a nickname of, the most common first: CHRIS stands for
    CHRISTOPHER far more often than for CHRISTIANA, and only the first few fit the slots."""
    from nicknames import name_triplets

    formal: dict[str, set[str]] = {}
    for t in name_triplets():
        if str(getattr(t.relationship, "value", t.relationship)) == "has_nickname":
            formal.setdefault(fold(t.name2), set()).add(fold(t.name1))
    popular = _given_popularity()
    return {
        nick: tuple(sorted(names - {nick}, key=lambda n: (-popular.get(n, 0.0), n)))
        for nick, names in formal.items()
    }


def canonical_given(name: str, limit: int = 6) -> tuple[str, ...]:
    """Canonical forms of one given name: the name itself, then the names it is a nickname of
    (Spanish table first: PEPE → JOSE; then English, most common first: BILL → WILLIAM ...).

    A nickname and its formal name then share a value (RAY: RAY, RAYMOND; RAYMOND: RAYMOND, RAY),
    while two formal names share one only when one is a nickname of the other. Multi-word
    canonicals contribute their words in order.
    """
    name = fold(name)
    if not name:
        return ()
    found: list[str] = [name]
    for canon in _spanish_nicknames().get(name, ()) + _english_nicknames().get(name, ()):
        for w in canon.split():
            if w not in found:
                found.append(w)
    return tuple(found[:limit])


_PHONETIC_RULES = (
    (re.compile(r"LL"), "Y"),
    (re.compile(r"^Y(?=[^AEIOU])"), "I"),
    (re.compile(r"GU(?=[EI])"), "G"),
    (re.compile(r"QU(?=[EI])"), "K"),
)


def phonetic(word: str) -> str:
    """Metaphone code with a few Spanish spelling rules (LL→Y, GUE→GE, QUE→KE, Y+consonant→I).

    Metaphone (not NYSIIS/Soundex) because it merges the spellings that matter most here:
    JIMENEZ/GIMENEZ, GARCIA/GARSIA, GONZALEZ/GONZALES, VASQUEZ/VAZQUEZ, CATHERINE/KATHRYN,
    while keeping more consonant detail than Soundex (fewer false merges in blocking).
    """
    w = word if word.isalpha() and word.isascii() and word.isupper() else core(fold(word))
    w = w.replace(" ", "")
    if not w:
        return ""
    if "LL" in w or "GU" in w or "QU" in w or w[0] == "Y":
        for rx, rep in _PHONETIC_RULES:
            w = rx.sub(rep, w)
    try:
        return jellyfish.metaphone(w)
    except Exception:  # jellyfish is total on ASCII; belt and braces
        return w


@dataclass(frozen=True, repr=False)
class NormalizedName:
    """A parsed name. The repr is redacted: these are a person's name."""

    given: tuple[str, ...]
    middle: str
    surnames: tuple[str, ...]
    suffix: str
    canonical: tuple[str, ...]

    def __repr__(self) -> str:
        return "NormalizedName(<redacted>)"


def normalize_name(
    first: Any = None, middle: Any = None, last: Any = None, suffix: Any = None
) -> NormalizedName:
    """Parse name fields. The suffix comes from ``suffix`` or, failing that, the end of a name."""
    given, sfx_given = given_components(first)
    surnames, sfx_last = surname_components(last)
    mid_words, sfx_mid = middle_components(middle)
    sfx = normalize_suffix(suffix) or sfx_last or sfx_given or sfx_mid
    canonical = canonical_given(core(given[0])) if given else ()
    return NormalizedName(given, " ".join(mid_words), surnames, sfx, canonical)


# -- addresses -------------------------------------------------------------------------------


@functools.cache
def _street_suffixes() -> dict[str, str]:
    text = resources.files("xverify.data").joinpath("normalize_usps_suffixes.csv")
    table: dict[str, str] = {}
    for line in text.read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            variant, abbr = line.split(",")
            table[variant.strip()] = abbr.strip()
    return table


DIRECTIONALS = {
    "N": "N", "NORTH": "N", "S": "S", "SOUTH": "S", "E": "E", "EAST": "E", "W": "W", "WEST": "W",
    "NE": "NE", "NORTHEAST": "NE", "NW": "NW", "NORTHWEST": "NW", "SE": "SE", "SOUTHEAST": "SE",
    "SW": "SW", "SOUTHWEST": "SW",
}  # fmt: skip
#: USPS Publication 28 secondary unit designators (C2), variants → standard
UNIT_DESIGNATORS = {
    "APT": "APT", "APARTMENT": "APT", "APTO": "APT", "UNIT": "UNIT", "STE": "STE", "SUITE": "STE",
    "#": "#", "NO": "#", "NUM": "#", "RM": "RM", "ROOM": "RM", "FL": "FL", "FLOOR": "FL",
    "BLDG": "BLDG", "BUILDING": "BLDG", "LOT": "LOT", "SPC": "SPC", "SPACE": "SPC",
    "TRLR": "TRLR", "TRAILER": "TRLR", "DEPT": "DEPT", "DEPARTMENT": "DEPT", "HNGR": "HNGR",
    "HANGAR": "HNGR", "PIER": "PIER", "SLIP": "SLIP", "STOP": "STOP", "KEY": "KEY", "BOX": "BOX",
}  # fmt: skip
#: designators that take no number
UNIT_FLAGS = {
    "BSMT": "BSMT", "BASEMENT": "BSMT", "FRNT": "FRNT", "FRONT": "FRNT", "REAR": "REAR",
    "LOWR": "LOWR", "LOWER": "LOWR", "UPPR": "UPPR", "UPPER": "UPPR", "PH": "PH",
    "PENTHOUSE": "PH", "LBBY": "LBBY", "LOBBY": "LBBY", "OFC": "OFC", "OFFICE": "OFC",
    "SIDE": "SIDE",
}  # fmt: skip
_ORDINALS = {
    "FIRST": "1ST", "SECOND": "2ND", "THIRD": "3RD", "FOURTH": "4TH", "FIFTH": "5TH",
    "SIXTH": "6TH", "SEVENTH": "7TH", "EIGHTH": "8TH", "NINTH": "9TH", "TENTH": "10TH",
    "ELEVENTH": "11TH", "TWELFTH": "12TH",
}  # fmt: skip
_HOUSE_NUMBER = re.compile(r"^\d+[A-Z]?$|^\d+-\d+[A-Z]?$|^[NSEW]\d+$")
_FRACTION = re.compile(r"^\d/\d$")
_GLUED_UNIT = re.compile(r"^(APT|STE|UNIT|RM|SPC|LOT|TRLR|BLDG)(\d+[A-Z]?)$")
_PO_BOX = re.compile(
    r"^(?:(?:P O|PO|POST OFFICE|POST|P)\s)?BOX\s(?:#\s)?([A-Z]?\d[A-Z0-9\-]*)\b"
    r"|^POB\s(?:#\s)?([A-Z]?\d[A-Z0-9\-]*)\b"
)


@dataclass(frozen=True, repr=False)
class StreetParts:
    """A parsed street line (repr redacted: it is an address).

    ``line`` is the canonical street line without the unit; ``has_street`` is False when the
    line holds no street name (only a number, a unit, a ZIP, or nothing).
    """

    number: str = ""
    predir: str = ""
    name: str = ""
    suffix: str = ""
    postdir: str = ""
    po_box: str = ""
    unit: str = ""

    def __repr__(self) -> str:
        return "StreetParts(<redacted>)"

    @property
    def rest(self) -> str:
        """The street without its house number: "N MAIN ST", or "PO BOX"."""
        if self.po_box:
            return "PO BOX"
        return " ".join(p for p in (self.predir, self.name, self.suffix, self.postdir) if p)

    @property
    def line(self) -> str:
        if self.po_box:
            return f"PO BOX {self.po_box}"
        return " ".join(p for p in (self.number, self.rest) if p)

    @property
    def has_street(self) -> bool:
        """A PO box, or a street name with at least one letter ("123 4567" is no street)."""
        return bool(self.po_box) or any(c.isalpha() for c in self.name)


def normalize_unit(value: Any) -> str:
    """A unit number without its designator, spaces and leading zeros: "Apt #04 b" → "4B"."""
    if value is None or value == "":
        return ""
    words = fold_address(value).split()
    words = [w for w in words if w not in UNIT_DESIGNATORS]
    out = "".join(words).replace("/", "").replace("-", "")
    for flag_word, flag in UNIT_FLAGS.items():
        if out == flag_word:
            return flag
    m = re.match(r"^0+(?=\d)", out)
    return out[m.end() :] if m else out


_STRONG_UNITS = frozenset({"APT", "APARTMENT", "APTO", "UNIT", "STE", "SUITE", "#", "NO", "NUM"})


def _unit_id_like(word: str) -> bool:
    return any(c.isdigit() for c in word) or len(word) <= 2


def _split_unit(words: list[str]) -> tuple[list[str], str]:
    """Remove unit designators and numbers from a street's words; the first unit found wins."""
    unit = ""
    lead = words[0] if words else ""
    # a leading unit: "APT 4 123 MAIN ST"
    if (
        len(words) >= 2
        and lead in UNIT_DESIGNATORS
        and lead != "BOX"
        and (lead in _STRONG_UNITS or _unit_id_like(words[1]))
        and (lead != "NO" or words[1][:1].isdigit())
    ):
        n = 2 if words[1] != "#" or len(words) < 3 else 3
        unit = normalize_unit(" ".join(words[1:n]))
        words = words[n:]
    for i in range(1, len(words)):
        w = words[i]
        g = _GLUED_UNIT.match(w)
        if g:
            return words[:i], unit or normalize_unit(g.group(2) + "".join(words[i + 1 :]))
        if w in UNIT_DESIGNATORS and w != "BOX" and i + 1 < len(words):
            if w == "NO" and not any(c.isdigit() for c in words[i + 1]):
                continue
            # KEY, LOT, PIER, STOP... are street words too ("12 KEY BLVD"): a unit only when
            # followed by one unit-like last word
            weak = w not in _STRONG_UNITS
            if weak and (i + 2 != len(words) or not _unit_id_like(words[i + 1])):
                continue
            return words[:i], unit or normalize_unit(" ".join(words[i + 1 :]))
        if w in UNIT_FLAGS and i == len(words) - 1 and i >= 2:
            # the whole trailing run of flags goes ("12 MAIN ST REAR REAR"): one pass is stable
            while i > 2 and words[i - 1] in UNIT_FLAGS:
                i -= 1
            return words[:i], unit or UNIT_FLAGS[w]
    # "123 MAIN ST 4": a trailing number after a suffix
    if (
        len(words) >= 4
        and words[-1][:1].isdigit()
        and words[-2] in _street_suffixes()
        and _HOUSE_NUMBER.match(words[0])
    ):
        return words[:-1], unit or normalize_unit(words[-1])
    return words, unit


def normalize_street(street: Any, unit: Any = None) -> StreetParts:
    """Parse a street line (and an optional separate unit field) into :class:`StreetParts`.

    Rule-based and total; a unit in ``unit`` wins over one embedded in the street line. The
    parse is repeated on its own output until it is stable (once for ordinary lines), which
    makes the function idempotent by construction.
    """
    parts = _parse_street(street, unit)
    for _ in range(4):
        again = _parse_street(parts.line, parts.unit)
        if again == parts:
            break
        parts = again
    return parts


def _parse_street(street: Any, unit: Any = None) -> StreetParts:
    words = fold_address(street).split()
    unit_norm = normalize_unit(unit)
    m = _PO_BOX.match(" ".join(words))
    if m:
        box = (m.group(1) or m.group(2) or "").replace("-", "")
        box = box.lstrip("0") or box
        return StreetParts(po_box=box, unit=unit_norm)
    words, embedded_unit = _split_unit(words)
    unit_norm = unit_norm or embedded_unit
    words = [w for w in words if w != "#"]
    number = ""
    if words and _HOUSE_NUMBER.match(words[0]):
        number = words[0]
        words = words[1:]
        if words and _FRACTION.match(words[0]):
            number = f"{number} {words[0]}"
            words = words[1:]
    words = [w.replace("/", " ").replace("-", " ") for w in words]
    words = " ".join(words).split()
    predir, name, sfx, postdir = _street_tail(words)
    if not name:
        # nothing but a number: keep it (as a house number) but there is no street
        return StreetParts(number=number, unit=unit_norm)
    return StreetParts(number, predir, name, sfx, postdir, "", unit_norm)


def _street_tail(words: list[str]) -> tuple[str, str, str, str]:
    """Directionals, name and USPS suffix of a street's words (number and unit removed)."""
    suffixes = _street_suffixes()
    predir = postdir = sfx = ""
    if len(words) >= 2 and words[-1] in DIRECTIONALS and words[-2] not in DIRECTIONALS:
        postdir = DIRECTIONALS[words[-1]]
        words = words[:-1]
    if len(words) >= 2 and words[-1] in suffixes:
        sfx = suffixes[words[-1]]
        words = words[:-1]
    if len(words) >= 2 and words[0] in DIRECTIONALS:
        predir = DIRECTIONALS[words[0]]
        words = words[1:]
    return predir, " ".join(_ORDINALS.get(w, w) for w in words), sfx, postdir


_SIMPLE_REST = re.compile(r"[A-Z0-9 .,]+")
_STREET_SPECIAL = frozenset(
    {*UNIT_DESIGNATORS, *UNIT_FLAGS, *_ORDINALS, "PO", "POB", "POST", "P", "O"}
)


def _simple_rest(rest: str) -> StreetParts | None:
    """Fast parse of an upper-case street without its number, or None when it needs the full
    parser (punctuation other than '.' and ',', unit words, a trailing number...)."""
    if not _SIMPLE_REST.fullmatch(rest):
        return None
    if "." in rest or "," in rest:
        rest = rest.replace(".", " ").replace(",", " ")
    words = rest.split()
    if not words or words[-1][0].isdigit() or not _STREET_SPECIAL.isdisjoint(words):
        return None  # (ordinal words are in _STREET_SPECIAL: "FIRST" becomes a number)
    # one pass is stable here: abbreviations are fixed points of the tables (tested), and
    # without units, fractions or punctuation nothing else can move on a second pass
    return StreetParts("", *_street_tail(words))


_STATES = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL",
    "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA",
    "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN",
    "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY",
    "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR",
    "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA",
    "WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
    "PUERTO RICO": "PR", "GUAM": "GU", "VIRGIN ISLANDS": "VI", "AMERICAN SAMOA": "AS",
}  # fmt: skip


def normalize_state(value: Any) -> str:
    """USPS two-letter state code; full names are mapped, anything else is kept folded."""
    s = fold(value)
    return _STATES.get(s, s)


_CITY_WORDS = {"SAINT": "ST", "SAINTE": "STE", "FORT": "FT", "MOUNT": "MT"}


def normalize_city(value: Any) -> str:
    """Folded city with SAINT→ST, FORT→FT, MOUNT→MT."""
    return " ".join(_CITY_WORDS.get(w, w) for w in fold(value).split())


def normalize_zip5(value: Any) -> str:
    """ZIP5 from ZIP or ZIP+4 ('' when not a ZIP); 4/8 digits get their lost leading zero back."""
    digits = "".join(c for c in as_text(value) if c.isascii() and c.isdigit())
    if len(digits) in (4, 8):
        digits = "0" + digits
    if len(digits) in (5, 9) and digits[:5] != "00000":
        return digits[:5]
    return ""


# -- column-wise street parsing ---------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class StreetColumn:
    """Parsed street lines of a whole column, without one parse per row.

    ``codes[i]`` indexes ``entries`` (and ``keys``): the parse of row ``i``'s street *without its
    house number* when the line starts with a plain number (the common case: many rows share
    "N MAIN ST"), else of the whole line. Row ``i``'s house number ("" when none; "PO BOX <n>"
    for a box) is ``number_vocab[number_codes[i]]``. Equal to :func:`normalize_street` row by row
    (tested).
    """

    codes: np.ndarray
    number_codes: np.ndarray
    number_vocab: list[str]
    entries: list[StreetParts]
    keys: list[str]
    from_rest: np.ndarray  # per entry: parsed from a street without its house number

    def __repr__(self) -> str:
        return f"StreetColumn({len(self.codes)} rows, {len(self.entries)} distinct)"

    @property
    def has_street(self) -> np.ndarray:
        return np.asarray([e.has_street for e in self.entries], dtype=bool)[self.codes]

    def numbers(self) -> list[str]:
        """Each row's house number (for tests and small columns)."""
        return [self.number_vocab[c] for c in self.number_codes]

    def take(self, rows: np.ndarray) -> StreetColumn:
        """The column restricted to ``rows`` (in that order)."""
        return StreetColumn(
            self.codes[rows],
            self.number_codes[rows],
            self.number_vocab,
            self.entries,
            self.keys,
            self.from_rest,
        )

    def masked(self, keep: np.ndarray) -> StreetColumn:
        """The same column with rows not in ``keep`` pointing at the empty street."""
        empty = len(self.entries) - 1  # street_column puts the empty street last
        vocab = self.number_vocab if "" in self.number_vocab else [*self.number_vocab, ""]
        blank = vocab.index("")
        return StreetColumn(
            np.where(keep, self.codes, empty),
            np.where(keep, self.number_codes, blank),
            vocab,
            self.entries,
            self.keys,
            self.from_rest,
        )


@numba.njit(cache=True, nogil=True)
def _is_space(c: np.uint8) -> np.bool_:
    return c == 32 or (c >= 9 and c <= 13)


@numba.njit(cache=True, nogil=True)
def _split_number_kernel(
    offsets: np.ndarray, data: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: is it ASCII "<digits><space><rest>"? Then the digits and the upper-cased,
    trimmed rest; else no digits and the row's bytes unchanged as the key."""
    n = len(offsets) - 1
    fast = np.zeros(n, dtype=np.bool_)
    ns = np.zeros(n, dtype=np.int64)
    ne = np.zeros(n, dtype=np.int64)
    ks = np.zeros(n, dtype=np.int64)
    ke = np.zeros(n, dtype=np.int64)
    for i in range(n):
        a, b = offsets[i], offsets[i + 1]
        ks[i], ke[i] = a, b
        if not valid[i]:
            ke[i] = a
            continue
        ascii_ = True
        for j in range(a, b):
            if data[j] >= 128:
                ascii_ = False
                break
        if not ascii_:
            continue
        j = a
        while j < b and _is_space(data[j]):
            j += 1
        s = j
        while j < b and data[j] >= 48 and data[j] <= 57:
            j += 1
        if j == s or j == b or not _is_space(data[j]):  # noqa: SIM109
            continue
        e = j
        while j < b and _is_space(data[j]):
            j += 1
        k = b
        while k > j and _is_space(data[k - 1]):
            k -= 1
        if k == j:
            continue
        fast[i] = True
        ns[i], ne[i], ks[i], ke[i] = s, e, j, k
    key_off = np.zeros(n + 1, dtype=np.int64)
    num_off = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        key_off[i + 1] = key_off[i] + (ke[i] - ks[i])
        num_off[i + 1] = num_off[i] + (ne[i] - ns[i])
    keys = np.empty(key_off[n], dtype=np.uint8)
    nums = np.empty(num_off[n], dtype=np.uint8)
    for i in range(n):
        o = key_off[i]
        for j in range(ks[i], ke[i]):
            c = data[j]
            if fast[i] and c >= 97 and c <= 122:
                c -= 32
            keys[o] = c
            o += 1
        o = num_off[i]
        for j in range(ns[i], ne[i]):
            nums[o] = data[j]
            o += 1
    return fast, key_off, keys, num_off, nums


def _string_array(offsets: np.ndarray, data: np.ndarray) -> pa.Array:
    return pa.LargeStringArray.from_buffers(
        len(offsets) - 1, pa.py_buffer(offsets.astype(np.int64)), pa.py_buffer(data)
    )


def street_column(values: pa.Array | pa.ChunkedArray) -> StreetColumn:
    """Parse a street column, each distinct street-without-number once (:class:`StreetColumn`)."""
    import pyarrow.compute as pc

    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.large_string())
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data_buf = arr.buffers()[2]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    fast_np, key_off, key_data, num_off, num_data = _split_number_kernel(offsets, data, valid)
    enc = _string_array(key_off, key_data).dictionary_encode()
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    uniq = enc.dictionary.to_pylist()
    # which distinct keys are used by fast rows (rest part) and which by slow rows (whole line)
    is_fast_key = np.zeros(len(uniq) + 1, dtype=np.int8)
    np.maximum.at(is_fast_key, codes[fast_np], 1)
    is_slow_key = np.zeros(len(uniq) + 1, dtype=np.int8)
    np.maximum.at(is_slow_key, codes[~fast_np], 1)
    entries: list[StreetParts] = []
    keys: list[str] = []
    tails: list[str] = []
    from_rest: list[bool] = []
    slot_fast = np.full(len(uniq) + 1, -1, dtype=np.int64)
    slot_slow = np.full(len(uniq) + 1, -1, dtype=np.int64)
    for i, key in enumerate(uniq):
        if is_fast_key[i]:
            simple = _simple_rest(key)
            parts = simple or normalize_street("1 " + key)
            slot_fast[i] = len(entries)
            tails.append(parts.number[1:] if parts.number.startswith("1") else "")
            entries.append(simple or StreetParts(**_without_number(parts)))
            keys.append(key)
            from_rest.append(True)
        if is_slow_key[i]:
            parts = normalize_street(key)
            slot_slow[i] = len(entries)
            tails.append("")
            entries.append(parts)
            keys.append(key)
            from_rest.append(False)
    entries.append(StreetParts())  # the empty street, last
    keys.append("")
    tails.append("")
    from_rest.append(False)
    row_entry = np.where(fast_np, slot_fast[codes], slot_slow[codes])
    # house numbers: digits (+ a fraction tail) on fast rows, the parsed number elsewhere
    digit_enc = _string_array(num_off, num_data).dictionary_encode()
    digit_codes = digit_enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    digit_vocab = digit_enc.dictionary.to_pylist()
    tail_ids: dict[str, int] = {"": 0}
    entry_tail = np.asarray([tail_ids.setdefault(t, len(tail_ids)) for t in tails], np.int64)
    tail_vocab = list(tail_ids)
    n_t = len(tail_vocab)
    pair = np.where(fast_np, digit_codes * n_t + entry_tail[row_entry], -1 - row_entry)
    uniq_pairs, number_codes = np.unique(pair, return_inverse=True)
    number_vocab = []
    for p in uniq_pairs.tolist():
        if p >= 0:
            number_vocab.append(digit_vocab[p // n_t] + tail_vocab[p % n_t])
        else:
            e = entries[-1 - p]
            number_vocab.append(f"PO BOX {e.po_box}" if e.po_box else e.number)
    return StreetColumn(
        row_entry,
        number_codes.astype(np.int64).reshape(-1),
        number_vocab,
        entries,
        keys,
        np.asarray(from_rest, dtype=bool),
    )


def _without_number(parts: StreetParts) -> dict[str, str]:
    return {
        "predir": parts.predir,
        "name": parts.name,
        "suffix": parts.suffix,
        "postdir": parts.postdir,
        "po_box": parts.po_box,
        "unit": parts.unit,
    }


# -- column-wise folding and name words --------------------------------------------------------

#: words that make a name need the full (scalar) parser rather than a plain word split
SURNAME_SPECIAL = frozenset(PARTICLES | CONJUNCTIONS | set(_SUFFIX_MAP))
GIVEN_SPECIAL = frozenset(PARTICLES | _TITLES | set(_SUFFIX_MAP) | GIVEN_PLACEHOLDER_WORDS)
MIDDLE_SPECIAL = frozenset(_SUFFIX_MAP)


def fold_column(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """:func:`fold` of every ASCII value of a column, in Arrow kernels.

    Returns the folded column and the mask of rows it covers (the ASCII ones; other rows hold
    unspecified values and must go through :func:`fold`). Equal to :func:`fold` on ASCII (tested).
    """
    import pyarrow.compute as pc

    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    ascii_ = pc.fill_null(pc.string_is_ascii(arr), False)
    s = pc.ascii_upper(pc.replace_substring(pc.replace_substring(arr, "'", ""), "`", ""))
    # only rows with something besides single-spaced [A-Z0-9] words need the regex pass
    dirty = pc.fill_null(pc.match_substring_regex(s, "[^A-Z0-9 ]|  |^ | $"), False)
    if pc.any(dirty).as_py():
        fixed = pc.utf8_trim(
            pc.replace_substring_regex(pc.filter(s, dirty), "[^A-Z0-9]+", " "), " "
        )
        s = pc.replace_with_mask(s, dirty, fixed)
    return s, ascii_.to_numpy(zero_copy_only=False)


def zip5_column(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`normalize_zip5` of a whole column in Arrow kernels ('' where not a ZIP; tested)."""
    import pyarrow.compute as pc

    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    arr = pc.fill_null(arr, "")
    dirty = pc.invert(pc.match_substring_regex(arr, "^[0-9]{5}$"))
    digits = arr
    if pc.any(dirty).as_py():
        fixed = pc.replace_substring_regex(pc.filter(arr, dirty), "[^0-9]", "")
        digits = pc.replace_with_mask(arr, dirty, fixed)
    n = pc.utf8_length(digits)
    digits = pc.if_else(
        pc.is_in(n, pa.array([4, 8], n.type)), pc.binary_join_element_wise("0", digits, ""), digits
    )
    n = pc.utf8_length(digits)
    z = pc.utf8_slice_codeunits(digits, 0, 5)
    ok = pc.and_(pc.is_in(n, pa.array([5, 9], n.type)), pc.not_equal(z, "00000"))
    return pc.if_else(ok, z, "")
