"""Every compiled kernel against its NumPy twin, on fixed and hypothesis-generated cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xverify.matching import _jit as JIT
from xverify.matching import blocking_kernels as BK
from xverify.matching import compare_kernels as CK
from xverify.matching import score_kernels as SK
from xverify.matching.blocking import BlockingConfig, Encoded, build_index
from xverify.matching.compare import CompareConfig, random_encoded_table
from xverify.matching.levels import Comparison

SETTINGS = settings(max_examples=40, deadline=None)


MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: a bijection of uint64, 0 stays 0


def _index(
    rng: np.random.Generator, n_sub: int, vocab: int, per: int, mix: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A submission key index like build_index makes; ``mix`` spreads keys over uint64."""
    keys = rng.integers(1, vocab, size=(n_sub, per), dtype=np.uint64)
    if mix:
        keys = keys * MIX
    keys[rng.random(keys.shape) < 0.3] = 0
    rows = np.repeat(np.arange(n_sub), per)
    flat = keys.reshape(-1)
    ok = flat != 0
    flat, rows = flat[ok], rows[ok]
    order = np.lexsort((rows, flat))
    flat, rows = flat[order], rows[order]
    first = np.r_[True, (flat[1:] != flat[:-1]) | (rows[1:] != rows[:-1])] if flat.size else []
    flat, rows = flat[first], rows[first]
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]]) if flat.size else np.empty(0, int)
    return (
        np.ascontiguousarray(flat[starts], np.uint64),
        np.append(starts, flat.size).astype(np.int64),
        rows.astype(np.int32),
    )


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n_sub=st.integers(1, 40),
    n_reg=st.integers(0, 60),
    vocab=st.integers(2, 50),
    per=st.integers(1, 5),
    row0=st.integers(0, 10**9),
    mix=st.booleans(),
)
def test_join_twins(
    seed: int, n_sub: int, n_reg: int, vocab: int, per: int, row0: int, mix: bool
) -> None:
    rng = np.random.default_rng(seed)
    keys, offsets, postings = _index(rng, n_sub, vocab, per, mix)
    reg = rng.integers(0, vocab + 5, size=(n_reg, per + 1), dtype=np.uint64)
    if mix:  # spread keys over the whole range, as hashed keys are
        reg = reg * MIX
    directory, shift = BK.key_directory(keys)
    a = BK.join_nb(keys, offsets, postings, directory, shift, reg, row0)
    b = BK.join_np(keys, offsets, postings, directory, shift, reg, row0)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    # brute force: every (row, sub) sharing a key, sorted, unique
    sub_keys = [set() for _ in range(n_sub)]
    for k in range(keys.size):
        for q in range(offsets[k], offsets[k + 1]):
            sub_keys[postings[q]].add(int(keys[k]))
    expect = sorted(
        (row0 + i, s)
        for i in range(n_reg)
        for s in range(n_sub)
        if sub_keys[s] & {int(x) for x in reg[i] if x}
    )
    assert list(zip(a[1].tolist(), a[0].tolist(), strict=True)) == expect


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    words=st.integers(1, 20),
    n=st.integers(0, 50),
    density=st.floats(0.0, 1.0),
)
def test_dice_twins(seed: int, words: int, n: int, density: float) -> None:
    rng = np.random.default_rng(seed)
    a = np.packbits(rng.random((10, words * 64)) < density, axis=1, bitorder="little")
    b = np.packbits(rng.random((12, words * 64)) < density, axis=1, bitorder="little")
    a, b = a.view("<u8"), b.view("<u8")
    ia, ib = rng.integers(0, 10, n), rng.integers(0, 12, n)
    x = CK.dice_nb(a, b, ia, ib)
    np.testing.assert_array_equal(x, CK.dice_np(a, b, ia, ib))
    np.testing.assert_array_equal(x, CK.dice_par_nb(a, b, ia, ib))
    assert np.all((x >= 0) & (x <= 1))


def test_dice_values() -> None:
    a = np.array([[0b1111, 0]], np.uint64)
    b = np.array([[0b0011, 0], [0, 0]], np.uint64)
    i = np.array([0, 0])
    np.testing.assert_array_equal(CK.dice_nb(a, b, i, np.array([0, 1])), [2 * 2 / 6, 0.0])


def _compare_args(seed: int, n_sub: int, n_reg: int, n_pairs: int, vocab: int):
    rng = np.random.default_rng(seed)
    s = Encoded.of(random_encoded_table(n_sub, rng, vocabulary=vocab, bit_density=0.1))
    r = Encoded.of(random_encoded_table(n_reg, rng, vocabulary=vocab, bit_density=0.1))
    # make some pairs close copies so that high levels occur
    r.words[: min(n_sub, n_reg)] = s.words[: min(n_sub, n_reg)]
    flip = rng.random(r.words.shape) < 0.02
    r.words[flip] ^= np.uint64(1) << np.uint64(7)
    si = rng.integers(0, n_sub, n_pairs)
    ri = np.where(rng.random(n_pairs) < 0.5, si % n_reg, rng.integers(0, n_reg, n_pairs))
    th = CompareConfig(given_lo=0.5, surname_lo=0.5).thresholds()

    def log2freq(t: int) -> np.ndarray:  # per request slot; NaN: token not in the register
        lf = -rng.random((n_sub, s.slot_off[t + 1] - s.slot_off[t])) * 10
        return np.where(rng.random(lf.shape) < 0.3, np.nan, lf)

    return (
        s.words, s.tokens, r.words, r.tokens, s.bits, CK.row_bits(r.words, r.word_off),
        si, ri, s.word_off, s.slot_off, th,
        log2freq(JIT.TT_SURNAME), log2freq(JIT.TT_GIVEN), -9.0,
    )  # fmt: skip


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n_sub=st.integers(1, 20),
    n_reg=st.integers(1, 20),
    n_pairs=st.integers(0, 80),
    vocab=st.integers(1, 6),
)
def test_compare_twins(seed: int, n_sub: int, n_reg: int, n_pairs: int, vocab: int) -> None:
    args = _compare_args(seed, n_sub, n_reg, n_pairs, vocab)
    lev_a, tf_a = CK.compare_nb(*args)
    lev_b, tf_b = CK.compare_np(*args)
    lev_c, tf_c = CK.compare_par_nb(*args)
    np.testing.assert_array_equal(lev_a, lev_b)
    np.testing.assert_array_equal(tf_a, tf_b)
    np.testing.assert_array_equal(lev_a, lev_c)
    np.testing.assert_array_equal(tf_a, tf_c)


def test_compare_twins_cover_levels() -> None:
    lev, _ = CK.compare_nb(*_compare_args(3, 60, 60, 4000, 2))
    for c, n_levels in ((Comparison.GIVEN, 6), (Comparison.SURNAME, 6), (Comparison.SUFFIX, 2)):
        seen = set(np.unique(lev[:, c]).tolist())
        assert len(seen) >= min(n_levels, 3), (c, seen)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 100), tf_on=st.booleans())
def test_score_twins(seed: int, n: int, tf_on: bool) -> None:
    rng = np.random.default_rng(seed)
    levels = rng.integers(-1, 5, size=(n, JIT.N_COMPARISONS)).astype(np.int8)
    tf = np.where(rng.random((n, 2)) < 0.3, np.nan, -rng.random((n, 2)) * 20)
    table = rng.normal(0, 5, size=(JIT.N_COMPARISONS, 7))
    table[:, 0] = 0.0
    part = np.array([1, 1, 1, 1, 0, 0, 2], np.int64)
    comp = np.array([Comparison.SURNAME, Comparison.GIVEN], np.int64)
    on = np.zeros((2, 7), np.bool_)
    on[:, 5:] = tf_on
    log2u = -rng.random((2, 7)) * 10
    inter = np.array(
        [
            [Comparison.SURNAME, 4, Comparison.ADDRESS, 4, 2, JIT.TF_SURNAME, -1, 0],
            # skipped if given >= 2
            [Comparison.SURNAME, 4, Comparison.ADDRESS, 4, 2, -1, Comparison.GIVEN, 2],
        ],
        np.int64,
    )
    inter_bits = np.array([[-3.25, 9.5], [-5.0, 0.0]])
    args = (levels, tf, table, part, comp, on, log2u, inter, inter_bits, -17.5)
    a, b, c = SK.score_nb(*args), SK.score_np(*args), SK.score_par_nb(*args)
    for x, y, z in zip(a, b, c, strict=True):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(x, z)
    # the parts add up with the other comparisons and the prior to the total
    other = table[4, levels[:, 4] + 1] + table[5, levels[:, 5] + 1]
    np.testing.assert_allclose(a[1] + a[2] + other - 17.5, a[0], atol=1e-9)


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_join_independent_of_chunking(chunk: int) -> None:
    rng = np.random.default_rng(5)
    subs = Encoded.of(random_encoded_table(50, rng, vocabulary=40))
    reg_table = random_encoded_table(120, rng, vocabulary=40)
    index = build_index(subs, BlockingConfig())
    whole = index.join(Encoded.of(reg_table), 0)
    parts = [index.join(Encoded.of(reg_table.slice(s, chunk)), s) for s in range(0, 120, chunk)]
    np.testing.assert_array_equal(np.concatenate([p.sub_idx for p in parts]), whole.sub_idx)
    np.testing.assert_array_equal(np.concatenate([p.reg_idx for p in parts]), whole.reg_idx)
    assert len(whole) > 0
