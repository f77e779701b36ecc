"""Text distortions of requests: each takes a mutable record and the generator, changes one thing.

Distortions are small and realistic (one typo, one nickname, a dropped unit), so a careful matcher
can still find the person while an exact-equality matcher cannot.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import jellyfish
import numpy as np
from nicknames import NickNamer

from .lexicon import (
    DIRECTIONALS,
    PARTICLE_SURNAMES,
    PLACEHOLDER_GIVEN,
    SPANISH_NICKNAMES,
    STREET_TYPES,
)
from .names import first_names
from .profiles import Noise

_T = TypeVar("_T")

PARTICLES = frozenset({"DE", "DEL", "LA", "LAS", "LOS"})
_OCR = (("O", "0"), ("0", "O"), ("I", "1"), ("L", "1"), ("S", "5"), ("B", "8"), ("G", "6"),
        ("Z", "2"), ("RN", "M"), ("M", "RN"), ("CL", "D"), ("E", "F"), ("U", "V"))  # fmt: skip
_PHONETIC = (("PH", "F"), ("Z", "S"), ("EZ", "ES"), ("S", "Z"), ("V", "B"), ("B", "V"),
             ("LL", "Y"), ("Y", "LL"), ("CK", "K"), ("CA", "KA"), ("QU", "KW"), ("EI", "IE"),
             ("IE", "EI"), ("TH", "T"), ("GE", "JE"), ("J", "H"), ("X", "J"), ("NN", "N"),
             ("LL", "L"), ("SS", "S"), ("TT", "T"), ("AE", "A"), ("OU", "U"))  # fmt: skip
_KEYBOARD = "QWERTYUIOPASDFGHJKLZXCVBNM"
_QWERTY_ROWS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")


def _qwerty_neighbours() -> dict[str, str]:
    """Keys touching each letter on a staggered QWERTY keyboard."""
    out: dict[str, str] = {}
    for r, row in enumerate(_QWERTY_ROWS):
        for i, c in enumerate(row):
            near = [(r, i - 1), (r, i + 1), (r - 1, i), (r - 1, i + 1), (r + 1, i - 1), (r + 1, i)]
            out[c] = "".join(
                _QWERTY_ROWS[a][b]
                for a, b in near
                if 0 <= a < len(_QWERTY_ROWS) and 0 <= b < len(_QWERTY_ROWS[a])
            )
    return out


#: keys next to each letter (same row, and the rows above and below)
QWERTY_NEIGHBOURS: dict[str, str] = _qwerty_neighbours()
PLACEHOLDER_NAMES = frozenset(n for n, _ in PLACEHOLDER_GIVEN)
_PLACEHOLDER_LIST = tuple(n for n, _ in PLACEHOLDER_GIVEN)
_PLACEHOLDER_P = np.array([w for _, w in PLACEHOLDER_GIVEN], dtype=np.float64)
_PLACEHOLDER_P /= _PLACEHOLDER_P.sum()
_TYPES_ABBR = {a: f for a, f, _ in STREET_TYPES if a != f}
_TYPES_FULL = {f: a for a, f, _ in STREET_TYPES if a != f}
_DIRS = dict(DIRECTIONALS) | {f: a for a, f in DIRECTIONALS}
_JOINED_PARTICLES = {v.replace(" ", ""): v for v in PARTICLE_SURNAMES.values()}


@dataclass
class Record:
    """One request's identity fields while it is being distorted."""

    first: str
    middle: str | None
    last: str
    suffix: str | None
    street: str | None
    unit: str | None
    city: str | None
    state: str | None
    zip: str | None
    surnames: tuple[str, ...]  # components of ``last`` as on the register


def strip_accents(text: str) -> str:
    """JOSÉ MUÑOZ -> JOSE MUNOZ."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def split_surnames(last: str) -> tuple[str, ...]:
    """``DE LA CRUZ GARCÍA`` -> (``DE LA CRUZ``, ``GARCÍA``); hyphen and `` Y `` split too."""
    if "-" in last:
        return tuple(p for p in last.split("-") if p)
    words = last.split()
    if "Y" in words[1:-1]:
        i = words.index("Y", 1)
        return (" ".join(words[:i]), " ".join(words[i + 1 :]))
    parts: list[str] = []
    pending: list[str] = []
    for w in words:
        pending.append(w)
        if w not in PARTICLES:
            parts.append(" ".join(pending))
            pending = []
    if pending:
        parts.append(" ".join(pending))
    return tuple(parts)


@functools.cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@functools.cache
def nicknames_of(given: str) -> tuple[str, ...]:
    """English (``nicknames`` package) and Spanish nicknames of a given name, sorted."""
    plain = strip_accents(given).upper()
    english = {n.upper() for n in _nicknamer().nicknames_of(plain.lower())}
    spanish = {nick for nick, name in SPANISH_NICKNAMES.items() if name == plain}
    return tuple(sorted((english | spanish) - {plain}))


@functools.cache
def _name_popularity() -> dict[str, float]:
    fn = first_names()
    counts: dict[str, float] = {}
    for name, c in zip(fn.plain, fn.count, strict=True):
        counts[name] = counts.get(name, 0.0) + float(c)
    return counts


@functools.cache
def _nickname_weights(given: str) -> np.ndarray:
    """People use common nicknames (BILL, BILLY) far more than rare ones (BELA)."""
    popular = _name_popularity()
    w = np.array([popular.get(n, 0.0) + 50.0 for n in nicknames_of(given)])
    return np.sqrt(w) / np.sqrt(w).sum()


def _pick(rng: np.random.Generator, options: Sequence[_T]) -> _T:
    return options[int(rng.integers(len(options)))]


def typo(text: str, rng: np.random.Generator) -> str:
    """One keyboard slip (substitute, delete, insert, transpose) after the first letter."""
    letters = [i for i, c in enumerate(text) if c.isalpha() and i > 0 and text[i - 1].isalpha()]
    if not letters:
        return text
    i = _pick(rng, letters)
    op = int(rng.integers(4))
    if op == 0:
        return text[:i] + _pick(rng, _KEYBOARD) + text[i + 1 :]
    if op == 1 and len(text) > 3:
        return text[:i] + text[i + 1 :]
    if op == 2:
        return text[:i] + text[i] + text[i:]
    if i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + _pick(rng, _KEYBOARD) + text[i + 1 :]


def _rule(text: str, rules: tuple[tuple[str, str], ...], rng: np.random.Generator) -> str:
    hits = [(a, b) for a, b in rules if a in text[1:]]
    if not hits:
        return typo(text, rng)
    a, b = _pick(rng, hits)
    starts = [i for i in range(1, len(text)) if text.startswith(a, i)]
    i = _pick(rng, starts)
    return text[:i] + b + text[i + len(a) :]


def _name_field(rec: Record, rng: np.random.Generator) -> str:
    """The surname (60%) or the given name; the other one when the chosen field is empty."""
    f = "last" if rng.random() < 0.6 else "first"
    if not getattr(rec, f):
        f = "first" if f == "last" else "last"
    return f


def _typo(rec: Record, rng: np.random.Generator) -> None:
    f = _name_field(rec, rng)
    setattr(rec, f, typo(getattr(rec, f), rng))


def _ocr(rec: Record, rng: np.random.Generator) -> None:
    f = _name_field(rec, rng)
    setattr(rec, f, _rule(getattr(rec, f), _OCR, rng))


def _phonetic(rec: Record, rng: np.random.Generator) -> None:
    f = _name_field(rec, rng)
    setattr(rec, f, _rule(getattr(rec, f), _PHONETIC, rng))


def _nickname(rec: Record, rng: np.random.Generator) -> None:
    head, _, rest = rec.first.partition(" ")
    options = nicknames_of(head)
    nick = options[int(rng.choice(len(options), p=_nickname_weights(head)))]
    rec.first = f"{nick} {rest}".strip() if rng.random() < 0.3 else nick


def _middle_dropped(rec: Record, rng: np.random.Generator) -> None:
    rec.middle = None


def _middle_initial(rec: Record, rng: np.random.Generator) -> None:
    rec.middle = (rec.middle or "")[:1] or None


def _given_split(rec: Record, rng: np.random.Generator) -> None:
    head, _, rest = rec.first.partition(" ")
    rec.first = head
    if rng.random() < 0.6:
        rec.middle = rest


def _first_surname_only(rec: Record, rng: np.random.Generator) -> None:
    rec.last = rec.surnames[0]
    rec.surnames = (rec.last,)  # one change to the surname structure per request


def _surnames_swapped(rec: Record, rng: np.random.Generator) -> None:
    rec.last = " ".join(reversed(rec.surnames))
    rec.surnames = (rec.last,)


def _surnames_hyphenated(rec: Record, rng: np.random.Generator) -> None:
    rec.last = " ".join(rec.surnames) if "-" in rec.last else "-".join(rec.surnames)
    rec.surnames = (rec.last,)


def _accents_dropped(rec: Record, rng: np.random.Generator) -> None:
    rec.first, rec.last = strip_accents(rec.first), strip_accents(rec.last)
    rec.middle = strip_accents(rec.middle) if rec.middle else rec.middle


def _particle_spacing(rec: Record, rng: np.random.Generator) -> None:
    words = rec.last.split()
    if any(w in PARTICLES for w in words[:-1]):
        out: list[str] = []
        pending = ""
        for w in words:
            pending += w
            if w not in PARTICLES:
                out.append(pending)
                pending = ""
        rec.last = " ".join([*out, pending] if pending else out)
    else:
        rec.last = " ".join(_JOINED_PARTICLES.get(w, w) for w in words)


def _suffix_dropped(rec: Record, rng: np.random.Generator) -> None:
    rec.suffix = None


def _case(rec: Record, rng: np.random.Generator) -> None:
    fn = str.title if rng.random() < 0.7 else str.lower
    rec.first, rec.last = fn(rec.first), fn(rec.last)
    rec.middle = fn(rec.middle) if rec.middle else rec.middle
    rec.street = fn(rec.street) if rec.street else rec.street
    rec.city = fn(rec.city) if rec.city else rec.city


def _name_order(rec: Record, rng: np.random.Generator) -> None:
    rec.first, rec.last = rec.last, rec.first


def _street_abbrev(rec: Record, rng: np.random.Generator) -> None:
    words = (rec.street or "").split()
    swaps = [i for i, w in enumerate(words) if i > 0 and (w in _TYPES_ABBR or w in _TYPES_FULL)]
    swaps += [i for i, w in enumerate(words[:-1]) if i > 0 and w in _DIRS]
    i = _pick(rng, swaps)
    w = words[i]
    words[i] = (
        _DIRS[w] if i < len(words) - 1 and w in _DIRS else (_TYPES_ABBR.get(w) or _TYPES_FULL[w])
    )
    rec.street = " ".join(words)


def _unit_missing(rec: Record, rng: np.random.Generator) -> None:
    rec.unit = None


def _unit_in_street(rec: Record, rng: np.random.Generator) -> None:
    rec.street = f"{rec.street} {rec.unit}"
    rec.unit = None


def _zip_digit(rec: Record, rng: np.random.Generator) -> None:
    z = list(rec.zip or "")
    i = int(rng.integers(1, 5))
    if rng.random() < 0.5:
        z[i], z[i - 1] = z[i - 1], z[i]
        if z == list(rec.zip or ""):
            z[i] = str((int(z[i]) + 1) % 10)
    else:
        z[i] = str((int(z[i]) + int(rng.integers(1, 10))) % 10)
    rec.zip = "".join(z)


def _zip_plus4(rec: Record, rng: np.random.Generator) -> None:
    rec.zip = f"{rec.zip}-{int(rng.integers(1, 10000)):04d}"


def _street_typo(rec: Record, rng: np.random.Generator) -> None:
    number, _, rest = (rec.street or "").partition(" ")
    rec.street = f"{number} {typo(rest, rng)}"


def _city_typo(rec: Record, rng: np.random.Generator) -> None:
    rec.city = typo(rec.city or "", rng)


def _house_number(rec: Record, rng: np.random.Generator) -> None:
    number, _, rest = (rec.street or "").partition(" ")
    digits = list(number)
    i = int(rng.integers(len(digits)))
    digits[i] = str((int(digits[i]) + int(rng.integers(1, 10))) % 10)
    if digits[0] == "0":
        digits[0] = "1"
    rec.street = f"{''.join(digits)} {rest}"


def keyboard(text: str, rng: np.random.Generator) -> str:
    """A neighbouring key hit instead of (or next to) a letter after the first."""
    letters = [i for i, c in enumerate(text) if i > 0 and c in QWERTY_NEIGHBOURS]
    if not letters:
        return typo(text, rng)
    i = _pick(rng, letters)
    near = _pick(rng, QWERTY_NEIGHBOURS[text[i]])
    if rng.random() < 0.75:
        return text[:i] + near + text[i + 1 :]
    return text[: i + 1] + near + text[i + 1 :]


def _keyboard(rec: Record, rng: np.random.Generator) -> None:
    f = _name_field(rec, rng)
    setattr(rec, f, keyboard(getattr(rec, f), rng))


def is_placeholder_given(text: str | None) -> bool:
    """WIFE, MRS, DAUGHTER OF, FNU ... (after folding case, accents and punctuation)."""
    words = "".join(c if c.isalpha() else " " for c in strip_accents(text or "").upper()).split()
    return " ".join(words) in PLACEHOLDER_NAMES


def _real_given(rec: Record) -> bool:
    return len(rec.first) > 1 and not is_placeholder_given(rec.first)


def _placeholder_given(rec: Record, rng: np.random.Generator) -> None:
    rec.first = _PLACEHOLDER_LIST[int(rng.choice(len(_PLACEHOLDER_LIST), p=_PLACEHOLDER_P))]


def _given_initial(rec: Record, rng: np.random.Generator) -> None:
    rec.first = strip_accents(rec.first[:1])


def _given_blank(rec: Record, rng: np.random.Generator) -> None:
    rec.first = ""


def _surname_blank(rec: Record, rng: np.random.Generator) -> None:
    rec.last = ""
    rec.surnames = ()


def _surname_truncated(rec: Record, rng: np.random.Generator) -> None:
    keep = int(rng.integers(max(3, len(rec.last) // 2), len(rec.last)))
    rec.last = rec.last[:keep].rstrip(" -")
    rec.surnames = (rec.last,)


def _name_joined(rec: Record, rng: np.random.Generator) -> None:
    fields = [f for f in ("first", "last") if " " in getattr(rec, f)]
    f = _pick(rng, fields)
    setattr(rec, f, getattr(rec, f).replace(" ", ""))
    if f == "last":
        rec.surnames = (rec.last,)


def _street_words(rec: Record) -> list[str]:
    return (rec.street or "").split()


def _type_at(words: list[str]) -> int:
    """Index of the street type (ST, STREET...) after the name, or -1."""
    for i in range(len(words) - 1, 1, -1):
        if words[i] in _TYPES_ABBR or words[i] in _TYPES_FULL:
            return i
    return -1


def _street_type_truncated(rec: Record, rng: np.random.Generator) -> None:
    words = _street_words(rec)
    i = _type_at(words)
    full = _TYPES_ABBR.get(words[i], words[i])
    abbr = _TYPES_FULL.get(full, full)
    cuts = [full[:k] for k in range(1, len(full)) if full[:k] != abbr]
    words[i] = _pick(rng, cuts)
    rec.street = " ".join(words)


def _name_word_at(words: list[str]) -> int:
    """Index of the longest street-name word of at least five letters, or -1."""
    stop = _type_at(words)
    best, at = 4, -1
    for i in range(1, stop if stop > 0 else len(words)):
        w = words[i]
        if w.isalpha() and len(w) > best and w not in _DIRS:
            best, at = len(w), i
    return at


def _street_name_truncated(rec: Record, rng: np.random.Generator) -> None:
    words = _street_words(rec)
    i = _name_word_at(words)
    words[i] = words[i][: int(rng.integers(3, len(words[i])))]
    rec.street = " ".join(words)


def _street_joined(rec: Record, rng: np.random.Generator) -> None:
    words = _street_words(rec)
    i = int(rng.integers(len(words) - 1))
    rec.street = " ".join([*words[:i], words[i] + words[i + 1], *words[i + 2 :]])


def _house_number_transposed(rec: Record, rng: np.random.Generator) -> None:
    number, _, rest = (rec.street or "").partition(" ")
    pairs = [i for i in range(len(number) - 1) if number[i] != number[i + 1]]
    i = _pick(rng, pairs)
    d = list(number)
    d[i], d[i + 1] = d[i + 1], d[i]
    rec.street = f"{''.join(d).lstrip('0') or '0'} {rest}"


def _house_digit_dropped(rec: Record, rng: np.random.Generator) -> None:
    number, _, rest = (rec.street or "").partition(" ")
    i = int(rng.integers(len(number)))
    rec.street = f"{(number[:i] + number[i + 1 :]).lstrip('0') or '0'} {rest}"


def _house_number_blank(rec: Record, rng: np.random.Generator) -> None:
    rec.street = (rec.street or "").partition(" ")[2]


def _city_blank(rec: Record, rng: np.random.Generator) -> None:
    rec.city = None


def _state_blank(rec: Record, rng: np.random.Generator) -> None:
    rec.state = None


def _zip_blank(rec: Record, rng: np.random.Generator) -> None:
    rec.zip = None


def _number(rec: Record) -> str:
    words = _street_words(rec)
    return words[0] if len(words) > 1 and words[0].isdigit() else ""


def _has_street_variant(rec: Record) -> bool:
    words = (rec.street or "").split()
    if not words or not words[0].isdigit():
        return False
    return any(
        i > 0 and (w in _TYPES_ABBR or w in _TYPES_FULL or (w in _DIRS and i < len(words) - 1))
        for i, w in enumerate(words)
    )


def _house_street(rec: Record) -> bool:
    return bool(rec.street) and (rec.street or " ").split()[0].isdigit()


APPLY: dict[Noise, Callable[[Record, np.random.Generator], None]] = {
    Noise.TYPO: _typo,
    Noise.OCR: _ocr,
    Noise.PHONETIC: _phonetic,
    Noise.NICKNAME: _nickname,
    Noise.MIDDLE_DROPPED: _middle_dropped,
    Noise.MIDDLE_INITIAL: _middle_initial,
    Noise.GIVEN_SPLIT: _given_split,
    Noise.FIRST_SURNAME_ONLY: _first_surname_only,
    Noise.SURNAMES_SWAPPED: _surnames_swapped,
    Noise.SURNAMES_HYPHENATED: _surnames_hyphenated,
    Noise.ACCENTS_DROPPED: _accents_dropped,
    Noise.PARTICLE_SPACING: _particle_spacing,
    Noise.SUFFIX_DROPPED: _suffix_dropped,
    Noise.CASE: _case,
    Noise.NAME_ORDER: _name_order,
    Noise.STREET_ABBREV: _street_abbrev,
    Noise.UNIT_MISSING: _unit_missing,
    Noise.UNIT_IN_STREET: _unit_in_street,
    Noise.ZIP_DIGIT: _zip_digit,
    Noise.ZIP_PLUS4: _zip_plus4,
    Noise.STREET_TYPO: _street_typo,
    Noise.CITY_TYPO: _city_typo,
    Noise.HOUSE_NUMBER: _house_number,
    Noise.KEYBOARD: _keyboard,
    Noise.PLACEHOLDER_GIVEN: _placeholder_given,
    Noise.GIVEN_INITIAL: _given_initial,
    Noise.GIVEN_BLANK: _given_blank,
    Noise.SURNAME_BLANK: _surname_blank,
    Noise.SURNAME_TRUNCATED: _surname_truncated,
    Noise.NAME_JOINED: _name_joined,
    Noise.STREET_NAME_TRUNCATED: _street_name_truncated,
    Noise.STREET_TYPE_TRUNCATED: _street_type_truncated,
    Noise.STREET_JOINED: _street_joined,
    Noise.HOUSE_NUMBER_TRANSPOSED: _house_number_transposed,
    Noise.HOUSE_DIGIT_DROPPED: _house_digit_dropped,
    Noise.HOUSE_NUMBER_BLANK: _house_number_blank,
    Noise.CITY_BLANK: _city_blank,
    Noise.STATE_BLANK: _state_blank,
    Noise.ZIP_BLANK: _zip_blank,
}

APPLIES: dict[Noise, Callable[[Record], bool]] = {
    Noise.NICKNAME: lambda r: bool(nicknames_of(r.first.partition(" ")[0])),
    Noise.MIDDLE_DROPPED: lambda r: bool(r.middle),
    Noise.MIDDLE_INITIAL: lambda r: bool(r.middle) and len(r.middle or "") > 1,
    Noise.GIVEN_SPLIT: lambda r: " " in r.first,
    Noise.FIRST_SURNAME_ONLY: lambda r: len(r.surnames) > 1,
    Noise.SURNAMES_SWAPPED: lambda r: len(r.surnames) == 2,
    Noise.SURNAMES_HYPHENATED: lambda r: len(r.surnames) == 2,
    Noise.ACCENTS_DROPPED: lambda r: not f"{r.first}{r.middle or ''}{r.last}".isascii(),
    Noise.PARTICLE_SPACING: lambda r: (
        any(w in PARTICLES for w in r.last.split()[:-1])
        or any(w in _JOINED_PARTICLES for w in r.last.split())
    ),
    Noise.SUFFIX_DROPPED: lambda r: bool(r.suffix),
    Noise.STREET_ABBREV: _has_street_variant,
    Noise.UNIT_MISSING: lambda r: bool(r.unit),
    Noise.UNIT_IN_STREET: lambda r: bool(r.unit) and bool(r.street),
    Noise.ZIP_DIGIT: lambda r: bool(r.zip) and len(r.zip or "") == 5,
    Noise.ZIP_PLUS4: lambda r: bool(r.zip) and len(r.zip or "") == 5,
    Noise.STREET_TYPO: _house_street,
    Noise.CITY_TYPO: lambda r: bool(r.city) and len(r.city or "") > 3,
    Noise.HOUSE_NUMBER: _house_street,
    Noise.PLACEHOLDER_GIVEN: _real_given,
    Noise.GIVEN_INITIAL: _real_given,
    Noise.GIVEN_BLANK: _real_given,
    Noise.SURNAME_BLANK: lambda r: bool(r.last),
    Noise.SURNAME_TRUNCATED: lambda r: len(r.last) >= 5,
    Noise.NAME_JOINED: lambda r: " " in r.first or " " in r.last,
    Noise.STREET_NAME_TRUNCATED: lambda r: _house_street(r) and _name_word_at(_street_words(r)) > 0,
    Noise.STREET_TYPE_TRUNCATED: lambda r: _house_street(r) and _type_at(_street_words(r)) > 0,
    Noise.STREET_JOINED: lambda r: _house_street(r) and len(_street_words(r)) >= 3,
    Noise.HOUSE_NUMBER_TRANSPOSED: lambda r: len(set(_number(r))) > 1,
    Noise.HOUSE_DIGIT_DROPPED: lambda r: len(_number(r)) > 1,
    Noise.HOUSE_NUMBER_BLANK: lambda r: bool(_number(r)),
    Noise.CITY_BLANK: lambda r: bool(r.city),
    Noise.STATE_BLANK: lambda r: bool(r.state),
    Noise.ZIP_BLANK: lambda r: bool(r.zip),
}


_LAST = (Noise.CASE, Noise.NAME_ORDER)  # applied after the others so those still see names


def distort(
    rec: Record,
    k: int,
    weights: dict[Noise, float],
    rng: np.random.Generator,
    protected: frozenset[Noise] = frozenset(),
) -> list[Noise]:
    """Apply ``k`` different applicable distortions (weighted), none of ``protected``; return
    what was applied."""
    done: list[Noise] = []
    for _ in range(k):
        kinds = [
            n
            for n, w in weights.items()
            if w > 0
            and n in APPLY
            and n not in done
            and n not in protected
            and APPLIES.get(n, _always)(rec)
        ]
        if not kinds:
            break
        w = np.array([weights[n] for n in kinds], dtype=np.float64)
        kind = kinds[int(rng.choice(len(kinds), p=w / w.sum()))]
        if kind not in _LAST:
            APPLY[kind](rec, rng)
        done.append(kind)
    for kind in _LAST:
        if kind in done:
            APPLY[kind](rec, rng)
    return done


def distort_at_rates(
    rec: Record,
    rates: dict[Noise, float],
    u: np.ndarray,
    rng: np.random.Generator,
    protected: frozenset[Noise] = frozenset(),
    done: tuple[Noise, ...] = (),
) -> list[Noise]:
    """Apply each kind of ``rates`` whose uniform draw in ``u`` falls below its rate and that
    applies to the record at that point, in the mapping's order (CASE and NAME_ORDER last);
    kinds in ``protected`` or ``done`` are skipped. Return what was applied."""
    out: list[Noise] = []
    for (kind, rate), x in zip(rates.items(), u, strict=True):
        if x >= rate or kind in protected or kind in done or kind not in APPLY:
            continue
        if not APPLIES.get(kind, _always)(rec):
            continue
        if kind not in _LAST:
            APPLY[kind](rec, rng)
        out.append(kind)
    for kind in _LAST:
        if kind in out:
            APPLY[kind](rec, rng)
    return out


def _always(rec: Record) -> bool:
    return True


@functools.cache
def _near_index() -> dict[str, tuple[str, ...]]:
    """Deletion-neighbourhood index over common given names (SSA/census count >= 10,000)."""
    index: dict[str, list[str]] = {}
    for name, count in _name_popularity().items():
        if count < 10_000 or not name.isalpha() or len(name) < 3:
            continue
        for key in {name, *(name[:i] + name[i + 1 :] for i in range(len(name)))}:
            index.setdefault(key, []).append(name)
    return {k: tuple(v) for k, v in index.items()}


@functools.cache
def near_given_names(given: str) -> tuple[str, ...]:
    """Common given names one letter away from ``given`` (one substitution, insertion or
    deletion: JOHN -> JOAN, MARIO -> MARIA, DANIEL -> DANIELA), nicknames excluded; sorted."""
    plain = strip_accents(given).upper()
    index = _near_index()
    keys = {plain, *(plain[:i] + plain[i + 1 :] for i in range(len(plain)))}
    found = {n for k in keys for n in index.get(k, ())}
    nicks = set(nicknames_of(plain))
    return tuple(
        sorted(
            n
            for n in found
            if n != plain
            and jellyfish.levenshtein_distance(n, plain) == 1
            and n not in nicks
            and plain not in nicknames_of(n)
        )
    )


def outright_different(a: str, b: str) -> bool:
    """No agreement of any kind between two given names: another initial, at least three edits
    apart, and neither a nickname of the other."""
    a, b = strip_accents(a).upper(), strip_accents(b).upper()
    return (
        a[:1] != b[:1]
        and jellyfish.levenshtein_distance(a, b) >= 3
        and b not in nicknames_of(a)
        and a not in nicknames_of(b)
    )
