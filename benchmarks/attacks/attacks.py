"""Three attacks on an encoded file, run by an adversary who holds encodings but not the key.

Adversary knowledge: the encoded columns of one file (the encoded register here) and the public
name frequency tables shipped in ``xverify/data`` (2010 Census surnames, SSA/Census given names).
The synthetic register is drawn from those same tables, so the adversary's frequency knowledge
is as good as it can be: figures are an upper end for frequency-based attacks.

Scoring (the evaluator, unlike the adversary, holds the key): a claim "record r has surname
NAME" is right when NAME, encoded under the key by xverify's own encoder, gives exactly r's
token (frequency attack) or r's filter (Bloom attacks). Re-identified share = records with a
right claim / all records with the field present.

* :func:`dictionary_attack` — unkeyed SHA-256 of surnames against a dictionary of the public
  table (the baseline xverify never offers), and the same dictionary against keyed tokens.
* :func:`token_frequency_attack` — rank the distinct keyed tokens of a column by count and align
  them with the public names ranked by count (Kuzu et al. 2011 style frequency alignment).
* :func:`bloom_attack` — on the surname Bloom filters: (1) frequency alignment of the distinct
  filters (equal values, equal filters); (2) pattern mining seeded by the most frequent filters
  (their frequency-aligned names, or with ``known`` their true names): a bigram's bit positions
  are the bits set in at least 80% of the (4 or more) seed filters whose name holds it (the
  q-gram-to-bit-position assignment of Christen et al. 2017/2019, seeded with plaintext
  instead of frequent-itemset mining); a filter's bigrams are then read back (present when
  >= 90% of its positions are set) and matched to the most frequent public name with exactly
  that set of learned bigrams.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from xverify.encoding.bloom import qgrams
from xverify.encoding.encoder import encode_frame
from xverify.encoding.keys import LinkageSecret
from xverify.encoding.schema import BloomField, EncodingSchema, TokenType, filter_words, token_slots
from xverify.encoding.tokens import string_digests


@dataclass(frozen=True)
class Outcome:
    """Records attacked, records re-identified, claims made and claims right."""

    records: int
    reidentified: int
    claims: int  # records the adversary named (right or wrong)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "records": self.records,
            "reidentified": self.reidentified,
            "share": self.reidentified / max(self.records, 1),
            "claims": self.claims,
            "precision": self.reidentified / max(self.claims, 1),
        }


def dictionary_attack(surnames: list[str], public: list[str], secret: LinkageSecret) -> dict:
    """Unkeyed SHA-256 of each record's surname, reversed by hashing the public table; then the
    same dictionary against keyed tokens (BLAKE2b under a subkey the adversary does not hold)."""
    table = {hashlib.sha256(n.encode()).digest(): n for n in public}
    unkeyed = [hashlib.sha256(s.encode()).digest() for s in surnames]
    present = sum(1 for s in surnames if s)
    hits = sum(1 for h, s in zip(unkeyed, surnames, strict=True) if s and table.get(h) == s)
    # the adversary's dictionary, cut to the 64-bit width of xverify's tokens
    guesses = {int.from_bytes(h[:8], "little") for h in table}
    keyed = string_digests(secret.subkey("token/surname/str"), surnames)
    keyed_hits = sum(1 for t in keyed.tolist() if t and t in guesses)
    return {
        "unkeyed_sha256": Outcome(present, hits, hits).as_dict(),
        "keyed_tokens": Outcome(present, keyed_hits, keyed_hits).as_dict(),
    }


def token_frequency_attack(
    encoded: pa.Table, t: TokenType, public: list[str], secret: LinkageSecret
) -> Outcome:
    """Align the ``t`` tokens of slot 0 by count with ``public`` (names by descending count)."""
    tokens = token_slots(encoded, t)[:, 0]
    tokens = tokens[tokens != 0]
    uniq, counts = np.unique(tokens, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    uniq, counts = uniq[order], counts[order]
    n = min(len(uniq), len(public))
    truth = string_digests(secret.subkey(f"token/{t.value}/str"), public[:n])
    right = truth == uniq[:n]
    return Outcome(int(tokens.size), int(counts[:n][right].sum()), int(counts[:n].sum()))


def _filters_of(names: list[str], secret: LinkageSecret, schema: EncodingSchema) -> np.ndarray:
    """The evaluator's surname filters of single names (xverify's own encoder)."""
    enc = encode_frame(pa.table({"last_name": pa.array(names, pa.string())}), secret, schema)
    return filter_words(enc, BloomField.SURNAME).copy()


def _bits(words: np.ndarray) -> np.ndarray:
    w = np.ascontiguousarray(words, dtype="<u8")
    return np.unpackbits(w.view(np.uint8), axis=1, bitorder="little").astype(bool)


def bloom_attack(
    encoded: pa.Table,
    public: list[str],
    secret: LinkageSecret,
    schema: EncodingSchema,
    *,
    seeds: int = 500,
    min_seeds: int = 4,
    vote: float = 0.8,
    present: float = 0.9,
    known: list[str] | None = None,
) -> dict[str, dict[str, float | int]]:
    """Frequency alignment and seeded pattern mining on the surname filters (module doc).

    ``known``: the plaintext surname of each record (the evaluator's). When given, the seeds are
    the ``seeds`` most frequent filters *with their true names* (a known-plaintext adversary),
    which isolates what the filters' bit structure gives away from how well frequency alignment
    guesses the seeds.
    """
    words = filter_words(encoded, BloomField.SURNAME)
    has = words.any(axis=1)
    words = words[has]
    records = len(words)
    uniq, first, counts = np.unique(words, axis=0, return_index=True, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    uniq, first, counts = uniq[order], first[order], counts[order]

    # (1) frequency alignment: the i-th most frequent filter is the i-th most frequent name
    n = min(len(uniq), len(public))
    truth_top = _filters_of(public[:n], secret, schema)
    aligned = (truth_top == uniq[:n]).all(axis=1)
    freq = Outcome(records, int(counts[:n][aligned].sum()), int(counts[:n].sum()))

    # (2) pattern mining from the top ``seeds`` aligned pairs (the adversary cannot tell which
    # of them are right; it uses them all)
    s = min(seeds, n)
    seed_bits = _bits(uniq[:s])
    if known is None:
        seed_names = public[:s]
    else:
        plain = np.asarray(known, dtype=object)[has]
        seed_names = [str(plain[i]) for i in first[:s]]
    grams: dict[str, list[int]] = {}
    for i, name in enumerate(seed_names):
        for g in {g for w in name.split() for g in qgrams(w, 2)}:
            grams.setdefault(g, []).append(i)
    learned = [g for g, rows in grams.items() if len(rows) >= min_seeds]
    # a bigram's positions: the bits set in at least ``vote`` of the seed filters whose name
    # holds it (a vote, not an AND: some frequency-aligned seeds are wrong)
    positions = np.stack([seed_bits[grams[g]].mean(axis=0) >= vote for g in learned], axis=1)
    size = positions.sum(axis=0)
    usable = size > 0
    learned = [g for g, u in zip(learned, usable, strict=True) if u]
    positions = positions[:, usable]
    size = size[usable].astype(np.float32)
    index = {g: j for j, g in enumerate(learned)}

    def signature(gs: set[str]) -> tuple[int, ...]:
        return tuple(sorted(index[g] for g in gs if g in index))

    by_sig: dict[tuple[int, ...], str] = {}
    for name in public:  # most frequent first: the first name with a signature keeps it
        by_sig.setdefault(signature(set(qgrams(name, 2))), name)
    claims: list[tuple[int, str]] = []
    chunk = 65_536
    pos_f = positions.astype(np.float32)
    for start in range(0, len(uniq), chunk):
        hits = _bits(uniq[start : start + chunk]).astype(np.float32) @ pos_f
        detected = hits >= present * size
        for r, row in enumerate(detected):
            name = by_sig.get(tuple(np.flatnonzero(row).tolist()))
            if name is not None:
                claims.append((start + r, name))
    right = np.zeros(len(uniq), dtype=bool)
    claimed = np.zeros(len(uniq), dtype=bool)
    if claims:
        rows = np.asarray([r for r, _ in claims])
        got = _filters_of([nm for _, nm in claims], secret, schema)
        right[rows] = (got == uniq[rows]).all(axis=1)
        claimed[rows] = True
    pattern = Outcome(records, int(counts[right].sum()), int(counts[claimed].sum()))
    # the adversary's combined answer: aligned names for the seeds, mined names for the rest
    comb_right = right.copy()
    comb_claimed = claimed.copy()
    comb_right[:s] = aligned[:s] if known is None else True
    comb_claimed[:s] = True
    combined = Outcome(records, int(counts[comb_right].sum()), int(counts[comb_claimed].sum()))
    return {
        "frequency_alignment": freq.as_dict(),
        "pattern_mining": pattern.as_dict(),
        "combined": combined.as_dict(),
        "seed_records_share": float(counts[:s].sum() / max(records, 1)),  # type: ignore[dict-item]
        "learned_bigrams": len(learned),  # type: ignore[dict-item]
        "distinct_filters": len(uniq),  # type: ignore[dict-item]
    }
