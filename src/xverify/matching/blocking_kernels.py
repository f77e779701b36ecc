"""Compiled kernels of the blocking stage (keys, MinHash bands, token join), with NumPy twins."""

from __future__ import annotations

import numba
import numpy as np

# ============================================================================ blocking keys
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@numba.njit(cache=True, nogil=True, inline="always")
def _mix(x: np.uint64) -> np.uint64:
    """splitmix64 finaliser (a bijection of uint64)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


@numba.njit(cache=True, nogil=True)
def keys_nb(tokens: np.ndarray, rules: np.ndarray, salts: np.ndarray, width: int) -> np.ndarray:
    """Blocking keys ``(rows, width)`` uint64 of every rule, 0 = none.

    ``rules[r] = (lo, hi, lo2, hi2)`` token slot ranges of the rule's first and second type
    (``lo2 = -1``: single-token rule); key = mix(mix(a ^ salt) ^ b), 0 mapped to 1.
    """
    n = tokens.shape[0]
    out = np.zeros((n, width), np.uint64)
    for i in range(n):
        col = 0
        for r in range(rules.shape[0]):
            lo, hi, lo2, hi2 = rules[r, 0], rules[r, 1], rules[r, 2], rules[r, 3]
            salt = salts[r]
            for a in range(lo, hi):
                ta = tokens[i, a]
                if lo2 < 0:
                    if ta != 0:
                        h = _mix(ta ^ salt)
                        out[i, col] = h if h != 0 else np.uint64(1)
                    col += 1
                else:
                    for b in range(lo2, hi2):
                        tb = tokens[i, b]
                        if ta != 0 and tb != 0:
                            h = _mix(_mix(ta ^ salt) ^ tb)
                            out[i, col] = h if h != 0 else np.uint64(1)
                        col += 1
    return out


@numba.njit(cache=True, nogil=True)
def minhash_nb(words: np.ndarray, lo: int, orders: np.ndarray) -> np.ndarray:
    """MinHash of the set bits of a Bloom field: for each order (a permutation of the field's
    bit positions) the rank of the first set bit; -1 for an empty field. ``words[:, lo:]``
    holds the field, ``orders`` is ``(hashes, bits)`` int64."""
    n = words.shape[0]
    m, nbits = orders.shape
    out = np.full((n, m), -1, np.int64)
    for i in range(n):
        for h in range(m):
            for r in range(nbits):
                b = orders[h, r]
                if (words[i, lo + (b >> 6)] >> np.uint64(b & 63)) & np.uint64(1):
                    out[i, h] = r
                    break
    return out


def minhash_np(words: np.ndarray, lo: int, orders: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`minhash_nb`."""
    nbits = orders.shape[1]
    field = words[:, lo : lo + nbits // 64]
    bits = np.unpackbits(field.view(np.uint8), axis=1, bitorder="little").astype(bool)
    out = np.empty((words.shape[0], orders.shape[0]), np.int64)
    for h in range(orders.shape[0]):
        perm = bits[:, orders[h]]
        first = perm.argmax(axis=1)
        out[:, h] = np.where(perm.any(axis=1), first, -1)
    return out


# ============================================================================ token join
DIRECTORY_MAX_BITS = 22


def key_directory(keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Directory over the top bits of sorted, well-mixed keys: ``dir[h]:dir[h + 1]`` is the range
    of keys whose top ``bits`` equal ``h``; a lookup is then ~2 memory accesses, not ~20."""
    bits = int(min(DIRECTORY_MAX_BITS, max(1, np.ceil(np.log2(max(keys.size, 2))))))
    shift = 64 - bits
    starts = np.arange(1 << bits, dtype=np.uint64) << np.uint64(shift)
    directory = np.append(np.searchsorted(keys, starts), keys.size).astype(np.int64)
    return directory, shift


@numba.njit(cache=True, nogil=True, inline="always")
def _find_in(keys: np.ndarray, lo: int, hi: int, t: np.uint64) -> int:
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < t:
            lo = mid + 1
        else:
            hi = mid
    if lo < keys.shape[0] and keys[lo] == t:
        return lo
    return -1


@numba.njit(cache=True, nogil=True)
def join_nb(
    keys: np.ndarray,
    offsets: np.ndarray,
    postings: np.ndarray,
    directory: np.ndarray,
    shift: int,
    reg_keys: np.ndarray,
    row0: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (submission, register row) sharing a key; sorted by (row, submission), unique.

    ``keys`` sorted unique uint64, ``postings[offsets[i]:offsets[i+1]]`` the ascending submission
    indices holding ``keys[i]``; ``directory``/``shift`` from :func:`key_directory`;
    ``reg_keys`` ``(rows, k)`` uint64 with 0 = no key; ``row0`` the global index of the first
    register row.
    """
    n, k = reg_keys.shape
    pos = np.full((n, k), -1, np.int64)
    counts = np.zeros(n, np.int64)
    sh = np.uint64(shift)
    for i in range(n):
        c = 0
        for j in range(k):
            t = reg_keys[i, j]
            if t == 0:
                continue
            h = np.int64(t >> sh)
            p = _find_in(keys, directory[h], directory[h + 1], t)
            if p >= 0:
                pos[i, j] = p
                c += offsets[p + 1] - offsets[p]
        counts[i] = c
    total = counts.sum()
    longest = counts.max() if n > 0 else 0
    sub = np.empty(total, np.int32)
    reg = np.empty(total, np.int64)
    buf = np.empty(longest, np.int32)
    out = 0
    for i in range(n):
        if counts[i] == 0:
            continue
        m = 0
        for j in range(k):
            p = pos[i, j]
            if p < 0:
                continue
            for q in range(offsets[p], offsets[p + 1]):
                buf[m] = postings[q]
                m += 1
        if m <= 32:  # insertion sort: most rows hold few postings
            for q in range(1, m):
                v = buf[q]
                r = q - 1
                while r >= 0 and buf[r] > v:
                    buf[r + 1] = buf[r]
                    r -= 1
                buf[r + 1] = v
        else:
            buf[:m].sort()
        last = -1
        for q in range(m):
            v = buf[q]
            if v != last:
                sub[out] = v
                reg[out] = row0 + i
                out += 1
                last = v
    return sub[:out].copy(), reg[:out].copy()


def join_np(
    keys: np.ndarray,
    offsets: np.ndarray,
    postings: np.ndarray,
    directory: np.ndarray,
    shift: int,
    reg_keys: np.ndarray,
    row0: int,
) -> tuple[np.ndarray, np.ndarray]:
    """NumPy twin of :func:`join_nb` (plain ``searchsorted``; the directory is not needed)."""
    n, k = reg_keys.shape
    flat = reg_keys.reshape(-1)
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    if keys.size == 0:
        return np.empty(0, np.int32), np.empty(0, np.int64)
    p = np.searchsorted(keys, flat)
    p_ok = np.minimum(p, keys.size - 1)
    hit = (flat != 0) & (p < keys.size) & (keys[p_ok] == flat)
    p, rows = p_ok[hit], rows[hit]
    lens = offsets[p + 1] - offsets[p]
    rep_rows = np.repeat(rows, lens)
    starts = np.repeat(offsets[p] - np.cumsum(lens) + lens, lens)
    subs = postings[starts + np.arange(rep_rows.size)].astype(np.int64)
    code = np.unique(rep_rows * (int(postings.max(initial=0)) + 1) + subs)
    width = int(postings.max(initial=0)) + 1
    return (code % width).astype(np.int32), (code // width + row0).astype(np.int64)
