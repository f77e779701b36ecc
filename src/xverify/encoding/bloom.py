"""Keyed q-gram Bloom filters (Schnell, Bachteler & Reiher 2009, "Privacy-preserving record
linkage using Bloom filters").

A field value is split into words; each word, padded with ``_`` on both sides, gives its q-grams
("GARCIA" → ``_G GA AR RC CI IA A_`` for q=2). Each q-gram sets ``k`` bits. The filter of a value
is the OR of its words' filters, so word order does not matter ("GARCIA LOPEZ" and "LOPEZ
GARCIA" encode equally) and filters of multi-part fields (house number + street) are an OR of
part filters. Similar values share q-grams, so their filters have a high Dice coefficient.

Bit positions: **one keyed BLAKE2b digest per q-gram** (key = the field's HKDF subkey), cut into
32-bit words, each taken modulo the filter length — ``k`` independent-looking positions. We do
*not* use the double-hashing scheme ``h1 + i*h2`` of the original paper: Niedermeyer, Steinmetzer,
Kroll & Schnell (2014, "Cryptanalysis of basic Bloom filters used for privacy preserving record
linkage") and Kroll & Steinmetzer (2015) showed that its positions form arithmetic progressions
that an attacker can recognise as "atoms" and map back to frequent bigrams, re-identifying
names. Independent positions remove that structure.

What this does not protect against: frequency and pattern-mining attacks on many filters (e.g.
Christen et al. 2017-2018) still work to a degree, because one field's filters share bits for
shared q-grams; and whoever holds the secret can encode a dictionary. The opt-in hardened
schema (:class:`~xverify.encoding.schema.Hardening`) adds a keyed diffusion layer on top of these
filters (:mod:`.hardening`); ``benchmarks/attacks/`` measures both.

Speed: positions are derived once per *distinct* q-gram and filters once per *distinct* word;
rows are then built by indexing (nothing is hashed per row). Nothing is cached across calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import blake2b

import numba
import numpy as np

from .schema import BloomSpec

__all__ = [
    "dice",
    "gram_filters",
    "gram_positions",
    "or_rows",
    "or_rows_reference",
    "qgrams",
    "value_filters",
    "word_filters",
    "word_filters_reference",
]

_PERSON = b"xverify-bloom-v1"  # 16 bytes: domain separation for the BLAKE2b personalisation


def qgrams(word: str, q: int) -> list[str]:
    """The q-grams of one word, padded with ``_`` (for q=1: its letters)."""
    if not word:
        return []
    if q == 1:
        return list(word)
    s = "_" + word + "_"
    if len(s) < q:
        return [s]
    return [s[i : i + q] for i in range(len(s) - q + 1)]


def gram_positions(key: bytes, grams: Sequence[str], spec: BloomSpec) -> np.ndarray:
    """``(len(grams), k)`` bit positions in ``[0, bits)``, from one keyed BLAKE2b per q-gram.

    A 64-byte digest gives 16 32-bit words; for ``k > 16`` a second block digests the q-gram
    with a block counter. Modulo bias is below ``bits / 2**32``.
    """
    blocks = (spec.k + 15) // 16
    out = np.empty((len(grams), blocks * 16), dtype=np.uint32)
    raw = bytearray()
    for g in grams:
        data = g.encode()
        for b in range(blocks):
            raw += blake2b(bytes([b]) + data, key=key, digest_size=64, person=_PERSON).digest()
    if grams:
        out[:] = np.frombuffer(bytes(raw), dtype="<u4").reshape(len(grams), blocks * 16)
    return (out[:, : spec.k] % np.uint32(spec.bits)).astype(np.int64)


def gram_filters(key: bytes, grams: Sequence[str], spec: BloomSpec) -> np.ndarray:
    """``(len(grams), bits // 64)`` uint64: the ``k`` bits of each q-gram."""
    nw = spec.bits // 64
    out = np.zeros((len(grams), nw), dtype=np.uint64)
    if not grams:
        return out
    pos = gram_positions(key, grams, spec)
    rows = np.repeat(np.arange(len(grams)), spec.k)
    bits = np.left_shift(np.uint64(1), (pos.ravel() & 63).astype(np.uint64))
    np.bitwise_or.at(out, (rows, pos.ravel() >> 6), bits)
    return out


def _or_groups(table: np.ndarray, members: list[list[int]], width: int) -> np.ndarray:
    """Row ``i`` = OR of ``table[members[i]]`` (zeros for an empty group)."""
    out = np.zeros((len(members), width), dtype=np.uint64)
    lengths = np.fromiter((len(m) for m in members), dtype=np.int64, count=len(members))
    total = int(lengths.sum())
    if total == 0:
        return out
    flat = np.fromiter((x for m in members for x in m), dtype=np.int64, count=total)
    nonempty = lengths > 0
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))[nonempty]
    out[nonempty] = np.bitwise_or.reduceat(table[flat], starts, axis=0)
    return out


def word_filters(key: bytes, words: Sequence[str], spec: BloomSpec) -> np.ndarray:
    """``(len(words), bits // 64)`` uint64 filters, one per word (q-grams hashed once each).

    The q-grams of ASCII words are cut out with NumPy (one pass over all words); other words
    use :func:`qgrams`. Equal to :func:`word_filters_reference` (tested).
    """
    nw = spec.bits // 64
    q = spec.q
    pad = "_" if q > 1 else ""
    padded = [pad + w + pad if w else "" for w in words]
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    joined = "".join(padded)
    if not joined.isascii() or (lengths.size and lengths[lengths > 0].min(initial=q) < q):
        return word_filters_reference(key, words, spec)
    buf = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).astype(np.uint32)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    n_grams = np.where(lengths > 0, lengths - q + 1, 0)
    offsets = np.concatenate(([0], np.cumsum(n_grams)))
    pos = np.repeat(starts - offsets[:-1], n_grams) + np.arange(offsets[-1])
    code = np.zeros(offsets[-1], dtype=np.uint32)
    for j in range(q):
        code = (code << np.uint32(8)) | buf[pos + j]
    uniq, inverse = np.unique(code, return_inverse=True)
    grams = [int(c).to_bytes(q, "big").decode("ascii") for c in uniq]
    table = gram_filters(key, grams, spec)
    if not len(words):
        return np.zeros((0, nw), dtype=np.uint64)
    return or_rows(offsets, inverse.astype(np.int64), table)


def word_filters_reference(key: bytes, words: Sequence[str], spec: BloomSpec) -> np.ndarray:
    """Plain twin of :func:`word_filters`."""
    gram_index: dict[str, int] = {}
    members = [
        [gram_index.setdefault(g, len(gram_index)) for g in set(qgrams(w, spec.q))] for w in words
    ]
    return _or_groups(gram_filters(key, list(gram_index), spec), members, spec.bits // 64)


def value_filters(
    key: bytes, values: Sequence[Iterable[str]], spec: BloomSpec, *, extra_zero_row: bool = True
) -> np.ndarray:
    """One filter per value (a value = its words), the OR of its word filters.

    With ``extra_zero_row`` an all-zero row is appended, so that code ``-1`` (missing) indexes it.
    """
    vocab: dict[str, int] = {}
    members = [[vocab.setdefault(w, len(vocab)) for w in ws] for ws in values]
    wf = word_filters(key, list(vocab), spec)
    out = _or_groups(wf, members, spec.bits // 64)
    if extra_zero_row:
        out = np.concatenate([out, np.zeros((1, out.shape[1]), dtype=np.uint64)])
    return out


def dice(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dice coefficient of filters (rows of uint64 words); 0 when both are empty."""
    a = np.atleast_2d(a)
    b = np.atleast_2d(b)
    inter = np.bitwise_count(a & b).sum(axis=-1).astype(np.float64)
    total = (np.bitwise_count(a).sum(axis=-1) + np.bitwise_count(b).sum(axis=-1)).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2 * inter / np.maximum(total, 1), 0.0)


@numba.njit(cache=True, nogil=True)
def _or_rows_kernel(offsets: np.ndarray, codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    n = len(offsets) - 1
    w = table.shape[1]
    out = np.zeros((n, w), dtype=np.uint64)
    for i in range(n):
        for j in range(offsets[i], offsets[i + 1]):
            c = codes[j]
            for b in range(w):
                out[i, b] |= table[c, b]
    return out


def or_rows(offsets: np.ndarray, codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Row ``i`` = OR of ``table[codes[offsets[i]:offsets[i+1]]]`` (compiled)."""
    return _or_rows_kernel(
        np.ascontiguousarray(offsets, dtype=np.int64),
        np.ascontiguousarray(codes, dtype=np.int64),
        np.ascontiguousarray(table, dtype=np.uint64),
    )


def or_rows_reference(offsets: np.ndarray, codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Plain twin of :func:`or_rows`."""
    out = np.zeros((len(offsets) - 1, table.shape[1]), dtype=np.uint64)
    for i in range(len(offsets) - 1):
        for j in range(offsets[i], offsets[i + 1]):
            out[i] |= table[codes[j]]
    return out
