"""The response can carry allow-listed identity fields for VERIFIED requests, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from xverify.disclosure import (
    IDENTITY_COLUMNS,
    IDENTITY_SCHEMA,
    Identities,
    Identity,
    IdentityField,
    Response,
    parse_fields,
    response_schema,
)
from xverify.errors import ConfigError
from xverify.outcomes import Outcome

ALICE = Identity(
    "ALICE",
    None,
    "SMITH",
    None,
    "1 MAIN ST",
    None,
    "SPRINGFIELD",
    "IL",
    "62701",
    2023,
    "000-12-3456",
)


def test_identity_has_exactly_the_allow_listed_fields() -> None:
    assert set(IDENTITY_COLUMNS) == {
        "first_name", "middle_name", "last_name", "suffix",
        "street", "unit", "city", "state", "zip", "address_year", "tin",
    }  # fmt: skip
    with pytest.raises(TypeError):
        Identity(*([None] * 11), birth_date="1990-01-01")  # type: ignore[call-arg]
    with pytest.raises((AttributeError, TypeError)):  # frozen and slotted
        ALICE.agi = 1  # type: ignore[attr-defined]


def test_repr_never_shows_pii() -> None:
    assert "ALICE" not in repr(ALICE) and "000-12" not in repr(ALICE)


@pytest.mark.parametrize(
    "name", ["birth_date", "agi", "wages", "bank_account", "filing_status", ""]
)
def test_only_allow_listed_fields_can_be_configured(name: str) -> None:
    with pytest.raises(ConfigError):
        parse_fields([name])


def test_default_response_has_name_and_address_but_no_tin() -> None:
    r = Response.build(["a", "b", "c"], [Outcome.NO_MATCH, Outcome.VERIFIED, "AMBIGUOUS"], [ALICE])
    assert "tin" not in r.table.column_names
    rows = r.table.to_pylist()
    assert [row["outcome"] for row in rows] == ["NOT_VERIFIED", "VERIFIED", "NOT_VERIFIED"]
    assert rows[1]["last_name"] == "SMITH" and rows[1]["address_year"] == 2023
    for row in (rows[0], rows[2]):
        assert all(v is None for k, v in row.items() if k not in ("request_id", "outcome"))


@pytest.mark.parametrize("outcome", [Outcome.NO_MATCH, Outcome.NAME_ONLY, Outcome.AMBIGUOUS])
def test_unverified_outcomes_are_indistinguishable_in_the_response(outcome: Outcome) -> None:
    """Whether anyone of that name is on file never reaches the requester."""
    reasons = ["", "GIVEN_NAME_DISAGREES", "NO_STATUTE"]
    got = Response.build(["a", "b", "c"], [outcome, Outcome.VERIFIED, Outcome.REJECTED], [ALICE],
                         rejection_reasons=reasons)  # fmt: skip
    want = Response.build(["a", "b", "c"], ["NO_MATCH", "VERIFIED", "REJECTED"], [ALICE],
                          rejection_reasons=["", "", "NO_STATUTE"])  # fmt: skip
    assert got.table.equals(want.table)
    assert got.table.column("rejection_reason").to_pylist() == [None, None, "NO_STATUTE"]


def test_a_rejected_request_needs_a_request_reason_code() -> None:
    with pytest.raises(ValueError):
        Response.build(["a"], [Outcome.REJECTED], [])
    with pytest.raises(ValueError):  # a matching reason is not a request defect
        Response.build(["a"], [Outcome.REJECTED], [], rejection_reasons=["BELOW_THRESHOLD"])


def test_csv_years_are_integers(tmp_path: Path) -> None:
    r = Response.build(["a", "b"], [Outcome.VERIFIED, Outcome.NO_MATCH], [ALICE])
    r.write_csv(tmp_path / "r.csv")
    assert tmp_path.joinpath("r.csv").read_text().splitlines()[1].endswith(",2023")


def test_tin_only_when_configured() -> None:
    fields = parse_fields(["name", "tin"])
    r = Response.build(["a"], [Outcome.VERIFIED], [ALICE], fields)
    assert r.table.column("tin").to_pylist() == ["000-12-3456"]
    assert "street" not in r.table.column_names


@pytest.mark.parametrize("outcome", [o for o in Outcome if o is not Outcome.VERIFIED])
def test_identity_for_a_non_verified_request_is_refused(outcome: Outcome) -> None:
    with pytest.raises(ValueError):
        Response.build(["a"], [outcome], [ALICE])


def test_verified_without_identity_is_refused() -> None:
    with pytest.raises(ValueError):
        Response.build(["a"], [Outcome.VERIFIED], [])


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError):
        Response.build(["a"], ["PROBABLY"], [])


def test_identities_keep_only_the_identity_columns() -> None:
    frame = pd.DataFrame([{**{c: getattr(ALICE, c) for c in IDENTITY_COLUMNS}, "agi": 123456}])
    ids = Identities.from_frame(frame)
    assert ids.table.schema == IDENTITY_SCHEMA and len(ids) == 1
    assert "agi" not in ids.table.column_names
    assert "SMITH" not in repr(ids) and "000-12" not in repr(ids)
    assert Identities.of([ALICE]).table.equals(ids.table)
    extra = ids.table.append_column("agi", pa.array([1]))
    with pytest.raises(ConfigError):
        Identities(extra)


def test_response_has_no_score_or_candidate_columns() -> None:
    schema = response_schema(frozenset(IdentityField))
    assert not {"probability", "score", "n_candidates", "reason", "match_weight"} & set(
        schema.names
    )
    assert schema.names[:3] == ["request_id", "outcome", "rejection_reason"]
