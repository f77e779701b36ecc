"""TINs that can never belong to a real person.

* SSN-shaped: area 000 or 666 (never issued), group 01-99, serial 0001-9999 (1.98M numbers).
  Only when a register needs more SSNs than that does the allocator continue with group 00
  (also never issued) in areas 001-899: another 8.98M.
* ITIN-shaped: area 900-999 with group 89 or 93, which the IRS never assigns to ITINs (2M).
"""

from __future__ import annotations

import enum

import numpy as np
import pyarrow as pa

from ..errors import ConfigError
from ._arrow import digits, fixed_width

SSN_PRIMARY = 2 * 99 * 9999
SSN_EXTENDED = 898 * 9999
ITIN_POOL = 100 * 2 * 9999


class TinKind(enum.Enum):
    """Shape of a synthetic TIN."""

    SSN = "SSN"
    ITIN = "ITIN"


def _ssn_primary(code: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    area = np.where(code < 99 * 9999, 0, 666)
    rest = code % (99 * 9999)
    return area, rest // 9999 + 1, rest % 9999 + 1


def _ssn_extended(code: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    area = code // 9999 + 1
    area = area + (area >= 666)  # skip 666, already in the primary pool
    return area, np.zeros_like(code), code % 9999 + 1


def _itin(code: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    area = 900 + code // (2 * 9999)
    rest = code % (2 * 9999)
    return area, np.where(rest < 9999, 89, 93), rest % 9999 + 1


def format_tin(area: np.ndarray, group: np.ndarray, serial: np.ndarray) -> pa.StringArray:
    """NNN-NN-NNNN strings."""
    dash = np.full((len(area), 1), ord("-"), dtype=np.uint8)
    return fixed_width(
        np.hstack([digits(area, 3), dash, digits(group, 2), dash, digits(serial, 4)])
    )


class TinAllocator:
    """Hands out unique never-issued TINs in a random order fixed by the generator."""

    def __init__(self, n_people: int, rng: np.random.Generator) -> None:
        if n_people > SSN_PRIMARY + SSN_EXTENDED:
            raise ConfigError(f"at most {SSN_PRIMARY + SSN_EXTENDED} people are supported")
        self._rng = rng
        self._ssn = rng.permutation(SSN_PRIMARY)
        self._ssn_extended: np.ndarray | None = None
        self._itin = rng.permutation(ITIN_POOL)
        self._next_ssn = 0
        self._next_itin = 0

    def take(self, itin: np.ndarray) -> pa.StringArray:
        """One TIN per person; ``itin`` marks who gets an ITIN-shaped number."""
        n_itin = int(itin.sum())
        n_ssn = len(itin) - n_itin
        if self._next_itin + n_itin > ITIN_POOL:
            raise ConfigError("too many ITIN holders: lower itin_share")
        ic = self._itin[self._next_itin : self._next_itin + n_itin]
        self._next_itin += n_itin
        area = np.empty(len(itin), dtype=np.int64)
        group = np.empty_like(area)
        serial = np.empty_like(area)
        area[itin], group[itin], serial[itin] = _itin(ic)
        area[~itin], group[~itin], serial[~itin] = self._ssn_parts(n_ssn)
        return format_tin(area, group, serial)

    def _ssn_parts(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        start, stop = self._next_ssn, self._next_ssn + n
        self._next_ssn = stop
        if stop > SSN_PRIMARY + SSN_EXTENDED:
            raise ConfigError("too many SSN holders for the never-issued SSN space")
        primary = self._ssn[start:stop]
        parts = _ssn_primary(primary)
        if stop <= SSN_PRIMARY:
            return parts
        if self._ssn_extended is None:
            self._ssn_extended = self._rng.permutation(SSN_EXTENDED)
        ext = self._ssn_extended[max(start - SSN_PRIMARY, 0) : stop - SSN_PRIMARY]
        more = _ssn_extended(ext)
        # tuple() over a generator is typed variable-length; two 3-tuples zipped give three
        return tuple(np.concatenate([a, b]) for a, b in zip(parts, more, strict=True))  # type: ignore[return-value]
