"""Comparison levels: hand-made encodings, and end to end through the real encoder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xverify.encoding.schema import BloomField, TokenType
from xverify.errors import ConfigError
from xverify.matching.blocking import CandidatePairs, Encoded, Kernels, TokenStats, candidate_pairs
from xverify.matching.compare import (
    COMPARISONS,
    CompareConfig,
    address_agrees,
    compare_pairs,
    encoded_table,
    vetoed,
)
from xverify.matching.levels import LEVEL_LABELS, MISSING, Comparison

C = Comparison


def _all_pairs(n_sub: int, n_reg: int) -> CandidatePairs:
    s, r = np.meshgrid(np.arange(n_sub), np.arange(n_reg), indexing="ij")
    return CandidatePairs(s.ravel().astype(np.int32), r.ravel().astype(np.int64))


def _levels(sub, reg, **kw) -> np.ndarray:
    pairs = _all_pairs(sub.num_rows, reg.num_rows)
    out = compare_pairs(Encoded.of(sub), Encoded.of(reg), pairs, **kw).levels
    ref = compare_pairs(Encoded.of(sub), Encoded.of(reg), pairs, kernels=Kernels.NUMPY, **kw).levels
    np.testing.assert_array_equal(out, ref)
    return out


def _addr(
    street_zip: list[int],
    unit: list[int],
    number_zip: list[int],
    street_bits: list[int],
    house: list[int] | None = None,
):
    n = len(street_zip)
    street = np.zeros((n, 8), np.uint64)
    for i, b in enumerate(street_bits):
        street[i, 0] = np.uint64(b)
    col = lambda v: np.array(v, np.uint64).reshape(n, 1)  # noqa: E731
    return encoded_table(
        {BloomField.STREET: street, BloomField.PLACE: np.ones((n, 4), np.uint64)},
        {
            TokenType.STREET_ZIP: col(street_zip),
            TokenType.UNIT: col(unit),
            TokenType.STREET_NUMBER_ZIP: col(number_zip),
            TokenType.HOUSE_NUMBER: col(house if house is not None else [7] * n),
        },
    )


def test_address_levels() -> None:
    full = 0xFFFF
    sub = _addr([1], [4], [10], [full])
    reg = _addr(
        [1, 1, 1, 2, 2, 2, 0, 2],
        [4, 0, 5, 0, 0, 0, 0, 0],
        [10, 10, 10, 10, 11, 12, 0, 11],
        [full, full, full, 0xFFFE, 0xFFFE, 0xFF, 0, 0xFFFE],
        [7, 7, 7, 7, 7, 7, 0, 8],
    )
    lev = _levels(sub, reg)[:, C.ADDRESS]
    # full, unit one side, other unit, number+zip & street~, house number & street~ & place~
    # (a ZIP typo and a street typo), differs, missing, street~ at another house number
    assert lev.tolist() == [5, 4, 0, 3, 2, 0, MISSING, 0]
    assert address_agrees(_levels(sub, reg)).tolist() == [1, 1, 0, 1, 1, 0, 0, 0]
    building = _levels(_addr([1], [0], [10], [full]), reg)[:, C.ADDRESS]
    assert building[:3].tolist() == [1, 5, 1]  # only the building of an apartment on file


def _one_pair(levels: dict[C, int]) -> np.ndarray:
    """The levels row of one pair: the given comparisons, every other one missing."""
    row = np.full((1, len(C)), MISSING, np.int8)
    for c, level in levels.items():
        row[0, c] = level
    return row


@pytest.mark.parametrize(
    ("address", "birth_date", "tin", "agrees"),
    [
        (1, MISSING, MISSING, False),  # the building only: a neighbour's namesake?
        (1, 0, MISSING, False),
        (1, 1, MISSING, True),  # ... not with the same birth date
        (1, MISSING, 1, True),
        (0, 1, 1, False),  # another home stays another home
        (2, MISSING, MISSING, True),
    ],
)
def test_building_only_address_agrees_with_a_same_person_identifier(
    address: int, birth_date: int, tin: int, agrees: bool
) -> None:
    levels = _one_pair({C.ADDRESS: address, C.BIRTH_DATE: birth_date, C.TIN: tin})
    assert address_agrees(levels).tolist() == [agrees]


def test_another_apartment_never_agrees_under_a_street_or_zip_typo() -> None:
    full = 0xFFFF
    sub = _addr([1], [4], [10], [full])
    # street token differs (typo): same number+zip / same place, but unit 5 vs 4
    reg = _addr([2, 2, 2], [5, 0, 4], [10, 10, 10], [full, full, full])
    assert _levels(sub, reg)[:, C.ADDRESS].tolist() == [0, 3, 3]


def test_single_token_levels_and_missing_policy() -> None:
    col = lambda v: np.array(v, np.uint64).reshape(-1, 1)  # noqa: E731
    sub = encoded_table({}, {TokenType.SUFFIX: col([1]), TokenType.MIDDLE_INITIAL: col([0])})
    reg = encoded_table(
        {}, {TokenType.SUFFIX: col([1, 2, 0]), TokenType.MIDDLE_INITIAL: col([3] * 3)}
    )
    lev = _levels(sub, reg)
    # JR=JR, JR vs SR, JR asked but none on file (maybe the father): a difference, not missing
    assert lev[:, C.SUFFIX].tolist() == [2, 0, 0]
    assert lev[:, C.MIDDLE].tolist() == [MISSING] * 3
    none_asked = encoded_table({}, {TokenType.SUFFIX: col([0])})
    assert _levels(none_asked, reg)[:, C.SUFFIX].tolist() == [1, 1, MISSING]
    # every comparison is missing when nothing is encoded
    assert np.all(lev[:, [C.GIVEN, C.SURNAME, C.BIRTH_DATE, C.TIN, C.ADDRESS]] == MISSING)


def test_labels_cover_levels() -> None:
    assert [c.comparison for c in COMPARISONS] == list(Comparison)
    assert [c.name for c in COMPARISONS][:2] == ["given", "surname"]
    assert len(LEVEL_LABELS[C.ADDRESS]) == 6 and len(LEVEL_LABELS[C.SURNAME]) == 6
    with pytest.raises(ConfigError):
        CompareConfig(given_lo=0.95, given_hi=0.9)


# ---------------------------------------------------------------------------- end to end
encoder = pytest.importorskip("xverify.encoding.encoder")
keys = pytest.importorskip("xverify.encoding.keys")


def _row(first, last, street, *, middle="", suffix="", unit="", city="AUSTIN", zip5="78701"):
    return dict(
        first_name=first, middle_name=middle, last_name=last, suffix=suffix, street=street,
        unit=unit, city=city, state="TX", zip=zip5,
    )  # fmt: skip


REGISTER = pd.DataFrame(
    [
        _row("William", "Garcia Lopez", "123 Main St", middle="J", suffix="Jr", unit="Apt 4"),
        _row("William", "Garcia Lopez", "123 Main St", middle="J", suffix="Sr", unit="Apt 4"),
        _row("Maria", "de la Cruz", "45 Oak Avenue", city="DALLAS", zip5="75201"),
        _row("Mario", "de la Cruz", "45 Oak Avenue", city="DALLAS", zip5="75201"),  # twin
        _row("Katherine", "Zywicki", "9 Elm Road", zip5="78702"),
        _row("Jose", "Garcia", "700 Pine St", zip5="78703"),
    ]
)
SUBMISSIONS = pd.DataFrame(
    [
        _row("Bill", "Garcia", "123 Main Street", middle="J", suffix="Jr", unit="#4"),
        _row("Maria", "De La Cruz", "45 Oak Ave", city="Dallas", zip5="75201"),
        _row("Katherine", "Zywicky", "9 Elm Rd", zip5="78702"),  # surname typo
        _row("Jose", "Garcia", "12 Other St", zip5="78799"),  # moved
    ]
)


@pytest.fixture(scope="module")
def encoded() -> tuple:
    secret = keys.LinkageSecret(bytes(range(32)))
    return encoder.encode_frame(SUBMISSIONS, secret), encoder.encode_frame(REGISTER, secret)


def test_end_to_end_levels(encoded: tuple) -> None:
    subs, reg = encoded
    stats = TokenStats.from_batches(reg)
    lev = _levels(subs, reg, stats=stats).reshape(len(SUBMISSIONS), len(REGISTER), -1)
    # nickname, dropped second surname, Jr vs Sr, same address with unit spelled differently
    assert lev[0, 0, C.GIVEN] == 3 and lev[0, 0, C.SURNAME] == 4
    assert (lev[0, 0, C.SUFFIX], lev[0, 1, C.SUFFIX], lev[1, 2, C.SUFFIX]) == (2, 0, MISSING)
    assert lev[0, 0, C.ADDRESS] == 5 and lev[0, 0, C.MIDDLE] == 1
    # exact copy vs the twin at the same address
    assert lev[1, 2, C.GIVEN] == 5 and lev[1, 2, C.SURNAME] == 5 and lev[1, 2, C.ADDRESS] >= 4
    assert lev[1, 3, C.GIVEN] < 3 and lev[1, 3, C.ADDRESS] >= 4
    # surname typo: a fuzzy level, not exact and not "else"
    assert lev[2, 4, C.SURNAME] in (1, 2, 3) and lev[2, 4, C.ADDRESS] >= 3
    # a mover agrees on the name but not the address
    assert lev[3, 5, C.GIVEN] == 5 and lev[3, 5, C.SURNAME] == 5 and lev[3, 5, C.ADDRESS] == 0
    # strangers
    assert lev[2, 0, C.GIVEN] == 0 and lev[2, 0, C.SURNAME] == 0


def test_given_levels_tell_nicknames_and_shared_components_apart() -> None:
    """A nickname of the other name is level 3, two nicknames of a third name are not; one
    shared component of compound given names is "some exact" (4), the same set "all exact"."""
    secret = keys.LinkageSecret(bytes(range(32)))
    subs = ("Bill", "William", "Chris", "Jose Luis", "Rosa Maria", "Jose Luis")
    reg = ("William", "Robert", "Tina", "Jose", "Maria Teresa", "Jose Luis")

    def enc(names: tuple[str, ...]):
        rows = [_row(n, "Smith", "1 Main St") for n in names]
        return encoder.encode_frame(pd.DataFrame(rows), secret)

    lev = _levels(enc(subs), enc(reg))
    given = lev[:, C.GIVEN].reshape(len(subs), len(reg)).diagonal()
    assert given[0] == 3  # BILL is a nickname of WILLIAM
    assert given[1] < 3 and given[2] < 3  # WILLIAM ~ BILL ~ ROBERT, CHRIS ~ CHRISTINA ~ TINA
    assert given[3] == 4 and given[4] == 4 and given[5] == 5


def test_end_to_end_blocking_finds_true_pairs(encoded: tuple) -> None:
    subs, reg = encoded
    pairs = candidate_pairs(subs, reg, stats=TokenStats.from_batches(reg))
    got = set(zip(pairs.sub_idx.tolist(), pairs.reg_idx.tolist(), strict=True))
    assert {(0, 0), (0, 1), (1, 2), (1, 3), (2, 4), (3, 5)} <= got


def test_end_to_end_true_pair_outranks(encoded: tuple) -> None:
    from xverify.matching.model import ComparisonParams, MatchModel
    from xverify.matching.score import score_compared

    subs, reg = encoded
    stats = TokenStats.from_batches(reg)
    pairs = _all_pairs(subs.num_rows, reg.num_rows)
    compared = compare_pairs(Encoded.of(subs), Encoded.of(reg), pairs, stats=stats)
    m = {
        C.GIVEN: (0.05, 0.03, 0.07, 0.15, 0.1, 0.6),
        C.SURNAME: (0.02, 0.02, 0.03, 0.08, 0.15, 0.7),
        C.ADDRESS: (0.3, 0.01, 0.02, 0.05, 0.1, 0.52),
    }
    u = {
        C.GIVEN: (0.9, 0.04, 0.03, 0.02, 0.005, 0.005),
        C.SURNAME: (0.9, 0.03, 0.03, 0.02, 0.015, 0.005),
        C.ADDRESS: (0.99, 0.002, 0.002, 0.002, 0.002, 0.002),
    }
    m[C.SUFFIX], u[C.SUFFIX] = (0.01, 0.1, 0.89), (0.05, 0.9, 0.05)
    params = tuple(
        ComparisonParams(c, m.get(c, (0.05, 0.95)), u.get(c, (0.5, 0.5))) for c in Comparison
    )
    model = MatchModel(params=params, prior=1e-4, candidate_prior=0.1)
    w = score_compared(compared, model).weight.reshape(len(SUBMISSIONS), len(REGISTER))
    assert w[0].argmax() == 0 and w[0, 0] > w[0, 1]  # Jr beats Sr
    assert w[1].argmax() == 2 and w[1, 2] > w[1, 3]  # Maria beats her twin Mario
    assert w[2].argmax() == 4
    assert w[3].argmax() == 5


def test_a_request_naming_only_the_building_does_not_confirm_an_apartment() -> None:
    """No unit asked, a unit on file: the same building, not confirmed as the same home."""
    full = 0xFFFF
    sub = _addr([1, 2], [0, 0], [10, 10], [full, full])
    reg = _addr([1], [7], [10], [full])
    lev = _levels(sub, reg)[:, C.ADDRESS]
    assert lev.tolist() == [1, 1]  # exact street line; street typo with the same number + ZIP
    assert not address_agrees(_levels(sub, reg)).any()
    far = _addr([2], [0], [11], [0xFF])  # another building altogether
    assert _levels(far, reg)[:, C.ADDRESS].tolist() == [0]


@pytest.mark.parametrize(
    ("suffix", "birth_date", "tin", "veto"),
    [
        (MISSING, MISSING, MISSING, False),
        (2, 1, 1, False),
        (1, MISSING, MISSING, False),  # only the record has a suffix: requests drop them
        (0, MISSING, MISSING, True),  # JR asked, SR on file
        (MISSING, 0, MISSING, True),  # another birth date: another person, whatever the weight
        (MISSING, MISSING, 0, True),
    ],
)
def test_identifiers_that_name_another_person_veto(
    suffix: int, birth_date: int, tin: int, veto: bool
) -> None:
    levels = _one_pair({C.SUFFIX: suffix, C.BIRTH_DATE: birth_date, C.TIN: tin})
    assert vetoed(levels).tolist() == [veto]
