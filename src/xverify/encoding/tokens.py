"""Keyed exact tokens: 64-bit pseudo-random values, equal exactly when the inputs are equal.

Two constructions, both keyed with per-token-type HKDF subkeys (see :mod:`.keys`):

* **string digests** — keyed BLAKE2b-64 of a normalized string (:func:`string_digests`), computed
  once per *distinct* string. Single-string tokens (a surname component, a given name, a phonetic
  code) are exactly this digest.
* **combined tokens** — SipHash-2-4 (Aumasson & Bernstein 2012, a PRF designed for short inputs)
  over a short tuple of 64-bit words: string digests and small integers such as ZIP5 or a day
  number (:func:`siphash_words`). Used for per-row combinations (house number + street + ZIP5,
  TIN, birth date) so nothing is hashed per row in Python: a compiled kernel runs at tens of
  millions of rows per second. :func:`siphash24_reference` is the plain-Python twin the tests
  check it against (with the reference test vector of the paper).

The value 0 marks an empty slot; a token that happens to be 0 is stored as 1. Missing inputs give
0, never the token of an empty string.

What this does not protect against: equal values give equal tokens under one key, so a holder of
many encodings can count frequencies (common surnames, shared ZIP codes stand out); and anyone
holding the secret can tokenize a dictionary.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b

import numba
import numpy as np

__all__ = [
    "fill_slots",
    "fill_slots_reference",
    "siphash24_reference",
    "siphash_words",
    "siphash_words_reference",
    "string_digests",
]

_PERSON = b"xverify-token-v1"
_MASK = (1 << 64) - 1


def string_digests(key: bytes, values: Sequence[str]) -> np.ndarray:
    """Keyed BLAKE2b-64 (little-endian uint64) of each non-empty string; '' gives 0; 0 → 1."""
    out = np.zeros(len(values), dtype=np.uint64)
    keyed = blake2b(key=key, digest_size=8, person=_PERSON)  # key block absorbed once
    raw = bytearray()
    idx = []
    for i, v in enumerate(values):
        if v:
            h = keyed.copy()
            h.update(v.encode())
            raw += h.digest()
            idx.append(i)
    if idx:
        at = np.asarray(idx)
        out[at] = np.frombuffer(bytes(raw), dtype="<u8")
        out[at[out[at] == 0]] = 1
    return out


# -- SipHash-2-4 ------------------------------------------------------------------------------


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK


def siphash24_reference(key: bytes, data: bytes) -> int:
    """Plain SipHash-2-4 of arbitrary bytes with a 16-byte key (the reference twin)."""
    if len(key) != 16:
        raise ValueError("SipHash needs a 16-byte key")
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:], "little")
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573

    def rounds(n: int) -> None:
        nonlocal v0, v1, v2, v3
        for _ in range(n):
            v0 = (v0 + v1) & _MASK
            v1 = _rotl(v1, 13) ^ v0
            v0 = _rotl(v0, 32)
            v2 = (v2 + v3) & _MASK
            v3 = _rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & _MASK
            v3 = _rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & _MASK
            v1 = _rotl(v1, 17) ^ v2
            v2 = _rotl(v2, 32)

    full = len(data) // 8 * 8
    for i in range(0, full, 8):
        m = int.from_bytes(data[i : i + 8], "little")
        v3 ^= m
        rounds(2)
        v0 ^= m
    last = ((len(data) & 0xFF) << 56) | int.from_bytes(data[full:].ljust(8, b"\0")[:8], "little")
    v3 ^= last
    rounds(2)
    v0 ^= last
    v2 ^= 0xFF
    rounds(4)
    return v0 ^ v1 ^ v2 ^ v3


def siphash_words_reference(key: bytes, words: np.ndarray) -> np.ndarray:
    """:func:`siphash_words` in plain Python: SipHash-2-4 of each row's little-endian bytes."""
    words = np.ascontiguousarray(words, dtype="<u8")
    out = [siphash24_reference(key, row.tobytes()) or 1 for row in words]
    return np.asarray(out, dtype=np.uint64)


@numba.njit(cache=True, inline="always")
def _rot(x: np.uint64, b: np.uint64) -> np.uint64:
    return (x << b) | (x >> (np.uint64(64) - b))


@numba.njit(cache=True)
def _sipround(
    v0: np.uint64, v1: np.uint64, v2: np.uint64, v3: np.uint64
) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    v0 = v0 + v1
    v1 = _rot(v1, np.uint64(13)) ^ v0
    v0 = _rot(v0, np.uint64(32))
    v2 = v2 + v3
    v3 = _rot(v3, np.uint64(16)) ^ v2
    v0 = v0 + v3
    v3 = _rot(v3, np.uint64(21)) ^ v0
    v2 = v2 + v1
    v1 = _rot(v1, np.uint64(17)) ^ v2
    v2 = _rot(v2, np.uint64(32))
    return v0, v1, v2, v3


@numba.njit(cache=True, nogil=True)
def _siphash_words_kernel(k0: np.uint64, k1: np.uint64, words: np.ndarray) -> np.ndarray:
    n, m = words.shape
    out = np.empty(n, dtype=np.uint64)
    last = np.uint64((8 * m) & 0xFF) << np.uint64(56)
    for i in range(n):
        v0 = k0 ^ np.uint64(0x736F6D6570736575)
        v1 = k1 ^ np.uint64(0x646F72616E646F6D)
        v2 = k0 ^ np.uint64(0x6C7967656E657261)
        v3 = k1 ^ np.uint64(0x7465646279746573)
        for j in range(m):
            w = words[i, j]
            v3 ^= w
            v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
            v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
            v0 ^= w
        v3 ^= last
        v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
        v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
        v0 ^= last
        v2 ^= np.uint64(0xFF)
        for _ in range(4):
            v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
        h = v0 ^ v1 ^ v2 ^ v3
        out[i] = h if h != 0 else np.uint64(1)
    return out


def siphash_words(key: bytes, words: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """SipHash-2-4 of each row of a ``(n, m)`` uint64 array; rows not ``valid`` give 0.

    Equals SipHash-2-4 of the row's ``8*m`` little-endian bytes (0 remapped to 1).
    """
    if len(key) != 16:
        raise ValueError("SipHash needs a 16-byte key")
    words = np.ascontiguousarray(words, dtype=np.uint64)
    if words.ndim == 1:
        words = words[:, None]
    k0 = np.uint64(int.from_bytes(key[:8], "little"))
    k1 = np.uint64(int.from_bytes(key[8:], "little"))
    out = _siphash_words_kernel(k0, k1, words)
    if valid is not None:
        out[~np.asarray(valid, dtype=bool)] = 0
    return out


@numba.njit(cache=True, nogil=True)
def _fill_slots_kernel(
    offsets: np.ndarray, codes: np.ndarray, token_of: np.ndarray, slots: int
) -> np.ndarray:
    n = len(offsets) - 1
    out = np.zeros((n, slots), dtype=np.uint64)
    for i in range(n):
        k = 0
        for j in range(offsets[i], offsets[i + 1]):
            t = token_of[codes[j]]
            if t == 0:
                continue
            dup = False
            for m in range(k):
                if out[i, m] == t:
                    dup = True
                    break
            if dup:
                continue
            out[i, k] = t
            k += 1
            if k == slots:
                break
    return out


def fill_slots(
    offsets: np.ndarray, codes: np.ndarray, token_of: np.ndarray, slots: int
) -> np.ndarray:
    """Row ``i`` gets the first ``slots`` distinct non-zero ``token_of[codes[j]]`` of its items.

    ``offsets`` (n+1) delimit each row's items in ``codes`` (indices into ``token_of``).
    """
    return _fill_slots_kernel(
        np.ascontiguousarray(offsets, dtype=np.int64),
        np.ascontiguousarray(codes, dtype=np.int64),
        np.ascontiguousarray(token_of, dtype=np.uint64),
        int(slots),
    )


def fill_slots_reference(
    offsets: np.ndarray, codes: np.ndarray, token_of: np.ndarray, slots: int
) -> np.ndarray:
    """Plain-Python twin of :func:`fill_slots`."""
    out = np.zeros((len(offsets) - 1, slots), dtype=np.uint64)
    for i in range(len(offsets) - 1):
        seen: list[int] = []
        for j in range(offsets[i], offsets[i + 1]):
            t = int(token_of[codes[j]])
            if t and t not in seen and len(seen) < slots:
                seen.append(t)
        out[i, : len(seen)] = seen
    return out
