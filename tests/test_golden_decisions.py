"""Decisions on the committed samples are pinned: a refactor must not move any of them.

``tests/data/golden/decisions_<profile>.parquet`` holds, per request, the outcome, the chosen TIN
and the match weight the matcher gave under a fixed, published test key. A change that moves
them must be deliberate: regenerate with ``XVERIFY_REGEN_GOLDEN=1 pytest
tests/test_golden_decisions.py`` and say in the commit why the decisions changed.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xverify import LinkageSecret, MatchConfig, Verifier, encode_requests, read_submissions

SAMPLE = Path(__file__).resolve().parent.parent / "synthetic_data"
GOLDEN = Path(__file__).parent / "data" / "golden"
KEY = LinkageSecret(hashlib.sha256(b"xverify tests/test_golden_decisions.py").digest())
COLUMNS = ["request_id", "outcome", "tin", "match_weight"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("register-cache")


@pytest.mark.parametrize("profile", ["realistic", "hard", "replay-2025"])
def test_decisions_match_the_golden_file(profile: str, cache: Path) -> None:
    table, _ = encode_requests(read_submissions(SAMPLE / profile / "submissions.csv"), KEY)
    verifier = Verifier(SAMPLE / "register", KEY, MatchConfig(), log=None, cache_dir=cache)
    tins = verifier.encoded_register().tins
    got = verifier.match(table).identified(tins)[COLUMNS].reset_index(drop=True)
    path = GOLDEN / f"decisions_{profile}.parquet"
    if os.environ.get("XVERIFY_REGEN_GOLDEN"):
        got.to_parquet(path, index=False)
    want = pd.read_parquet(path)
    assert got["request_id"].tolist() == want["request_id"].tolist()
    moved = (got["outcome"] != want["outcome"]) | (got["tin"].fillna("") != want["tin"].fillna(""))
    assert not moved.any(), f"{int(moved.sum())} decisions moved, first: {got.loc[moved].head(3)}"
    np.testing.assert_allclose(
        got["match_weight"].to_numpy(float), want["match_weight"].to_numpy(float),
        rtol=0, atol=1e-9, equal_nan=True,
    )  # fmt: skip
    assert (want["outcome"] == "VERIFIED").sum() > 200  # the golden file is not trivially empty
