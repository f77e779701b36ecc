"""Compiled kernels of the comparison stage, each with a plain-NumPy reference twin.

Every kernel is a pure function of arrays (no Arrow, no Python objects), so a distributed engine
can run it per partition. Each ``*_nb`` kernel (numba, ``cache=True``) has a ``*_np`` twin built
from vectorised NumPy; the tests run both on the same cases and require identical output (also for
floats: both sides do the same IEEE operations in the same order; transcendental functions are
kept out of the kernels and precomputed into tables by the callers).

Kernels (the blocking and scoring stages have theirs beside them)
-----------------------------------------------------------------
``dice_*``     Dice coefficient of one Bloom field over candidate pairs.
``compare_*``  all agreement levels of a pair in one pass (levels: :mod:`xverify.matching.levels`).

Row layout: the Bloom filters of a record are one ``(rows, words)`` uint64 matrix with the fields
side by side (``word_off[f]:word_off[f+1]`` for field ``f`` in :class:`BloomField` order); the
tokens are one ``(rows, slots)`` uint64 matrix (``slot_off[t]:slot_off[t+1]`` for token type
``t`` in :class:`TokenType` order), 0 = empty slot.
"""

from __future__ import annotations

import numba
import numpy as np

from ._jit import (
    BF_GIVEN,
    BF_PLACE,
    BF_STREET,
    BF_SURNAME,
    N_COMPARISONS,
    PAR_CHUNK,
    PREFETCH_AHEAD,
    TF_GIVEN,
    TF_SURNAME,
    TH_GIVEN_HI,
    TH_GIVEN_LO,
    TH_PLACE,
    TH_STREET,
    TH_SURNAME_HI,
    TH_SURNAME_LO,
    TT_BIRTH_DATE,
    TT_GIVEN,
    TT_GIVEN_CANONICAL,
    TT_GIVEN_PHONETIC,
    TT_HOUSE_NUMBER,
    TT_MIDDLE_INITIAL,
    TT_STREET_NUMBER_ZIP,
    TT_STREET_ZIP,
    TT_SUFFIX,
    TT_SURNAME,
    TT_SURNAME_PHONETIC,
    TT_TIN,
    TT_UNIT,
    prefetch,
)
from .levels import MISSING, Address, BirthDate, Given, Middle, Suffix, Surname, Tin
from .levels import Comparison as C


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
@numba.njit(cache=True, nogil=True, inline="always")
def _token_level(x: np.uint64, y: np.uint64, agrees: int, differs: int) -> int:
    """Level of a one-token comparison: missing when a side has no token."""
    if x == 0 or y == 0:
        return MISSING
    return agrees if x == y else differs


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
            prefetch(sw, k, woff[BF_GIVEN])
            prefetch(sw, k, woff[BF_SURNAME])
            prefetch(sbits, k, 0)
            for c in range(0, nt, 8):
                prefetch(st, k, c)
        i = si[p]
        j = ri[p]
        # ---- given name
        ga = sbits[i, BF_GIVEN]
        gb = rbits[j, BF_GIVEN]
        tf[p, TF_GIVEN] = np.nan
        if ga == 0 or gb == 0:
            lev[p, C.GIVEN] = MISSING
        else:
            if _shares(st, i, rt, j, soff[TT_GIVEN], soff[TT_GIVEN + 1]):
                g0, g1 = soff[TT_GIVEN], soff[TT_GIVEN + 1]
                lev[p, C.GIVEN] = (
                    Given.ALL_EXACT if _same_sets(st, i, rt, j, g0, g1) else Given.SOME_EXACT
                )
                if giv_lf.shape[1] > 0:
                    tf[p, TF_GIVEN] = max(_tf_nb(st, i, rt, j, g0, g1, giv_lf), floor)
            else:
                if _names_other(
                    st, i, rt, j, soff[TT_GIVEN_CANONICAL], soff[TT_GIVEN_CANONICAL + 1]
                ):
                    lev[p, C.GIVEN] = Given.NICKNAME
                else:
                    gi = _and_count(sw, i, rw, j, woff[BF_GIVEN], woff[BF_GIVEN + 1])
                    den = float(ga + gb)
                    if 2.0 * gi >= th[TH_GIVEN_HI] * den:
                        lev[p, C.GIVEN] = Given.CLOSE
                    elif 2.0 * gi >= th[TH_GIVEN_LO] * den or (
                        st[i, soff[TT_GIVEN_PHONETIC]] != 0
                        and st[i, soff[TT_GIVEN_PHONETIC]] == rt[j, soff[TT_GIVEN_PHONETIC]]
                    ):
                        lev[p, C.GIVEN] = Given.FUZZY
                    else:
                        lev[p, C.GIVEN] = Given.ELSE
        # ---- surname
        sa = sbits[i, BF_SURNAME]
        sb = rbits[j, BF_SURNAME]
        tf[p, TF_SURNAME] = np.nan
        if sa == 0 or sb == 0:
            lev[p, C.SURNAME] = MISSING
        else:
            if _shares(st, i, rt, j, soff[TT_SURNAME], soff[TT_SURNAME + 1]):
                s0, s1 = soff[TT_SURNAME], soff[TT_SURNAME + 1]
                lev[p, C.SURNAME] = (
                    Surname.ALL_EXACT if _same_sets(st, i, rt, j, s0, s1) else Surname.SOME_EXACT
                )
                if sur_lf.shape[1] > 0:
                    tf[p, TF_SURNAME] = max(_tf_nb(st, i, rt, j, s0, s1, sur_lf), floor)
            else:
                den = float(sa + sb)
                s_and = _and_count(sw, i, rw, j, woff[BF_SURNAME], woff[BF_SURNAME + 1])
                if 2.0 * s_and >= th[TH_SURNAME_HI] * den:
                    lev[p, C.SURNAME] = Surname.CLOSE
                elif _shares(
                    st, i, rt, j, soff[TT_SURNAME_PHONETIC], soff[TT_SURNAME_PHONETIC + 1]
                ):
                    lev[p, C.SURNAME] = Surname.PHONETIC
                elif 2.0 * s_and >= th[TH_SURNAME_LO] * den:
                    lev[p, C.SURNAME] = Surname.FUZZY
                else:
                    lev[p, C.SURNAME] = Surname.ELSE
        # ---- single-token comparisons: agree / differ / missing
        x, y = st[i, soff[TT_MIDDLE_INITIAL]], rt[j, soff[TT_MIDDLE_INITIAL]]
        lev[p, C.MIDDLE] = _token_level(x, y, Middle.AGREES, Middle.DIFFERS)
        x, y = st[i, soff[TT_BIRTH_DATE]], rt[j, soff[TT_BIRTH_DATE]]
        lev[p, C.BIRTH_DATE] = _token_level(x, y, BirthDate.AGREES, BirthDate.DIFFERS)
        x, y = st[i, soff[TT_TIN]], rt[j, soff[TT_TIN]]
        lev[p, C.TIN] = _token_level(x, y, Tin.AGREES, Tin.DIFFERS)
        # ---- suffix (neither side: missing).
        # A suffix on the request that the register person lacks (a JR asked about, a father on
        # file) names someone else: it counts as a difference, not as missing.
        x = st[i, soff[TT_SUFFIX]]
        y = rt[j, soff[TT_SUFFIX]]
        if x == 0 and y == 0:
            lev[p, C.SUFFIX] = MISSING
        elif x == 0:
            lev[p, C.SUFFIX] = Suffix.REGISTER_ONLY
        else:
            lev[p, C.SUFFIX] = Suffix.AGREES if x == y else Suffix.DIFFERS
        # ---- address as one unit
        ta = sbits[i, BF_STREET]
        tb = rbits[j, BF_STREET]
        if ta == 0 or tb == 0:
            lev[p, C.ADDRESS] = MISSING
        else:
            x = st[i, soff[TT_STREET_ZIP]]
            if x != 0 and x == rt[j, soff[TT_STREET_ZIP]]:
                ua = st[i, soff[TT_UNIT]]
                ub = rt[j, soff[TT_UNIT]]
                if ua == ub:
                    lev[p, C.ADDRESS] = Address.EXACT
                elif ub == 0:
                    lev[p, C.ADDRESS] = Address.UNIT_ASKED
                elif ua == 0:
                    lev[p, C.ADDRESS] = Address.BUILDING  # the request names only the building
                else:
                    lev[p, C.ADDRESS] = Address.DIFFERS  # another apartment: another home
            else:
                y = st[i, soff[TT_STREET_NUMBER_ZIP]]
                number_zip = y != 0 and y == rt[j, soff[TT_STREET_NUMBER_ZIP]]
                h = st[i, soff[TT_HOUSE_NUMBER]]
                house = h != 0 and h == rt[j, soff[TT_HOUSE_NUMBER]]
                level = Address.DIFFERS
                # the fuzzy levels need the house number: most pairs are settled without a Dice
                if number_zip or house:
                    ti = _and_count(sw, i, rw, j, woff[BF_STREET], woff[BF_STREET + 1])
                    street_hi = 2.0 * ti >= th[TH_STREET] * float(ta + tb)
                    if street_hi and number_zip:
                        level = Address.FUZZY_STREET
                    elif street_hi and house:
                        pa = sbits[i, BF_PLACE]
                        pb = rbits[j, BF_PLACE]
                        if pa + pb > 0:
                            pi = _and_count(sw, i, rw, j, woff[BF_PLACE], woff[BF_PLACE + 1])
                            if 2.0 * pi >= th[TH_PLACE] * float(pa + pb):
                                level = Address.FUZZY_PLACE
                ua = st[i, soff[TT_UNIT]]
                ub = rt[j, soff[TT_UNIT]]
                if ub != 0 and ua != ub:
                    # another apartment: another home; no unit asked: the building at most
                    level = (
                        Address.BUILDING
                        if level != Address.DIFFERS and ua == 0
                        else Address.DIFFERS
                    )
                lev[p, C.ADDRESS] = level


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
    chunks = (n + PAR_CHUNK - 1) // PAR_CHUNK
    for k in numba.prange(chunks):
        _compare_range(
            sw, st, rw, rt, sbits, rbits, si, ri, woff, soff, th,
            sur_lf, giv_lf, floor, lev, tf,
            k * PAR_CHUNK, min(n, (k + 1) * PAR_CHUNK),
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
    lev[:, C.GIVEN] = np.select(
        [
            missing,
            all_exact,
            exact,
            canon,
            2.0 * gi >= th[TH_GIVEN_HI] * den,
            (2.0 * gi >= th[TH_GIVEN_LO] * den) | phon,
        ],
        [MISSING, Given.ALL_EXACT, Given.SOME_EXACT, Given.NICKNAME, Given.CLOSE, Given.FUZZY],
        Given.ELSE,
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
    lev[:, C.SURNAME] = np.select(
        [
            missing,
            all_exact,
            common,
            2.0 * sint >= th[TH_SURNAME_HI] * den,
            phon,
            2.0 * sint >= th[TH_SURNAME_LO] * den,
        ],
        [
            MISSING,
            Surname.ALL_EXACT,
            Surname.SOME_EXACT,
            Surname.CLOSE,
            Surname.PHONETIC,
            Surname.FUZZY,
        ],
        Surname.ELSE,
    )
    if sur_lf.shape[1]:
        acc = np.maximum(_tf_sum(hit, sur_lf[si]), floor)
        tf[:, TF_SURNAME] = np.where(~missing & common, acc, np.nan)

    # single tokens
    for c, tt, agrees, differs in (
        (C.MIDDLE, TT_MIDDLE_INITIAL, Middle.AGREES, Middle.DIFFERS),
        (C.BIRTH_DATE, TT_BIRTH_DATE, BirthDate.AGREES, BirthDate.DIFFERS),
        (C.TIN, TT_TIN, Tin.AGREES, Tin.DIFFERS),
    ):
        u, v = a_t[:, soff[tt]], b_t[:, soff[tt]]
        lev[:, c] = np.where((u == 0) | (v == 0), MISSING, np.where(u == v, agrees, differs))
    u, v = a_t[:, soff[TT_SUFFIX]], b_t[:, soff[TT_SUFFIX]]
    lev[:, C.SUFFIX] = np.select(
        [(u == 0) & (v == 0), u == 0, v == 0, u == v],
        [MISSING, Suffix.REGISTER_ONLY, Suffix.DIFFERS, Suffix.AGREES],
        Suffix.DIFFERS,
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
    lev[:, C.ADDRESS] = np.select(
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
        [
            MISSING,
            Address.EXACT,
            Address.UNIT_ASKED,
            Address.BUILDING,
            Address.BUILDING,
            Address.DIFFERS,
            Address.FUZZY_STREET,
            Address.FUZZY_PLACE,
        ],
        Address.DIFFERS,
    )
    return lev, tf
