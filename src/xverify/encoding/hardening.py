"""Hardening of Bloom filters: a keyed linear diffusion layer (opt-in, a schema setting).

Why: in a plain q-gram Bloom filter every set bit belongs to a handful of q-grams, so a bit
pattern shared by all filters that contain a q-gram betrays that q-gram. Pattern-mining attacks
(Christen, Schnell, Vatsalan & Ranbaduge 2017, "Efficient cryptanalysis of Bloom filters for
privacy-preserving record linkage"; Christen, Ranbaduge, Vatsalan & Schnell 2019, "Precise and
fast cryptanalysis for Bloom filter based privacy-preserving record linkage") learn which bits a
frequent q-gram sets and then read q-grams, and names, out of filters they never saw in clear.
``benchmarks/attacks/`` measures such an attack against xverify's own encodings.

What: following Armknecht, Heng & Schnell (2023, "Strengthening privacy-preserving record
linkage using diffusion", PoPETs 2023(2)), every output bit is the XOR of ``t`` input bits at
keyed positions (:data:`DIFFUSION_TAPS` = 3). The positions come from ``t`` keyed permutations
of the bit indices (BLAKE2b under the field's HKDF subkey ``bloom/<field>/diffusion``), so every
input bit feeds exactly ``t`` output bits and no input bit is dropped. The layer is linear over
GF(2): the all-zero filter (a missing field) stays all-zero, and a few differing input bits
change about ``t`` times as many output bits, so similar values keep a high Dice coefficient
(measured on 3,000 surnames with one typo each: Dice >= 0.6 for 97% of pairs against 99% without
diffusion, and 0% of unrelated pairs at >= 0.6 in both cases). An output bit no longer tells
which q-grams are present: a q-gram's bits are *not* all set in the filters that contain it.
Dense inputs (street lines, city + ZIP) would come out near-random, so
:meth:`~xverify.encoding.schema.EncodingSchema.hardened` hashes those fields with fewer
functions. Widths and the comparison kernels are unchanged; the Dice thresholds of the matcher
are kept and the accuracy cost is measured (benchmarks/README.md, "Attacks"; docs/threat-model.md).

What it does not do: the encoding stays deterministic (equal values, equal filters), so whole-
value frequencies leak exactly as with keyed tokens, and the exact tokens themselves are not
touched (docs/threat-model.md). Anyone holding the linkage secret can still encode a dictionary.
Nothing is cached across calls; the taps are derived from the key on each call (cheap).
"""

from __future__ import annotations

from hashlib import blake2b

import numba
import numpy as np

__all__ = [
    "DIFFUSION_TAPS",
    "diffuse",
    "diffuse_reference",
    "diffusion_taps",
]

#: input bits XORed into each output bit
DIFFUSION_TAPS = 3
_PERSON = b"xverify-diffuse1"  # 16 bytes: domain separation for the BLAKE2b personalisation


def diffusion_taps(key: bytes, bits: int, taps: int = DIFFUSION_TAPS) -> np.ndarray:
    """``(taps, bits)`` int64: row ``i`` is a keyed permutation of ``range(bits)``; output bit
    ``j`` is the XOR of input bits ``out[:, j]``."""
    if not 1 <= taps <= 8 or bits <= 0:
        raise ValueError("diffusion needs 1 to 8 taps and a positive filter length")
    out = np.empty((taps, bits), dtype=np.int64)
    keyed = blake2b(key=key, digest_size=8, person=_PERSON)
    for i in range(taps):
        raw = bytearray()
        for j in range(bits):
            h = keyed.copy()
            h.update(i.to_bytes(2, "little") + j.to_bytes(4, "little"))
            raw += h.digest()
        # ties between 64-bit values are broken by index (stable sort): still deterministic
        out[i] = np.argsort(np.frombuffer(bytes(raw), dtype="<u8"), kind="stable")
    return out


def _byte_table(taps: np.ndarray) -> np.ndarray:
    """``(bits // 8, 256, bits // 64)`` uint64: the output contribution of each input byte value
    at each byte position (the layer is linear, so a filter's output is the XOR of them)."""
    t, bits = taps.shape
    nw = bits // 64
    # mask[i]: the output bits that input bit i feeds
    mask = np.zeros((bits, nw), dtype=np.uint64)
    rows = taps.ravel()
    outs = np.tile(np.arange(bits), t)
    np.bitwise_xor.at(
        mask, (rows, outs >> 6), np.left_shift(np.uint64(1), (outs & 63).astype(np.uint64))
    )
    table = np.zeros((bits // 8, 256, nw), dtype=np.uint64)
    values = np.arange(256)
    for b in range(8):
        has = ((values >> b) & 1).astype(bool)
        table[:, has] ^= mask[b::8][:, None, :]
    return table


@numba.njit(cache=True, nogil=True)
def _diffuse_kernel(words: np.ndarray, table: np.ndarray) -> np.ndarray:
    n, nw = words.shape
    out = np.zeros((n, nw), dtype=np.uint64)
    for r in range(n):
        for w in range(nw):
            x = words[r, w]
            if x == 0:
                continue
            for byte in range(8):
                v = (x >> np.uint64(8 * byte)) & np.uint64(0xFF)
                if v != 0:
                    contrib = table[8 * w + byte, v]
                    for o in range(nw):
                        out[r, o] ^= contrib[o]
    return out


def diffuse(words: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Diffused filters: ``(rows, bits // 64)`` uint64 in, same shape out (compiled; equal to
    :func:`diffuse_reference`, tested)."""
    words = np.ascontiguousarray(words, dtype=np.uint64)
    if words.ndim != 2 or words.shape[1] * 64 != taps.shape[1]:
        raise ValueError("filters and taps have different lengths")
    return _diffuse_kernel(words, _byte_table(taps))


def diffuse_reference(words: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Plain twin of :func:`diffuse`: output bit ``j`` = XOR of input bits ``taps[:, j]``."""
    words = np.ascontiguousarray(words, dtype="<u8")
    bits = np.unpackbits(words.view(np.uint8), axis=1, bitorder="little")
    out = np.bitwise_xor.reduce(bits[:, taps], axis=1)
    packed = np.ascontiguousarray(np.packbits(out, axis=1, bitorder="little"))
    return packed.view("<u8").reshape(words.shape)
