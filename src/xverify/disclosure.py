"""Identity-only disclosure: the one type that can leave the custodian.

26 U.S.C. 6103(b)(6) defines *taxpayer identity* as name, mailing address and TIN; that is the
whole allow-list, fixed here in code (:class:`IdentityField`). A deployment chooses a subset
(default: name and address); nothing outside the list can be configured, because the response is
built from :class:`Identity`, a frozen record with exactly these fields, into a fixed Arrow schema.
Rows that are not VERIFIED carry nulls in every identity column. The response says VERIFIED,
NOT_VERIFIED or REJECTED (:class:`~xverify.outcomes.Reply`) and, for REJECTED only, the reason code
of the request's own defect; it has no score, candidate count or matching reason, so it is no
oracle for probing who is on file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import ConfigError
from .outcomes import Outcome, Reply
from .requests import ReasonCode


class IdentityField(StrEnum):
    """The allow-list: the only groups of fields that can ever be disclosed."""

    NAME = "name"  # first, middle, last, suffix as on the register
    ADDRESS = (
        "address"  # the mailing address on file for the latest year in the span, and that year
    )
    TIN = "tin"


DEFAULT_FIELDS: frozenset[IdentityField] = frozenset({IdentityField.NAME, IdentityField.ADDRESS})


@dataclass(frozen=True, slots=True)
class Identity:
    """Taxpayer identity of one register person, as disclosed. Nothing else fits in it."""

    first_name: str | None
    middle_name: str | None
    last_name: str | None
    suffix: str | None
    street: str | None
    unit: str | None
    city: str | None
    state: str | None
    zip: str | None
    address_year: int | None
    tin: str | None

    def __repr__(self) -> str:  # identities are PII: never print them by accident
        return "Identity(<redacted>)"


_GROUPS: dict[IdentityField, tuple[str, ...]] = {
    IdentityField.NAME: ("first_name", "middle_name", "last_name", "suffix"),
    IdentityField.ADDRESS: ("street", "unit", "city", "state", "zip", "address_year"),
    IdentityField.TIN: ("tin",),
}
IDENTITY_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Identity))
IDENTITY_SCHEMA = pa.schema(
    [(name, pa.int16() if name == "address_year" else pa.string()) for name in IDENTITY_COLUMNS]
)


@dataclass(frozen=True)
class Identities:
    """Identities of the VERIFIED requests, one row each in request order, as columns.

    The table holds exactly the :class:`Identity` fields (:data:`IDENTITY_SCHEMA`): the
    constructors pick those columns by name, so nothing else can ride along.
    """

    table: pa.Table = field(repr=False)

    def __post_init__(self) -> None:
        if self.table.schema != IDENTITY_SCHEMA:
            raise ConfigError("identities must have exactly the identity columns")

    @classmethod
    def of(cls, records: Sequence[Identity]) -> Identities:
        """From :class:`Identity` records."""
        columns = {name: [getattr(r, name) for r in records] for name in IDENTITY_COLUMNS}
        return cls(pa.Table.from_pydict(columns, schema=IDENTITY_SCHEMA))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Identities:
        """From a data frame holding (at least) the identity columns; other columns are left out."""
        return cls(
            pa.Table.from_pandas(
                frame[list(IDENTITY_COLUMNS)], schema=IDENTITY_SCHEMA, preserve_index=False
            )
        )

    def __len__(self) -> int:
        return self.table.num_rows

    def __repr__(self) -> str:  # identities are PII: never print them by accident
        return f"Identities(rows={len(self)}, <redacted>)"


def parse_fields(names: Iterable[str]) -> frozenset[IdentityField]:
    """Turn configured field names into the allow-list enum; anything else is an error."""
    out = set()
    for name in names:
        try:
            out.add(IdentityField(str(name).strip().lower()))
        except ValueError:
            allowed = ", ".join(f.value for f in IdentityField)
            raise ConfigError(
                f"field {name!r} cannot be disclosed; the allow-list is: {allowed}"
            ) from None
    if not out:
        raise ConfigError("at least one identity field must be disclosed")
    return frozenset(out)


def response_schema(disclosed: frozenset[IdentityField]) -> pa.Schema:
    """The response columns for a deployment's chosen fields, in a fixed order."""
    cols = [
        pa.field("request_id", pa.string(), nullable=False),
        pa.field("outcome", pa.string()),
        pa.field("rejection_reason", pa.string()),
    ]
    for group in IdentityField:
        if group in disclosed:
            for name in _GROUPS[group]:
                typ = pa.int16() if name == "address_year" else pa.string()
                cols.append(pa.field(name, typ))
    return pa.schema(cols)


@dataclass(frozen=True)
class Response:
    """What goes back to the requester: one row per request, identity for VERIFIED only."""

    table: pa.Table

    @classmethod
    def build(
        cls,
        request_ids: Sequence[str],
        outcomes: Sequence[Outcome | str],
        identities: Identities | Sequence[Identity],
        disclosed: frozenset[IdentityField] = DEFAULT_FIELDS,
        *,
        rejection_reasons: Sequence[str] | None = None,
    ) -> Response:
        """Assemble the response from the custodian's outcomes and one identity per VERIFIED
        request (in request order); every other row gets nulls. Outcomes are reduced to their
        :class:`Reply`; ``rejection_reasons`` (a :class:`ReasonCode` per REJECTED row, anything
        for the others) are kept for REJECTED rows only. A count that does not match is an
        error."""
        n = len(request_ids)
        if len(outcomes) != n:
            raise ValueError("request_ids and outcomes must have equal length")
        if not isinstance(identities, Identities):
            identities = Identities.of(identities)
        outcome = np.asarray([str(o) for o in outcomes], dtype=object)
        reply = np.empty(n, dtype=object)
        for value in pd.unique(outcome):
            reply[outcome == value] = Outcome(value).reply.value  # unknown outcome: an error
        verified = reply == Reply.VERIFIED.value
        rejected = reply == Reply.REJECTED.value
        if int(verified.sum()) != len(identities):
            raise ValueError("identity must be given for VERIFIED requests and only for them")
        reason = np.full(n, None, dtype=object)
        if rejected.any():
            if rejection_reasons is None or len(rejection_reasons) != n:
                raise ValueError("every REJECTED request needs its rejection reason")
            given = np.asarray(rejection_reasons, dtype=object)[rejected]
            reason[rejected] = [ReasonCode(r).value for r in given]  # a request defect only
        position = np.cumsum(verified) - 1
        take = pa.array(position, pa.int64(), mask=~verified)  # null: no identity
        schema = response_schema(disclosed)
        columns = [
            pa.array(request_ids, pa.string()),
            pa.array(reply, pa.string()),
            pa.array(reason, pa.string()),
        ]
        columns += [identities.table.column(name).take(take) for name in schema.names[3:]]
        return cls(pa.Table.from_arrays(columns, schema=schema))

    def __repr__(self) -> str:
        return f"Response(rows={self.table.num_rows}, columns={self.table.column_names})"

    def to_pandas(self) -> pd.DataFrame:
        """The response as a data frame; ``address_year`` stays an integer (nullable)."""
        frame = self.table.to_pandas()
        if "address_year" in frame:
            frame["address_year"] = frame["address_year"].astype("Int16")
        return frame

    def write_csv(self, path: Path | str) -> None:
        """The response as CSV: empty cells for nulls, years as integers."""
        self.to_pandas().to_csv(path, index=False)

    def fields_disclosed(self) -> list[str]:
        """Names of the identity columns this response carries (for the audit log)."""
        return self.table.column_names[3:]
