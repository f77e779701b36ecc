"""Compiled Fellegi–Sunter scoring kernel, with its NumPy twin."""

from __future__ import annotations

import numba
import numpy as np

from .levels import Part


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
        if part[c] == Part.NAME:
            name += x
        elif part[c] == Part.ADDRESS:
            addr += x
    for k in range(tf_comp.shape[0]):
        c = tf_comp[k]
        col = levels[p, c] + 1
        v = tf[p, k]
        if tf_levels[k, col] and not np.isnan(v):
            adj = tf_log2u[k, col] - v
            total += adj
            if part[c] == Part.NAME:
                name += adj
            elif part[c] == Part.ADDRESS:
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
            if inter[k, 4] == Part.NAME:
                name += x
            elif inter[k, 4] == Part.ADDRESS:
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
        if part[c] == Part.NAME:
            nw = nw + x
        elif part[c] == Part.ADDRESS:
            aw = aw + x
    for k in range(tf_comp.shape[0]):
        c = int(tf_comp[k])
        col = levels[:, c].astype(np.int64) + 1
        v = tf[:, k]
        on = tf_levels[k, col] & ~np.isnan(v)
        adj = np.where(on, tf_log2u[k, col] - np.where(on, v, 0.0), 0.0)
        w = np.where(on, w + adj, w)
        if part[c] == Part.NAME:
            nw = np.where(on, nw + adj, nw)
        elif part[c] == Part.ADDRESS:
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
        if inter[k, 4] == Part.NAME:
            nw = np.where(on, nw + x, nw)
        elif inter[k, 4] == Part.ADDRESS:
            aw = np.where(on, aw + x, aw)
    return w, nw, aw
