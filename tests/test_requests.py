"""Request validation (one test per rule and placeholder), policy, encoded file, leak scan."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xverify.encoding.encoder import read_encoded
from xverify.encoding.keys import LinkageSecret
from xverify.encoding.schema import BloomField, BloomSpec, EncodingSchema, TokenType, token_slots
from xverify.errors import ConfigError, InputError, SchemaError, SecretError
from xverify.requests import (
    REQUIRED_COLUMNS,
    ReasonCode,
    RequestPolicy,
    canonical_statute,
    encode_requests,
    encode_submissions_file,
    read_submissions,
    validate_requests,
)

KEY = LinkageSecret(bytes(range(32)))
GOOD = {
    "request_id": "R1",
    "first_name": "María",
    "middle_name": "Luisa",
    "last_name": "Hernández de la Cruz",
    "suffix": "",
    "street": "4512 West Olympic Boulevard",
    "unit": "Apt 7",
    "city": "Los Angeles",
    "state": "CA",
    "zip": "90019",
    "tax_period_start": "2021",
    "tax_period_end": "2023",
    "statute": "8 U.S.C. 1253(a)(1)",
    "reason": "Subject is respondent in removal case A-123; address needed to serve notice.",
    "case_ref": "A-123",
}


def table(*rows: dict[str, str]) -> pa.Table:
    cols = {c: [r.get(c, "") for r in rows] for c in REQUIRED_COLUMNS}
    return pa.table({c: pa.array(v, pa.string()) for c, v in cols.items()})


def reasons(*rows: dict[str, str], policy: RequestPolicy | None = None) -> list[str]:
    return list(validate_requests(table(*rows), policy).reason)


def test_good_request_is_accepted() -> None:
    assert reasons(GOOD) == [""]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"request_id": " "}, ReasonCode.NO_REQUEST_ID),
        ({"first_name": ""}, ReasonCode.NO_NAME),
        ({"last_name": "  "}, ReasonCode.NO_NAME),
        ({"first_name": "...", "last_name": "Smith"}, ReasonCode.NO_NAME),
        ({"street": "", "unit": "", "city": "", "state": "", "zip": ""}, ReasonCode.NO_ADDRESS),
        ({"street": "", "zip": "90019"}, ReasonCode.ZIP_ONLY),
        (
            {"street": "", "unit": "", "city": "", "state": "", "zip": "90019-1234"},
            ReasonCode.ZIP_ONLY,
        ),
        ({"street": "90019"}, ReasonCode.ZIP_ONLY),
        ({"street": "90019-1234"}, ReasonCode.ZIP_ONLY),
        ({"street": "4512"}, ReasonCode.NO_STREET),
        ({"street": "Apt 7"}, ReasonCode.NO_STREET),
        ({"street": "# 7"}, ReasonCode.NO_STREET),
        ({"street": "", "zip": "", "city": "Los Angeles"}, ReasonCode.NO_STREET),
        ({"tax_period_start": ""}, ReasonCode.NO_PERIOD),
        ({"tax_period_end": " "}, ReasonCode.NO_PERIOD),
        ({"tax_period_start": "FY21"}, ReasonCode.BAD_PERIOD),
        ({"tax_period_end": "20233"}, ReasonCode.BAD_PERIOD),
        ({"tax_period_start": "2024", "tax_period_end": "2021"}, ReasonCode.PERIOD_INVERTED),
        ({"statute": ""}, ReasonCode.NO_STATUTE),
        ({"statute": "8 U.S.C. 1357"}, ReasonCode.STATUTE_NOT_ALLOWED),
        ({"statute": "INA 287(g)"}, ReasonCode.STATUTE_NOT_ALLOWED),
        ({"reason": ""}, ReasonCode.NO_REASON),
        ({"reason": "investigation"}, ReasonCode.REASON_TOO_SHORT),
    ],
)
def test_each_rule_rejects(change: dict[str, str], code: ReasonCode) -> None:
    assert reasons(dict(GOOD, **change)) == [code.value]
    assert code.value not in code.message and "María" not in code.message


@pytest.mark.parametrize(
    "placeholder",
    ["FAILED TO PROVIDE", "Failed to Provide", "UNKNOWN", "Unknown Address", "NONE", "N/A", "NA",
     "HOMELESS", "NOT PROVIDED", "REFUSED", "NO ADDRESS", "TBD", "XXX", "xxxxx", "???",
     "FAILED TO PROVIDE 90019", "unknown, 90019-1234"],
)  # fmt: skip
def test_placeholders_are_rejected(placeholder: str) -> None:
    assert reasons(dict(GOOD, street=placeholder)) == [ReasonCode.ADDRESS_PLACEHOLDER.value]


def test_placeholder_city_without_street() -> None:
    assert reasons(dict(GOOD, street="", city="Unknown")) == [ReasonCode.ADDRESS_PLACEHOLDER.value]


def test_duplicate_ids_rejected_all() -> None:
    r = reasons(GOOD, dict(GOOD, first_name="Ana"), dict(GOOD, request_id="R2"))
    assert r == [ReasonCode.DUPLICATE_ID.value] * 2 + [""]


def test_period_out_of_range_only_with_known_years() -> None:
    old = dict(GOOD, tax_period_start="2001", tax_period_end="2003")
    assert reasons(old) == [""]
    pol = RequestPolicy(first_tax_year=2019, last_tax_year=2024)
    assert reasons(old, policy=pol) == [ReasonCode.PERIOD_OUT_OF_RANGE.value]
    overlapping = dict(GOOD, tax_period_start="2017", tax_period_end="2019")
    assert reasons(overlapping, policy=pol) == [""]


@pytest.mark.parametrize(
    "spelling",
    ["8 U.S.C. 1253(a)(1)", "8 USC 1253(a)(1)", "8 u.s.c. § 1253 (a)(1)",
     " 8 U.S.C. Sec. 1253(a)(1)", "18 U.S.C. §1546", "18 USC 1546"],
)  # fmt: skip
def test_statute_matching_is_tolerant(spelling: str) -> None:
    assert reasons(dict(GOOD, statute=spelling)) == [""]
    assert canonical_statute("8 U.S.C. 1253(a)(1)") != canonical_statute("8 U.S.C. 1253(a)(2)")


def test_policy_json_roundtrip_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "policy.json"
    p.write_text(json.dumps({"allowed_statutes": ["26 U.S.C. 7201"], "min_reason_chars": 5}))
    pol = RequestPolicy.from_json(p)
    assert reasons(dict(GOOD, statute="26 USC 7201", reason="tax evasion"), policy=pol) == [""]
    assert reasons(GOOD, policy=pol) == [ReasonCode.STATUTE_NOT_ALLOWED.value]
    assert RequestPolicy.from_dict(json.loads(pol.to_json())) == pol
    p.write_text(json.dumps({"nope": 1}))
    with pytest.raises(ConfigError):
        RequestPolicy.from_json(p)
    p.write_text("[")
    with pytest.raises(ConfigError):
        RequestPolicy.from_json(p)
    with pytest.raises(ConfigError):
        RequestPolicy(first_tax_year=2024, last_tax_year=2020)
    assert "8 U.S.C. 1253(a)(1)" in RequestPolicy().allowed_statutes


def test_zip_like_flag() -> None:
    rows = [
        GOOD,
        dict(GOOD, request_id="2", zip=""),
        dict(GOOD, request_id="3", zip="", street="FAILED TO PROVIDE 902101234"),
        dict(GOOD, request_id="4", zip="9021"),
    ]
    v = validate_requests(table(*rows))
    assert list(v.zip_like) == [True, False, True, False]


def test_rejected_rows_have_zero_encodings_and_metadata() -> None:
    bad = dict(GOOD, request_id="R2", street="FAILED TO PROVIDE")
    out, _ = encode_requests(table(GOOD, bad), KEY)
    assert out.column("status").to_pylist() == ["ACCEPTED", "REJECTED"]
    assert out.column("reason").to_pylist() == ["", "ADDRESS_PLACEHOLDER"]
    assert out.column("tax_period_start").type == pa.int16()
    assert out.column("tax_period_start").to_pylist() == [2021, 2021]
    for t in TokenType:
        s = token_slots(out, t)
        assert not s[1].any()
    assert token_slots(out, TokenType.SURNAME)[0, 0] != 0
    names = out.column_names
    assert names[:9] == ["request_id", "status", "reason", "tax_period_start", "tax_period_end",
                         "statute", "reason_text", "case_ref", "zip_like"]  # fmt: skip
    out2, _ = encode_requests(table(dict(GOOD, tax_period_start="x")), KEY)
    assert out2.column("tax_period_start").to_pylist() == [None]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(REQUIRED_COLUMNS))
        w.writeheader()
        w.writerows(rows)
    return path


def test_file_roundtrip_metadata_and_reader_checks(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "s.csv", [GOOD, dict(GOOD, request_id="R2", street="")])
    out = tmp_path / "enc.parquet"
    encode_submissions_file(src, out, KEY)
    meta = pq.read_schema(out).metadata
    assert meta[b"xverify.kind"] == b"submissions"
    assert meta[b"xverify.key_fingerprint"].decode() == KEY.fingerprint()
    assert b"xverify.version" in meta
    t, schema, fp = read_encoded(out, EncodingSchema(), KEY.fingerprint())
    assert t.num_rows == 2 and schema == EncodingSchema() and fp == KEY.fingerprint()
    with pytest.raises(SecretError):
        read_encoded(out, expected_fingerprint=LinkageSecret.generate().fingerprint())
    other = EncodingSchema(blooms={f: BloomSpec(bits=128) for f in BloomField})
    with pytest.raises(SchemaError):
        read_encoded(out, expected_schema=other)
    pq.write_table(pa.table({"a": [1]}), tmp_path / "plain.parquet")
    with pytest.raises(SchemaError):
        read_encoded(tmp_path / "plain.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"junk")
    with pytest.raises(InputError):
        read_encoded(tmp_path / "junk.parquet")


def test_parquet_input_is_accepted(tmp_path: Path) -> None:
    src = tmp_path / "s.parquet"
    t = table(GOOD).set_column(
        list(REQUIRED_COLUMNS).index("tax_period_start"), "tax_period_start", pa.array([2021])
    )
    pq.write_table(t, src)
    assert read_submissions(src).column("tax_period_start").to_pylist() == ["2021"]
    bad = t.set_column(1, "first_name", pa.array([1.5]))
    pq.write_table(bad, src)
    with pytest.raises(InputError, match="first_name"):
        read_submissions(src)


# -- no plaintext in the encoded file -------------------------------------------------------

word = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=4, max_size=10)


def _encoded_bytes(tmp_path: Path, rows: list[dict[str, str]], name: str) -> list[bytes]:
    out = tmp_path / f"{name}.parquet"
    encode_submissions_file(write_csv(tmp_path / f"{name}.csv", rows), out, KEY, force=True)
    plain = tmp_path / f"{name}-uncompressed.parquet"
    pq.write_table(pq.read_table(out), plain, compression="none")
    return [out.read_bytes(), plain.read_bytes()]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(word, word, word, word), min_size=1, max_size=4))
def test_no_plaintext_in_encoded_file(tmp_path: Path, people: list[tuple[str, ...]]) -> None:
    rows = [
        dict(GOOD, request_id=f"Q{i}", first_name=f.title(), middle_name=m,
             last_name=f"{last} Quiroz", street=f"{100 + i} {st_name} Avenue", city="Springfield")
        for i, (f, m, last, st_name) in enumerate(people)
    ]  # fmt: skip
    rows.append(dict(GOOD, request_id="BAD", street="FAILED TO PROVIDE", first_name="Zebulon"))
    blobs = _encoded_bytes(tmp_path, rows, "leak")
    # words the file holds anyway (column names, schema JSON, request metadata in the clear)
    neutral = dict(GOOD, first_name="Qq", middle_name="", last_name="Qq", street="1 Qq St",
                   unit="", city="Qq")  # fmt: skip
    baseline = b"".join(_encoded_bytes(tmp_path, [neutral], "baseline"))
    fields = ("first_name", "middle_name", "last_name", "street", "unit", "city")
    words = {w for r in rows for k in fields for w in r[k].split()}
    words = {w for w in words if len(w) >= 3 and not w.isdigit()}
    assert {"Zebulon", "Quiroz", "Avenue", "Springfield", "FAILED", "Luisa"} <= words
    for w in words:
        for form in {w, w.upper(), w.lower(), w.title()}:
            if form.encode() in baseline:
                continue
            for blob in blobs:
                assert form.encode() not in blob, "plaintext component found in the encoded file"
    table_out = pq.read_table(tmp_path / "leak.parquet")
    assert table_out.column("zip_like").to_pylist() == [True] * len(rows)
    assert table_out.column("status").to_pylist()[-1] == "REJECTED"


def test_rejected_rows_are_encoded_only_when_asked_and_stay_rejected() -> None:
    t = table(GOOD, dict(GOOD, request_id="R2", statute=""))
    plain, _ = encode_requests(t, KEY)
    replay, _ = encode_requests(t, KEY, encode_rejected=True)
    assert plain.column("status").to_pylist() == replay.column("status").to_pylist()
    assert replay.column("status").to_pylist() == ["ACCEPTED", "REJECTED"]
    assert token_slots(plain, TokenType.SURNAME)[1].sum() == 0  # never hashed by default
    replay_tokens = token_slots(replay, TokenType.SURNAME)
    assert (replay_tokens[1] == replay_tokens[0]).all()  # same person, same tokens
