"""Blocking stage: which (submission, register row) pairs are worth comparing.

The submissions (the small side) are indexed by keyed blocking keys; the register (the large
side) streams past that index in row chunks, so memory stays flat as the register grows. A pair
is a candidate when it shares at least one key. Keys come from several complementary
:class:`BlockingRule` s — single tokens (a surname component, a phonetic code, house number +
ZIP) and compound keys hashed from two token types (surname component x given-name phonetic,
surname x ZIP...) — so that one typo, a nickname or a dropped second surname does not lose a
true pair.

A :class:`~xverify.encoding.schema.BloomField` in a rule stands for the field's exact value
(:meth:`Encoded.digest`): the street line without its ZIP, combined with a name token, catches a
ZIP typo together with a name typo, which every token rule misses (pairs completeness on a
1M-person register, realistic requests: 98.96% -> 99.91% for +0.2% candidates).

:class:`FilterBandRule` s (MinHash bands of a name's Bloom filter, combined with a token of the
other name) are available but not in the defaults: their blocks grow with the register (at 10M
people they made 2,100 candidates per request), and the street-line rules find more of the true
pairs (99.58% -> 99.91% at 1M) with a fifth of the candidates.

Oversized blocks: a request's single-token key is left out of the index when more than
``max_block_rows`` register rows hold the token (counted from :class:`TokenStats`). Such a key is
a very common token (GARCIA, a large apartment complex); the pairs it would have produced are
still reached through the more specific compound keys. The cap depends on the register alone,
never on the other requests of the batch: a request finds the same candidates in any batch.

API
---
* :class:`Encoded` — Bloom words and tokens of a table as two matrices (``Encoded.of(table)``).
* :class:`TokenStats` — register token frequencies (``TokenStats.from_batches``): block caps
  here, term-frequency adjustment in scoring.
* :class:`BlockingConfig` ``(rules, chunk_rows)`` of :class:`BlockingRule` /
  :class:`FilterBandRule`; :data:`DEFAULT_RULES`.
* :func:`build_index` ``(Encoded, BlockingConfig, TokenStats | None) -> BlockingIndex``;
  :meth:`BlockingIndex.join` ``(Encoded, row0) -> CandidatePairs`` for one register chunk.
* :func:`candidate_pairs` — the whole stream, part by part through an engine.
* :func:`pairs_completeness` — share of true pairs that became candidates.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pyarrow as pa

from ..encoding.schema import BloomField, TokenType, filter_words, token_slots
from ..engines.base import Engine, RegisterPart, RegisterSource
from ..engines.local import LocalEngine
from ..errors import ConfigError, SchemaError
from . import blocking_kernels as K
from .compare_kernels import row_bits

__all__ = [
    "DEFAULT_RULES",
    "BlockingConfig",
    "BlockingIndex",
    "BlockingRule",
    "CandidatePairs",
    "Encoded",
    "FilterBandRule",
    "Kernels",
    "TokenCounts",
    "TokenStats",
    "TokenTable",
    "build_index",
    "candidate_pairs",
    "pairs_completeness",
]


class Kernels(StrEnum):
    """Which implementation runs the hot loops (all give identical results)."""

    NUMBA = "numba"  # compiled, one thread
    NUMBA_PARALLEL = "numba_parallel"  # compiled, all threads
    NUMPY = "numpy"  # reference twin


# ============================================================================ encoded matrices
@dataclass(frozen=True)
class Encoded:
    """A table's encodings as two matrices: Bloom words and token slots, fields side by side.

    ``word_off[f]:word_off[f+1]`` are the words of the ``f``-th :class:`BloomField`,
    ``slot_off[t]:slot_off[t+1]`` the slots of the ``t``-th :class:`TokenType`.
    """

    words: np.ndarray  # (rows, total words) uint64
    tokens: np.ndarray  # (rows, total slots) uint64, 0 = empty
    word_off: np.ndarray  # int64, len(BloomField) + 1
    slot_off: np.ndarray  # int64, len(TokenType) + 1
    bits: np.ndarray  # (rows, len(BloomField)) int64 set bits per field (0 = missing)

    @classmethod
    def of(cls, table: pa.Table | pa.RecordBatch) -> Encoded:
        """Copy the encoded columns of ``table`` into the two matrices (layout from widths)."""
        try:
            words = [filter_words(table, f) for f in BloomField]
            toks = [token_slots(table, t) for t in TokenType]
        except KeyError:
            raise SchemaError("table lacks encoded columns of the encoding schema") from None
        word_off = np.concatenate([[0], np.cumsum([w.shape[1] for w in words])]).astype(np.int64)
        slot_off = np.concatenate([[0], np.cumsum([t.shape[1] for t in toks])]).astype(np.int64)
        matrix = np.ascontiguousarray(np.concatenate(words, axis=1))
        return cls(
            words=matrix,
            tokens=np.ascontiguousarray(np.concatenate(toks, axis=1)),
            word_off=word_off,
            slot_off=slot_off,
            bits=row_bits(matrix, word_off),
        )

    @property
    def rows(self) -> int:
        return int(self.words.shape[0])

    def token(self, t: Key) -> np.ndarray:
        """``(rows, slots)`` view of one token type; a Bloom field gives its :meth:`digest`."""
        if isinstance(t, BloomField):
            return self.digest(t)
        i = list(TokenType).index(t)
        return self.tokens[:, self.slot_off[i] : self.slot_off[i + 1]]

    def digest(self, f: BloomField) -> np.ndarray:
        """``(rows, 1)`` hash of a whole Bloom filter (0 = empty): the exact field value as a
        token, for values that have no token of their own (the street line without its ZIP)."""
        i = list(BloomField).index(f)
        words = self.words[:, self.word_off[i] : self.word_off[i + 1]]
        h = np.zeros(self.rows, np.uint64)
        with np.errstate(over="ignore"):
            for w in range(words.shape[1]):
                h = mix64(h ^ words[:, w]) + np.uint64(w + 1)
        h = np.where(h == 0, np.uint64(1), h)
        return np.where(self.bits[:, i] > 0, h, np.uint64(0))[:, None]

    def same_layout(self, other: Encoded) -> bool:
        return np.array_equal(self.word_off, other.word_off) and np.array_equal(
            self.slot_off, other.slot_off
        )


# ============================================================================ candidate pairs
@dataclass(frozen=True)
class CandidatePairs:
    """Pairs as two aligned arrays: submission row and global register row.

    Produced sorted by (register row, submission) without duplicates.
    """

    sub_idx: np.ndarray  # int32
    reg_idx: np.ndarray  # int64

    def __post_init__(self) -> None:
        if self.sub_idx.shape != self.reg_idx.shape or self.sub_idx.ndim != 1:
            raise ConfigError("candidate pair arrays must be 1-d and of equal length")

    def __len__(self) -> int:
        return int(self.sub_idx.shape[0])

    @staticmethod
    def empty() -> CandidatePairs:
        return CandidatePairs(np.empty(0, np.int32), np.empty(0, np.int64))

    @staticmethod
    def concat(parts: Iterable[CandidatePairs]) -> CandidatePairs:
        parts = list(parts)
        if not parts:
            return CandidatePairs.empty()
        return CandidatePairs(
            np.concatenate([p.sub_idx for p in parts]), np.concatenate([p.reg_idx for p in parts])
        )


def pairs_completeness(
    candidates: CandidatePairs, true_sub: np.ndarray, true_reg: np.ndarray
) -> float:
    """Share of the true pairs ``(true_sub[i], true_reg[i])`` that are among ``candidates``."""
    true_sub = np.asarray(true_sub, np.int64)
    true_reg = np.asarray(true_reg, np.int64)
    if true_sub.size == 0:
        return 1.0
    width = int(max(true_sub.max(), candidates.sub_idx.max(initial=0))) + 1
    found = np.isin(
        true_reg * width + true_sub,
        candidates.reg_idx.astype(np.int64) * width + candidates.sub_idx.astype(np.int64),
    )
    return float(found.mean())


# ============================================================================ token statistics
@dataclass(frozen=True)
class TokenTable:
    """Distinct tokens of one type in the register, with row counts and log2 frequencies."""

    tokens: np.ndarray  # sorted unique uint64
    counts: np.ndarray  # int64 rows holding the token
    log2_freq: np.ndarray  # float64 log2(count / rows)

    def count_of(self, tokens: np.ndarray) -> np.ndarray:
        """Row count of each token (0 when absent)."""
        if self.tokens.size == 0:
            return np.zeros(tokens.shape, np.int64)
        pos = np.minimum(np.searchsorted(self.tokens, tokens), self.tokens.size - 1)
        return np.where(self.tokens[pos] == tokens, self.counts[pos], 0)


#: Token types counted by default: those of capped rules and of term-frequency adjustment.
DEFAULT_STATS_TYPES: tuple[TokenType, ...] = (
    TokenType.SURNAME,
    TokenType.SURNAME_PHONETIC,
    TokenType.GIVEN,
    TokenType.STREET_NUMBER_ZIP,
)


@dataclass(frozen=True)
class TokenStats:
    """Token frequencies of the encoded register (term-frequency adjustment and block caps).

    A token's frequency is the share of register rows holding it: the chance that a random
    register row agrees with a submission on that token (its u-probability).
    """

    rows: int
    tables: dict[TokenType, TokenTable] = field(default_factory=dict)

    @property
    def log2_floor(self) -> float:
        """Lowest log2 frequency used: a token held by one row."""
        return float(-np.log2(max(self.rows, 1)))

    def table(self, t: TokenType) -> TokenTable | None:
        return self.tables.get(t)

    @classmethod
    def from_batches(
        cls,
        batches: RegisterSource,
        types: Iterable[TokenType] = DEFAULT_STATS_TYPES,
        engine: Engine | None = None,
    ) -> TokenStats:
        """Count tokens over a register source: one pass, memory ~ distinct tokens."""
        types = tuple(types)
        parts = (engine or LocalEngine()).map_parts(
            batches, functools.partial(_count_part, types), part_rows=1 << 20
        )
        return TokenCounts.merge(parts, types).stats()


@dataclass(frozen=True)
class TokenCounts:
    """Rows holding each token, per token type, over some register rows (a partial result)."""

    rows: int
    counts: dict[TokenType, tuple[np.ndarray, np.ndarray]]  # sorted tokens, row counts

    @classmethod
    def of(cls, batch: pa.RecordBatch | pa.Table, types: Iterable[TokenType]) -> TokenCounts:
        counts = {}
        for t in types:
            slots = np.sort(token_slots(batch, t), axis=1)
            keep = slots != 0
            keep[:, 1:] &= slots[:, 1:] != slots[:, :-1]  # once per row
            u, c = np.unique(slots[keep], return_counts=True)
            counts[t] = (u, c.astype(np.int64))
        return cls(batch.num_rows, counts)

    @classmethod
    def merge(cls, parts: Iterable[TokenCounts], types: Iterable[TokenType]) -> TokenCounts:
        """Sum of partial counts (merged 16 at a time: memory stays ~ distinct tokens)."""
        types = tuple(types)
        acc: dict[TokenType, list[tuple[np.ndarray, np.ndarray]]] = {t: [] for t in types}
        rows = 0
        for part in parts:
            rows += part.rows
            for t in types:
                acc[t].append(part.counts[t])
                if len(acc[t]) >= 16:
                    acc[t] = [_merge_counts(acc[t])]
        return cls(rows, {t: _merge_counts(acc[t]) for t in types})

    def stats(self) -> TokenStats:
        tables = {}
        for t, (u, c) in self.counts.items():
            lf = np.log2(c / max(self.rows, 1)) if c.size else np.empty(0)
            tables[t] = TokenTable(u, c, lf.astype(np.float64))
        return TokenStats(rows=self.rows, tables=tables)


def _count_part(types: tuple[TokenType, ...], part: RegisterPart) -> TokenCounts:
    return TokenCounts.of(part.batch, types)


def _merge_counts(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    if not parts:
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    u, inv = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    c = np.bincount(inv, weights=np.concatenate([p[1] for p in parts]), minlength=u.size)
    return u.astype(np.uint64), c.astype(np.int64)


# ============================================================================ rules and keys
#: What a blocking key is made of: a token type, or a Bloom field standing for its whole value
Key = TokenType | BloomField


@dataclass(frozen=True)
class BlockingRule:
    """A blocking key: one token type, or two combined (every slot pair hashed together).

    A :class:`BloomField` in place of a token type stands for the field's exact value
    (:meth:`Encoded.digest`). ``max_block_rows`` caps a single-token key: a request's key is
    left out when more register rows than that hold the token; None: never left out.
    """

    first: Key
    second: Key | None = None
    max_block_rows: int | None = None

    def __post_init__(self) -> None:
        if self.max_block_rows is not None and self.max_block_rows < 1:
            raise ConfigError("max_block_rows must be positive")
        if self.max_block_rows is not None and self.second is not None:
            raise ConfigError("only single-token blocking rules can be capped")


@dataclass(frozen=True)
class FilterBandRule:
    """MinHash bands of a Bloom field's set bits, each combined with a token type.

    Two filters agree on a band (``rows_per_band`` MinHashes) with probability ~ J^rows_per_band
    (J: Jaccard of their bit sets), so a typo'd surname (J ~ 0.7) still shares a band with the
    true one in most of ``bands`` tries, while unrelated names rarely do; the token (a given
    name code) keeps blocks small. Catches a typo in one field together with a wrong ZIP, which
    the exact-token rules miss. Positions are a fixed public permutation (the filter bits are
    already keyed).
    """

    field: BloomField
    second: TokenType
    bands: int = 4
    rows_per_band: int = 3

    def __post_init__(self) -> None:
        if self.bands < 1 or not 1 <= self.rows_per_band <= 6:
            raise ConfigError("bands must be positive and rows_per_band in 1..6")


@functools.cache
def _orders(field_index: int, bits: int, hashes: int) -> np.ndarray:
    rng = np.random.default_rng(0x5EED + field_index)  # fixed and public: not a secret
    return np.stack([rng.permutation(bits) for _ in range(hashes)]).astype(np.int64)


def band_keys(
    enc: Encoded, rule: FilterBandRule, rule_id: int, kernels: Kernels = Kernels.NUMBA
) -> np.ndarray:
    """``(rows, bands * slots)`` uint64 keys of a :class:`FilterBandRule` (0 = none)."""
    f = list(BloomField).index(rule.field)
    lo, hi = int(enc.word_off[f]), int(enc.word_off[f + 1])
    orders = _orders(f, (hi - lo) * 64, rule.bands * rule.rows_per_band)
    fn = K.minhash_np if kernels == Kernels.NUMPY else K.minhash_nb
    mh = fn(enc.words, lo, orders).reshape(enc.rows, rule.bands, rule.rows_per_band)
    band = np.zeros((enc.rows, rule.bands), np.uint64)
    width = np.uint64(max(1, (hi - lo) * 64 - 1).bit_length())  # ranks < bits: 10 bits for 512
    if rule.rows_per_band * int(width) > 64:
        raise ConfigError(f"{rule.rows_per_band} MinHash ranks of {rule.field} do not fit a key")
    for r in range(rule.rows_per_band):
        band = (band << width) | mh[:, :, r].astype(np.uint64)
    empty = mh[:, :, 0] < 0
    b = enc.token(rule.second)
    with np.errstate(over="ignore"):
        salted = mix64(band ^ _salt(rule_id)) ^ (np.arange(rule.bands, dtype=np.uint64) + 1)
        keys = mix64(salted[:, :, None] ^ b[:, None, :]).reshape(enc.rows, -1)
    valid = ((~empty)[:, :, None] & (b != 0)[:, None, :]).reshape(enc.rows, -1)
    keys = np.where(keys == 0, np.uint64(1), keys)
    return np.where(valid, keys, np.uint64(0))


Rule = BlockingRule | FilterBandRule

#: Register rows above which a request's single-token key is left out (see the module doc)
MAX_BLOCK_ROWS = 200

#: Default rules; the single-token ones are capped, compound ones keep their pairs reachable.
DEFAULT_RULES: tuple[Rule, ...] = (
    BlockingRule(TokenType.SURNAME, max_block_rows=MAX_BLOCK_ROWS),
    BlockingRule(TokenType.SURNAME_PHONETIC, max_block_rows=MAX_BLOCK_ROWS),
    BlockingRule(TokenType.STREET_NUMBER_ZIP, max_block_rows=MAX_BLOCK_ROWS),
    BlockingRule(TokenType.TIN),
    BlockingRule(TokenType.SURNAME, TokenType.GIVEN_PHONETIC),
    BlockingRule(TokenType.SURNAME_PHONETIC, TokenType.GIVEN_CANONICAL),
    BlockingRule(TokenType.SURNAME, TokenType.ZIP5),
    BlockingRule(TokenType.SURNAME_PHONETIC, TokenType.ZIP5),
    BlockingRule(TokenType.GIVEN_CANONICAL, TokenType.STREET_NUMBER_ZIP),
    BlockingRule(TokenType.GIVEN_PHONETIC, TokenType.STREET_ZIP),
    BlockingRule(TokenType.BIRTH_DATE, TokenType.SURNAME_PHONETIC),
    # the street line without its ZIP: a ZIP typo together with a name typo
    BlockingRule(BloomField.STREET, TokenType.GIVEN_PHONETIC),
    BlockingRule(BloomField.STREET, TokenType.GIVEN_CANONICAL),
    BlockingRule(BloomField.STREET, TokenType.SURNAME),
    BlockingRule(BloomField.STREET, TokenType.SURNAME_PHONETIC),
)


@dataclass(frozen=True)
class BlockingConfig:
    """Blocking rules and the register chunk size (rows per join call)."""

    rules: tuple[Rule, ...] = DEFAULT_RULES
    chunk_rows: int = 65_536

    def __post_init__(self) -> None:
        if not self.rules:
            raise ConfigError("at least one blocking rule is needed")
        if self.chunk_rows < 1:
            raise ConfigError("chunk_rows must be positive")


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = 0x9E3779B97F4A7C15


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (a bijection of uint64)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def rule_keys(
    enc: Encoded, rule: Rule, rule_id: int, kernels: Kernels = Kernels.NUMPY
) -> np.ndarray:
    """``(rows, k)`` uint64 keys of one rule (0 = none), salted by ``rule_id``."""
    if isinstance(rule, FilterBandRule):
        return band_keys(enc, rule, rule_id, kernels)
    salt = _salt(rule_id)
    a = enc.token(rule.first)
    with np.errstate(over="ignore"):
        h = mix64(a ^ salt)
        if rule.second is None:
            keys, valid = h, a != 0
        else:
            b = enc.token(rule.second)
            keys = mix64(h[:, :, None] ^ b[:, None, :]).reshape(enc.rows, -1)
            valid = ((a != 0)[:, :, None] & (b != 0)[:, None, :]).reshape(enc.rows, -1)
    keys = np.where(keys == 0, np.uint64(1), keys)
    return np.where(valid, keys, np.uint64(0))


def all_rule_keys(
    enc: Encoded, rules: tuple[Rule, ...], kernels: Kernels = Kernels.NUMBA
) -> np.ndarray:
    """Keys of every rule side by side: token rules first, then filter-band rules (the
    compiled path gives the same matrix as :func:`rule_keys`)."""
    token_rules = [(i, r) for i, r in enumerate(rules) if isinstance(r, BlockingRule)]
    band_rules = [(i, r) for i, r in enumerate(rules) if isinstance(r, FilterBandRule)]
    if kernels == Kernels.NUMPY:
        parts = [rule_keys(enc, r, i) for i, r in token_rules]
    else:
        parts = [_token_keys_nb(enc, token_rules)] if token_rules else []
    parts += [band_keys(enc, r, i, kernels) for i, r in band_rules]
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


def _token_keys_nb(enc: Encoded, rules: list[tuple[int, BlockingRule]]) -> np.ndarray:
    # token slots, then one digest slot per Bloom field the rules use
    fields = sorted({k for _, r in rules for k in (r.first, r.second) if isinstance(k, BloomField)})
    tokens = np.concatenate([enc.tokens, *(enc.digest(f) for f in fields)], axis=1)
    types = list(TokenType)

    def slots(k: Key) -> tuple[int, int]:
        if isinstance(k, BloomField):
            at = enc.tokens.shape[1] + fields.index(k)
            return at, at + 1
        i = types.index(k)
        return int(enc.slot_off[i]), int(enc.slot_off[i + 1])

    spec = np.full((len(rules), 4), -1, np.int64)
    width = 0
    for r, (_, rule) in enumerate(rules):
        spec[r, :2] = slots(rule.first)
        n = spec[r, 1] - spec[r, 0]
        if rule.second is not None:
            spec[r, 2:] = slots(rule.second)
            n *= spec[r, 3] - spec[r, 2]
        width += int(n)
    salts = np.array([_salt(i) for i, _ in rules], np.uint64)
    return K.keys_nb(np.ascontiguousarray(tokens), spec, salts, width)


def _salt(rule_id: int) -> np.uint64:
    return np.uint64(((rule_id + 1) * _GOLDEN) & 0xFFFFFFFFFFFFFFFF)


# ============================================================================ index and join
@dataclass(frozen=True)
class BlockingIndex:
    """Sorted blocking keys of the submissions and, per key, its ascending submission rows."""

    keys: np.ndarray  # sorted unique uint64
    offsets: np.ndarray  # int64, len(keys) + 1
    postings: np.ndarray  # int32 submission rows
    directory: np.ndarray  # int64 key ranges by top bits (kernels.key_directory)
    shift: int
    rules: tuple[Rule, ...]
    submissions: int
    dropped_keys: int  # distinct oversized keys left out

    def join(self, reg: Encoded, row0: int = 0, kernels: Kernels = Kernels.NUMBA) -> CandidatePairs:
        """Candidate pairs of one register chunk whose first row has global index ``row0``."""
        reg_keys = all_rule_keys(reg, self.rules, kernels)
        fn = K.join_np if kernels == Kernels.NUMPY else K.join_nb
        sub, regi = fn(
            self.keys, self.offsets, self.postings, self.directory, self.shift, reg_keys, int(row0)
        )
        return CandidatePairs(sub, regi)


def build_index(
    subs: Encoded, config: BlockingConfig | None = None, stats: TokenStats | None = None
) -> BlockingIndex:
    """Index the submissions by every rule's keys; drop oversized single-token blocks."""
    config = config or BlockingConfig()
    keys, rows, dropped = capped_keys(subs, config, stats)
    return index_of(keys, rows, config.rules, subs.rows, dropped)


def capped_keys(
    subs: Encoded, config: BlockingConfig, stats: TokenStats | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Every rule's keys of the submissions with the row each belongs to, leaving out a
    capped rule's key where more than ``max_block_rows`` register rows hold its token; and the
    number of distinct keys left out."""
    n = subs.rows
    all_keys, all_subs = [], []
    dropped = 0
    for r, rule in enumerate(config.rules):
        keys = rule_keys(subs, rule, r, Kernels.NUMBA)
        rows = np.repeat(np.arange(n, dtype=np.int64), keys.shape[1])
        flat = keys.reshape(-1)
        ok = flat != 0
        flat, rows = flat[ok], rows[ok]
        cap = rule.max_block_rows if isinstance(rule, BlockingRule) else None
        # token stats count token types only (a Bloom field's digest has no counts): a StrEnum
        # BloomField would otherwise find the token type of the same name
        first_type = (
            rule.first
            if isinstance(rule, BlockingRule) and isinstance(rule.first, TokenType)
            else None
        )
        table = (
            stats.table(first_type)
            if stats is not None and cap is not None and first_type is not None
            else None
        )
        if cap is not None and table is not None and first_type is not None and flat.size:
            raw = subs.token(first_type).reshape(-1)[ok]  # the key's token (one key per token)
            keep = table.count_of(raw) <= cap
            dropped += np.unique(flat[~keep]).size
            flat, rows = flat[keep], rows[keep]
        all_keys.append(flat)
        all_subs.append(rows)
    keys = np.concatenate(all_keys) if all_keys else np.empty(0, np.uint64)
    sub = np.concatenate(all_subs) if all_subs else np.empty(0, np.int64)
    return keys, sub, dropped


def index_of(
    keys: np.ndarray, rows: np.ndarray, rules: tuple[Rule, ...], n: int, dropped: int = 0
) -> BlockingIndex:
    """The index of (key, row) entries: sorted unique keys, each with its ascending rows."""
    order = np.lexsort((rows, keys))
    keys, sub = keys[order], rows[order]
    if keys.size:
        first = np.ones(keys.size, bool)
        first[1:] = (keys[1:] != keys[:-1]) | (sub[1:] != sub[:-1])
        keys, sub = keys[first], sub[first]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if keys.size else np.empty(0, int)
    offsets = np.append(starts, keys.size).astype(np.int64)
    unique_keys = np.ascontiguousarray(keys[starts], dtype=np.uint64)
    directory, shift = K.key_directory(unique_keys)
    return BlockingIndex(
        keys=unique_keys,
        offsets=offsets,
        postings=np.ascontiguousarray(sub, dtype=np.int32),
        directory=directory,
        shift=shift,
        rules=rules,
        submissions=n,
        dropped_keys=dropped,
    )


def candidate_pairs(
    submissions: pa.Table | pa.RecordBatch | Encoded,
    register_batches: RegisterSource,
    config: BlockingConfig | None = None,
    stats: TokenStats | None = None,
    kernels: Kernels = Kernels.NUMBA,
    engine: Engine | None = None,
) -> CandidatePairs:
    """All candidate pairs of a register stream (the same whatever the chunking)."""
    config = config or BlockingConfig()
    subs = submissions if isinstance(submissions, Encoded) else Encoded.of(submissions)
    index = build_index(subs, config, stats)
    return CandidatePairs.concat(
        list(
            (engine or LocalEngine()).map_parts(
                register_batches,
                functools.partial(_join_part, index, kernels),
                part_rows=config.chunk_rows,
            )
        )
    )


def _join_part(index: BlockingIndex, kernels: Kernels, part: RegisterPart) -> CandidatePairs:
    return index.join(Encoded.of(part.batch), part.row0, kernels)
