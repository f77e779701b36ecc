"""Scoring: EM training, TF adjustment, model persistence, the glued pipeline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pytest

from xverify.encoding.schema import BloomField, EncodingSchema, TokenType
from xverify.errors import InputError, SchemaError
from xverify.matching.blocking import BlockingConfig, Kernels, TokenStats
from xverify.matching.compare import COMPARISONS, address_agrees, encoded_table
from xverify.matching.levels import Comparison
from xverify.matching.model import MatchModel
from xverify.matching.pipeline import PipelineConfig, match, score_candidates, train_model
from xverify.matching.score import score_compared
from xverify.matching.training import TrainConfig

SCHEMA = EncodingSchema()


def _filter(value: int, bits: int, noise: int = 0, seed: int = 0) -> np.ndarray:
    """A pseudo Bloom filter of a value: 24 bits chosen by the value; ``noise`` bits moved."""
    pos = np.random.default_rng(value).choice(bits, 24, replace=False)
    if noise:
        r = np.random.default_rng(seed)
        pos = np.concatenate([pos[noise:], r.choice(bits, noise, replace=False)])
    out = np.zeros(bits, bool)
    out[pos] = True
    return np.packbits(out, bitorder="little").view("<u8")


@dataclass
class Person:
    given: int
    surname: tuple[int, ...]
    street: int  # street line id, also the house-number+zip id
    zip5: int
    unit: int = 0
    suffix: int = 0
    middle: int = 0


def _tables(people: list[Person], noise: list[int] | None = None) -> pa.Table:
    n = len(people)
    noise = noise or [0] * n
    w = {f: np.zeros((n, s.bits // 64), np.uint64) for f, s in SCHEMA.blooms.items()}
    t = {tt: np.zeros((n, k), np.uint64) for tt, k in SCHEMA.slots.items()}
    for i, p in enumerate(people):
        bits = SCHEMA.blooms
        w[BloomField.GIVEN][i] = _filter(p.given, bits[BloomField.GIVEN].bits, noise[i], i)
        sur = np.zeros(bits[BloomField.SURNAME].bits // 64, np.uint64)
        for s in p.surname:
            sur |= _filter(s, bits[BloomField.SURNAME].bits)
        w[BloomField.SURNAME][i] = sur
        w[BloomField.STREET][i] = _filter(p.street, bits[BloomField.STREET].bits)
        w[BloomField.PLACE][i] = _filter(p.zip5, bits[BloomField.PLACE].bits)
        if p.middle:
            w[BloomField.MIDDLE][i] = _filter(p.middle, bits[BloomField.MIDDLE].bits)
            t[TokenType.MIDDLE_INITIAL][i, 0] = 7000 + p.middle
        if not noise[i]:
            t[TokenType.GIVEN][i, 0] = 1000 + p.given
        t[TokenType.GIVEN_PHONETIC][i, 0] = 2000 + p.given
        t[TokenType.GIVEN_CANONICAL][i, 0] = 3000 + p.given
        for j, s in enumerate(p.surname):
            t[TokenType.SURNAME][i, j] = 4000 + s
            t[TokenType.SURNAME_PHONETIC][i, j] = 5000 + s
        t[TokenType.STREET_ZIP][i, 0] = 10_000 + p.street
        t[TokenType.STREET_NUMBER_ZIP][i, 0] = 20_000 + p.street
        t[TokenType.ZIP5][i, 0] = 30_000 + p.zip5
        if p.unit:
            t[TokenType.UNIT][i, 0] = 40_000 + p.unit
        if p.suffix:
            t[TokenType.SUFFIX][i, 0] = 6000 + p.suffix
    return encoded_table(w, t, SCHEMA)


def _population(rng: np.random.Generator, n: int = 400) -> tuple[list[Person], list[Person]]:
    """A register with common surnames, households (same surname and address) and Jr/Sr."""
    reg: list[Person] = []
    for _ in range(n):
        sur = (int(rng.zipf(1.6)) % 300 + 1,)
        if rng.random() < 0.3:
            sur = (*sur, int(rng.integers(1, 300)))
        street = int(rng.integers(1, 10**6))
        reg.append(Person(int(rng.integers(1, 500)), sur, street, street % 50 + 1))
        if rng.random() < 0.3:  # a household member
            reg.append(Person(int(rng.integers(1, 500)), sur, street, street % 50 + 1))
    return reg, []


@pytest.fixture(scope="module")
def world() -> dict:
    rng = np.random.default_rng(7)
    reg, _ = _population(rng)
    truth = rng.choice(len(reg), 150, replace=False)
    subs, noise = [], []
    for k, r in enumerate(truth):
        p = reg[r]
        kind = k % 3
        if kind == 1:  # typo in the given name
            noise.append(2)
        else:
            noise.append(0)
        if kind == 2 and len(p.surname) == 2:  # dropped second surname
            p = Person(p.given, p.surname[:1], p.street, p.zip5)
        subs.append(p)
    return {
        "reg": _tables(reg),
        "subs": _tables(subs, noise),
        "truth": truth,
        "people": reg,
    }


def _train(world: dict, **kw: object) -> MatchModel:
    cfg = PipelineConfig(train=TrainConfig(**kw))  # type: ignore[arg-type]
    return train_model(world["subs"], world["reg"], SCHEMA, np.random.default_rng(1), cfg)


def test_em_trains_a_sensible_model(world: dict) -> None:
    model = _train(world)
    assert 0 < model.prior < 1e-2
    given = model.param(Comparison.GIVEN)
    assert given.m[4] > given.u[4] and given.m[0] < given.u[0]
    sur = model.param(Comparison.SURNAME)
    assert sur.weights[5] > sur.weights[4] > 0 > sur.weights[0]
    addr = model.param(Comparison.ADDRESS)
    assert addr.weights[5] > 5 and addr.weights[0] < -1
    tin = model.param(Comparison.TIN)
    assert not tin.trained  # never observed: the documented default m
    assert tin.weights[1] > 0 > tin.weights[0]


def test_true_pairs_outrank_others(world: dict) -> None:
    model = _train(world)
    scored = score_candidates(world["subs"], world["reg"], model)
    truth = world["truth"]
    is_true = scored.reg_idx == truth[scored.sub_idx]
    assert is_true.sum() == len(truth)  # every true pair is a candidate
    best = np.full(len(truth), -np.inf)
    np.maximum.at(best, scored.sub_idx[~is_true], scored.weight[~is_true])
    true_w = np.empty(len(truth))
    true_w[scored.sub_idx[is_true]] = scored.weight[is_true]
    assert (true_w > best).mean() >= 0.97
    assert np.median(scored.probability[is_true]) > 0.99
    assert np.median(scored.probability[~is_true]) < 0.01
    # weights split into name and address parts
    assert np.all(scored.address_weight[is_true & address_agrees(scored.levels)] > 0)
    np.testing.assert_array_less(scored.name_weight[~is_true].min(), 0)


def test_household_members_are_not_matches(world: dict) -> None:
    model = _train(world)
    (inter,) = model.interactions
    assert inter.a is Comparison.SURNAME and inter.b is Comparison.ADDRESS
    assert inter.tf_base is not None and model.tf_adjust
    scored = score_candidates(world["subs"], world["reg"], model)
    is_true = scored.reg_idx == world["truth"][scored.sub_idx]
    lev = scored.levels
    household = (
        ~is_true
        & (lev[:, Comparison.SURNAME] >= 4)
        & (lev[:, Comparison.ADDRESS] >= 4)
        & (lev[:, Comparison.GIVEN] == 0)
    )
    assert household.sum() > 10
    assert np.all(scored.probability[household] < 0.5)


def test_tf_adjustment_rare_surname_beats_common(world: dict) -> None:
    model = _train(world)
    reg: list[Person] = world["people"]
    stats = TokenStats.from_batches(world["reg"])
    table = stats.table(TokenType.SURNAME)
    single = [p for p in reg if len(p.surname) == 1]
    n = table.count_of(np.array([4000 + p.surname[0] for p in single], np.uint64))
    common, rare = single[int(np.argmax(n))], single[int(np.argmin(n))]
    assert n.max() > 5 * n.min()
    subs = _tables([common, rare])
    scored = score_candidates(subs, world["reg"], model, stats=stats)
    top = [scored.name_weight[(scored.sub_idx == i)].max() for i in (0, 1)]
    assert top[1] > top[0] + 2  # rare surname: more evidence


def test_jr_sr_and_units_reduce_weight(world: dict) -> None:
    model = _train(world)
    base = Person(11, (901,), 5555, 3, unit=4, suffix=1)
    reg = _tables([base, Person(11, (901,), 5555, 3, unit=4, suffix=2)])
    subs = _tables([base])
    scored = score_candidates(subs, reg, model)
    assert scored.level(Comparison.SUFFIX).tolist() == [2, 0]
    assert scored.weight[0] > scored.weight[1]


def test_model_json_roundtrip_and_describe(world: dict, tmp_path) -> None:
    model = _train(world)
    path = tmp_path / "model.json"
    model.save(path)
    again = MatchModel.load(path)
    assert again == model
    df = model.describe()
    assert {"comparison", "level", "label", "m", "u", "weight", "tf_adjusted"} <= set(df.columns)
    assert len(df) == sum(len(c.labels) + 1 for c in COMPARISONS) + len(model.interactions)
    assert df.attrs["prior"] == model.prior
    with pytest.raises(InputError):
        MatchModel.from_json("{}")


def test_deterministic_whatever_chunks_and_engine(world: dict) -> None:
    outs = []
    for chunk, kernels in (
        (7, Kernels.NUMBA),
        (64, Kernels.NUMPY),
        (10_000, Kernels.NUMBA_PARALLEL),
    ):
        cfg = PipelineConfig(blocking=BlockingConfig(chunk_rows=chunk), kernels=kernels)
        batches = world["reg"].to_batches(max_chunksize=50)
        model, scored = match(world["subs"], batches, np.random.default_rng(3), cfg)
        outs.append((model, scored))
    m0, s0 = outs[0]
    for m, s in outs[1:]:
        assert m == m0
        for f in ("sub_idx", "reg_idx", "levels", "weight", "name_weight", "address_weight"):
            np.testing.assert_array_equal(getattr(s, f), getattr(s0, f))


def test_score_kernel_twins_identical(world: dict) -> None:
    from xverify.matching.blocking import Encoded, candidate_pairs
    from xverify.matching.compare import compare_pairs

    model = _train(world)
    stats = TokenStats.from_batches(world["reg"])
    subs, reg = Encoded.of(world["subs"]), Encoded.of(world["reg"])
    pairs = candidate_pairs(subs, world["reg"], stats=stats)
    compared = compare_pairs(subs, reg, pairs, model.compare, stats)
    a = score_compared(compared, model, Kernels.NUMBA)
    b = score_compared(compared, model, Kernels.NUMPY)
    for f in ("weight", "name_weight", "address_weight", "probability"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))


def test_schema_mismatch_is_refused(world: dict) -> None:
    other = EncodingSchema(
        blooms={**SCHEMA.blooms, BloomField.GIVEN: type(SCHEMA.blooms[BloomField.GIVEN])(1024)}
    )
    with pytest.raises(SchemaError):
        train_model(world["subs"], world["reg"], other, np.random.default_rng(0))
