"""DataFrames in: a path, a pandas DataFrame or an Arrow table give the same decisions."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from xverify import (
    InputError,
    LinkageSecret,
    MatchConfig,
    Verifier,
    encode_requests,
    read_submissions,
)
from xverify.auditlog import AuditLog
from xverify.encoding.encoder import read_encoded

SAMPLE = Path(__file__).resolve().parent.parent / "synthetic_data"
CSV = SAMPLE / "hard" / "submissions.csv"
KEY = LinkageSecret(hashlib.sha256(b"xverify tests/test_dataframes.py").digest())


def test_submissions_from_a_path_a_dataframe_or_a_table_encode_alike() -> None:
    frame = pd.read_csv(CSV, dtype=str, keep_default_na=False)
    by_path, _ = encode_requests(read_submissions(CSV), KEY)
    by_frame, _ = encode_requests(frame, KEY)
    by_table, _ = encode_requests(read_submissions(pa.Table.from_pandas(frame)), KEY)
    assert by_path.equals(by_frame) and by_path.equals(by_table)


def test_verify_takes_the_encoded_table_or_its_file(tmp_path: Path) -> None:
    encoded, _ = encode_requests(read_submissions(CSV), KEY)
    pq.write_table(encoded, tmp_path / "encoded.parquet")

    def decisions(source: object, name: str) -> pd.DataFrame:
        log = AuditLog(tmp_path / f"{name}.log", signing_key=None)
        v = Verifier(SAMPLE / "register", KEY, MatchConfig(), log=log, cache_dir=tmp_path)
        return v.verify(source).decisions  # type: ignore[arg-type]

    pd.testing.assert_frame_equal(
        decisions(tmp_path / "encoded.parquet", "file"), decisions(encoded, "table")
    )
    table, _, _ = read_encoded(encoded)
    assert table.num_rows == encoded.num_rows


@pytest.mark.parametrize("bad", [42, ["a", "b"], {"request_id": ["R1"]}])
def test_a_wrong_type_is_an_input_error_naming_the_parameter(bad: object) -> None:
    with pytest.raises(InputError, match="source must be"):
        read_submissions(bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="encoded submissions must be"):
        read_encoded(bad)  # type: ignore[arg-type]
