"""Golden encoding vectors pin the bytes of the current encoder revision.

``tests/data/golden/encoding_vectors.json`` holds committed plaintext records (names with
accents, particles and suffixes, addresses with units and PO boxes) and, for each, every token
and Bloom filter column as hex under a fixed, published test key. Requester and custodian must
encode alike or matches stop silently; a change of normalization, nickname tables, phonetic
codes or hashing therefore has to be deliberate: bump ``ENCODER_REVISION``
(src/xverify/encoding/encoder.py), then regenerate with
``XVERIFY_REGEN_GOLDEN=1 pytest tests/test_golden_encoding.py`` and say in the commit why.
Regenerating changed bytes without the bump fails.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from xverify.encoding.encoder import ENCODER_REVISION, IDENTITY_COLUMNS, encode_frame
from xverify.encoding.keys import LinkageSecret
from xverify.encoding.schema import SCHEMA_VERSION, EncodingSchema

VECTORS = Path(__file__).parent / "data" / "golden" / "encoding_vectors.json"
KEY_LABEL = "xverify tests/test_golden_encoding.py"
KEY = LinkageSecret(hashlib.sha256(KEY_LABEL.encode()).digest())
HOW = (
    "normalization or hashing changed. If that is deliberate, bump ENCODER_REVISION "
    "(src/xverify/encoding/encoder.py) and regenerate: "
    "XVERIFY_REGEN_GOLDEN=1 pytest tests/test_golden_encoding.py"
)


def _encodings(table: pa.Table) -> list[dict[str, Any]]:
    """Per row: the ``missing`` mask and every encoded column as hex."""
    cols = {name: table.column(name).to_pylist() for name in table.column_names}
    return [
        {
            "missing": cols["missing"][i],
            "columns": {n: v[i].hex() for n, v in cols.items() if n != "missing"},
        }
        for i in range(table.num_rows)
    ]


def _inputs(records: list[dict[str, Any]]) -> pa.Table:
    return pa.table(
        {c: pa.array([r["input"].get(c) for r in records], pa.string()) for c in IDENTITY_COLUMNS}
    )


def _regenerate(doc: dict[str, Any], got: list[dict[str, Any]]) -> None:
    changed = [
        i for i, (r, g) in enumerate(zip(doc["records"], got, strict=True)) if r.get("output") != g
    ]
    pinned = [i for i in changed if "output" in doc["records"][i]]  # new records may be added
    if pinned and doc.get("encoder_revision") == ENCODER_REVISION:
        pytest.fail(
            f"records {pinned} encode differently but ENCODER_REVISION is still "
            f"{ENCODER_REVISION}: bump it before regenerating the golden vectors"
        )
    for record, output in zip(doc["records"], got, strict=True):
        record["output"] = output
    doc.update(
        encoder_revision=ENCODER_REVISION,
        schema_version=SCHEMA_VERSION,
        key_sha256_of=KEY_LABEL,
        key_fingerprint=KEY.fingerprint(),
    )
    VECTORS.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _encode(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return _encodings(encode_frame(_inputs(records), KEY, EncodingSchema()))


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    """The golden file (rewritten first under ``XVERIFY_REGEN_GOLDEN=1``)."""
    loaded = json.loads(VECTORS.read_text(encoding="utf-8"))
    if os.environ.get("XVERIFY_REGEN_GOLDEN"):
        _regenerate(loaded, _encode(loaded["records"]))
        loaded = json.loads(VECTORS.read_text(encoding="utf-8"))
    return loaded


def test_vectors_cover_the_hard_cases(doc: dict[str, Any]) -> None:
    notes = " ".join(r["note"] for r in doc["records"])
    for kind in ("accents", "particle", "suffix", "unit", "PO box", "missing"):
        assert kind in notes, kind
    assert doc["key_fingerprint"] == KEY.fingerprint()
    assert doc["schema_version"] == SCHEMA_VERSION


def test_encoder_reproduces_the_golden_bytes(doc: dict[str, Any]) -> None:
    got = _encode(doc["records"])
    assert doc["encoder_revision"] == ENCODER_REVISION, (
        f"ENCODER_REVISION is {ENCODER_REVISION} but the golden vectors were made at revision "
        f"{doc['encoder_revision']}: regenerate them (XVERIFY_REGEN_GOLDEN=1)"
    )
    for i, (record, output) in enumerate(zip(doc["records"], got, strict=True)):
        want = record["output"]
        assert output["missing"] == want["missing"], f"record {i} ({record['note']}): {HOW}"
        for name, hexed in want["columns"].items():
            assert output["columns"][name] == hexed, (
                f"record {i} ({record['note']}), column {name}: {HOW}"
            )
        assert output["columns"].keys() == want["columns"].keys(), HOW


def test_register_path_encodes_the_same_bytes(doc: dict[str, Any]) -> None:
    """The custodian encodes register rows from pandas (dates as dates): same bytes."""
    frame = _inputs(doc["records"]).to_pandas()
    frame["birth_date"] = pd.to_datetime(frame["birth_date"]).dt.date
    got = _encodings(encode_frame(frame, KEY, EncodingSchema()))
    assert got == [r["output"] for r in doc["records"]]
