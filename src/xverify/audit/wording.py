"""Audit numbers and names as a person reads them: the one place that maps metric keys to words.

``metrics.json`` keeps stable machine keys (``overmatch_per_verified``) and raw floats
(``9.826e-05``); the report, the demo summary and notebooks show the same values through the
functions here: ``percent(9.826e-05) == "0.0098%"``, ``one_in(9.826e-05) == "about 1 in 10,000"``,
``METRIC_WORDS["overmatch_per_verified"] == "wrong person, of the VERIFIED"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

from .intervals import Rate

#: every rate key of metrics.json (headline, per-stratum and replay rates) in words
METRIC_WORDS: Final[Mapping[str, str]] = {
    "overmatch_per_verified": "wrong person, of the VERIFIED",
    "overmatch_per_request": "wrong person, of all requests",
    "address_unconfirmed": "VERIFIED without a confirmed address",
    "recall": "verifiable requests VERIFIED (recall)",
    "undermatch": "verifiable requests not VERIFIED",
    "name_only_share": "NAME_ONLY, of all requests",
    "ambiguous_share": "AMBIGUOUS, of all requests",
    "invalid_rejected": "invalid requests rejected",
    "valid_rejected": "valid requests rejected",
    "invalid_disclosed": "invalid requests VERIFIED",
    "invalid_not_rejected": "invalid requests not rejected",
    "wrong_person": "wrong person, of the disclosures",
}

#: short column headings for the same keys, where a table has little room
METRIC_SHORT: Final[Mapping[str, str]] = {
    "overmatch_per_verified": "wrong person (of VERIFIED)",
    "overmatch_per_request": "wrong person (of requests)",
    "undermatch": "missed (of verifiable)",
    "recall": "recall",
    "valid_rejected": "valid rejected",
    "ambiguous_share": "AMBIGUOUS",
    "name_only_share": "NAME_ONLY",
}

#: strata tags (truth columns, docs/metrics.md) in words; ``noise:<type>`` is handled by
#: :func:`tag_words`
TAG_WORDS: Final[Mapping[str, str]] = {
    "name_origin": "name origin",
    "name_decile": "name frequency decile",
    "tin_kind": "TIN kind",
    "target_kind": "kind of target",
}

#: boolean strata tags: what "true" and "false" mean
FLAG_WORDS: Final[Mapping[str, tuple[str, str]]] = {
    "common_name": ("common name", "not a common name"),
    "household_shared": ("shares a home with other registered people", "does not share a home"),
    "compound_surname": ("compound surname", "single surname"),
    "moved": ("moved in the period", "did not move"),
    "in_register": ("in the register", "not in the register"),
    "lookalike": ("has a look-alike in the register", "has no look-alike in the register"),
}


#: what each outcome means, for legends and tables
OUTCOME_WORDS: Final[Mapping[str, str]] = {
    "VERIFIED": "identity disclosed",
    "AMBIGUOUS": "two or more people fit: withheld",
    "NAME_ONLY": "name found, address not confirmed: withheld",
    "NO_MATCH": "nobody fits",
    "REJECTED": "request fails the legal checks",
}


def metric_words(key: str) -> str:
    """The words for a metric key (the key itself, spaced, when it has none)."""
    return METRIC_WORDS.get(key, key.replace("_", " "))


def tag_words(tag: str, value: str) -> str:
    """A stratum as a phrase: ``("noise:typo", "true") -> "distortion: typo"``,
    ``("in_register", "false") -> "not in the register"``,
    ``("name_origin", "hispanic") -> "name origin: hispanic"``."""
    if tag.startswith("noise:"):
        kind = tag.split(":", 1)[1]
        if kind == "any":
            return "request distorted" if value == "true" else "request not distorted"
        what = kind.replace("_", " ")
        return f"distortion: {what}" if value == "true" else f"without distortion: {what}"
    if tag in FLAG_WORDS and value in ("true", "false"):
        return FLAG_WORDS[tag][0 if value == "true" else 1]
    return f"{TAG_WORDS.get(tag, tag.replace('_', ' '))}: {value}"


def _significant(x: float, digits: int) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def _decimals(x: float, digits: int) -> int:
    """Decimals that show ``digits`` significant digits of ``x`` (x != 0)."""
    return max(0, digits - 1 - math.floor(math.log10(abs(x))))


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(x: float | None, digits: int = 2) -> str:
    """A share as a percentage people read: ``0.9475 -> "94.8%"``, ``0.0056 -> "0.56%"``,
    ``9.826e-05 -> "0.0098%"``, ``0.99999 -> "99.999%"``, ``0 -> "0%"``; ``"–"`` for None/NaN.

    One decimal between 1% and 99%; nearer 0 or 100, ``digits`` significant digits of the
    distance to it, so a rare rate keeps its size instead of rounding to 0.0% and a share just
    short of all never reads 100%.
    """
    if x is None or not math.isfinite(x):
        return "–"
    p = 100.0 * x
    if p in (0.0, 100.0):
        return f"{p:.0f}%"
    if 1 <= abs(p) <= 99:
        return f"{_trim(f'{p:.1f}')}%"
    if 99 < p < 100:
        gap = _significant(100.0 - p, digits)
        return f"{_trim(f'{100.0 - gap:.{_decimals(gap, digits)}f}')}%"
    rounded = _significant(p, digits)
    return f"{_trim(f'{rounded:.{_decimals(rounded, digits)}f}')}%"


def one_in(x: float | None) -> str:
    """A small rate as odds: ``9.826e-05 -> "about 1 in 10,000"``, ``0.0056 -> "about 1 in
    180"``; ``"none"`` for 0 and ``""`` for rates above one half (odds would not help there).
    """
    if x is None or not math.isfinite(x) or x > 0.5:
        return ""
    if x <= 0:
        return "none"
    n = _significant(1.0 / x, 2)
    return f"about 1 in {n:,.0f}"


def count(n: int | float) -> str:
    """A count with thousands separators: ``12000 -> "12,000"``."""
    return f"{int(n):,}"


def number(x: float | None, digits: int = 3) -> str:
    """A plain number to ``digits`` significant digits, no exponent: ``0.3591 -> "0.359"``,
    ``4.1e-07 -> "< 0.001"`` (an expected count that small reads as none)."""
    if x is None or not math.isfinite(x):
        return "–"
    r = _significant(x, digits)
    if r == 0:
        return "0"
    if 0 < abs(r) < 0.001:
        return "< 0.001" if r > 0 else "> -0.001"
    return _trim(f"{r:,.{_decimals(r, digits)}f}")


def threshold(t: float) -> str:
    """A probability threshold without float noise: ``0.9999000000000001 -> "0.9999"``,
    ``0.99999999 -> "0.99999999"`` (enough digits to show how many nines)."""
    if t >= 1 or t <= 0:
        return f"{t:g}"
    nines = -math.log10(1.0 - t)
    digits = max(2, math.ceil(nines - 1e-9) + 1)
    return f"{t:.{digits}f}".rstrip("0").rstrip(".")


def interval(r: Rate) -> str:
    """A rate's 95% interval in words: ``"0% to 0.56%"`` (``"–"`` when n is 0)."""
    if r.n == 0:
        return "–"
    return f"{percent(r.low)} to {percent(r.high)}"


def rate_words(r: Rate) -> str:
    """``"0 of 686 (0%; 95% interval 0% to 0.56%)"``."""
    if r.n == 0:
        return "none to count (0 of 0)"
    return f"{count(r.k)} of {count(r.n)} ({percent(r.value)}; 95% interval {interval(r)})"


__all__ = [
    "FLAG_WORDS",
    "METRIC_SHORT",
    "METRIC_WORDS",
    "OUTCOME_WORDS",
    "TAG_WORDS",
    "count",
    "interval",
    "metric_words",
    "number",
    "one_in",
    "percent",
    "rate_words",
    "tag_words",
    "threshold",
]
