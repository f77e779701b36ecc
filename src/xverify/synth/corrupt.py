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

import numpy as np
from nicknames import NickNamer

from .lexicon import DIRECTIONALS, PARTICLE_SURNAMES, SPANISH_NICKNAMES, STREET_TYPES
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
    return "last" if rng.random() < 0.6 else "first"


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


def _always(rec: Record) -> bool:
    return True
