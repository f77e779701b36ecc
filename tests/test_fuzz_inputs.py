"""Fuzzed inputs: every file a user can hand xverify ends in success or an ``XVerifyError``.

Hypothesis builds submissions (CSV and Parquet), encoded files, config and policy files and key
files with missing, extra and duplicated columns, wrong types, NUL bytes, invalid UTF-8, BOMs,
huge fields, duplicate ids, truncated or bit-flipped Parquet, wrong key fingerprints and edited
schema metadata. Every case must succeed or raise an ``XVerifyError`` subclass whose message is
one line and never holds the canary: a marker planted in every input value, so that an error
quoting a value shows up. The CLI cases also check exit status 2, no traceback and no output.
The terminal summary prints how many cases were generated (``XVERIFY_FUZZ_EXAMPLES`` scales).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xverify.cli import main
from xverify.config import MatchConfig
from xverify.encoding.encoder import read_encoded
from xverify.encoding.keys import LinkageSecret
from xverify.encoding.schema import REQUEST_FIELDS, EncodingSchema
from xverify.errors import XVerifyError
from xverify.requests import (
    MAX_FIELD_CHARS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    RequestPolicy,
    encode_requests,
    file_metadata,
)

CANARY = "QZXCANARY42"
KEY = LinkageSecret(hashlib.sha256(b"xverify tests/test_fuzz_inputs.py").digest())
# two fifths of the active hypothesis profile's examples (ci: 40 per kind, about 30 s in all;
# search: 400), or exactly XVERIFY_FUZZ_EXAMPLES
EXAMPLES = int(os.environ.get("XVERIFY_FUZZ_EXAMPLES", 0)) or max(
    10, settings.default.max_examples * 2 // 5
)
FUZZ = settings(
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COLUMNS = list(REQUIRED_COLUMNS) + list(OPTIONAL_COLUMNS)
GOOD = {
    "request_id": "R1",
    "first_name": "Guadalupe",
    "middle_name": "",
    "last_name": "Sandoval Ibarra",
    "suffix": "",
    "street": "881 Orchard Lane",
    "unit": "",
    "city": "Fresno",
    "state": "CA",
    "zip": "93701",
    "birth_date": "1980-01-02",
    "tin": "123-45-6789",
    "tax_period_start": "2022",
    "tax_period_end": "2023",
    "statute": "18 U.S.C. 1546",
    "reason": "Investigation of counterfeit employment documents presented by the subject.",
    "case_ref": "C-9",
}


def _assert_clean_error(exc: XVerifyError) -> None:
    msg = str(exc)
    assert msg and "\n" not in msg, repr(msg)
    assert CANARY not in msg and CANARY.lower() not in msg.lower(), msg


def _attempt(fn: Callable[[], object]) -> XVerifyError | None:
    """Run ``fn``; an ``XVerifyError`` is checked and returned, anything else fails the test."""
    try:
        fn()
    except XVerifyError as exc:
        _assert_clean_error(exc)
        return exc
    return None


def _run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("key") / "k.key"
    path.write_text(KEY.to_hex() + "\n")
    path.chmod(0o600)
    return path


# -- cell values ---------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
benign_cell = st.one_of(
    st.sampled_from(sorted(set(GOOD.values()))).map(lambda v: v.encode()),
    _text.map(lambda t: (t + CANARY).encode()),  # a planted value
    st.just(f"{CANARY} 123 Main St".encode()),
    st.just(f'{CANARY}, "quoted"\n{CANARY}'.encode()),  # comma, quotes, newline
    st.just(b""),
    st.sampled_from([b"2022", b"20x2", b"-5", b"99999999999", b"2022.0", b"1e9", b"UNKNOWN"]),
)
fatal_cell = st.sampled_from(
    [
        f"Fre\x00sno{CANARY}".encode(),  # NUL byte
        b"Ibarr\xe1" + CANARY.encode(),  # latin-1, not UTF-8
        b"\xff\xfe" + CANARY.encode(),
        (CANARY * (MAX_FIELD_CHARS // len(CANARY) + 2)).encode(),  # huge field
    ]
)


def _csv_cell(value: bytes, quote: bool) -> bytes:
    if quote or any(c in value for c in b',"\r\n'):
        return b'"' + value.replace(b'"', b'""') + b'"'
    return value


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A CSV submissions file: header (or none), columns missing, extra or doubled, odd cells."""
    # rare cases sit at the high end of each draw: hypothesis starts from, and shrinks to, low
    if draw(st.integers(0, 2)) < 2:
        columns = list(COLUMNS)  # every column, in a random order
        columns = [columns[i] for i in draw(st.permutations(range(len(columns))))]
    else:
        columns = draw(st.lists(st.sampled_from([*COLUMNS, "ssn", CANARY]), max_size=20))
    rows = []
    for _ in range(draw(st.integers(1, 4)) if draw(st.integers(0, 9)) < 9 else 0):
        row = []
        for c in columns:
            roll = draw(st.integers(0, 39))
            if roll == 39:
                row.append(draw(fatal_cell))
            elif roll >= 30:
                row.append(draw(benign_cell))
            else:
                row.append(GOOD.get(c, CANARY).encode())
        if row and "request_id" in columns and draw(st.booleans()):
            row[columns.index("request_id")] = f"R{draw(st.integers(0, 2))}".encode()
        rows.append(row if draw(st.integers(0, 19)) < 19 else row[:-1])  # sometimes ragged
    lines = [] if draw(st.integers(0, 9)) == 9 else [[c.encode() for c in columns]]
    lines += rows
    quote = draw(st.booleans())
    out = b"\n".join(b",".join(_csv_cell(v, quote) for v in line) for line in lines)
    if draw(st.booleans()):
        out += b"\r\n" if draw(st.booleans()) else b"\n"
    if draw(st.integers(0, 4)) == 4:
        out = b"\xef\xbb\xbf" + out
    return out


@given(data=csv_files())
@FUZZ
def test_fuzzed_csv_submissions(
    data: bytes,
    tmp_path_factory: pytest.TempPathFactory,
    key_file: Path,
    capsys: pytest.CaptureFixture[str],
    fuzz_counter: Counter[str],
) -> None:
    fuzz_counter["csv submissions"] += 1
    folder = tmp_path_factory.mktemp("csv")
    src, out = folder / "s.csv", folder / "e.parquet"
    src.write_bytes(data)
    code, text = _run_cli(["encode", "--key", str(key_file), str(src), "--out", str(out)], capsys)
    assert code in (0, 2), text
    assert "Traceback" not in text and CANARY not in text, text
    if code == 2:
        assert text.startswith("error: ") and text.count("\n") == 1, text
        assert [p.name for p in folder.iterdir()] == ["s.csv"]  # no output, no temporary
    else:
        fuzz_counter["csv submissions accepted"] += 1
        read_encoded(out, EncodingSchema(), KEY.fingerprint())


# -- Parquet submissions -------------------------------------------------------------------


def _typed_column(kind: str, n: int, draw: st.DrawFn) -> pa.Array:
    values = [draw(benign_cell).decode() for _ in range(n)]
    if kind == "string":
        return pa.array(values, pa.string())
    if kind == "large_string":
        return pa.array(values, pa.large_string())
    if kind == "dictionary":
        return pa.array(values, pa.string()).dictionary_encode()
    if kind == "year":
        return pa.array([draw(st.sampled_from([2022, 2023, None, 0, 70000])) for _ in range(n)])
    if kind == "int":
        return pa.array([draw(st.integers(-(2**40), 2**40)) for _ in range(n)], pa.int64())
    if kind == "float":
        return pa.array([draw(st.floats(allow_nan=True)) for _ in range(n)], pa.float64())
    if kind == "binary":
        return pa.array([v.encode() + b"\xff" for v in values], pa.binary())
    if kind == "bool":
        return pa.array([draw(st.booleans()) for _ in range(n)])
    if kind == "list":
        return pa.array([[v] for v in values], pa.list_(pa.string()))
    if kind == "timestamp":
        return pa.array([0] * n, pa.timestamp("s"))
    return pa.nulls(n)


@st.composite
def parquet_submissions(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 2)) < 2:
        columns = list(COLUMNS)
    else:
        columns = draw(st.lists(st.sampled_from([*COLUMNS, "extra", CANARY]), max_size=19))
    n = draw(st.integers(1, 3)) if draw(st.integers(0, 9)) < 9 else 0
    text_kinds = st.sampled_from(["string", "large_string", "dictionary", "null"])
    odd_kinds = st.sampled_from(["int", "float", "binary", "bool", "list", "timestamp"])
    arrays = []
    for name in columns:
        kind = draw(odd_kinds if draw(st.integers(0, 14)) == 14 else text_kinds)
        if name in ("tax_period_start", "tax_period_end") and draw(st.booleans()):
            kind = "year"
        arrays.append(_typed_column(kind, n, draw))
    buf = io.BytesIO()
    try:
        table = pa.Table.from_arrays(arrays, names=columns) if columns else pa.table({})
        pq.write_table(table, buf)
    except (pa.ArrowException, ValueError):  # a table Parquet cannot hold: not an input
        pq.write_table(pa.table({"request_id": [CANARY]}), buf)
    data = buf.getvalue()
    if draw(st.integers(0, 4)) == 4:
        data = data[: draw(st.integers(0, len(data)))]  # truncated
    return data


@given(data=parquet_submissions())
@FUZZ
def test_fuzzed_parquet_submissions(
    data: bytes,
    tmp_path_factory: pytest.TempPathFactory,
    key_file: Path,
    capsys: pytest.CaptureFixture[str],
    fuzz_counter: Counter[str],
) -> None:
    fuzz_counter["parquet submissions"] += 1
    folder = tmp_path_factory.mktemp("pq")
    src, out = folder / "s.parquet", folder / "e.parquet"
    src.write_bytes(data)
    code, text = _run_cli(["encode", "--key", str(key_file), str(src), "--out", str(out)], capsys)
    assert code in (0, 2), text
    assert "Traceback" not in text and CANARY not in text, text
    if code == 2:
        assert text.startswith("error: ") and text.count("\n") == 1, text
        assert [p.name for p in folder.iterdir()] == ["s.parquet"]
    else:
        fuzz_counter["parquet submissions accepted"] += 1
        read_encoded(out, EncodingSchema(), KEY.fingerprint())


# -- encoded files -------------------------------------------------------------------------


def _base_encoded() -> pa.Table:
    rows = [dict(GOOD, request_id=f"R{i}-{CANARY}", case_ref=CANARY) for i in range(3)]
    rows.append(dict(GOOD, request_id=f"R9-{CANARY}", street="UNKNOWN"))
    table = pa.table({c: [r[c] for r in rows] for c in COLUMNS})
    out, _ = encode_requests(table, KEY)
    return out.replace_schema_metadata(file_metadata(EncodingSchema(), KEY, "submissions"))


BASE = _base_encoded()
META_KEYS = [k.decode().removeprefix("xverify.") for k in BASE.schema.metadata]


def _mutate(table: pa.Table, op: str, draw: st.DrawFn) -> pa.Table:
    meta = dict(table.schema.metadata or {})
    names = table.column_names
    if op == "drop" and names:
        name = draw(st.sampled_from(names))
        return table.drop_columns([name]).replace_schema_metadata(meta)
    if op == "extra":
        name = draw(st.sampled_from(["first_name", CANARY, "request_id", "bf_given", "x"]))
        return table.append_column(name, pa.array([CANARY] * table.num_rows))
    if op == "retype" and names:
        i = draw(st.integers(0, len(names) - 1))
        to = draw(st.sampled_from([pa.string(), pa.large_string(), pa.int64(), pa.binary(),
                                   pa.float64(), pa.int8()]))  # fmt: skip
        try:
            col = pc.cast(table.column(i), to)
        except (pa.ArrowException, ValueError):
            col = pa.array([CANARY] * table.num_rows)
        return table.set_column(i, names[i], col).replace_schema_metadata(meta)
    if op == "values" and "status" in names:
        col = draw(st.sampled_from(["status", "request_id", "tax_period_start", "zip_like"]))
        if col not in names:
            return table
        values: Any = {
            "status": st.sampled_from(["ACCEPTED", "REJECTED", CANARY, None]),
            "request_id": st.sampled_from(["R1", "", CANARY, None]),
            "tax_period_start": st.sampled_from([2022, None, -1, 40000]),
            "zip_like": st.sampled_from([True, None]),
        }[col]
        arr = pa.array([draw(values) for _ in range(table.num_rows)])
        with contextlib.suppress(pa.ArrowException, ValueError):
            arr = arr.cast(table.schema.field(names.index(col)).type)
        return table.set_column(names.index(col), col, arr).replace_schema_metadata(meta)
    if op == "large":  # what pandas 3 writes
        fields = [f.with_type(pa.large_string()) if f.type == pa.string() else f
                  for f in table.schema]  # fmt: skip
        return table.cast(pa.schema(fields, metadata=table.schema.metadata))
    if op == "int_years":
        for name in ("tax_period_start", "tax_period_end"):
            if name in names and pa.types.is_integer(table.schema.field(names.index(name)).type):
                col = pc.cast(table.column(names.index(name)), pa.int64())
                table = table.set_column(names.index(name), name, col)
        return table.replace_schema_metadata(meta)
    if op == "duplicate" and table.num_rows:
        return pa.concat_tables([table, table.slice(0, 1)])
    if op == "empty":
        return table.slice(0, 0)
    if op == "meta":
        key = f"xverify.{draw(st.sampled_from(META_KEYS))}".encode()
        choice = draw(st.integers(0, 5))
        if choice == 0:
            meta.pop(key, None)
        elif choice == 1:
            meta[key] = CANARY.encode()
        elif choice == 2:
            meta[key] = LinkageSecret.generate().fingerprint().encode()  # another key's
        elif choice == 3 and key in meta:
            raw = bytearray(meta[key])
            if raw:
                raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
            meta[key] = bytes(raw)
        elif choice == 4:
            meta[key] = draw(st.sampled_from([b"3", b"5", b"-1", b"4 ", b"register", b"{}"]))
        else:
            try:
                schema = json.loads(meta.get(b"xverify.schema", b"{}"))
                assert isinstance(schema, dict)
            except (ValueError, AssertionError):  # an earlier edit broke it already
                schema = {}
            schema[draw(st.sampled_from(["version", "blooms", "slots", "token_bytes"]))] = draw(
                st.sampled_from([1, 2.0, "2", None, [], {"given": {"bits": 1e9}}, True])
            )
            meta[b"xverify.schema"] = json.dumps(schema).encode()
        return table.replace_schema_metadata(meta)
    return table


@st.composite
def encoded_files(draw: st.DrawFn) -> bytes:
    table = BASE
    ops = st.sampled_from(["drop", "extra", "retype", "values", "duplicate", "empty", "meta",
                           "large", "large", "int_years"])  # fmt: skip
    for op in draw(st.lists(ops, max_size=2)):
        table = _mutate(table, op, draw)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    data = bytearray(buf.getvalue())
    damage = draw(st.integers(0, 7))
    if damage == 7:
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == 6:
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


@given(data=encoded_files())
@FUZZ
def test_fuzzed_encoded_files(
    data: bytes, tmp_path_factory: pytest.TempPathFactory, fuzz_counter: Counter[str]
) -> None:
    fuzz_counter["encoded files"] += 1
    path = tmp_path_factory.mktemp("enc") / "e.parquet"
    path.write_bytes(data)
    result: list[pa.Table] = []
    error = _attempt(
        lambda: result.append(read_encoded(path, EncodingSchema(), KEY.fingerprint())[0])
    )
    if error is None:  # accepted: then it holds what the matcher reads, with the right types
        fuzz_counter["encoded files accepted"] += 1
        table = result[0]
        for f in REQUEST_FIELDS:
            assert table.schema.field(f.name).type == f.type
        assert table.num_rows > 0


# -- config, policy and key files ----------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _text.map(lambda t: t + CANARY),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
# keys are names, not values: the canary goes into the values
config_keys = st.sampled_from(
    ["threshold", "margin_bits", "name_min_bits", "disclose", "seed", "batch_rows",
     "allowed_statutes", "min_reason_chars", "first_tax_year", "last_tax_year", "min_year",
     "max_year", "placeholders", "certification", "unknown_key"]
)  # fmt: skip


@st.composite
def config_files(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 5))
    if kind == 5:  # not JSON at all
        return draw(st.sampled_from([b"\xff\xfe" + CANARY.encode(), b"\x00" + CANARY.encode(),
                                     b"[" * 100_000, CANARY.encode(), b""]))  # fmt: skip
    if kind <= 1:  # valid values, some keys of the other file kind
        doc: Any = draw(st.dictionaries(config_keys, st.sampled_from(
            [0.99, 6, 6.0, ["name", "address"], 2020, None, ["18 U.S.C. 1546"], 40, 1024]
        ), max_size=4))  # fmt: skip
    elif kind == 2:
        doc = draw(st.dictionaries(config_keys, json_values, max_size=5))
    elif kind == 3:
        doc = draw(json_values)
    else:
        doc = {"disclose": [CANARY], "threshold": CANARY}
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    return (b"\xef\xbb\xbf" if draw(st.integers(0, 5)) == 5 else b"") + text.encode()


@given(data=config_files())
@FUZZ
def test_fuzzed_config_and_policy_files(
    data: bytes, tmp_path_factory: pytest.TempPathFactory, fuzz_counter: Counter[str]
) -> None:
    fuzz_counter["config files"] += 1
    fuzz_counter["policy files"] += 1
    path = tmp_path_factory.mktemp("cfg") / "c.json"
    path.write_bytes(data)
    if _attempt(lambda: MatchConfig.from_file(path)) is None:
        fuzz_counter["config files accepted"] += 1
    if _attempt(lambda: RequestPolicy.from_json(path)) is None:
        fuzz_counter["policy files accepted"] += 1


@st.composite
def key_files(draw: st.DrawFn) -> tuple[bytes, int]:
    hexed = LinkageSecret.generate().to_hex().encode()
    body = draw(st.sampled_from([
        hexed, hexed + b"\n", hexed.upper() + b"\r\n", hexed + b" " + CANARY.encode(),
        CANARY.encode() * 8, hexed[:-1], hexed + b"\n\n", b"\xef\xbb\xbf" + hexed,
        b"\x00" * 40, bytes(range(256)), hexed * 100, b"",
    ]))  # fmt: skip
    flips = draw(st.lists(st.integers(0, 4096), max_size=2)) if draw(st.booleans()) else []
    data = bytearray(body)
    for at in flips:
        if data:
            data[at % len(data)] = draw(st.integers(0, 255))
    return bytes(data), draw(st.sampled_from([0o600, 0o400, 0o640, 0o644, 0o604]))


@given(case=key_files())
@FUZZ
def test_fuzzed_key_files(
    case: tuple[bytes, int], tmp_path_factory: pytest.TempPathFactory, fuzz_counter: Counter[str]
) -> None:
    fuzz_counter["key files"] += 1
    data, mode = case
    path = tmp_path_factory.mktemp("key") / "k.key"
    path.write_bytes(data)
    path.chmod(mode)
    error = _attempt(lambda: LinkageSecret.from_file(path))
    if mode & 0o077:
        assert error is not None and "chmod 600" in str(error)
    if error is None:
        fuzz_counter["key files accepted"] += 1
    hexed = data.rstrip(b"\r\n")
    if error is not None:
        assert hexed.decode("latin-1") not in str(error) or not hexed


def _canary_cases(folder: Path) -> dict[str, Callable[[], object]]:
    """Hand-made bad inputs of every kind, each with the canary where an error could quote it."""
    from xverify.requests import read_submissions

    def file(name: str, data: bytes, mode: int = 0o600) -> Path:
        path = folder / name
        path.write_bytes(data)
        path.chmod(mode)
        return path

    header = ",".join(REQUIRED_COLUMNS)
    line = ",".join(GOOD[c] for c in REQUIRED_COLUMNS)
    enc = folder / "enc.parquet"

    def encoded(table: pa.Table) -> Callable[[], object]:
        def run() -> object:
            pq.write_table(table, enc)
            return read_encoded(enc, EncodingSchema(), KEY.fingerprint())

        return run

    meta = dict(BASE.schema.metadata)
    status = BASE.column_names.index("status")
    canary_status = pa.array([CANARY] * BASE.num_rows)
    buf = io.BytesIO()
    pq.write_table(pa.table({CANARY: [CANARY], "request_id": ["R1"]}), buf)
    return {
        "headerless csv, doubled cell": lambda: read_submissions(
            file("a.csv", f"R1,{CANARY},{CANARY}\nR2,{CANARY},{CANARY}\n".encode())
        ),
        "csv column named by a value": lambda: read_submissions(
            file("b.csv", f"{header},{CANARY}\n{line},{CANARY}\n".encode())
        ),
        "csv NUL in a value": lambda: read_submissions(
            file("c.csv", f"{header}\n{line}\n".replace("Fresno", CANARY + "\0").encode())
        ),
        "csv invalid UTF-8 in a value": lambda: read_submissions(
            file("d.csv", f"{header}\n{line}\n".replace("Fresno", CANARY).encode() + b"\xff")
        ),
        "csv ragged row": lambda: read_submissions(
            file("e.csv", f"{header}\n{line}\n{CANARY},{CANARY}\n".encode())
        ),
        "parquet column named by a value": lambda: read_submissions(
            file("f.parquet", buf.getvalue())
        ),
        "encoded status value": encoded(
            BASE.set_column(status, "status", canary_status).replace_schema_metadata(meta)
        ),
        "encoded revision": encoded(
            BASE.replace_schema_metadata({**meta, b"xverify.encoder_revision": CANARY.encode()})
        ),
        "encoded kind": encoded(
            BASE.replace_schema_metadata({**meta, b"xverify.kind": CANARY.encode()})
        ),
        "encoded schema": encoded(
            BASE.replace_schema_metadata({**meta, b"xverify.schema": CANARY.encode()})
        ),
        "encoded extra column": encoded(
            BASE.append_column(CANARY, pa.array([CANARY] * BASE.num_rows))
        ),
        "config disclose": lambda: MatchConfig.from_file(
            file("c.json", json.dumps({"disclose": [CANARY]}).encode())
        ),
        "config number": lambda: MatchConfig.from_file(
            file("d.json", json.dumps({"threshold": CANARY}).encode())
        ),
        "policy key": lambda: RequestPolicy.from_json(
            file("p.json", json.dumps({CANARY: 1}).encode())
        ),
        "policy value": lambda: RequestPolicy.from_json(
            file("q.json", json.dumps({"allowed_statutes": CANARY}).encode())
        ),
        "key trailing text": lambda: LinkageSecret.from_file(
            file("k.key", KEY.to_hex().encode() + f" {CANARY}\n".encode())
        ),
        "key readable by others": lambda: LinkageSecret.from_file(
            file("l.key", CANARY.encode(), 0o644)
        ),
    }


def test_canary_never_appears_in_an_error(tmp_path: Path, fuzz_counter: Counter[str]) -> None:
    """Every hand-made case fails, and no message quotes the planted value (the old reader
    said "column 'QZX…': column appears more than once" for a file without a header)."""
    for name, case in _canary_cases(tmp_path).items():
        fuzz_counter["canary cases"] += 1
        error = _attempt(case)
        assert error is not None, f"{name}: accepted"
