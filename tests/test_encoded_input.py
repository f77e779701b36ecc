"""The encoded-submissions contract the custodian enforces before matching (docs/formats.md).

Each damaged file must end in an ``XVerifyError`` subclass with a one-line message naming the
field and row, never a value; through ``xverify match`` that is exit 2, no traceback and no
output. Files other writers produce legitimately (``large_string`` from pandas 3, dictionary
columns, int64 years) are accepted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from xverify.cli import main
from xverify.encoding.encoder import ENCODER_REVISION, read_encoded
from xverify.encoding.keys import LinkageSecret
from xverify.encoding.schema import META_REVISION, REQUEST_FIELDS, EncodingSchema
from xverify.errors import InputError, SchemaError, XVerifyError
from xverify.requests import REQUIRED_COLUMNS, encode_requests, file_metadata

REGISTER = Path(__file__).resolve().parent.parent / "synthetic_data" / "register"
KEY = LinkageSecret(hashlib.sha256(b"xverify tests/test_encoded_input.py").digest())
CANARY = "QZXCANARYENC"
ROW = {
    "request_id": f"R-{CANARY}",
    "first_name": "Guadalupe",
    "middle_name": "",
    "last_name": "Sandoval Ibarra",
    "suffix": "",
    "street": "881 Orchard Lane",
    "unit": "",
    "city": "Fresno",
    "state": "CA",
    "zip": "93701",
    "tax_period_start": "2022",
    "tax_period_end": "2023",
    "statute": "18 U.S.C. 1546",
    "reason": f"Investigation of counterfeit employment documents {CANARY} presented.",
    "case_ref": f"C-{CANARY}",
}


def encoded_table(n: int = 3) -> pa.Table:
    rows = [dict(ROW, request_id=f"R{i}-{CANARY}") for i in range(n)]
    table = pa.table({c: [r[c] for r in rows] for c in REQUIRED_COLUMNS})
    out, v = encode_requests(table, KEY)
    assert v.accepted.all()
    return out.replace_schema_metadata(file_metadata(EncodingSchema(), KEY, "submissions"))


def write(tmp_path: Path, table: pa.Table, name: str = "enc.parquet") -> Path:
    path = tmp_path / name
    pq.write_table(table, path)
    return path


def _set(table: pa.Table, name: str, array: pa.Array) -> pa.Table:
    meta = table.schema.metadata
    i = table.column_names.index(name)
    return table.set_column(i, name, array).replace_schema_metadata(meta)


def _meta(table: pa.Table, **changes: bytes | None) -> pa.Table:
    meta = dict(table.schema.metadata)
    for key, value in changes.items():
        k = f"xverify.{key}".encode()
        if value is None:
            meta.pop(k, None)
        else:
            meta[k] = value
    return table.replace_schema_metadata(meta)


def _drop(name: str) -> Callable[[pa.Table], pa.Table]:
    return lambda t: t.drop_columns([name]).replace_schema_metadata(t.schema.metadata)


def _dup_accepted(t: pa.Table) -> pa.Table:
    ids = t.column("request_id").to_pylist()
    return _set(t, "request_id", pa.array([ids[0], ids[1], ids[0]]))


def _status(t: pa.Table) -> pa.Table:
    return _set(t, "status", pa.array(["ACCEPTED", f"MAYBE-{CANARY}", "ACCEPTED"]))


def _null_period(t: pa.Table) -> pa.Table:
    return _set(t, "tax_period_end", pa.array([2023, None, 2023], pa.int16()))


def _big_year(t: pa.Table) -> pa.Table:
    return _set(t, "tax_period_start", pa.array([2022, 2022, 99_999], pa.int64()))


def _extra(t: pa.Table) -> pa.Table:
    return t.append_column("last_name", pa.array([CANARY] * 3)).replace_schema_metadata(
        t.schema.metadata
    )


def _extra_unknown(t: pa.Table) -> pa.Table:
    return t.append_column(CANARY, pa.array([1, 2, 3])).replace_schema_metadata(t.schema.metadata)


# (damage, error class, words the message must hold)
DAMAGE: dict[str, tuple[Callable[[pa.Table], pa.Table], type[XVerifyError], tuple[str, ...]]] = {
    "no_status": (_drop("status"), InputError, ("'status'", "missing")),
    "no_request_id": (_drop("request_id"), InputError, ("'request_id'", "missing")),
    "no_period": (_drop("tax_period_start"), InputError, ("'tax_period_start'", "missing")),
    "period_as_string": (
        lambda t: _set(t, "tax_period_start", pc.cast(t.column("tax_period_start"), pa.string())),
        InputError,
        ("'tax_period_start'", "integer tax year"),
    ),
    "zero_rows": (lambda t: t.slice(0, 0), InputError, ("no rows",)),
    "duplicate_ids": (_dup_accepted, InputError, ("row 1", "row 3", "'request_id'")),
    "kind_register": (lambda t: _meta(t, kind=b"register"), SchemaError, ("encoded register",)),
    "no_kind": (lambda t: _meta(t, kind=None), SchemaError, ("no xverify kind",)),
    "other_revision": (
        lambda t: _meta(t, encoder_revision=str(ENCODER_REVISION - 1).encode()),
        SchemaError,
        (f"revision {ENCODER_REVISION - 1}", f"revision {ENCODER_REVISION} only"),
    ),
    "no_revision": (
        lambda t: _meta(t, encoder_revision=None),
        SchemaError,
        ("no encoder revision", f"revision {ENCODER_REVISION}"),
    ),
    "revision_not_int": (
        lambda t: _meta(t, encoder_revision=CANARY.encode()),
        SchemaError,
        ("not an integer",),
    ),
    "bad_status": (_status, InputError, ("row 2", "'status'")),
    "accepted_without_period": (_null_period, InputError, ("row 2", "'tax_period_end'")),
    "year_out_of_range": (_big_year, InputError, ("row 3", "'tax_period_start'")),
    "plaintext_column": (_extra, InputError, ("'last_name'", "unknown column")),
    "unknown_column_named_by_value": (_extra_unknown, InputError, ("column 30", "unknown")),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_encoded_file_is_a_clear_error(tmp_path: Path, case: str) -> None:
    damage, kind, words = DAMAGE[case]
    path = write(tmp_path, damage(encoded_table()))
    with pytest.raises(kind) as err:
        read_encoded(path, EncodingSchema(), KEY.fingerprint())
    msg = str(err.value)
    assert "\n" not in msg and CANARY not in msg, msg
    for word in words:
        assert word in msg, (word, msg)


@pytest.mark.parametrize("case", ["no_status", "period_as_string", "zero_rows", "duplicate_ids",
                                  "kind_register", "other_revision"])  # fmt: skip
def test_match_refuses_with_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    damage, _, words = DAMAGE[case]
    path = write(tmp_path, damage(encoded_table()))
    key = tmp_path / "k.key"
    key.write_text(KEY.to_hex() + "\n")
    key.chmod(0o600)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(["match", "--key", str(key), "--register", str(REGISTER), str(path), "--unsigned-log",
              "--out", str(out), "--cache", str(tmp_path / "cache")])  # fmt: skip
    text = capsys.readouterr()
    assert exit_.value.code == 2
    assert text.err.startswith("error: ") and text.err.count("\n") == 1, text.err
    assert "Traceback" not in text.err + text.out and CANARY not in text.err + text.out
    assert all(w in text.err for w in words)
    assert not out.exists() and not (tmp_path / "cache").exists()


def test_revision_is_written_and_read_back(tmp_path: Path) -> None:
    path = write(tmp_path, encoded_table())
    assert pq.read_schema(path).metadata[META_REVISION] == str(ENCODER_REVISION).encode()
    table, _, _ = read_encoded(path, EncodingSchema(), KEY.fingerprint())
    assert table.schema.metadata[META_REVISION] == str(ENCODER_REVISION).encode()


def _large(t: pa.Table) -> pa.Table:
    """What pandas 3 writes back: every text column ``large_string``."""
    fields = [f.with_type(pa.large_string()) if f.type == pa.string() else f for f in t.schema]
    return t.cast(pa.schema(fields, metadata=t.schema.metadata))


def _dictionary(t: pa.Table) -> pa.Table:
    for name in ("status", "statute", "reason"):
        t = _set(t, name, t.column(name).dictionary_encode())
    return t


def _int64_years(t: pa.Table) -> pa.Table:
    for name in ("tax_period_start", "tax_period_end"):
        t = _set(t, name, pc.cast(t.column(name), pa.int64()))
    return t


def _rejected_duplicates(t: pa.Table) -> pa.Table:
    """Two REJECTED rows sharing an id (as the encoder writes DUPLICATE_ID rows) are fine."""
    t = _set(t, "status", pa.array(["REJECTED", "REJECTED", "ACCEPTED"]))
    t = _set(t, "reason", pa.array(["DUPLICATE_ID", "DUPLICATE_ID", ""]))
    ids = t.column("request_id").to_pylist()
    return _set(t, "request_id", pa.array([ids[0], ids[0], ids[2]]))


@pytest.mark.parametrize("change", [_large, _dictionary, _int64_years, _rejected_duplicates])
def test_other_writers_legitimate_files_are_accepted(
    tmp_path: Path, change: Callable[[pa.Table], pa.Table]
) -> None:
    original = encoded_table()
    table, _, _ = read_encoded(write(tmp_path, change(original)), EncodingSchema(),
                               KEY.fingerprint())  # fmt: skip
    for f in REQUEST_FIELDS:
        assert table.schema.field(f.name).type == f.type, f.name
    assert table.drop_columns(["status", "reason", "request_id"]).equals(
        original.drop_columns(["status", "reason", "request_id"])
    )
