"""`xverify keygen` and `xverify encode` end to end, including every bad-input path."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from xverify.cli import main
from xverify.encoding.encoder import read_encoded
from xverify.encoding.keys import LinkageSecret
from xverify.requests import REQUIRED_COLUMNS

ROW = {
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
    "tax_period_start": "2022",
    "tax_period_end": "2023",
    "statute": "18 U.S.C. 1546",
    "reason": "Investigation of counterfeit employment documents presented by the subject.",
    "case_ref": "C-9",
}
SECRET_VALUE = "Sandoval"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out + out.err


def write_rows(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    cols = columns or list(REQUIRED_COLUMNS)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture
def key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    p = tmp_path / "k.key"
    code, out = run(capsys, "keygen", "--out", str(p))
    assert code == 0 and "fingerprint" in out
    return p


def test_keygen_mode_and_refusal(tmp_path: Path, key: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    before = key.read_bytes()
    code, out = run(capsys, "keygen", "--out", str(key))
    assert code == 2 and "--force" in out and key.read_bytes() == before
    assert run(capsys, "keygen", "--out", str(key), "--force")[0] == 0
    assert key.read_bytes() != before


def test_encode_end_to_end(tmp_path: Path, key: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = write_rows(tmp_path / "s.csv", [ROW, dict(ROW, request_id="R2", street="UNKNOWN")])
    out = tmp_path / "e.parquet"
    code, text = run(capsys, "encode", "--key", str(key), str(src), "--out", str(out))
    assert code == 0, text
    assert "1 accepted, 1 rejected" in text and "ADDRESS_PLACEHOLDER" in text
    table, _, _ = read_encoded(out, expected_fingerprint=LinkageSecret.from_file(key).fingerprint())
    assert table.column("status").to_pylist() == ["ACCEPTED", "REJECTED"]
    assert SECRET_VALUE.encode() not in out.read_bytes()
    # refuses to overwrite, and --force replaces
    assert run(capsys, "encode", "--key", str(key), str(src), "--out", str(out))[0] == 2
    assert run(capsys, "encode", "--key", str(key), str(src), "--out", str(out), "--force")[0] == 0


def test_policy_file_and_env_key(tmp_path: Path, key: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    policy = tmp_path / "p.json"
    policy.write_text('{"allowed_statutes": ["8 U.S.C. 1253(a)(1)"]}')
    src = write_rows(tmp_path / "s.csv", [ROW])
    out = tmp_path / "e.parquet"
    monkeypatch.setenv("XVERIFY_SECRET", LinkageSecret.from_file(key).to_hex())
    code, text = run(capsys, "encode", str(src), "--out", str(out), "--policy", str(policy))
    assert code == 0, text
    assert pq.read_table(out).column("reason").to_pylist() == ["STATUTE_NOT_ALLOWED"]


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    cols = list(REQUIRED_COLUMNS)
    header = ",".join(cols)
    good_line = ",".join(ROW[c] for c in cols)
    files: dict[str, tuple[Path, str]] = {}

    def raw(name: str, data: bytes, expect: str) -> None:
        p = tmp_path / f"{name}.csv"
        p.write_bytes(data)
        files[name] = (p, expect)

    raw("empty", b"", "empty")
    raw("header_only", (header + "\n").encode(), "no rows")
    raw("ragged", f"{header}\n{good_line}\nR3,{SECRET_VALUE},x\n".encode(), "row 2")
    raw("nul", f"{header}\n{good_line}\n".replace("Fresno", "Fre\0sno").encode(), "column 'city'")
    raw("latin1", f"{header}\n{good_line}\n".replace("Ibarra", "Ibarr\xe1").encode("latin-1"),
        "column 'last_name'")  # fmt: skip
    raw("too_long", f"{header}\n{good_line}\n".replace("Fresno", "F" * 5000).encode(), "row 1")
    write_rows(tmp_path / "missing.csv", [ROW], [c for c in cols if c != "zip"])
    files["missing"] = (tmp_path / "missing.csv", "column 'zip'")
    write_rows(tmp_path / "unknown.csv", [dict(ROW, ssn="1")], [*cols, "ssn"])
    # an unknown column is named by position: its "name" may be a value (no header line)
    files["unknown"] = (tmp_path / "unknown.csv", f"column {len(cols) + 1}: unknown column")
    raw("headerless", f"{good_line}\n{good_line}\n".encode(), "first line must be a header")
    raw("headerless_dup", f"{good_line},{SECRET_VALUE}\n{good_line},x\n".replace(
        "Ibarra", SECRET_VALUE).encode(), "first line must be a header")  # fmt: skip
    dup_header = header.replace("case_ref", "city")
    raw("dup_known", f"{dup_header}\n{good_line}\n".encode(), "column 'city': column appears")
    raw("dup_unknown", f"{header},{SECRET_VALUE},{SECRET_VALUE}\n{good_line},a,b\n".encode(),
        f"column {len(cols) + 2}: column appears more than once")  # fmt: skip
    files["nofile"] = (tmp_path / "nope.csv", "no such file")
    return files


@pytest.mark.parametrize(
    "case",
    [
        "empty",
        "header_only",
        "ragged",
        "nul",
        "latin1",
        "too_long",
        "missing",
        "unknown",
        "nofile",
        "headerless",
        "headerless_dup",
        "dup_known",
        "dup_unknown",
    ],
)
def test_bad_input_exit_2_no_output(tmp_path: Path, key: Path, capsys, case: str) -> None:  # type: ignore[no-untyped-def]
    path, expect = _bad_files(tmp_path)[case]
    out = tmp_path / "e.parquet"
    code, text = run(capsys, "encode", "--key", str(key), str(path), "--out", str(out))
    assert code == 2, text
    assert expect in text and str(path) in text
    assert SECRET_VALUE not in text and "FFFFF" not in text
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".e.parquet")]


def test_bad_key_exit_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    weak = tmp_path / "weak.key"
    weak.write_text("00" * 32)
    weak.chmod(0o600)
    src = write_rows(tmp_path / "s.csv", [ROW])
    code, text = run(capsys, "encode", "--key", str(weak), str(src), "--out", str(tmp_path / "o"))
    assert code == 2 and "entropy" in text


def test_insecure_or_malformed_key_exit_2(tmp_path: Path, key: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("XVERIFY_ALLOW_INSECURE_KEY_FILE", raising=False)
    src = write_rows(tmp_path / "s.csv", [ROW])
    out = tmp_path / "e.parquet"
    key.chmod(0o644)
    code, text = run(capsys, "encode", "--key", str(key), str(src), "--out", str(out))
    assert code == 2 and "chmod 600" in text and "Traceback" not in text and not out.exists()
    monkeypatch.setenv("XVERIFY_ALLOW_INSECURE_KEY_FILE", "1")
    assert run(capsys, "encode", "--key", str(key), str(src), "--out", str(out))[0] == 0
    monkeypatch.delenv("XVERIFY_ALLOW_INSECURE_KEY_FILE")
    key.chmod(0o600)
    secret = LinkageSecret.from_file(key)
    key.write_text(secret.to_hex() + "  # requester copy\n")
    code, text = run(capsys, "encode", "--key", str(key), str(src), "--out", str(out), "--force")
    assert code == 2 and "not a hex key file" in text and secret.to_hex() not in text


def test_pandas_3_parquet_is_accepted(tmp_path: Path, key: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """pandas 3 writes text as large_string (and periods with a gap as floats): accepted."""
    import pandas as pd

    rows = [ROW, dict(ROW, request_id="R2", tax_period_start="", tax_period_end="")]
    frame = pd.DataFrame(rows, dtype=str)
    frame.to_parquet(tmp_path / "s3.parquet")
    floats = frame.assign(**{c: pd.to_numeric(frame[c]) for c in ("tax_period_start",
                                                                 "tax_period_end")})  # fmt: skip
    floats.to_parquet(tmp_path / "f.parquet")
    for name in ("s3.parquet", "f.parquet"):
        out = tmp_path / f"e-{name}"
        code, text = run(
            capsys, "encode", "--key", str(key), str(tmp_path / name), "--out", str(out)
        )
        assert code == 0, text
        table = pq.read_table(out)
        assert table.column("status").to_pylist() == ["ACCEPTED", "REJECTED"], name
        assert table.column("reason").to_pylist() == ["", "NO_PERIOD"], name
        assert table.column("tax_period_start").to_pylist() == [2022, None], name
