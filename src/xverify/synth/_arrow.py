"""Vectorized string building: fixed-width strings straight from byte matrices."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


def fixed_width(chars: np.ndarray) -> pa.StringArray:
    """An (n, w) uint8 matrix of ASCII bytes -> n strings of width w, without a Python loop."""
    n, w = chars.shape
    offsets = (np.arange(n + 1, dtype=np.int64) * w).astype(np.int32 if n * w < 2**31 else np.int64)
    data = np.ascontiguousarray(chars, dtype=np.uint8).tobytes()
    typ = pa.string() if offsets.dtype == np.int32 else pa.large_string()
    arr = pa.Array.from_buffers(typ, n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return arr.cast(pa.string()) if typ != pa.string() else arr


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers as an (n, width) uint8 matrix."""
    v = np.asarray(values, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return _DIGITS[(v[:, None] // powers) % 10]


def hex_chars(values: np.ndarray) -> np.ndarray:
    """16 upper-case hex digits of uint64 values as an (n, 16) uint8 matrix."""
    v = np.asarray(values, dtype=np.uint64)
    shifts = np.arange(60, -1, -4, dtype=np.uint64)
    return _HEX[((v[:, None] >> shifts) & np.uint64(15)).astype(np.intp)]


def prefixed(prefix: bytes, body: np.ndarray) -> pa.StringArray:
    """``prefix`` followed by the fixed-width byte matrix ``body``."""
    head = np.broadcast_to(np.frombuffer(prefix, dtype=np.uint8), (body.shape[0], len(prefix)))
    return fixed_width(np.hstack([head, body]))


def take(values: pa.Array, idx: np.ndarray) -> pa.Array:
    """``values[idx]`` for a numpy index array (negative index -> null)."""
    idx = np.asarray(idx)
    mask = idx < 0
    if mask.any():
        return values.take(pa.array(np.where(mask, 0, idx), mask=mask))
    return values.take(pa.array(idx))
