"""Submissions: reading, the legal-requirement checks of 26 U.S.C. 6103(i)(2)(B), and encoding.

A request must carry (i) the person's name **and address**, (ii) the tax period(s), (iii) the
statutory authority and (iv) the specific reason the information is relevant. Every request
gets exactly one status: ``ACCEPTED``, or ``REJECTED`` with a :class:`ReasonCode`. Rejected rows
stay in the output (so the response can account for every request) with all-zero encodings:
their identity fields are never hashed.

File problems (unreadable, malformed CSV, missing/unknown columns, wrong types, bad UTF-8, NUL
bytes, absurdly long fields, empty file) raise :class:`~xverify.errors.InputError` naming file,
row and column, never the value. Row problems become REJECTED rows.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from . import __version__
from . import normalize as nz
from ._io import atomic_path, check_writable
from .encoding.encoder import ENCODER_REVISION, IDENTITY_COLUMNS, encode_frame, read_encoded
from .encoding.keys import LinkageSecret
from .encoding.schema import (
    META_FINGERPRINT,
    META_KIND,
    META_REVISION,
    META_SCHEMA,
    META_VERSION,
    EncodingSchema,
)
from .errors import ConfigError, InputError
from .formats import OPTIONAL_SUBMISSION_COLUMNS, SUBMISSION_COLUMNS

__all__ = [
    "DEFAULT_PLACEHOLDERS",
    "DEFAULT_STATUTES",
    "MAX_FIELD_CHARS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ReasonCode",
    "RequestPolicy",
    "Status",
    "Validation",
    "canonical_statute",
    "encode_requests",
    "encode_submissions_file",
    "file_metadata",
    "read_encoded",
    "read_submissions",
    "validate_requests",
]

OPTIONAL_COLUMNS = OPTIONAL_SUBMISSION_COLUMNS
REQUIRED_COLUMNS = tuple(c for c in SUBMISSION_COLUMNS if c not in OPTIONAL_COLUMNS)
MAX_FIELD_CHARS = 1000


class Status(StrEnum):
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class ReasonCode(StrEnum):
    """Why a request was rejected; :attr:`message` names the field, never the value."""

    NO_REQUEST_ID = "NO_REQUEST_ID"
    DUPLICATE_ID = "DUPLICATE_ID"
    NO_NAME = "NO_NAME"
    NO_ADDRESS = "NO_ADDRESS"
    ADDRESS_PLACEHOLDER = "ADDRESS_PLACEHOLDER"
    ZIP_ONLY = "ZIP_ONLY"
    NO_STREET = "NO_STREET"
    NO_PERIOD = "NO_PERIOD"
    BAD_PERIOD = "BAD_PERIOD"
    PERIOD_INVERTED = "PERIOD_INVERTED"
    PERIOD_OUT_OF_RANGE = "PERIOD_OUT_OF_RANGE"
    NO_STATUTE = "NO_STATUTE"
    STATUTE_NOT_ALLOWED = "STATUTE_NOT_ALLOWED"
    NO_REASON = "NO_REASON"
    REASON_TOO_SHORT = "REASON_TOO_SHORT"

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    ReasonCode.NO_REQUEST_ID: "request_id is empty",
    ReasonCode.DUPLICATE_ID: "request_id is used by more than one request",
    ReasonCode.NO_NAME: "first_name or last_name is empty (a request needs the person's name)",
    ReasonCode.NO_ADDRESS: "street, unit, city, state and zip are all empty",
    ReasonCode.ADDRESS_PLACEHOLDER: "street or city holds a placeholder, not an address",
    ReasonCode.ZIP_ONLY: "zip without a street line: a zip code is not an address",
    ReasonCode.NO_STREET: "street holds no street (only a number, a unit, or nothing)",
    ReasonCode.NO_PERIOD: "tax_period_start or tax_period_end is empty",
    ReasonCode.BAD_PERIOD: "tax_period_start or tax_period_end is not a tax year",
    ReasonCode.PERIOD_INVERTED: "tax_period_start is after tax_period_end",
    ReasonCode.PERIOD_OUT_OF_RANGE: "the tax period lies outside the register's tax years",
    ReasonCode.NO_STATUTE: "statute is empty",
    ReasonCode.STATUTE_NOT_ALLOWED: "statute is not on the allowed list",
    ReasonCode.NO_REASON: "reason is empty",
    ReasonCode.REASON_TOO_SHORT: "reason is shorter than the policy minimum",
}
#: checks in order: a row gets the first code that applies
_ORDER = tuple(ReasonCode)

DEFAULT_STATUTES = frozenset({"8 U.S.C. 1253(a)(1)", "18 U.S.C. 1546"})
DEFAULT_PLACEHOLDERS = frozenset(
    {"FAILED TO PROVIDE", "UNKNOWN", "UNKNOWN ADDRESS", "ADDRESS UNKNOWN", "UNK", "NONE", "N/A",
     "NA", "HOMELESS", "NOT PROVIDED", "NOT AVAILABLE", "NOT GIVEN", "REFUSED", "DECLINED",
     "NO ADDRESS", "NO FIXED ADDRESS", "TBD", "XXX", "NULL", "NIL", "SAME", "TRANSIENT"}
)  # fmt: skip


def canonical_statute(text: Any) -> str:
    """Spacing, case, punctuation and "§"/"SEC." insensitive form of a statute citation."""
    s = nz.as_text(text).upper().replace("§", " ")
    s = re.sub(r"\bSECTIONS?\b|\bSECS?\b\.?", " ", s)
    return re.sub(r"[^A-Z0-9]", "", s)


@dataclass(frozen=True)
class RequestPolicy:
    """What a request must satisfy. Defaults:

    * ``allowed_statutes`` — "8 U.S.C. 1253(a)(1)", "18 U.S.C. 1546"; matched ignoring spacing,
      case, punctuation and "§".
    * ``min_reason_chars`` — 40: a reason must say *why* (not "investigation", "N/A").
    * ``first_tax_year`` / ``last_tax_year`` — the register's tax years, when known: a period with
      no year inside them is PERIOD_OUT_OF_RANGE. ``None`` = not checked.
    * ``min_year`` / ``max_year`` — 1900 / 2100: a period outside is BAD_PERIOD (not a tax year).
    * ``placeholders`` — street/city values that are not an address (compared after folding;
      any digits in the value are ignored, so "FAILED TO PROVIDE 90210" is still one).
    """

    allowed_statutes: frozenset[str] = DEFAULT_STATUTES
    min_reason_chars: int = 40
    first_tax_year: int | None = None
    last_tax_year: int | None = None
    min_year: int = 1900
    max_year: int = 2100
    placeholders: frozenset[str] = DEFAULT_PLACEHOLDERS

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed_statutes", frozenset(self.allowed_statutes))
        object.__setattr__(self, "placeholders", frozenset(self.placeholders))
        if self.min_reason_chars < 1:
            raise ConfigError("min_reason_chars must be at least 1")
        first, last = self.first_tax_year, self.last_tax_year
        if first is not None and last is not None and first > last:
            raise ConfigError("first_tax_year is after last_tax_year")
        if self.min_year > self.max_year:
            raise ConfigError("min_year is after max_year")

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "policy") -> RequestPolicy:
        """Build from a JSON object, checking every value's type; errors name the key only."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: a policy is a JSON object")
        known = {f.name: f for f in fields(cls)}
        if set(data) - set(known):
            raise ConfigError(f"{source}: unknown policy key; the keys are {sorted(known)}")
        for key, value in data.items():
            if key in ("allowed_statutes", "placeholders"):
                ok = isinstance(value, list | tuple | set | frozenset) and all(
                    isinstance(v, str) for v in value
                )
                expected = "a list of strings"
            else:
                optional = key in ("first_tax_year", "last_tax_year")
                ok = (value is None and optional) or (
                    isinstance(value, int) and not isinstance(value, bool)
                )
                expected = "an integer" + (" or null" if optional else "")
            if not ok:
                raise ConfigError(f"{source}: {key} must be {expected}")
        try:
            return cls(**data)
        except (TypeError, ValueError):
            raise ConfigError(f"{source}: a policy value has the wrong type") from None

    @classmethod
    def from_json(cls, path: str | Path) -> RequestPolicy:
        p = Path(path)
        try:
            data = json.loads(p.read_text("utf-8"))
        except (OSError, ValueError, RecursionError):
            raise ConfigError(f"{p}: not a readable JSON policy") from None
        return cls.from_dict(data, source=str(p))

    def to_json(self) -> str:
        d = asdict(self)
        d["allowed_statutes"] = sorted(self.allowed_statutes)
        d["placeholders"] = sorted(self.placeholders)
        return json.dumps(d, sort_keys=True)

    @property
    def statute_keys(self) -> frozenset[str]:
        return frozenset(canonical_statute(s) for s in self.allowed_statutes)

    @property
    def placeholder_keys(self) -> frozenset[str]:
        return frozenset(nz.fold(p) for p in self.placeholders)


# -- reading ---------------------------------------------------------------------------------

_TEXT_COLUMNS = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS) - {
    "tax_period_start",
    "tax_period_end",
}


def read_submissions(source: str | Path | pd.DataFrame | pa.Table) -> pa.Table:
    """Read submissions — a CSV (UTF-8, header) or Parquet file, a pandas DataFrame or an Arrow
    table — checking the file contract.

    Every column comes back as a string column (CSV) or its Parquet type if acceptable. Raises
    :class:`InputError` naming file, row (1 = first data row) and column, never a value.
    """
    if isinstance(source, pd.DataFrame | pa.Table):
        label = f"submissions {type(source).__name__}"
        try:
            table = (
                pa.Table.from_pandas(source, preserve_index=False)
                if isinstance(source, pd.DataFrame)
                else source
            )
        except (pa.ArrowException, ValueError, TypeError):
            raise InputError.at("columns Arrow cannot represent", file=label) from None
        table = _conform(table, label)
        _check_table(table, label)
        return table
    if not isinstance(source, str | Path):
        raise InputError(
            "read_submissions: source must be a file path, a pandas DataFrame or an Arrow table"
        )
    p = Path(source)
    if not p.is_file():
        raise InputError.at("no such file", file=str(p))
    table = _read_parquet(p) if p.suffix.lower() in (".parquet", ".pq") else _read_csv(p)
    _check_table(table, str(p))
    return table


def _read_parquet(p: Path) -> pa.Table:
    try:
        table = pq.read_table(p)
        table.column_names  # noqa: B018 -- a damaged name fails here (UnicodeDecodeError)
    except (pa.ArrowException, OSError, ValueError):
        raise InputError.at("not a readable Parquet file", file=str(p)) from None
    return _conform(table, str(p))


def _conform(table: pa.Table, p: str) -> pa.Table:
    """Check a typed table's columns (file or in-memory ``p``) against the submissions contract
    and cast them to text."""
    if table.num_rows == 0:
        raise InputError.at("file has no rows", file=str(p))
    _check_columns(table.column_names, str(p))
    cols = {}
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        if pa.types.is_dictionary(col.type):  # pandas categoricals
            col = col.dictionary_decode()
        t = col.type
        # pandas 3 writes text as large_string; other writers string_view
        text = pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
        if name in ("tax_period_start", "tax_period_end"):
            # floats: what pandas makes of an integer column with a gap (2022.0); a fraction
            # becomes BAD_PERIOD
            if not (text or pa.types.is_integer(t) or pa.types.is_floating(t)
                    or pa.types.is_null(t)):  # fmt: skip
                raise InputError.at("wrong type (expected a tax year)", file=str(p), column=name)
            col = pc.cast(col, pa.string())
        elif name == "birth_date" and (pa.types.is_date(t) or pa.types.is_timestamp(t)):
            col = pc.strftime(col, format="%Y-%m-%d")
        elif (name in ("zip", "tin") and pa.types.is_integer(t)) or text or pa.types.is_null(t):
            col = pc.cast(col, pa.string())
        else:
            raise InputError.at("wrong type (expected text)", file=str(p), column=name)
        cols[name] = col
    table = pa.table(cols)
    for name in table.column_names:
        col = table.column(name)
        if col.null_count:
            table = table.set_column(table.column_names.index(name), name, pc.fill_null(col, ""))
    return table


def _locate(data: bytes, offset: int, header: list[str]) -> tuple[int, str | int | None]:
    """Data row (1-based) and, roughly, the column of a byte offset in a CSV file: its name
    when that is a submissions column, else its 1-based position (see :func:`_label`)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    row = data.count(b"\n", 0, line_start)  # header is line 0
    col, quoted = 0, False
    for ch in data[line_start:offset]:
        if ch == 0x22:  # '"'
            quoted = not quoted
        elif ch == 0x2C and not quoted:  # ','
            col += 1
    return row, _label(header[col], col) if 0 <= col < len(header) else None


def _invalid_utf8_offset(data: bytes, chunk: int = 1 << 24) -> int | None:
    """Offset of the first byte that is not valid UTF-8, or None; decodes chunk by chunk so a
    large file is never held twice."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), chunk):
        held = len(decoder.getstate()[0])  # bytes of a character split by the previous chunk
        try:
            decoder.decode(data[start : start + chunk], final=start + chunk >= len(data))
        except UnicodeDecodeError as exc:
            return max(0, start - held + exc.start)
    return None


def _read_csv(p: Path) -> pa.Table:
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError.at(f"cannot read ({exc.strerror})", file=str(p)) from None
    if not data or data.isspace():
        raise InputError.at("file is empty", file=str(p))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    eol = data.find(b"\n")
    first_line = data[: eol if eol >= 0 else len(data)]
    header = [h.strip().strip('"') for h in first_line.decode("utf-8", "replace").split(",")]
    nul = data.find(b"\x00")
    if nul >= 0:
        row, col = _locate(data, nul, header)
        raise InputError.at("NUL byte in the file", file=str(p), row=row or None, column=col)
    bad_utf8 = _invalid_utf8_offset(data)
    if bad_utf8 is not None:  # checked first: pyarrow would hand a bad row to on_invalid undecoded
        row, col = _locate(data, bad_utf8, header)
        raise InputError.at("not valid UTF-8", file=str(p), row=row or None, column=col)
    bad_rows: list[int] = []

    def on_invalid(row: Any) -> str:
        if row.number is not None:
            bad_rows.append(int(row.number) - 1)
        else:  # locate the row ourselves; its text never leaves this function
            at = data.find(row.text.encode("utf-8", "replace")) if row.text else -1
            bad_rows.append(data.count(b"\n", 0, at) if at >= 0 else -1)
        return "skip"

    types = {c: pa.string() for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
    except pa.ArrowException:
        # pyarrow's message may quote the offending row: never pass it on
        raise InputError.at("malformed CSV", file=str(p)) from None
    if bad_rows:
        raise InputError.at(
            "wrong number of fields (malformed CSV)",
            file=str(p),
            row=bad_rows[0] if bad_rows[0] > 0 else None,
        )
    if table.num_rows == 0:
        raise InputError.at("file has a header but no rows", file=str(p))
    _check_columns(table.column_names, str(p))
    for name in table.column_names:
        if not pa.types.is_string(table.column(name).type):
            table = table.set_column(
                table.column_names.index(name), name, pc.cast(table.column(name), pa.string())
            )
    return table


_KNOWN_COLUMNS = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)


def _label(name: str, index: int) -> str | int:
    """How an error may name a column: a submissions column by name, any other by its 1-based
    position, since its "name" may be a value (the first row of a file without a header)."""
    return name if name in _KNOWN_COLUMNS else index + 1


def _check_columns(names: list[str], file: str) -> None:
    if not _KNOWN_COLUMNS & set(names):
        raise InputError.at(
            "no submissions column name among the columns (a CSV file's first line must be "
            "a header)",
            file=file,
        )
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise InputError.at("column appears more than once", file=file, column=_label(name, i))
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise InputError.at("required column is missing", file=file, column=missing[0])
    for i, name in enumerate(names):
        if name not in _KNOWN_COLUMNS:
            raise InputError.at("unknown column", file=file, column=_label(name, i))


def _check_table(table: pa.Table, file: str) -> None:
    for name in table.column_names:
        lengths = pc.utf8_length(table.column(name))
        too_long = pc.greater(lengths, MAX_FIELD_CHARS)
        if pc.any(too_long).as_py():
            row = int(pc.index(too_long, True).as_py()) + 1
            raise InputError.at(
                f"field longer than {MAX_FIELD_CHARS} characters", file=file, row=row, column=name
            )


# -- validation ------------------------------------------------------------------------------


def _per_distinct(
    col: pa.ChunkedArray | pa.Array, fn: Callable[[Any], Any], dtype: Any
) -> np.ndarray:
    """``fn`` applied once per distinct value, broadcast to rows."""
    enc = col.dictionary_encode()
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    values = [fn(v) for v in enc.dictionary.to_pylist()]
    return np.asarray([*values, fn(None)], dtype=dtype)[codes]


_ZIP_LIKE = r"(^|[^0-9])[0-9]{5}([- ]?[0-9]{4})?([^0-9]|$)"


def _text(table: pa.Table, name: str) -> pa.ChunkedArray:
    if name in table.column_names:
        return table.column(name)
    return pa.chunked_array([pa.array([""] * table.num_rows, pa.string())])


def _blank(table: pa.Table, name: str) -> np.ndarray:
    """Rows whose field folds to nothing (ASCII rows in Arrow kernels, others per value)."""
    col = _text(table, name).combine_chunks()
    covered = pc.fill_null(pc.string_is_ascii(col), True).to_numpy(zero_copy_only=False)
    # on ASCII, fold() keeps exactly the letters and digits
    has_alnum = pc.fill_null(pc.match_substring_regex(col, "[A-Za-z0-9]"), False)
    blank = ~has_alnum.to_numpy(zero_copy_only=False)
    rest = ~covered
    if rest.any():
        others = _per_distinct(pc.filter(col, pa.array(rest)), lambda v: not nz.fold(v), bool)
        blank[rest] = others
    return blank


def _year(value: Any) -> int:
    """A tax year as an int; -1 when empty, -2 when not a number."""
    s = nz.as_text(value).strip()
    if not s:
        return -1
    if s.endswith(".0"):
        s = s[:-2]
    return int(s) if s.isascii() and s.isdigit() and len(s) <= 6 else -2


@dataclass(frozen=True, repr=False)
class Validation:
    """Per-row outcome of the checks (arrays aligned with the input rows)."""

    code: np.ndarray  # int8: 0 accepted, else 1 + index of the ReasonCode in _ORDER
    zip_like: np.ndarray  # bool
    period_start: np.ndarray  # int, -1 missing / -2 not a number
    period_end: np.ndarray
    streets: nz.StreetColumn  # parsed street column, reused by the encoder

    def __repr__(self) -> str:
        return f"Validation({len(self.code)} rows, {int(self.accepted.sum())} accepted)"

    @property
    def accepted(self) -> np.ndarray:
        return self.code == 0

    @property
    def reason(self) -> np.ndarray:
        """Reason code per row ('' when accepted), as strings."""
        return _REASON_NAMES[self.code]

    def reason_array(self) -> pa.Array:
        return pc.take(pa.array(_REASON_NAMES.tolist(), pa.string()), pa.array(self.code))

    def counts(self) -> dict[str, int]:
        n = np.bincount(self.code, minlength=len(_REASON_NAMES))
        return {str(_REASON_NAMES[i]): int(k) for i, k in enumerate(n) if i and k}


_REASON_NAMES = np.asarray(["", *(c.value for c in _ORDER)])


def validate_requests(table: pa.Table, policy: RequestPolicy | None = None) -> Validation:
    """Run every check on every row; each row gets the first failing :class:`ReasonCode`."""
    policy = policy or RequestPolicy()
    n = table.num_rows
    fail: dict[ReasonCode, np.ndarray] = {}

    ids = _text(table, "request_id")
    fail[ReasonCode.NO_REQUEST_ID] = _blank(table, "request_id")
    stripped = pc.utf8_trim_whitespace(ids)
    counts = stripped.value_counts()
    dup_values = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    fail[ReasonCode.DUPLICATE_ID] = (
        pc.is_in(stripped, value_set=dup_values).to_numpy(zero_copy_only=False)
        & ~fail[ReasonCode.NO_REQUEST_ID]
    )

    # a name has components exactly when it folds to something (see normalize.given_components)
    fail[ReasonCode.NO_NAME] = _blank(table, "first_name") | _blank(table, "last_name")

    placeholders = policy.placeholder_keys
    placeholder_words = frozenset(w for p in placeholders for w in p.split())

    def is_placeholder(v: Any) -> bool:
        raw = nz.as_text(v).strip()
        folded = nz.fold(raw)
        if raw and not folded:  # "???", "--"
            return True
        split = [w for w in folded.split() if not w.isdigit()]
        if not all(w in placeholder_words or set(w) == {"X"} for w in split):
            return False
        words = " ".join(split)
        return bool(words) and (words in placeholders or set(words) <= {"X", " "})

    def street_kind(v: Any) -> int:
        """0 ok, 1 blank, 2 placeholder, 4 no street (for a whole street line)."""
        if not nz.fold(v):
            return 2 if nz.as_text(v).strip() else 1
        if is_placeholder(v):
            return 2
        return 0 if nz.normalize_street(v).has_street else 4

    def rest_kind(rest: str, parts: nz.StreetParts) -> int:
        """The same for a street line's part after its house number."""
        if parts.has_street and any(
            w.isalpha() and w not in placeholder_words and set(w) != {"X"} for w in rest.split()
        ):
            return 0  # a real street word: cannot be a placeholder
        if not nz.fold(rest):
            return 4
        if is_placeholder(rest):
            return 2
        return 0 if parts.has_street else 4

    streets = nz.street_column(_text(table, "street"))
    kinds = np.asarray(
        [
            rest_kind(k, e) if fast else street_kind(k)
            for k, e, fast in zip(streets.keys, streets.entries, streets.from_rest, strict=True)
        ],
        dtype=np.int8,
    )
    street = kinds[streets.codes]
    zip_shaped = pc.match_substring_regex(
        _text(table, "street"), r"^\s*[0-9]{5}([- ]?[0-9]{4})?\s*$"
    )
    street = np.where(zip_shaped.to_numpy(zero_copy_only=False), 3, street)
    city_placeholder = _per_distinct(_text(table, "city"), is_placeholder, bool)
    zip_present = ~_blank(table, "zip")
    others_blank = _blank(table, "unit") & _blank(table, "city") & _blank(table, "state")
    fail[ReasonCode.NO_ADDRESS] = (street == 1) & others_blank & ~zip_present
    fail[ReasonCode.ADDRESS_PLACEHOLDER] = (street == 2) | ((street == 1) & city_placeholder)
    fail[ReasonCode.ZIP_ONLY] = (street == 3) | ((street == 1) & zip_present)
    fail[ReasonCode.NO_STREET] = (street == 1) | (street == 4)

    start = _per_distinct(_text(table, "tax_period_start"), _year, np.int64)
    end = _per_distinct(_text(table, "tax_period_end"), _year, np.int64)
    fail[ReasonCode.NO_PERIOD] = (start == -1) | (end == -1)
    in_years = lambda y: (y >= policy.min_year) & (y <= policy.max_year)  # noqa: E731
    fail[ReasonCode.BAD_PERIOD] = ~in_years(start) | ~in_years(end)
    fail[ReasonCode.PERIOD_INVERTED] = start > end
    out = np.zeros(n, dtype=bool)
    if policy.first_tax_year is not None:
        out |= end < policy.first_tax_year
    if policy.last_tax_year is not None:
        out |= start > policy.last_tax_year
    fail[ReasonCode.PERIOD_OUT_OF_RANGE] = out

    allowed = policy.statute_keys
    statute = _per_distinct(
        _text(table, "statute"),
        lambda v: 1 if not nz.fold(v) else (0 if canonical_statute(v) in allowed else 2),
        np.int8,
    )
    fail[ReasonCode.NO_STATUTE] = statute == 1
    fail[ReasonCode.STATUTE_NOT_ALLOWED] = statute == 2

    reason_col = _text(table, "reason")
    reason_len = pc.utf8_length(pc.utf8_trim_whitespace(reason_col)).to_numpy(zero_copy_only=False)
    fail[ReasonCode.NO_REASON] = _blank(table, "reason")
    fail[ReasonCode.REASON_TOO_SHORT] = reason_len < policy.min_reason_chars

    code = np.zeros(n, dtype=np.int8)
    for i in reversed(range(len(_ORDER))):
        code[fail[_ORDER[i]]] = i + 1

    zip_like = np.zeros(n, dtype=bool)
    for name in ("zip", "street", "unit", "city", "state"):  # each only on rows not yet found
        todo = np.flatnonzero(~zip_like)
        if not todo.size:
            break
        col = _text(table, name).take(pa.array(todo))
        hit = pc.fill_null(pc.match_substring_regex(col, _ZIP_LIKE), False)
        zip_like[todo] = hit.to_numpy(zero_copy_only=False)
    return Validation(code, zip_like, start, end, streets)


# -- encoding --------------------------------------------------------------------------------


def _null_out(col: pa.ChunkedArray, keep: pa.BooleanArray) -> pa.Array:
    """``col`` with rows not in ``keep`` null: a new validity bitmap over the same buffers, so
    encoding never reads those values (Arrow kernels skip nulls)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    valid = pc.and_(arr.is_valid(), keep)
    if arr.offset or valid.offset or valid.null_count:
        return pc.if_else(keep, arr, pa.scalar(None, arr.type))
    return pa.Array.from_buffers(arr.type, len(arr), [valid.buffers()[1], *arr.buffers()[1:]])


def _years_array(years: np.ndarray, keep: np.ndarray) -> pa.Array:
    ok = keep & (years >= -(2**15)) & (years < 2**15) & (years >= 0)
    return pa.array(np.where(ok, years, 0).astype(np.int16), mask=~ok, type=pa.int16())


def encode_requests(
    table: pa.Table | pd.DataFrame,
    secret: LinkageSecret,
    schema: EncodingSchema | None = None,
    policy: RequestPolicy | None = None,
    *,
    encode_rejected: bool = False,
) -> tuple[pa.Table, Validation]:
    """Validate and encode submissions (a table or a pandas DataFrame); returns the encoded
    table (docs/formats.md, with the file's metadata) and the checks.

    Rejected rows keep their request metadata and get all-zero encodings (every field marked
    missing): their identity fields reach the encoder as nulls, so they are never hashed.
    ``encode_rejected`` encodes them too (their status still says REJECTED): only for an
    auditor's replay of procedures that never validated, on synthetic data.
    """
    schema = schema or EncodingSchema()
    if not isinstance(table, pa.Table):  # a DataFrame: through the reader's contract checks
        table = read_submissions(table)
    v = validate_requests(table, policy)
    accepted = v.accepted
    encoded_rows = np.ones_like(accepted) if encode_rejected else accepted
    keep = pa.array(encoded_rows)
    present = [c for c in IDENTITY_COLUMNS if c in table.column_names]
    ident = pa.table({c: _null_out(table.column(c), keep) for c in present})
    encoded = encode_frame(ident, secret, schema, streets=v.streets.masked(encoded_rows))
    period_codes = [_ORDER.index(c) + 1 for c in (ReasonCode.NO_PERIOD, ReasonCode.BAD_PERIOD)]
    period_bad = np.isin(v.code, period_codes)
    meta_cols = {
        "request_id": pc.utf8_trim_whitespace(_text(table, "request_id")),
        "status": pa.array(np.where(accepted, Status.ACCEPTED.value, Status.REJECTED.value)),
        "reason": v.reason_array(),
        "tax_period_start": _years_array(v.period_start, ~period_bad),
        "tax_period_end": _years_array(v.period_end, ~period_bad),
        "statute": _text(table, "statute"),
        "reason_text": _text(table, "reason"),
        "case_ref": _text(table, "case_ref"),
        "zip_like": pa.array(v.zip_like),
    }
    out = pa.table(meta_cols)
    for name in encoded.column_names:
        out = out.append_column(encoded.schema.field(name), encoded.column(name))
    # the file's metadata travels with the table: Verifier.verify takes it as it is
    return out.replace_schema_metadata(file_metadata(schema, secret, "submissions")), v


def file_metadata(schema: EncodingSchema, secret: LinkageSecret, kind: str) -> dict[bytes, bytes]:
    """Parquet metadata of an encoded file: schema, key fingerprint, encoder revision, kind."""
    return {
        META_SCHEMA: schema.to_json().encode(),
        META_FINGERPRINT: secret.fingerprint().encode(),
        META_REVISION: str(ENCODER_REVISION).encode(),
        META_VERSION: __version__.encode(),
        META_KIND: kind.encode(),
    }


def encode_submissions_file(
    source: str | Path,
    out: str | Path,
    secret: LinkageSecret,
    *,
    schema: EncodingSchema | None = None,
    policy: RequestPolicy | None = None,
    force: bool = False,
) -> Validation:
    """Read, validate, encode and write (atomically) one submissions file."""
    schema = schema or EncodingSchema()
    out = Path(out)
    check_writable(out, force=force)
    table = read_submissions(source)
    encoded, v = encode_requests(table, secret, schema, policy)
    plain = [f.name for f in encoded.schema if pa.types.is_fixed_size_binary(f.type)]
    with atomic_path(out, force=force) as tmp:
        # keyed tokens and filters are random bytes: compressing or dictionary-encoding them
        # costs time and gains nothing
        pq.write_table(
            encoded,
            tmp,
            row_group_size=256 * 1024,
            compression={c: ("none" if c in plain else "zstd") for c in encoded.column_names},
            use_dictionary=[c for c in encoded.column_names if c not in plain],
            write_statistics=[c for c in encoded.column_names if c not in plain],
        )
    return v


def plaintext_components(table: pa.Table) -> Iterable[str]:
    """Every folded name/address word of a submissions table (for leak scans in tests)."""
    for name in ("first_name", "middle_name", "last_name", "street", "unit", "city"):
        for value in _text(table, name).to_pylist():
            yield from nz.fold(value).split()
