"""Blocking: keys, oversized blocks, streaming, pairs completeness, token statistics."""

from __future__ import annotations

import numpy as np
import pytest

from xverify.encoding.schema import BloomField, TokenType
from xverify.errors import ConfigError
from xverify.matching import blocking_kernels as BK
from xverify.matching.blocking import (
    BlockingConfig,
    BlockingRule,
    CandidatePairs,
    Encoded,
    FilterBandRule,
    Kernels,
    TokenStats,
    all_rule_keys,
    band_keys,
    build_index,
    candidate_pairs,
    pairs_completeness,
    rule_keys,
)
from xverify.matching.compare import encoded_table, random_encoded_table


def _people(surnames: list[int], given: list[int], zips: list[int]):
    n = len(surnames)
    return encoded_table(
        {},
        {
            TokenType.SURNAME: np.array(surnames, np.uint64).reshape(n, 1),
            TokenType.GIVEN_PHONETIC: np.array(given, np.uint64).reshape(n, 1),
            TokenType.ZIP5: np.array(zips, np.uint64).reshape(n, 1),
        },
    )


def test_oversized_single_token_block_dropped_but_pair_kept() -> None:
    # register: 200 GARCIA (token 7) with various given names, one rare surname 9
    reg = _people([7] * 200 + [9], [*range(100, 300), 5], [1] * 201)
    subs = _people([7, 7, 9], [150, 999, 5], [1, 2, 1])
    stats = TokenStats.from_batches(reg)
    rules = (
        BlockingRule(TokenType.SURNAME, max_block_rows=100),
        BlockingRule(TokenType.SURNAME, TokenType.GIVEN_PHONETIC),
    )
    cfg = BlockingConfig(rules=rules)
    index = build_index(Encoded.of(subs), cfg, stats)
    assert index.dropped_keys == 1  # GARCIA: 200 register rows > 100
    pairs = candidate_pairs(subs, reg, cfg, stats)
    got = set(zip(pairs.sub_idx.tolist(), pairs.reg_idx.tolist(), strict=True))
    assert (0, 50) in got  # GARCIA with given 150 still found via the compound key
    assert (2, 200) in got  # the rare surname block is kept
    assert not any(s == 1 for s, _ in got)  # GARCIA with an unknown given name: not compared
    assert len(got) == 2
    # without statistics nothing is dropped
    assert len(candidate_pairs(subs, reg, cfg)) == 2 * 200 + 1


def test_key_kernel_matches_numpy() -> None:
    enc = Encoded.of(random_encoded_table(300, np.random.default_rng(4), vocabulary=20))
    rules = BlockingConfig().rules
    np.testing.assert_array_equal(
        all_rule_keys(enc, rules, Kernels.NUMBA), all_rule_keys(enc, rules, Kernels.NUMPY)
    )


def test_rules_do_not_collide_across_types() -> None:
    # the same raw token value in two token types must not make a key of another rule
    t = encoded_table(
        {},
        {TokenType.SURNAME: np.array([[5]], np.uint64), TokenType.ZIP5: np.array([[5]], np.uint64)},
    )
    enc = Encoded.of(t)
    a = rule_keys(enc, BlockingRule(TokenType.SURNAME), 0)
    b = rule_keys(enc, BlockingRule(TokenType.ZIP5), 1)
    assert a[0, 0] != 0 and a[0, 0] != b[0, 0]
    assert rule_keys(enc, BlockingRule(TokenType.TIN), 2)[0, 0] == 0  # empty slot: no key


def test_street_line_rule_survives_a_zip_typo() -> None:
    # same street line (filter), same given-name code; ZIP and surname tokens all differ
    street = np.zeros((4, 8), np.uint64)
    street[:, 0] = [0b1011, 0b1011, 0b0111, 0]
    given = np.array([[3], [3], [3], [3]], np.uint64)

    def table(rows: slice, zips: list[int]):
        return encoded_table(
            {BloomField.STREET: street[rows]},
            {
                TokenType.GIVEN_PHONETIC: given[rows],
                TokenType.ZIP5: np.array(zips, np.uint64)[:, None],
            },
        )

    subs, reg = table(slice(0, 1), [11]), table(slice(1, 4), [12, 11, 11])
    enc = Encoded.of(reg)
    digest = enc.digest(BloomField.STREET)[:, 0]
    assert digest[0] != digest[1] and digest[0] != 0 and digest[2] == 0  # empty: no token
    np.testing.assert_array_equal(Encoded.of(subs).digest(BloomField.STREET)[0], digest[0])
    rule = BlockingRule(BloomField.STREET, TokenType.GIVEN_PHONETIC)
    pairs = candidate_pairs(subs, reg, BlockingConfig(rules=(rule,)))
    assert pairs.reg_idx.tolist() == [0]  # the same street line, not another or an empty one
    np.testing.assert_array_equal(
        all_rule_keys(enc, (rule,), Kernels.NUMBA), all_rule_keys(enc, (rule,), Kernels.NUMPY)
    )


@pytest.mark.parametrize("chunk", [3, 64, 100_000])
def test_stream_same_whatever_chunking_and_engine(chunk: int) -> None:
    rng = np.random.default_rng(2)
    subs = random_encoded_table(40, rng, vocabulary=30)
    reg = random_encoded_table(150, rng, vocabulary=30)
    stats = TokenStats.from_batches(reg.to_batches(max_chunksize=33))
    ref = candidate_pairs(subs, reg, BlockingConfig(chunk_rows=150), stats)
    for kernels in (Kernels.NUMBA, Kernels.NUMPY):
        got = candidate_pairs(
            subs, reg.to_batches(max_chunksize=41), BlockingConfig(chunk_rows=chunk), stats, kernels
        )
        np.testing.assert_array_equal(got.sub_idx, ref.sub_idx)
        np.testing.assert_array_equal(got.reg_idx, ref.reg_idx)
    codes = ref.reg_idx * 40 + ref.sub_idx
    assert np.all(np.diff(codes) > 0)  # sorted by (register row, submission), no duplicates


def test_pairs_completeness() -> None:
    cand = CandidatePairs(np.array([0, 1, 2], np.int32), np.array([10, 11, 12], np.int64))
    assert pairs_completeness(cand, np.array([0, 1, 2, 3]), np.array([10, 11, 99, 13])) == 0.5
    assert pairs_completeness(cand, np.array([], int), np.array([], int)) == 1.0


def test_token_stats_counts_rows_once() -> None:
    t = encoded_table(
        {}, {TokenType.SURNAME: np.array([[3, 3, 4, 0], [3, 0, 0, 0], [5, 0, 0, 0]], np.uint64)}
    )
    stats = TokenStats.from_batches([t.slice(0, 1), t.slice(1, 2)])
    table = stats.table(TokenType.SURNAME)
    assert stats.rows == 3
    assert table.tokens.tolist() == [3, 4, 5]
    assert table.counts.tolist() == [2, 1, 1]
    np.testing.assert_allclose(table.log2_freq, np.log2([2 / 3, 1 / 3, 1 / 3]))
    assert table.count_of(np.array([4, 6], np.uint64)).tolist() == [1, 0]


def test_config_validation() -> None:
    with pytest.raises(ConfigError):
        BlockingRule(TokenType.SURNAME, TokenType.ZIP5, max_block_rows=10)
    with pytest.raises(ConfigError):
        BlockingConfig(rules=())
    with pytest.raises(ConfigError):
        CandidatePairs(np.zeros(2, np.int32), np.zeros(3, np.int64))


def test_minhash_twins_and_band_rule_catches_typos() -> None:
    rng = np.random.default_rng(9)
    base = rng.random((50, 512)) < 0.15
    typo = base.copy()
    for i in range(50):  # move a few bits, as a typo moves a few q-grams
        on, off = np.flatnonzero(typo[i]), np.flatnonzero(~typo[i])
        typo[i, rng.choice(on, 8, replace=False)] = False
        typo[i, rng.choice(off, 8, replace=False)] = True
    pack = lambda b: np.packbits(b, axis=1, bitorder="little").view("<u8")  # noqa: E731
    given = np.arange(1, 51, dtype=np.uint64).reshape(50, 1)
    subs = encoded_table({BloomField.SURNAME: pack(typo)}, {TokenType.GIVEN_PHONETIC: given})
    reg = encoded_table({BloomField.SURNAME: pack(base)}, {TokenType.GIVEN_PHONETIC: given})
    enc = Encoded.of(subs)
    orders = np.stack([np.random.default_rng(1).permutation(512) for _ in range(6)])
    lo = int(enc.word_off[list(BloomField).index(BloomField.SURNAME)])
    np.testing.assert_array_equal(
        BK.minhash_nb(enc.words, lo, orders), BK.minhash_np(enc.words, lo, orders)
    )
    rule = FilterBandRule(BloomField.SURNAME, TokenType.GIVEN_PHONETIC)
    np.testing.assert_array_equal(
        band_keys(enc, rule, 0, Kernels.NUMBA), band_keys(enc, rule, 0, Kernels.NUMPY)
    )
    pairs = candidate_pairs(subs, reg, BlockingConfig(rules=(rule,)))
    found = pairs.sub_idx == pairs.reg_idx
    assert found.sum() >= 45  # most typo'd filters share a band with their original
    assert (~found).sum() == 0  # the given-name code keeps strangers apart
