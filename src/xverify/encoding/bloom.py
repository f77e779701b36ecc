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
shared q-grams; and whoever holds the secret can encode a dictionary. A hardened mode (record-
level filters, bit-flip noise) is not offered here.

Speed: positions are derived once per *distinct* q-gram and filters once per *distinct* word;
rows are then built by indexing (nothing is hashed per row). Nothing is cached across calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import blake2b

import numpy as np

from .schema import BloomSpec

__all__ = ["dice", "gram_positions", "qgrams", "value_filters", "word_filters"]

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


def word_filters(key: bytes, words: Sequence[str], spec: BloomSpec) -> np.ndarray:
    """``(len(words), bits // 64)`` uint64 filters, one per word (q-grams hashed once each)."""
    nw = spec.bits // 64
    filters = np.zeros((len(words), nw), dtype=np.uint64)
    gram_index: dict[str, int] = {}
    rows: list[int] = []
    gram_ids: list[int] = []
    for i, w in enumerate(words):
        for g in set(qgrams(w, spec.q)):
            rows.append(i)
            gram_ids.append(gram_index.setdefault(g, len(gram_index)))
    if not rows:
        return filters
    pos = gram_positions(key, list(gram_index), spec)  # (n_grams, k)
    r = np.repeat(np.asarray(rows, dtype=np.int64), spec.k)
    p = pos[np.asarray(gram_ids, dtype=np.int64)].ravel()
    flat = filters.reshape(-1)
    np.bitwise_or.at(
        flat, r * nw + (p >> 6), np.left_shift(np.uint64(1), (p & 63).astype(np.uint64))
    )
    return filters


def value_filters(
    key: bytes, values: Sequence[Iterable[str]], spec: BloomSpec, *, extra_zero_row: bool = True
) -> np.ndarray:
    """One filter per value (a value = its words), the OR of its word filters.

    With ``extra_zero_row`` an all-zero row is appended, so that code ``-1`` (missing) indexes it.
    """
    vocab: dict[str, int] = {}
    value_words = [[vocab.setdefault(w, len(vocab)) for w in ws] for ws in values]
    wf = word_filters(key, list(vocab), spec)
    out = np.zeros((len(values) + int(extra_zero_row), spec.bits // 64), dtype=np.uint64)
    if not vocab:
        return out
    lengths = np.fromiter((len(v) for v in value_words), dtype=np.int64, count=len(value_words))
    flat = np.fromiter(
        (w for v in value_words for w in v), dtype=np.int64, count=int(lengths.sum())
    )
    nonempty = lengths > 0
    if flat.size:
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))[nonempty]
        out[: len(values)][nonempty] = np.bitwise_or.reduceat(wf[flat], starts, axis=0)
    return out


def dice(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dice coefficient of filters (rows of uint64 words); 0 when both are empty."""
    a = np.atleast_2d(a)
    b = np.atleast_2d(b)
    inter = np.bitwise_count(a & b).sum(axis=-1).astype(np.float64)
    total = (np.bitwise_count(a).sum(axis=-1) + np.bitwise_count(b).sum(axis=-1)).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2 * inter / np.maximum(total, 1), 0.0)
