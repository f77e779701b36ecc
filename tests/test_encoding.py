"""encode_frame: layout, determinism, key separation, missing values, similarity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xverify.encoding.bloom import dice, gram_positions, qgrams, value_filters
from xverify.encoding.encoder import IDENTITY_COLUMNS, empty_encoding, encode_frame
from xverify.encoding.keys import LinkageSecret
from xverify.encoding.schema import (
    BloomField,
    BloomSpec,
    EncodingSchema,
    TokenType,
    filter_words,
    token_slots,
)
from xverify.encoding.tokens import (
    siphash24_reference,
    siphash_words,
    siphash_words_reference,
    string_digests,
)

KEY = LinkageSecret(bytes(range(32)))
OTHER = LinkageSecret(bytes(range(100, 132)))

ROW = {
    "first_name": "José",
    "middle_name": "Luis",
    "last_name": "García López",
    "suffix": "Jr",
    "street": "123 North Main Street",
    "unit": "Apt 4",
    "city": "Los Angeles",
    "state": "CA",
    "zip": "90001-1234",
    "birth_date": "1980-01-02",
    "tin": "123-45-6789",
}


def frame(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c) for c in IDENTITY_COLUMNS} for r in rows])


def test_siphash_matches_reference_vector_and_twin() -> None:
    # SipHash-2-4 paper, Appendix A: key 00..0f, message 00..0e
    assert siphash24_reference(bytes(range(16)), bytes(range(15))) == 0xA129CA6149BE45E5
    w = np.random.default_rng(0).integers(0, 2**63, size=(200, 3), dtype=np.uint64)
    assert np.array_equal(
        siphash_words(bytes(range(16)), w), siphash_words_reference(bytes(range(16)), w)
    )
    valid = np.arange(200) % 2 == 0
    assert (siphash_words(bytes(range(16)), w, valid)[~valid] == 0).all()


def test_string_digests_empty_is_zero() -> None:
    d = string_digests(b"k" * 32, ["", "A", "A", "B"])
    assert d[0] == 0 and d[1] == d[2] != d[3] and d[1] != 0
    from hashlib import blake2b

    plain = blake2b(b"A", key=b"k" * 32, digest_size=8, person=b"xverify-token-v1").digest()
    assert int(d[1]) == int.from_bytes(plain, "little")


def test_bloom_positions_are_keyed_and_in_range() -> None:
    spec = BloomSpec(bits=256, q=2, k=20)
    a = gram_positions(b"a" * 32, ["_G", "GA"], spec)
    b = gram_positions(b"b" * 32, ["_G", "GA"], spec)
    assert a.shape == (2, 20) and a.max() < 256 and a.min() >= 0
    assert not np.array_equal(a, b)
    # no arithmetic progression (double hashing) structure: differences are not constant
    assert len(set(np.diff(a[0]).tolist())) > 3
    assert qgrams("ANA", 2) == ["_A", "AN", "NA", "A_"]
    f = value_filters(b"a" * 32, [["GARCIA", "LOPEZ"], ["LOPEZ", "GARCIA"], []], spec)
    assert np.array_equal(f[0], f[1]) and not f[2].any() and not f[3].any()


def test_layout_matches_schema() -> None:
    t = encode_frame(frame(ROW, {}), KEY)
    schema = EncodingSchema()
    assert t.schema == pa.schema(schema.arrow_fields())
    assert t.num_rows == 2
    for tt in TokenType:
        assert token_slots(t, tt).shape == (2, schema.slots[tt])
    e = empty_encoding(3)
    assert e.schema == t.schema and e.num_rows == 3


def test_full_row_fills_every_column_and_empty_row_none() -> None:
    t = encode_frame(frame(ROW, {}), KEY)
    for tt in TokenType:
        assert token_slots(t, tt)[0, 0] != 0, tt
        assert not token_slots(t, tt)[1].any(), tt
    for f in BloomField:
        assert filter_words(t, f)[0].any(), f
        assert not filter_words(t, f)[1].any(), f
    missing = t.column("missing").to_pylist()
    assert missing == [0, (1 << len(BloomField)) - 1]


def test_equivalent_spellings_encode_equal() -> None:
    alt = dict(ROW, first_name="JOSE", last_name="garcia-lopez", street="123 N. Main St",
               unit="#4", city="LOS ANGELES", zip="90001", tin="123456789",
               suffix="junior")  # fmt: skip
    t = encode_frame(frame(ROW, alt), KEY)
    for tt in TokenType:
        s = token_slots(t, tt)
        assert np.array_equal(s[0], s[1]), tt
    for f in BloomField:
        w = filter_words(t, f)
        assert np.array_equal(w[0], w[1]), f


def test_unit_token_is_the_unit_alone_and_the_street_token_tells_buildings_apart() -> None:
    """The matcher compares units only where the street agrees; the unit token is the unit."""
    other_building = dict(ROW, street="125 North Main Street")
    other_unit = dict(ROW, unit="5")
    no_unit = dict(ROW, unit=None)
    t = encode_frame(frame(ROW, other_building, other_unit, no_unit), KEY)
    u = token_slots(t, TokenType.UNIT)[:, 0]
    assert u[0] == u[1] != u[2] and u[3] == 0
    sz = token_slots(t, TokenType.STREET_ZIP)[:, 0]
    assert sz[0] == sz[2] != sz[1]


def test_house_number_token_is_the_number_alone() -> None:
    other_street_and_zip = dict(ROW, street="123 Oak Avenue", zip="10001")
    other_number = dict(ROW, street="125 N Main St")
    no_number = dict(ROW, street="N Main St")
    t = encode_frame(frame(ROW, other_street_and_zip, other_number, no_number), KEY)
    h = token_slots(t, TokenType.HOUSE_NUMBER)[:, 0]
    assert h[0] == h[1] != h[2] and h[0] != 0 and h[3] == 0


def test_ocr_digits_in_names_read_as_letters() -> None:
    ocr = dict(ROW, first_name="J0SE", last_name="6ARCIA L0PEZ", middle_name="8")
    t = encode_frame(frame(dict(ROW, middle_name="8"), ocr), KEY)
    for tt in (TokenType.GIVEN, TokenType.SURNAME, TokenType.GIVEN_CANONICAL):
        s = token_slots(t, tt)
        assert np.array_equal(s[0], s[1]), tt
    assert np.array_equal(
        filter_words(t, BloomField.GIVEN)[0], filter_words(t, BloomField.GIVEN)[1]
    )


def test_nickname_adds_canonical_token() -> None:
    t = encode_frame(frame(dict(ROW, first_name="Pepe"), ROW), KEY)
    canon = token_slots(t, TokenType.GIVEN_CANONICAL)
    assert set(canon[0][canon[0] != 0]) & set(canon[1][canon[1] != 0])
    given_tok = token_slots(t, TokenType.GIVEN)
    assert given_tok[0, 0] != given_tok[1, 0]


def test_surname_order_and_partial_share_tokens() -> None:
    t = encode_frame(
        frame(ROW, dict(ROW, last_name="Lopez Garcia"), dict(ROW, last_name="Garcia")), KEY
    )
    s = token_slots(t, TokenType.SURNAME)
    assert set(s[0]) == set(s[1])
    assert set(s[2][s[2] != 0]) < set(s[0])


def test_bad_values_are_missing_not_errors() -> None:
    bad = dict(ROW, birth_date="not a date", tin="12", zip="abc", street="12345")
    t = encode_frame(frame(bad), KEY)
    for tt in (TokenType.BIRTH_DATE, TokenType.TIN, TokenType.ZIP5, TokenType.STREET_ZIP):
        assert token_slots(t, tt)[0, 0] == 0, tt
    assert t.column("missing")[0].as_py() & (1 << list(BloomField).index(BloomField.STREET))


def test_accepts_arrow_and_typed_columns() -> None:
    df = frame(ROW)
    t1 = encode_frame(df, KEY)
    typed = df.assign(zip=90001, birth_date=pd.Timestamp("1980-01-02"), tin=123456789)
    t2 = encode_frame(pa.Table.from_pandas(typed), KEY)
    for tt in (TokenType.ZIP5, TokenType.BIRTH_DATE, TokenType.TIN):
        assert token_slots(t1, tt)[0, 0] == token_slots(t2, tt)[0, 0], tt


def test_schema_changes_change_layout() -> None:
    blooms = {f: BloomSpec(bits=128, q=2, k=10) for f in BloomField}
    schema = EncodingSchema(blooms=blooms)
    t = encode_frame(frame(ROW), KEY, schema)
    assert filter_words(t, BloomField.GIVEN).shape == (1, 2)
    with pytest.raises(TypeError):
        encode_frame(frame(ROW), b"x" * 32)  # type: ignore[arg-type]


# -- properties -------------------------------------------------------------------------------

names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=12)


@settings(max_examples=30, deadline=None)
@given(names, names)
def test_deterministic_and_unrelated_across_keys(first: str, last: str) -> None:
    df = frame(dict(ROW, first_name=first, last_name=last))
    a, b, c = encode_frame(df, KEY), encode_frame(df, KEY), encode_frame(df, OTHER)
    assert a.equals(b)
    for tt in TokenType:
        assert not set(token_slots(a, tt)[0]) - {0} & set(token_slots(c, tt)[0]), tt
    for f in BloomField:
        # independent keys: Dice about the filters' fill rate, far from 1
        assert dice(filter_words(a, f), filter_words(c, f))[0] < 0.9, f


@settings(max_examples=30, deadline=None)
@given(names, st.sampled_from(list(IDENTITY_COLUMNS)))
def test_missing_value_contributes_nothing(first: str, column: str) -> None:
    full = dict(ROW, first_name=first)
    t = encode_frame(frame(full, dict(full, **{column: None}), dict(full, **{column: "  "})), KEY)
    for tt in TokenType:
        s = token_slots(t, tt)
        assert np.array_equal(s[1], s[2]), tt
        # only zeros appear where values were removed; nothing new appears
        assert set(s[1]) - {0} <= set(s[0]), tt
    for f in BloomField:
        w = filter_words(t, f)
        assert np.array_equal(w[1], w[2])
        assert not (w[1] & ~w[0]).any(), f


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=6, max_size=12), st.data())
def test_similar_names_high_dice_dissimilar_low(name: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(name) - 1))
    typo = name[:i] + ("A" if name[i] != "A" else "E") + name[i + 1 :]
    other = data.draw(names.filter(lambda s: not set(s) & set(name)))
    t = encode_frame(frame({"last_name": name}, {"last_name": typo}, {"last_name": other}), KEY)
    w = filter_words(t, BloomField.SURNAME)
    assert dice(w[0:1], w[1:2])[0] > 0.55
    assert dice(w[0:1], w[2:3])[0] < 0.5


def test_compiled_kernels_equal_their_twins() -> None:
    from xverify.encoding.bloom import (
        or_rows,
        or_rows_reference,
        word_filters,
        word_filters_reference,
    )
    from xverify.encoding.tokens import fill_slots, fill_slots_reference

    rng = np.random.default_rng(3)
    offsets = np.concatenate(([0], np.cumsum(rng.integers(0, 5, 50))))
    codes = rng.integers(0, 10, offsets[-1])
    tok = rng.integers(0, 4, 10).astype(np.uint64)  # zeros and duplicates on purpose
    assert np.array_equal(
        fill_slots(offsets, codes, tok, 3), fill_slots_reference(offsets, codes, tok, 3)
    )
    table = rng.integers(0, 2**63, (10, 4), dtype=np.uint64)
    assert np.array_equal(or_rows(offsets, codes, table), or_rows_reference(offsets, codes, table))
    words = ["GARCIA", "", "A", "123", "1/2", "#", "JOSÉ", "LOPEZ", "GARCIA"]
    for q in (1, 2, 3, 4):
        spec = BloomSpec(bits=256, q=q, k=12)
        for ws in (words, [w for w in words if w.isascii() and len(w) > 2]):
            assert np.array_equal(
                word_filters(b"k" * 32, ws, spec), word_filters_reference(b"k" * 32, ws, spec)
            )


def test_mixed_simple_and_parsed_names_encode_like_single_rows() -> None:
    rows = [dict(ROW, last_name=n) for n in ("Garcia Lopez", "de la Cruz", "Smith Jr", "Ñúñez")]
    together = encode_frame(frame(*rows), KEY)
    for i, r in enumerate(rows):
        alone = encode_frame(frame(r), KEY)
        for tt in TokenType:
            assert np.array_equal(token_slots(together, tt)[i], token_slots(alone, tt)[0]), tt
        for f in BloomField:
            assert np.array_equal(filter_words(together, f)[i], filter_words(alone, f)[0]), f
    assert token_slots(together, TokenType.SUFFIX)[2, 0] != 0


def test_mixed_type_columns_and_empty_frame() -> None:
    df = frame(ROW, dict(ROW, zip=90001, tin=123456789, birth_date=None))
    t = encode_frame(df, KEY)
    z = token_slots(t, TokenType.ZIP5)[:, 0]
    assert z[0] == z[1] != 0
    assert token_slots(t, TokenType.TIN)[0, 0] == token_slots(t, TokenType.TIN)[1, 0]
    assert encode_frame(pd.DataFrame({"x": [1, 2]}), KEY).num_rows == 2
    assert encode_frame(frame(), KEY).num_rows == 0
