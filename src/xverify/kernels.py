"""Compiled hot loops of the matcher, each with a plain-NumPy reference twin.

Every kernel is a pure function of arrays (no Arrow, no Python objects), so a distributed engine
can run it per partition. Each ``*_nb`` kernel (numba, ``cache=True``) has a ``*_np`` twin built
from vectorised NumPy; the tests run both on the same cases and require identical output (also for
floats: both sides do the same IEEE operations in the same order; transcendental functions are
kept out of the kernels and precomputed into tables by the callers).

Kernels
-------
``join_*``     token join: register rows x sorted submission key index -> candidate pairs, sorted by
               (register row, submission), deduplicated.
``dice_*``     Dice coefficient of one Bloom field over candidate pairs.
``compare_*``  all agreement levels of a pair in one pass (levels table in :mod:`xverify.compare`).
``score_*``    Fellegi-Sunter weights from levels, a weight table and term-frequency terms.

Row layout: the Bloom filters of a record are one ``(rows, words)`` uint64 matrix with the fields
side by side (``word_off[f]:word_off[f+1]`` for field ``f`` in :class:`BloomField` order); the
tokens are one ``(rows, slots)`` uint64 matrix (``slot_off[t]:slot_off[t+1]`` for token type
``t`` in :class:`TokenType` order), 0 = empty slot.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# --- indices fixed by the enum order in xverify.encoding.schema (checked in xverify.compare) ---
BF_GIVEN, BF_MIDDLE, BF_SURNAME, BF_STREET, BF_PLACE = 0, 1, 2, 3, 4
(
    TT_SURNAME,
    TT_SURNAME_PHONETIC,
    TT_GIVEN,
    TT_GIVEN_CANONICAL,
    TT_GIVEN_PHONETIC,
    TT_MIDDLE_INITIAL,
    TT_SUFFIX,
    TT_STREET_NUMBER_ZIP,
    TT_STREET_ZIP,
    TT_UNIT,
    TT_ZIP5,
    TT_BIRTH_DATE,
    TT_TIN,
    TT_HOUSE_NUMBER,
) = range(14)

# comparison columns of the levels matrix (xverify.compare.Comparison has the same order)
C_GIVEN, C_SURNAME, C_MIDDLE, C_SUFFIX, C_BIRTH_DATE, C_TIN, C_ADDRESS = range(7)
N_COMPARISONS = 7
# columns of the threshold vector (xverify.compare.CompareConfig.thresholds())
TH_GIVEN_HI, TH_GIVEN_LO, TH_SURNAME_HI, TH_SURNAME_LO, TH_STREET, TH_PLACE = range(6)
# term-frequency columns: log2 frequency of the agreeing surname / given tokens
TF_SURNAME, TF_GIVEN = 0, 1

MISSING = -1
PREFETCH_AHEAD = 8  # pairs: submission rows are fetched this far ahead of use


@intrinsic
def _prefetch(
    typingctx: object, arr: types.Array, row: types.Integer, col: types.Integer
) -> tuple[types.Signature, object]:
    """Software prefetch of ``arr[row, col]`` into all cache levels (``llvm.prefetch``).

    The pair loops are bound by memory latency on the randomly accessed submission rows;
    fetching them a few pairs ahead overlaps the misses (DESIGN.md section 7).
    """
    sig = types.void(arr, row, col)

    def codegen(context: object, builder: ir.IRBuilder, signature: object, args: tuple) -> object:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(
            context, builder, aryty, ary, [args[1], args[2]], wraparound=False
        )
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # read, high temporal locality, data cache
        builder.call(
            fn,
            [
                builder.bitcast(ptr, i8p),
                ir.Constant(i32, 0),
                ir.Constant(i32, 3),
                ir.Constant(i32, 1),
            ],
        )
        return context.get_dummy_value()

    return sig, codegen


_PAR_CHUNK = 16_384  # pairs per parallel task


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


# ============================================================================ Dice
@numba.njit(cache=True, nogil=True, inline="always")
def _popcount(x: np.uint64) -> int:
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@numba.njit(cache=True, nogil=True, inline="always")
def _counts(a: np.ndarray, b: np.ndarray, lo: int, hi: int) -> tuple[int, int, int]:
    ca = 0
    cb = 0
    ci = 0
    for w in range(lo, hi):
        x = a[w]
        y = b[w]
        ca += _popcount(x)
        cb += _popcount(y)
        ci += _popcount(x & y)
    return ca, cb, ci


@numba.njit(cache=True, nogil=True, inline="always")
def _and_count(a: np.ndarray, i: int, b: np.ndarray, j: int, lo: int, hi: int) -> int:
    """Popcount of ``a[i, lo:hi] & b[j, lo:hi]``."""
    c = 0
    for w in range(lo, hi):
        c += _popcount(a[i, w] & b[j, w])
    return c


@numba.njit(cache=True, nogil=True, inline="always")
def _shares(st: np.ndarray, i: int, rt: np.ndarray, j: int, lo: int, hi: int) -> bool:
    """Does a nonzero slot of ``st[i, lo:hi]`` equal a slot of ``rt[j, lo:hi]`` (branch-free)."""
    hit = False
    for a in range(lo, hi):
        t = st[i, a]
        for b in range(lo, hi):
            hit |= (t == rt[j, b]) & (t != 0)
    return hit


@numba.njit(cache=True, nogil=True, inline="always")
def _tf_nb(
    st: np.ndarray, i: int, rt: np.ndarray, j: int, lo: int, hi: int, slf: np.ndarray
) -> float:
    """Sum of the log2 register frequencies ``slf[i]`` of the tokens of ``st[i, lo:hi]`` found
    in ``rt[j]`` (slot order; NaN frequencies skipped)."""
    acc = 0.0
    for a in range(lo, hi):
        t = st[i, a]
        if t != 0 and _contains(rt, j, lo, hi, t):
            lf = slf[i, a - lo]
            if not np.isnan(lf):
                acc += lf
    return acc


@numba.njit(cache=True, nogil=True, inline="always")
def _same_sets(st: np.ndarray, i: int, rt: np.ndarray, j: int, lo: int, hi: int) -> bool:
    """Is every nonzero slot of ``st[i, lo:hi]`` in ``rt[j, lo:hi]`` and vice versa."""
    for a in range(lo, hi):
        t = st[i, a]
        if t != 0 and not _contains(rt, j, lo, hi, t):
            return False
    for b in range(lo, hi):
        t = rt[j, b]
        if t != 0 and not _contains(st, i, lo, hi, t):
            return False
    return True


@numba.njit(cache=True, nogil=True, inline="always")
def _contains(tok: np.ndarray, i: int, lo: int, hi: int, t: np.uint64) -> bool:
    for a in range(lo, hi):  # noqa: SIM110 -- numba compiles no generator any()
        if tok[i, a] == t:
            return True
    return False


@numba.njit(cache=True, nogil=True, inline="always")
def _names_other(st: np.ndarray, i: int, rt: np.ndarray, j: int, lo: int, hi: int) -> bool:
    """Does one side's own name (slot ``lo``) appear among the other's canonical forms: one name
    is a nickname of the other (BILL ~ WILLIAM), not merely two nicknames of a third."""
    a, b = st[i, lo], rt[j, lo]
    return (a != 0 and _contains(rt, j, lo, hi, a)) or (b != 0 and _contains(st, i, lo, hi, b))


@numba.njit(cache=True, nogil=True)
def dice_nb(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Dice 2|A&B|/(|A|+|B|) of rows ``a[ia[p]]`` and ``b[ib[p]]``; 0 when both are empty."""
    n = ia.shape[0]
    out = np.empty(n, np.float64)
    w = a.shape[1]
    for p in range(n):
        ca, cb, ci = _counts(a[ia[p]], b[ib[p]], 0, w)
        out[p] = 2.0 * ci / (ca + cb) if ca + cb > 0 else 0.0
    return out


@numba.njit(cache=True, nogil=True, parallel=True)
def dice_par_nb(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Thread-parallel :func:`dice_nb` (same result)."""
    n = ia.shape[0]
    out = np.empty(n, np.float64)
    w = a.shape[1]
    for p in numba.prange(n):
        ca, cb, ci = _counts(a[ia[p]], b[ib[p]], 0, w)
        out[p] = 2.0 * ci / (ca + cb) if ca + cb > 0 else 0.0
    return out


def row_bits(words: np.ndarray, word_off: np.ndarray) -> np.ndarray:
    """``(rows, fields)`` int64 set-bit count of each Bloom field (precomputed once per table:
    the pair kernels then only count the AND)."""
    return np.stack(
        [_bitcount_rows(words[:, word_off[f] : word_off[f + 1]]) for f in range(len(word_off) - 1)],
        axis=1,
    )


def _bitcount_rows(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x).sum(axis=1, dtype=np.int64)


def dice_np(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`dice_nb`."""
    x, y = a[ia], b[ib]
    ca, cb, ci = _bitcount_rows(x), _bitcount_rows(y), _bitcount_rows(x & y)
    den = ca + cb
    with np.errstate(invalid="ignore", divide="ignore"):
        d = 2.0 * ci / den
    return np.where(den > 0, d, 0.0)


# ============================================================================ comparison
@numba.njit(cache=True, nogil=True)
def _compare_range(
    sw: np.ndarray,
    st: np.ndarray,
    rw: np.ndarray,
    rt: np.ndarray,
    sbits: np.ndarray,
    rbits: np.ndarray,
    si: np.ndarray,
    ri: np.ndarray,
    woff: np.ndarray,
    soff: np.ndarray,
    th: np.ndarray,
    sur_lf: np.ndarray,
    giv_lf: np.ndarray,
    floor: float,
    lev: np.ndarray,
    tf: np.ndarray,
    lo: int,
    hi: int,
) -> None:
    """Levels and TF terms of pairs ``lo:hi`` written into ``lev`` and ``tf``.

    One call per range, not per pair: array arguments are then borrowed once, where a per-pair
    helper would pay reference counting on every array for every pair (measured 2x slower).
    """
    nt = st.shape[1]
    for p in range(lo, hi):
        if p + PREFETCH_AHEAD < hi:
            # the tokens, and the name filters (most pairs need a name Dice, few another)
            k = si[p + PREFETCH_AHEAD]
            _prefetch(sw, k, woff[BF_GIVEN])
            _prefetch(sw, k, woff[BF_SURNAME])
            _prefetch(sbits, k, 0)
            for c in range(0, nt, 8):
                _prefetch(st, k, c)
        i = si[p]
        j = ri[p]
        # ---- given name
        ga = sbits[i, BF_GIVEN]
        gb = rbits[j, BF_GIVEN]
        tf[p, TF_GIVEN] = np.nan
        if ga == 0 or gb == 0:
            lev[p, C_GIVEN] = MISSING
        else:
            if _shares(st, i, rt, j, soff[TT_GIVEN], soff[TT_GIVEN + 1]):
                g0, g1 = soff[TT_GIVEN], soff[TT_GIVEN + 1]
                lev[p, C_GIVEN] = 5 if _same_sets(st, i, rt, j, g0, g1) else 4
                if giv_lf.shape[1] > 0:
                    tf[p, TF_GIVEN] = max(_tf_nb(st, i, rt, j, g0, g1, giv_lf), floor)
            else:
                if _names_other(
                    st, i, rt, j, soff[TT_GIVEN_CANONICAL], soff[TT_GIVEN_CANONICAL + 1]
                ):
                    lev[p, C_GIVEN] = 3
                else:
                    gi = _and_count(sw, i, rw, j, woff[BF_GIVEN], woff[BF_GIVEN + 1])
                    den = float(ga + gb)
                    if 2.0 * gi >= th[TH_GIVEN_HI] * den:
                        lev[p, C_GIVEN] = 2
                    elif 2.0 * gi >= th[TH_GIVEN_LO] * den or (
                        st[i, soff[TT_GIVEN_PHONETIC]] != 0
                        and st[i, soff[TT_GIVEN_PHONETIC]] == rt[j, soff[TT_GIVEN_PHONETIC]]
                    ):
                        lev[p, C_GIVEN] = 1
                    else:
                        lev[p, C_GIVEN] = 0
        # ---- surname
        sa = sbits[i, BF_SURNAME]
        sb = rbits[j, BF_SURNAME]
        tf[p, TF_SURNAME] = np.nan
        if sa == 0 or sb == 0:
            lev[p, C_SURNAME] = MISSING
        else:
            if _shares(st, i, rt, j, soff[TT_SURNAME], soff[TT_SURNAME + 1]):
                s0, s1 = soff[TT_SURNAME], soff[TT_SURNAME + 1]
                lev[p, C_SURNAME] = 5 if _same_sets(st, i, rt, j, s0, s1) else 4
                if sur_lf.shape[1] > 0:
                    tf[p, TF_SURNAME] = max(_tf_nb(st, i, rt, j, s0, s1, sur_lf), floor)
            else:
                den = float(sa + sb)
                s_and = _and_count(sw, i, rw, j, woff[BF_SURNAME], woff[BF_SURNAME + 1])
                if 2.0 * s_and >= th[TH_SURNAME_HI] * den:
                    lev[p, C_SURNAME] = 3
                elif _shares(
                    st, i, rt, j, soff[TT_SURNAME_PHONETIC], soff[TT_SURNAME_PHONETIC + 1]
                ):
                    lev[p, C_SURNAME] = 2
                elif 2.0 * s_and >= th[TH_SURNAME_LO] * den:
                    lev[p, C_SURNAME] = 1
                else:
                    lev[p, C_SURNAME] = 0
        # ---- single-token comparisons: agree 1 / disagree 0 / missing -1
        for c, tt in (
            (C_MIDDLE, TT_MIDDLE_INITIAL),
            (C_BIRTH_DATE, TT_BIRTH_DATE),
            (C_TIN, TT_TIN),
        ):
            x = st[i, soff[tt]]
            y = rt[j, soff[tt]]
            if x == 0 or y == 0:
                lev[p, c] = MISSING
            else:
                lev[p, c] = 1 if x == y else 0
        # ---- suffix: agree 2 / only the register has one 1 / differ 0 / neither -1.
        # A suffix on the request that the register person lacks (a JR asked about, a father on
        # file) names someone else: it counts as a difference, not as missing.
        x = st[i, soff[TT_SUFFIX]]
        y = rt[j, soff[TT_SUFFIX]]
        if x == 0 and y == 0:
            lev[p, C_SUFFIX] = MISSING
        elif x == 0:
            lev[p, C_SUFFIX] = 1
        else:
            lev[p, C_SUFFIX] = 2 if x == y else 0
        # ---- address as one unit
        ta = sbits[i, BF_STREET]
        tb = rbits[j, BF_STREET]
        if ta == 0 or tb == 0:
            lev[p, C_ADDRESS] = MISSING
        else:
            x = st[i, soff[TT_STREET_ZIP]]
            if x != 0 and x == rt[j, soff[TT_STREET_ZIP]]:
                ua = st[i, soff[TT_UNIT]]
                ub = rt[j, soff[TT_UNIT]]
                if ua == ub:
                    lev[p, C_ADDRESS] = 5
                elif ub == 0:
                    lev[p, C_ADDRESS] = 4
                elif ua == 0:
                    lev[p, C_ADDRESS] = 1  # the request names only the building
                else:
                    lev[p, C_ADDRESS] = 0  # another apartment: another home
            else:
                y = st[i, soff[TT_STREET_NUMBER_ZIP]]
                number_zip = y != 0 and y == rt[j, soff[TT_STREET_NUMBER_ZIP]]
                h = st[i, soff[TT_HOUSE_NUMBER]]
                house = h != 0 and h == rt[j, soff[TT_HOUSE_NUMBER]]
                level = 0
                # levels 2-3 need the house number: most pairs are settled without a Dice
                if number_zip or house:
                    ti = _and_count(sw, i, rw, j, woff[BF_STREET], woff[BF_STREET + 1])
                    street_hi = 2.0 * ti >= th[TH_STREET] * float(ta + tb)
                    if street_hi and number_zip:
                        level = 3
                    elif street_hi and house:
                        pa = sbits[i, BF_PLACE]
                        pb = rbits[j, BF_PLACE]
                        if pa + pb > 0:
                            pi = _and_count(sw, i, rw, j, woff[BF_PLACE], woff[BF_PLACE + 1])
                            if 2.0 * pi >= th[TH_PLACE] * float(pa + pb):
                                level = 2
                ua = st[i, soff[TT_UNIT]]
                ub = rt[j, soff[TT_UNIT]]
                if ub != 0 and ua != ub:
                    # another apartment: another home; no unit asked: the building at most
                    level = 1 if level > 0 and ua == 0 else 0
                lev[p, C_ADDRESS] = level


@numba.njit(cache=True, nogil=True)
def compare_nb(
    sw: np.ndarray,
    st: np.ndarray,
    rw: np.ndarray,
    rt: np.ndarray,
    sbits: np.ndarray,
    rbits: np.ndarray,
    si: np.ndarray,
    ri: np.ndarray,
    woff: np.ndarray,
    soff: np.ndarray,
    th: np.ndarray,
    sur_lf: np.ndarray,
    giv_lf: np.ndarray,
    floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Agreement levels ``(pairs, 7)`` int8 and TF terms ``(pairs, 2)`` float64 of pairs.

    ``sw``/``rw`` Bloom word matrices and ``st``/``rt`` token matrices of submissions and register
    rows, ``sbits``/``rbits`` their :func:`row_bits`, ``si``/``ri`` the pair indices into them;
    ``th`` thresholds; ``sur_lf``/``giv_lf`` ``(submissions, slots)`` log2 register frequency of
    each submission's surname / given tokens (NaN: not in the register; zero columns: no TF
    term); ``floor`` the lowest log2 frequency. The TF term is the sum of log2 frequencies of
    the agreeing tokens (NaN when none agree or no statistics are given).
    """
    n = si.shape[0]
    lev = np.empty((n, N_COMPARISONS), np.int8)
    tf = np.empty((n, 2), np.float64)
    _compare_range(
        sw, st, rw, rt, sbits, rbits, si, ri, woff, soff, th,
        sur_lf, giv_lf, floor, lev, tf, 0, n,
    )  # fmt: skip
    return lev, tf


@numba.njit(cache=True, nogil=True, parallel=True)
def compare_par_nb(
    sw: np.ndarray,
    st: np.ndarray,
    rw: np.ndarray,
    rt: np.ndarray,
    sbits: np.ndarray,
    rbits: np.ndarray,
    si: np.ndarray,
    ri: np.ndarray,
    woff: np.ndarray,
    soff: np.ndarray,
    th: np.ndarray,
    sur_lf: np.ndarray,
    giv_lf: np.ndarray,
    floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Thread-parallel :func:`compare_nb` (same result)."""
    n = si.shape[0]
    lev = np.empty((n, N_COMPARISONS), np.int8)
    tf = np.empty((n, 2), np.float64)
    chunks = (n + _PAR_CHUNK - 1) // _PAR_CHUNK
    for k in numba.prange(chunks):
        _compare_range(
            sw, st, rw, rt, sbits, rbits, si, ri, woff, soff, th,
            sur_lf, giv_lf, floor, lev, tf,
            k * _PAR_CHUNK, min(n, (k + 1) * _PAR_CHUNK),
        )  # fmt: skip
    return lev, tf


def _any_common(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row: does a nonzero slot of ``a`` equal a slot of ``b``; ``(rows, slots_a)`` bool."""
    return (a[:, :, None] == b[:, None, :]).any(axis=2) & (a != 0)


def _same_set_rows(a: np.ndarray, b: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """Per row: every nonzero slot of ``a`` is in ``b`` (``hit``) and vice versa."""
    back = _any_common(b, a)
    return (hit.sum(1) == (a != 0).sum(1)) & (back.sum(1) == (b != 0).sum(1))


def _tf_sum(hit: np.ndarray, lf: np.ndarray) -> np.ndarray:
    """Sum of the log2 frequencies ``lf`` of the agreeing slots, slot order (as in the kernel)."""
    acc = np.zeros(hit.shape[0], np.float64)
    for s in range(lf.shape[1]):
        found = hit[:, s] & ~np.isnan(lf[:, s])
        acc = np.where(found, acc + lf[:, s], acc)
    return acc


def compare_np(
    sw: np.ndarray,
    st: np.ndarray,
    rw: np.ndarray,
    rt: np.ndarray,
    sbits: np.ndarray,
    rbits: np.ndarray,
    si: np.ndarray,
    ri: np.ndarray,
    woff: np.ndarray,
    soff: np.ndarray,
    th: np.ndarray,
    sur_lf: np.ndarray,
    giv_lf: np.ndarray,
    floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """NumPy twin of :func:`compare_nb`."""
    n = si.shape[0]
    a_w, b_w, a_t, b_t = sw[si], rw[ri], st[si], rt[ri]

    def counts(f: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, y = a_w[:, woff[f] : woff[f + 1]], b_w[:, woff[f] : woff[f + 1]]
        return _bitcount_rows(x), _bitcount_rows(y), _bitcount_rows(x & y)

    def toks(t: int) -> tuple[np.ndarray, np.ndarray]:
        return a_t[:, soff[t] : soff[t + 1]], b_t[:, soff[t] : soff[t + 1]]

    lev = np.empty((n, N_COMPARISONS), np.int8)
    tf = np.full((n, 2), np.nan)

    # given name
    ga, gb, gi = counts(BF_GIVEN)
    den = (ga + gb).astype(np.float64)
    x, y = toks(TT_GIVEN)
    hit = _any_common(x, y)
    exact = hit.any(axis=1)
    all_exact = exact & _same_set_rows(x, y, hit)
    cx, cy = toks(TT_GIVEN_CANONICAL)
    canon = ((cx[:, :1] != 0) & (cx[:, :1] == cy)).any(axis=1) | (
        (cy[:, :1] != 0) & (cy[:, :1] == cx)
    ).any(axis=1)
    ph_a, ph_b = a_t[:, soff[TT_GIVEN_PHONETIC]], b_t[:, soff[TT_GIVEN_PHONETIC]]
    phon = (ph_a != 0) & (ph_a == ph_b)
    missing = (ga == 0) | (gb == 0)
    lev[:, C_GIVEN] = np.select(
        [
            missing,
            all_exact,
            exact,
            canon,
            2.0 * gi >= th[TH_GIVEN_HI] * den,
            (2.0 * gi >= th[TH_GIVEN_LO] * den) | phon,
        ],
        [MISSING, 5, 4, 3, 2, 1],
        0,
    )
    if giv_lf.shape[1]:
        acc = np.maximum(_tf_sum(hit, giv_lf[si]), floor)
        tf[:, TF_GIVEN] = np.where(~missing & exact, acc, np.nan)

    # surname
    sa, sb, sint = counts(BF_SURNAME)
    den = (sa + sb).astype(np.float64)
    x, y = toks(TT_SURNAME)
    hit = _any_common(x, y)
    common = hit.any(axis=1)
    all_exact = common & _same_set_rows(x, y, hit)
    phon = _any_common(*toks(TT_SURNAME_PHONETIC)).any(axis=1)
    missing = (sa == 0) | (sb == 0)
    lev[:, C_SURNAME] = np.select(
        [
            missing,
            all_exact,
            common,
            2.0 * sint >= th[TH_SURNAME_HI] * den,
            phon,
            2.0 * sint >= th[TH_SURNAME_LO] * den,
        ],
        [MISSING, 5, 4, 3, 2, 1],
        0,
    )
    if sur_lf.shape[1]:
        acc = np.maximum(_tf_sum(hit, sur_lf[si]), floor)
        tf[:, TF_SURNAME] = np.where(~missing & common, acc, np.nan)

    # single tokens
    for c, tt in (
        (C_MIDDLE, TT_MIDDLE_INITIAL),
        (C_BIRTH_DATE, TT_BIRTH_DATE),
        (C_TIN, TT_TIN),
    ):
        u, v = a_t[:, soff[tt]], b_t[:, soff[tt]]
        lev[:, c] = np.where((u == 0) | (v == 0), MISSING, (u == v).astype(np.int8))
    u, v = a_t[:, soff[TT_SUFFIX]], b_t[:, soff[TT_SUFFIX]]
    lev[:, C_SUFFIX] = np.select(
        [(u == 0) & (v == 0), u == 0, v == 0, u == v], [MISSING, 1, 0, 2], 0
    )

    # address
    ta, tb, ti = counts(BF_STREET)
    pa, pb, pi = counts(BF_PLACE)
    sz_a, sz_b = a_t[:, soff[TT_STREET_ZIP]], b_t[:, soff[TT_STREET_ZIP]]
    nz_a, nz_b = a_t[:, soff[TT_STREET_NUMBER_ZIP]], b_t[:, soff[TT_STREET_NUMBER_ZIP]]
    ua, ub = a_t[:, soff[TT_UNIT]], b_t[:, soff[TT_UNIT]]
    sz = (sz_a != 0) & (sz_a == sz_b)
    street_hi = 2.0 * ti >= th[TH_STREET] * (ta + tb).astype(np.float64)
    place_hi = ((pa + pb) > 0) & (2.0 * pi >= th[TH_PLACE] * (pa + pb).astype(np.float64))
    hn_a, hn_b = a_t[:, soff[TT_HOUSE_NUMBER]], b_t[:, soff[TT_HOUSE_NUMBER]]
    same_house = street_hi & (hn_a != 0) & (hn_a == hn_b)
    other_unit = (ub != 0) & (ua != ub)
    fuzzy = (street_hi & (nz_a != 0) & (nz_a == nz_b)) | (same_house & place_hi)
    lev[:, C_ADDRESS] = np.select(
        [
            (ta == 0) | (tb == 0),
            sz & (ua == ub),
            sz & (ub == 0),
            sz & (ua == 0),
            other_unit & (ua == 0) & fuzzy,
            other_unit,
            street_hi & (nz_a != 0) & (nz_a == nz_b),
            same_house & place_hi,
        ],
        [MISSING, 5, 4, 1, 1, 0, 3, 2],
        0,
    )
    return lev, tf


# ============================================================================ scoring
@numba.njit(cache=True, nogil=True, inline="always")
def _score_one(
    levels: np.ndarray,
    tf: np.ndarray,
    p: int,
    table: np.ndarray,
    part: np.ndarray,
    tf_comp: np.ndarray,
    tf_levels: np.ndarray,
    tf_log2u: np.ndarray,
    inter: np.ndarray,
    inter_bits: np.ndarray,
    prior: float,
    w: np.ndarray,
    nw: np.ndarray,
    aw: np.ndarray,
) -> None:
    total = prior
    name = 0.0
    addr = 0.0
    for c in range(levels.shape[1]):
        x = table[c, levels[p, c] + 1]
        total += x
        if part[c] == 1:
            name += x
        elif part[c] == 2:
            addr += x
    for k in range(tf_comp.shape[0]):
        c = tf_comp[k]
        col = levels[p, c] + 1
        v = tf[p, k]
        if tf_levels[k, col] and not np.isnan(v):
            adj = tf_log2u[k, col] - v
            total += adj
            if part[c] == 1:
                name += adj
            elif part[c] == 2:
                addr += adj
    for k in range(inter.shape[0]):
        if (
            levels[p, inter[k, 0]] >= inter[k, 1]
            and levels[p, inter[k, 2]] >= inter[k, 3]
            and (inter[k, 6] < 0 or levels[p, inter[k, 6]] < inter[k, 7])
        ):
            x = inter_bits[k, 0]
            q = inter[k, 5]
            if q >= 0 and not np.isnan(tf[p, q]):
                x = min(0.0, inter_bits[k, 1] + tf[p, q])
            total += x
            if inter[k, 4] == 1:
                name += x
            elif inter[k, 4] == 2:
                addr += x
    w[p] = total
    nw[p] = name
    aw[p] = addr


@numba.njit(cache=True, nogil=True)
def score_nb(
    levels: np.ndarray,
    tf: np.ndarray,
    table: np.ndarray,
    part: np.ndarray,
    tf_comp: np.ndarray,
    tf_levels: np.ndarray,
    tf_log2u: np.ndarray,
    inter: np.ndarray,
    inter_bits: np.ndarray,
    prior: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Match weight, name part and address part (log2) of each pair.

    ``table[c, level + 1]`` is the weight of comparison ``c`` at ``level`` (column 0: missing,
    weight 0); ``part[c]`` 1 = name, 2 = address, 0 = other. TF term ``k`` applies to comparison
    ``tf_comp[k]`` at levels where ``tf_levels[k, level + 1]``: it adds
    ``tf_log2u[k, level + 1] - tf[p, k]`` (log2 of u-level over the token frequency).
    Interaction ``k`` (``inter[k] = (c_a, a_min, c_b, b_min, part, tf_col, c_c, c_max)``) adds,
    when ``levels[c_a] >= a_min`` and ``levels[c_b] >= b_min`` (and, if ``c_c >= 0``,
    ``levels[c_c] < c_max``), ``min(0, inter_bits[k, 1] +
    tf[p, tf_col])`` if that TF term exists, else ``inter_bits[k, 0]``: a correction for two
    comparisons that are not independent among non-matches.
    """
    n = levels.shape[0]
    w = np.empty(n, np.float64)
    nw = np.empty(n, np.float64)
    aw = np.empty(n, np.float64)
    for p in range(n):
        _score_one(
            levels, tf, p, table, part, tf_comp, tf_levels, tf_log2u, inter, inter_bits, prior,
            w, nw, aw,
        )  # fmt: skip
    return w, nw, aw


@numba.njit(cache=True, nogil=True, parallel=True)
def score_par_nb(
    levels: np.ndarray,
    tf: np.ndarray,
    table: np.ndarray,
    part: np.ndarray,
    tf_comp: np.ndarray,
    tf_levels: np.ndarray,
    tf_log2u: np.ndarray,
    inter: np.ndarray,
    inter_bits: np.ndarray,
    prior: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thread-parallel :func:`score_nb` (same result)."""
    n = levels.shape[0]
    w = np.empty(n, np.float64)
    nw = np.empty(n, np.float64)
    aw = np.empty(n, np.float64)
    for p in numba.prange(n):
        _score_one(
            levels, tf, p, table, part, tf_comp, tf_levels, tf_log2u, inter, inter_bits, prior,
            w, nw, aw,
        )  # fmt: skip
    return w, nw, aw


def score_np(
    levels: np.ndarray,
    tf: np.ndarray,
    table: np.ndarray,
    part: np.ndarray,
    tf_comp: np.ndarray,
    tf_levels: np.ndarray,
    tf_log2u: np.ndarray,
    inter: np.ndarray,
    inter_bits: np.ndarray,
    prior: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NumPy twin of :func:`score_nb` (same summation order)."""
    n = levels.shape[0]
    w = np.full(n, prior, np.float64)
    nw = np.zeros(n, np.float64)
    aw = np.zeros(n, np.float64)
    for c in range(levels.shape[1]):
        x = table[c, levels[:, c].astype(np.int64) + 1]
        w = w + x
        if part[c] == 1:
            nw = nw + x
        elif part[c] == 2:
            aw = aw + x
    for k in range(tf_comp.shape[0]):
        c = int(tf_comp[k])
        col = levels[:, c].astype(np.int64) + 1
        v = tf[:, k]
        on = tf_levels[k, col] & ~np.isnan(v)
        adj = np.where(on, tf_log2u[k, col] - np.where(on, v, 0.0), 0.0)
        w = np.where(on, w + adj, w)
        if part[c] == 1:
            nw = np.where(on, nw + adj, nw)
        elif part[c] == 2:
            aw = np.where(on, aw + adj, aw)
    for k in range(inter.shape[0]):
        on = (levels[:, inter[k, 0]] >= inter[k, 1]) & (levels[:, inter[k, 2]] >= inter[k, 3])
        if inter[k, 6] >= 0:
            on &= levels[:, inter[k, 6]] < inter[k, 7]
        x = np.full(n, inter_bits[k, 0])
        q = int(inter[k, 5])
        if q >= 0:
            v = tf[:, q]
            has = ~np.isnan(v)
            x = np.where(has, np.minimum(0.0, inter_bits[k, 1] + np.where(has, v, 0.0)), x)
        w = np.where(on, w + x, w)
        if inter[k, 4] == 1:
            nw = np.where(on, nw + x, nw)
        elif inter[k, 4] == 2:
            aw = np.where(on, aw + x, aw)
    return w, nw, aw
