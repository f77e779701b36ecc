"""The opt-in hardened encoding (keyed diffusion of the Bloom filters).

* golden vectors: ``tests/data/golden/hardened_vectors.json`` pins the hardened bytes of a few
  records of the default golden file under the same published test key (regenerate with
  ``XVERIFY_REGEN_GOLDEN=1`` after a deliberate ``ENCODER_REVISION`` bump, as for the default);
* the diffusion kernel equals its plain twin, is linear and keeps all-zero (missing) filters zero;
* hardening is deterministic per schema and key, leaves tokens and the missing mask alone, and a
  hardened value still reaches the compare thresholds against its own noisy variants;
* the schema document: the default is unchanged, a hardened schema is version 3, and a file
  encoded under another hardening is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xverify.encoding.bloom import dice, word_filters
from xverify.encoding.encoder import ENCODER_REVISION, IDENTITY_COLUMNS, encode_frame, read_encoded
from xverify.encoding.hardening import diffuse, diffuse_reference, diffusion_taps
from xverify.encoding.keys import LinkageSecret
from xverify.encoding.schema import (
    HARDENED_SCHEMA_VERSION,
    SCHEMA_VERSION,
    BloomField,
    BloomSpec,
    EncodingSchema,
    Hardening,
)
from xverify.errors import SchemaError
from xverify.matching.compare import CompareConfig
from xverify.requests import encode_requests, read_submissions

GOLDEN = Path(__file__).parent / "data" / "golden"
VECTORS = GOLDEN / "hardened_vectors.json"
DEFAULT_VECTORS = GOLDEN / "encoding_vectors.json"
KEY_LABEL = "xverify tests/test_golden_encoding.py"  # the default vectors' published key
KEY = LinkageSecret(hashlib.sha256(KEY_LABEL.encode()).digest())
OTHER = LinkageSecret(hashlib.sha256(b"xverify tests/test_hardening.py other").digest())
HARDENED = EncodingSchema.hardened()
N_GOLDEN = 6


def _inputs(records: list[dict[str, Any]]) -> pa.Table:
    return pa.table(
        {c: pa.array([r["input"].get(c) for r in records], pa.string()) for c in IDENTITY_COLUMNS}
    )


def _hex_rows(table: pa.Table) -> list[dict[str, Any]]:
    cols = {n: table.column(n).to_pylist() for n in table.column_names}
    return [
        {"missing": cols["missing"][i],
         "columns": {n: v[i].hex() for n, v in cols.items() if n != "missing"}}
        for i in range(table.num_rows)
    ]  # fmt: skip


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    """Hardened vectors (rewritten first under ``XVERIFY_REGEN_GOLDEN=1``)."""
    if os.environ.get("XVERIFY_REGEN_GOLDEN") or not VECTORS.exists():
        if not os.environ.get("XVERIFY_REGEN_GOLDEN"):
            pytest.fail(f"{VECTORS} is missing: regenerate with XVERIFY_REGEN_GOLDEN=1")
        source = json.loads(DEFAULT_VECTORS.read_text(encoding="utf-8"))["records"][:N_GOLDEN]
        records = [{"note": r["note"], "input": r["input"]} for r in source]
        out = _hex_rows(encode_frame(_inputs(records), KEY, HARDENED))
        doc = {
            "about": "hardened encodings (EncodingSchema.hardened()) of the first records of "
            "encoding_vectors.json under its published test key",
            "encoder_revision": ENCODER_REVISION,
            "schema": HARDENED.to_json(),
            "key_fingerprint": KEY.fingerprint(),
            "records": [{**r, "output": o} for r, o in zip(records, out, strict=True)],
        }
        VECTORS.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return json.loads(VECTORS.read_text(encoding="utf-8"))


def test_hardened_golden_bytes(golden: dict[str, Any]) -> None:
    assert golden["encoder_revision"] == ENCODER_REVISION, "regenerate after the revision bump"
    assert golden["schema"] == HARDENED.to_json()
    assert golden["key_fingerprint"] == KEY.fingerprint()
    got = _hex_rows(encode_frame(_inputs(golden["records"]), KEY, HARDENED))
    assert got == [r["output"] for r in golden["records"]]


def test_hardening_changes_filters_only(golden: dict[str, Any]) -> None:
    """Tokens and the missing mask are the default encoding's; every present filter differs."""
    plain = _hex_rows(encode_frame(_inputs(golden["records"]), KEY, EncodingSchema()))
    for p, h in zip(plain, (r["output"] for r in golden["records"]), strict=True):
        assert p["missing"] == h["missing"]
        for name, value in h["columns"].items():
            if name.startswith("tok_"):
                assert value == p["columns"][name], name
            elif int(value, 16) or int(p["columns"][name], 16):
                assert value != p["columns"][name], name


# -- the diffusion kernel -----------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2**32 - 1), st.sampled_from([64, 256, 512]))
def test_diffuse_equals_reference_and_is_linear(rows: int, seed: int, bits: int) -> None:
    rng = np.random.default_rng(seed)
    taps = diffusion_taps(seed.to_bytes(4, "little") * 8, bits)
    a = rng.integers(0, 2**64, size=(rows, bits // 64), dtype=np.uint64)
    b = rng.integers(0, 2**64, size=(rows, bits // 64), dtype=np.uint64)
    assert np.array_equal(diffuse(a, taps), diffuse_reference(a, taps))
    assert np.array_equal(diffuse(a ^ b, taps), diffuse(a, taps) ^ diffuse(b, taps))
    assert not diffuse(np.zeros_like(a), taps).any()


def test_taps_are_keyed_permutations() -> None:
    taps = diffusion_taps(b"k" * 32, 512)
    assert taps.shape == (3, 512)
    for row in taps:
        assert sorted(row.tolist()) == list(range(512))
    assert np.array_equal(taps, diffusion_taps(b"k" * 32, 512))
    assert not np.array_equal(taps, diffusion_taps(b"j" * 32, 512))


# -- determinism and matching behaviour --------------------------------------------------------
NAMES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(NAMES, NAMES), min_size=1, max_size=5))
def test_hardening_is_deterministic_per_schema_and_key(names: list[tuple[str, str]]) -> None:
    table = pa.table({"first_name": [g for g, _ in names], "last_name": [s for _, s in names]})
    once = encode_frame(table, KEY, HARDENED)
    assert once.equals(encode_frame(table, KEY, HARDENED))
    col = EncodingSchema.bloom_column(BloomField.SURNAME)
    assert once.column(col) != encode_frame(table, OTHER, HARDENED).column(col)
    assert once.column(col) != encode_frame(table, KEY, EncodingSchema()).column(col)


def _typo(word: str, rng: np.random.Generator) -> str:
    i = int(rng.integers(len(word)))
    c = chr(65 + int(rng.integers(26)))
    match int(rng.integers(3)):
        case 0:
            return word[:i] + c + word[i + 1 :]
        case 1:
            return word[:i] + word[i + 1 :]
        case _:
            return word[:i] + c + word[i:]


@pytest.mark.parametrize("field", [BloomField.SURNAME, BloomField.STREET])
def test_hardened_values_still_match_their_noisy_variants(field: BloomField) -> None:
    """One edit (substitution, deletion, insertion) in names of 5+ letters: the hardened Dice
    reaches the lower compare threshold about as often as the default one, and unrelated
    values almost never do."""
    from importlib.resources import files

    surnames = pd.read_parquet(str(files("xverify") / "data" / "surnames.parquet"))
    words = [w for w in surnames["name"].head(2000) if len(w) >= 5][:800]
    rng = np.random.default_rng(18)
    noisy = [_typo(w, rng) for w in words]
    lo = CompareConfig().surname_lo
    shares = {}
    for hardening in Hardening:
        spec = EncodingSchema.hardened(hardening).blooms[field]
        key = KEY.subkey(f"bloom/{field.value}")
        a, b = word_filters(key, words, spec), word_filters(key, noisy, spec)
        if hardening is Hardening.DIFFUSION:
            taps = diffusion_taps(KEY.subkey(f"bloom/{field.value}/diffusion"), spec.bits)
            a, b = diffuse(a, taps), diffuse(b, taps)
        assert np.all(dice(a, a) == 1.0)
        shares[hardening] = float(np.mean(dice(a, b) >= lo))
        unrelated = float(np.mean(dice(a, np.roll(a, 1, axis=0)) >= lo))
        assert unrelated <= 0.01, (hardening, unrelated)
    assert shares[Hardening.DIFFUSION] >= 0.93
    assert shares[Hardening.DIFFUSION] >= shares[Hardening.NONE] - 0.05, shares


# -- the schema document and refusal -----------------------------------------------------------
def test_default_schema_document_is_unchanged() -> None:
    doc = json.loads(EncodingSchema().to_json())
    assert "hardening" not in doc and doc["version"] == SCHEMA_VERSION
    assert EncodingSchema.hardened(Hardening.NONE) == EncodingSchema()


def test_hardened_schema_round_trips_as_version_3() -> None:
    doc = json.loads(HARDENED.to_json())
    assert doc["version"] == HARDENED_SCHEMA_VERSION and doc["hardening"] == "diffusion"
    assert EncodingSchema.from_json(HARDENED.to_json()) == HARDENED
    assert EncodingSchema(blooms=HARDENED.blooms) != HARDENED  # same layout, another schema


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.pop("hardening"),  # version 3 without a hardening
        lambda d: d.update(hardening="none"),
        lambda d: d.update(hardening="rot13"),
        lambda d: d.update(version=SCHEMA_VERSION),  # version 2 with a hardening
    ],
)
def test_malformed_hardened_schema_is_refused(edit: Any) -> None:
    doc = json.loads(HARDENED.to_json())
    edit(doc)
    with pytest.raises(SchemaError) as exc:
        EncodingSchema.from_json(json.dumps(doc))
    assert "rot13" not in str(exc.value)


def test_hardening_must_be_an_enum_member() -> None:
    with pytest.raises(SchemaError):
        EncodingSchema(hardening="diffusion")  # type: ignore[arg-type]
    with pytest.raises(SchemaError):
        EncodingSchema(blooms={f: BloomSpec(bits=64) for f in BloomField}, hardening=None)  # type: ignore[arg-type]


def _submission() -> pa.Table:
    from test_encode_cli import ROW

    return read_submissions(pd.DataFrame([ROW]))


@pytest.mark.parametrize(
    ("encoded_with", "custodian"),
    [(HARDENED, EncodingSchema()), (EncodingSchema(), HARDENED)],
    ids=["hardened-file-default-custodian", "default-file-hardened-custodian"],
)
def test_a_file_under_another_hardening_is_refused(
    encoded_with: EncodingSchema, custodian: EncodingSchema
) -> None:
    table, _ = encode_requests(_submission(), KEY, encoded_with)
    with pytest.raises(SchemaError, match="another encoding schema"):
        read_encoded(table, expected_schema=custodian, expected_fingerprint=KEY.fingerprint())
    _, schema, _ = read_encoded(table, expected_schema=encoded_with)
    assert schema == encoded_with


def test_encode_cli_hardening_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``xverify encode --hardening diffusion`` writes the hardened schema; the default schema
    reader refuses the file, a reader holding the hardened schema takes it."""
    from test_encode_cli import ROW, run, write_rows

    key = tmp_path / "k.key"
    assert run(capsys, "keygen", "--out", str(key))[0] == 0
    subs = write_rows(tmp_path / "s.csv", [ROW])
    out = tmp_path / "e.parquet"
    code, text = run(capsys, "encode", str(subs), "--key", str(key), "--out", str(out),
                     "--hardening", "diffusion")  # fmt: skip
    assert code == 0, text
    secret = LinkageSecret.from_file(key)
    _, schema, _ = read_encoded(out, HARDENED, secret.fingerprint())
    assert schema.hardening is Hardening.DIFFUSION
    with pytest.raises(SchemaError):
        read_encoded(out, EncodingSchema(), secret.fingerprint())
    code, text = run(capsys, "encode", str(subs), "--key", str(key), "--out", str(out),
                     "--force", "--hardening", "rot13")  # fmt: skip
    assert code == 2 and "rot13" in text  # click names the invalid choice the user typed
