"""Comparison stage: agreement levels of candidate pairs.

Levels, their meaning and the rules over them: :mod:`xverify.matching.levels`.

API
---
* :class:`Encoded` — the Bloom words and tokens of a table side by side (``Encoded.of(table)``).
* :func:`compare_pairs` — ``(Encoded, Encoded, CandidatePairs, CompareConfig, TokenStats)`` ->
  :class:`ComparedPairs` (levels and term-frequency terms).
* :func:`encoded_table` / :func:`random_encoded_table` — build encoded Arrow tables from arrays
  (tests, benchmarks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..encoding.schema import BloomField, EncodingSchema, TokenType
from ..errors import ConfigError, SchemaError
from . import _jit
from . import compare_kernels as K
from .blocking import CandidatePairs, Encoded, Kernels, TokenStats
from .levels import (
    LEVEL_LABELS,
    LEVELS,
    MISSING,
    PARTS,
    Address,
    BirthDate,
    Comparison,
    Part,
    Rule,
    Suffix,
    Tin,
)

__all__ = [
    "COMPARISONS",
    "LEVEL_LABELS",
    "MISSING",
    "PERSONAL",
    "CompareConfig",
    "ComparedPairs",
    "Comparison",
    "ComparisonSpec",
    "Encoded",
    "Kernels",
    "Part",
    "RequestFrequencies",
    "address_agrees",
    "at_home",
    "compare_pairs",
    "encoded_table",
    "random_encoded_table",
    "vetoed",
]

#: Levels (per comparison) whose u-probability is replaced by the agreeing token's frequency.
TF_LEVELS: Mapping[Comparison, tuple[int, ...]] = {
    c: tuple(s.level for s in specs if s.tf_adjusted)
    for c, specs in LEVELS.items()
    if any(s.tf_adjusted for s in specs)
}
#: Comparison of each term-frequency column of :attr:`ComparedPairs.tf` (kernel column order).
TF_COMPARISONS: tuple[Comparison, ...] = (Comparison.SURNAME, Comparison.GIVEN)


@dataclass(frozen=True)
class ComparisonSpec:
    """Name (lowercase, used in ``level_<name>`` columns), labels and weight part of a column."""

    comparison: Comparison
    name: str
    labels: tuple[str, ...]
    part: Part


#: The comparisons in levels-matrix column order.
COMPARISONS: tuple[ComparisonSpec, ...] = tuple(
    ComparisonSpec(c, c.name.lower(), LEVEL_LABELS[c], PARTS[c]) for c in Comparison
)


def _level(levels: np.ndarray, c: Comparison) -> np.ndarray:
    return np.asarray(levels)[:, int(c)]


def holds(rule: Rule, levels: np.ndarray) -> np.ndarray:
    """Per pair: ``rule`` holds (its comparison reaches the rule's minimum level)."""
    return _level(levels, rule.comparison) >= rule.min_level


def address_agrees(levels: np.ndarray) -> np.ndarray:
    """Per pair: the address agrees (:attr:`Rule.ADDRESS_AGREES`), or the request names only the
    building and the birth date or TIN agrees, which rules out a namesake in another apartment
    of it."""
    same_person = (_level(levels, Comparison.BIRTH_DATE) == BirthDate.AGREES) | (
        _level(levels, Comparison.TIN) == Tin.AGREES
    )
    building = _level(levels, Comparison.ADDRESS) == Address.BUILDING
    return holds(Rule.ADDRESS_AGREES, levels) | (building & same_person)


#: comparisons about the person rather than their family or home: what tells housemates apart
PERSONAL: tuple[Comparison, ...] = (
    Comparison.MIDDLE,
    Comparison.SUFFIX,
    Comparison.BIRTH_DATE,
    Comparison.TIN,
)


def at_home(levels: np.ndarray) -> np.ndarray:
    """Per pair: surname and address agree, so an unregistered housemate of the register
    person would agree as well (see :class:`xverify.matching.decide.Household`)."""
    return holds(Rule.SURNAME_RESEMBLES, levels) & address_agrees(levels)


def vetoed(levels: np.ndarray) -> np.ndarray:
    """Per pair: evidence that names another person outright, whatever the weight: a differing
    suffix (JR vs SR, or JR asked and none on file), birth date or TIN."""
    return (
        (_level(levels, Comparison.SUFFIX) == Suffix.DIFFERS)
        | (_level(levels, Comparison.BIRTH_DATE) == BirthDate.DIFFERS)
        | (_level(levels, Comparison.TIN) == Tin.DIFFERS)
    )


if list(BloomField).index(BloomField.PLACE) != _jit.BF_PLACE or len(BloomField) != 5:
    raise SchemaError("kernels expect the BloomField order of the encoding schema")
if list(TokenType).index(TokenType.HOUSE_NUMBER) != _jit.TT_HOUSE_NUMBER or len(TokenType) != 14:
    raise SchemaError("kernels expect the TokenType order of the encoding schema")


@dataclass(frozen=True)
class CompareConfig:
    """Dice thresholds of the levels (see the module table)."""

    given_hi: float = 0.9
    given_lo: float = 0.6
    surname_hi: float = 0.9
    surname_lo: float = 0.6
    street_hi: float = 0.8
    place_hi: float = 0.8

    def __post_init__(self) -> None:
        for name in (
            "given_hi",
            "given_lo",
            "surname_hi",
            "surname_lo",
            "street_hi",
            "place_hi",
        ):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be in (0, 1]")
        if self.given_lo > self.given_hi or self.surname_lo > self.surname_hi:
            raise ConfigError("lower Dice thresholds must not exceed the higher ones")

    def thresholds(self) -> np.ndarray:
        return np.array(
            [
                self.given_hi,
                self.given_lo,
                self.surname_hi,
                self.surname_lo,
                self.street_hi,
                self.place_hi,
            ],
            dtype=np.float64,
        )


@dataclass(frozen=True)
class ComparedPairs:
    """Candidate pairs with their agreement levels and term-frequency terms.

    ``tf[:, k]`` is the summed log2 register frequency of the tokens agreeing in comparison
    ``TF_COMPARISONS[k]`` (NaN when none agree or no statistics were given).
    """

    pairs: CandidatePairs
    levels: np.ndarray  # (n, len(Comparison)) int8
    tf: np.ndarray  # (n, len(TF_COMPARISONS)) float64

    def __len__(self) -> int:
        return int(self.levels.shape[0])

    @staticmethod
    def concat(parts: list[ComparedPairs]) -> ComparedPairs:
        if not parts:
            return ComparedPairs(
                CandidatePairs.empty(),
                np.empty((0, len(Comparison)), np.int8),
                np.empty((0, len(TF_COMPARISONS))),
            )
        return ComparedPairs(
            CandidatePairs.concat([p.pairs for p in parts]),
            np.concatenate([p.levels for p in parts]),
            np.concatenate([p.tf for p in parts]),
        )


_COMPARE = {Kernels.NUMBA: K.compare_nb, Kernels.NUMBA_PARALLEL: K.compare_par_nb}


def compare_pairs(
    subs: Encoded,
    reg: Encoded,
    pairs: CandidatePairs,
    config: CompareConfig | None = None,
    stats: TokenStats | None = None,
    *,
    reg_row0: int = 0,
    kernels: Kernels = Kernels.NUMBA,
    frequencies: RequestFrequencies | None = None,
) -> ComparedPairs:
    """Levels of ``pairs``; ``reg`` holds register rows ``reg_row0, reg_row0 + 1, ...``.

    ``frequencies``: the TF lookups of ``subs`` under ``stats``, when the caller compares the
    same submissions against many register chunks (otherwise looked up here)."""
    config = config or CompareConfig()
    if not subs.same_layout(reg):
        raise SchemaError("submissions and register use different encoding layouts")
    freq = frequencies or RequestFrequencies.of(subs, stats)
    si = np.ascontiguousarray(pairs.sub_idx, dtype=np.int64)
    ri = np.ascontiguousarray(pairs.reg_idx - reg_row0, dtype=np.int64)
    fn = _COMPARE.get(kernels, K.compare_np)
    levels, tf = fn(
        subs.words, subs.tokens, reg.words, reg.tokens, subs.bits, reg.bits, si, ri,
        subs.word_off, subs.slot_off,
        config.thresholds(), freq.surname, freq.given, freq.floor,
    )  # fmt: skip
    return ComparedPairs(pairs, levels, tf)


@dataclass(frozen=True)
class RequestFrequencies:
    """Log2 register frequency of each request's surname and given-name tokens (NaN: not in the
    register), looked up once per batch rather than once per candidate pair."""

    surname: np.ndarray  # (requests, surname slots) float64; no columns without statistics
    given: np.ndarray  # (requests, given slots) float64
    floor: float  # the lowest log2 frequency (one register row)

    @classmethod
    def of(cls, subs: Encoded, stats: TokenStats | None) -> RequestFrequencies:
        def lookup(t: TokenType) -> np.ndarray:
            table = None if stats is None else stats.table(t)
            if table is None or table.tokens.size == 0:
                return np.empty((subs.rows, 0), np.float64)
            tokens = subs.token(t)
            pos = np.minimum(np.searchsorted(table.tokens, tokens), table.tokens.size - 1)
            found = (table.tokens[pos] == tokens) & (tokens != 0)
            return np.where(found, table.log2_freq[pos], np.nan)

        floor = 0.0 if stats is None else stats.log2_floor
        return cls(lookup(TokenType.SURNAME), lookup(TokenType.GIVEN), floor)

    def given_on_file(self, min_share: float) -> np.ndarray:
        """Per request: one of its given-name components is the given name of at least
        ``min_share`` of the register's rows (and at least one) — a real name, where a typo
        mostly is not."""
        if self.given.shape[1] == 0:
            return np.zeros(self.given.shape[0], dtype=bool)
        with np.errstate(invalid="ignore"):
            return (self.given >= max(self.floor, np.log2(min_share))).any(axis=1)


# ---------------------------------------------------------------------------- table builders
def encoded_table(
    words: Mapping[BloomField, np.ndarray],
    tokens: Mapping[TokenType, np.ndarray],
    schema: EncodingSchema | None = None,
    extra: Mapping[str, pa.Array | np.ndarray] | None = None,
) -> pa.Table:
    """Arrow table with the schema's encoded columns from ``(rows, words)`` / ``(rows, slots)``
    uint64 arrays (absent fields: all zero), plus ``extra`` columns (e.g. ``person``)."""
    schema = schema or EncodingSchema()
    n = _row_count(words, tokens)
    cols: dict[str, pa.Array] = {}
    missing = np.zeros(n, np.uint16)
    for i, (f, spec) in enumerate(schema.blooms.items()):
        arr = np.zeros((n, spec.bits // 64), np.uint64)
        if f in words:
            arr[:] = words[f]
        missing |= np.where(arr.any(axis=1), 0, 1 << i).astype(np.uint16)
        cols[schema.bloom_column(f)] = _fixed(arr)
    for t, slots in schema.slots.items():
        arr = np.zeros((n, slots), np.uint64)
        if t in tokens:
            src = np.asarray(tokens[t], dtype=np.uint64).reshape(n, -1)
            arr[:, : src.shape[1]] = src[:, :slots]
        cols[schema.token_column(t)] = _fixed(arr)
    cols["missing"] = pa.array(missing)
    for name, values in (extra or {}).items():
        cols[name] = pa.array(values)
    return pa.table(cols)


def _row_count(
    words: Mapping[BloomField, np.ndarray], tokens: Mapping[TokenType, np.ndarray]
) -> int:
    sizes = {len(a) for a in words.values()} | {len(a) for a in tokens.values()}
    if len(sizes) != 1:
        raise ConfigError("all encoded arrays must have the same number of rows (and at least one)")
    return sizes.pop()


def _fixed(arr: np.ndarray) -> pa.Array:
    arr = np.ascontiguousarray(arr, dtype="<u8")
    width = arr.shape[1] * 8
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), len(arr), [None, pa.py_buffer(arr.tobytes())]
    )


def random_encoded_table(
    rows: int,
    rng: np.random.Generator,
    schema: EncodingSchema | None = None,
    *,
    bit_density: float = 0.3,
    vocabulary: int = 1000,
) -> pa.Table:
    """Random encodings (filters with ``bit_density`` of bits set, tokens from ``vocabulary``
    values per type, some slots empty) for tests and benchmarks."""
    schema = schema or EncodingSchema()
    words = {
        f: _random_bits(rng, (rows, s.bits // 64), bit_density) for f, s in schema.blooms.items()
    }
    tokens = {}
    for t, slots in schema.slots.items():
        tok = rng.integers(1, vocabulary + 1, size=(rows, slots), dtype=np.uint64)
        tok[:, 1:] *= rng.random((rows, slots - 1)) < 0.3
        salt = np.uint64(list(TokenType).index(t) + 1)
        tokens[t] = np.where(tok == 0, 0, tok * np.uint64(0x9E3779B97F4A7C15) + salt)
    return encoded_table(words, tokens, schema)


def _random_bits(rng: np.random.Generator, shape: tuple[int, int], density: float) -> np.ndarray:
    bits = rng.random((*shape, 64)) < density
    return np.packbits(bits, axis=-1, bitorder="little").view("<u8").reshape(shape)
