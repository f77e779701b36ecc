"""With a trained model, a request gets the same answer whatever arrives beside it.

The model (m/u and household rates) is trained once on a calibration batch; block caps and
term frequencies come from the register. Any split of a batch — into random parts, or into
batches of one — must then give every request the very row it gets in the whole batch.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xverify import (
    LinkageSecret,
    MatchConfig,
    MatchModel,
    Verifier,
    encode_requests,
    read_submissions,
)
from xverify.errors import ConfigError, InputError
from xverify.matching.model import TrainedFor

SAMPLE = Path(__file__).resolve().parent.parent / "synthetic_data"
KEY = LinkageSecret(hashlib.sha256(b"xverify tests/test_batch_independence.py").digest())
BATCH = 360  # requests: hard and survey profiles, where the borderline decisions are


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Verifier, pa.Table, pd.DataFrame]:
    cache = tmp_path_factory.mktemp("cache")
    calibration, _ = encode_requests(
        read_submissions(SAMPLE / "realistic" / "submissions.csv"), KEY
    )
    model = Verifier(SAMPLE / "register", KEY, log=None, cache_dir=cache).train(calibration)
    parts = [
        encode_requests(read_submissions(SAMPLE / p / "submissions.csv"), KEY)[0]
        for p in ("hard", "survey")
    ]
    half = BATCH // 2  # hard rows 1-180, survey rows 181-360: request ids stay distinct
    batch = pa.concat_tables([parts[0].slice(0, half), parts[1].slice(half, half)])
    verifier = Verifier(SAMPLE / "register", KEY, log=None, cache_dir=cache, model=model)
    return verifier, batch, verifier.match(batch).decisions


def _decided(verifier: Verifier, batch: pa.Table, rows: np.ndarray) -> pd.DataFrame:
    part = verifier.match(batch.take(pa.array(rows, pa.int64()))).decisions
    return part.set_axis(rows)


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.integers(min_value=2, max_value=4),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    alone=st.lists(st.integers(min_value=0, max_value=BATCH - 1), max_size=2, unique=True),
)
def test_any_split_of_a_batch_gives_every_request_the_same_row(
    trained: tuple[Verifier, pa.Table, pd.DataFrame], parts: int, seed: int, alone: list[int]
) -> None:
    verifier, batch, whole = trained
    label = np.random.default_rng(seed).integers(0, parts, batch.num_rows)
    pieces = [np.flatnonzero(label == k) for k in range(parts)]
    pieces = [p for p in pieces if p.size] + [np.array([i]) for i in alone]
    for rows in pieces:
        pd.testing.assert_frame_equal(_decided(verifier, batch, rows), whole.iloc[rows])


def test_the_batch_holds_borderline_and_verified_requests(
    trained: tuple[Verifier, pa.Table, pd.DataFrame],
) -> None:
    """The split test means something only if the batch has every kind of outcome."""
    _, _, whole = trained
    counts = whole["outcome"].value_counts()
    assert {"VERIFIED", "AMBIGUOUS", "NAME_ONLY", "NO_MATCH"} <= set(counts.index)
    assert whole["housemate_probability"].gt(1e-4).sum() > 5


def test_a_model_is_refused_for_another_register_key_or_revision(
    trained: tuple[Verifier, pa.Table, pd.DataFrame], tmp_path: Path
) -> None:
    verifier, batch, _ = trained
    model = verifier._model
    assert model is not None and model.trained_for is not None
    other_key = LinkageSecret(hashlib.sha256(b"another key").digest())
    for field, value, words in (
        ("register_digest", "0" * 64, "register"),
        ("encoder_revision", model.trained_for.encoder_revision - 1, "encoder revision"),
        ("key_fingerprint", other_key.fingerprint(), "linkage key"),
    ):
        bad = replace(model, trained_for=replace(model.trained_for, **{field: value}))
        v = Verifier(SAMPLE / "register", KEY, log=None, cache_dir=tmp_path, model=bad)
        with pytest.raises(ConfigError, match=f"another {words}"):
            v.match(batch.slice(0, 5))
    untrained = replace(model, housemates=None)
    with pytest.raises(ConfigError, match="xverify train"):
        Verifier(SAMPLE / "register", KEY, log=None, cache_dir=tmp_path, model=untrained).match(
            batch.slice(0, 5)
        )


def test_a_model_file_keeps_its_digest_and_refuses_edits(
    trained: tuple[Verifier, pa.Table, pd.DataFrame], tmp_path: Path
) -> None:
    model = trained[0]._model
    assert model is not None
    path = tmp_path / "model.json"
    model.save(path)
    loaded = MatchModel.load(path)
    assert loaded == model and loaded.digest == model.digest
    assert json.loads(path.read_text())["digest"] == model.digest
    assert isinstance(loaded.trained_for, TrainedFor)
    doc = json.loads(path.read_text())
    doc["housemates"]["rho"] = 0.0201  # a less cautious custodian, quietly
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="digest"):
        MatchModel.load(path)
    doc["version"] = 3
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="xverify train"):
        MatchModel.load(path)


def test_a_batch_trained_model_written_out_gives_the_same_decisions_again(
    trained: tuple[Verifier, pa.Table, pd.DataFrame], tmp_path: Path
) -> None:
    """``match`` without a model trains on the batch and writes that model: re-running the batch
    with it reproduces every decision (an auditor can re-run a decision from the log)."""
    _, batch, _ = trained
    cache = tmp_path / "cache"
    first = Verifier(SAMPLE / "register", KEY, MatchConfig(), log=None, cache_dir=cache)
    matched = first.match(batch)
    assert matched.model is not None and matched.model.housemates is not None
    again = Verifier(
        SAMPLE / "register",
        KEY,
        log=None,
        cache_dir=cache,
        model=MatchModel.from_json(matched.model.to_json()),
    )
    pd.testing.assert_frame_equal(again.match(batch).decisions, matched.decisions)


@pytest.mark.parametrize("profile", ["realistic", "hard", "survey"])
def test_the_register_index_gives_the_batch_path_decisions(
    trained: tuple[Verifier, pa.Table, pd.DataFrame], profile: str, tmp_path: Path
) -> None:
    """Candidates looked up in the register index (the real-time path) instead of streaming the
    register: every decision, score and level the same, on a whole committed sample."""
    verifier, _, _ = trained
    table, _ = encode_requests(read_submissions(SAMPLE / profile / "submissions.csv"), KEY)
    scan = verifier.match(table).decisions
    indexed = Verifier(
        SAMPLE / "register", KEY, log=None, cache_dir=tmp_path, model=verifier._model
    )
    indexed.open_index()
    pd.testing.assert_frame_equal(indexed.match(table).decisions, scan)


def test_verify_one_decides_and_logs_a_single_request_as_the_batch_does(
    trained: tuple[Verifier, pa.Table, pd.DataFrame], tmp_path: Path
) -> None:
    from xverify import AuditLog

    verifier, batch, whole = trained
    verified = np.flatnonzero(whole["outcome"].to_numpy() == "VERIFIED")[:3]
    log = AuditLog(tmp_path / "audit.log", signing_key=None)
    one = Verifier(SAMPLE / "register", KEY, log=log, cache_dir=tmp_path, model=verifier._model)
    scan_log = AuditLog(tmp_path / "scan.log", signing_key=None)
    scan = Verifier(SAMPLE / "register", KEY, log=scan_log, cache_dir=tmp_path, model=one._model)
    responses = scan.verify(batch).response.to_pandas()  # identities read from the register
    for row in verified:
        result = one.verify_one(batch.slice(int(row), 1))
        got = result.decisions.drop(columns="tin").reset_index(drop=True)
        want = whole.iloc[[row]].drop(columns="person").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want)
        # the identity index discloses exactly what the register read does
        pd.testing.assert_frame_equal(
            result.response.to_pandas(), responses.iloc[[row]].reset_index(drop=True)
        )
        assert result.response.to_pandas()["outcome"].tolist() == ["VERIFIED"]
    entries = [json.loads(x) for x in (tmp_path / "audit.log").read_text().splitlines()]
    kinds = [e["kind"] for e in entries]
    assert kinds == ["batch", "disclosure", "seal"] * len(verified)
    batches = [e for e in entries if e["kind"] == "batch"]
    assert {b["provenance"]["model_digest"] for b in batches} == {verifier._model.digest}
    with pytest.raises(ConfigError, match="trained model"):
        Verifier(SAMPLE / "register", KEY, log=log, cache_dir=tmp_path).verify_one(
            batch.slice(0, 1)
        )
