"""The run summary groups reasons under the outcome they explain."""

from __future__ import annotations

import pandas as pd

from xverify.verifier import Summary


def test_reasons_are_listed_under_their_outcome() -> None:
    decisions = pd.DataFrame(
        {
            "outcome": ["VERIFIED", "REJECTED", "NO_MATCH", "NO_MATCH", "AMBIGUOUS"],
            "reason": ["", "ZIP_ONLY", "NO_CANDIDATE", "NO_CANDIDATE", "RUNNER_UP_TOO_CLOSE"],
        }
    )
    s = Summary.of(decisions, 12, {"score": 1.0})
    assert s.reasons == {
        "REJECTED": {"ZIP_ONLY": 1},
        "NO_MATCH": {"NO_CANDIDATE": 2},
        "AMBIGUOUS": {"RUNNER_UP_TOO_CLOSE": 1},
    }
    lines = [line.split() for line in s.lines()]
    at = lines.index(["REJECTED", "1"])
    assert lines[at + 1] == ["ZIP_ONLY", "1"]
    verified = lines.index(["VERIFIED", "1"])
    assert lines[verified + 1][0] == "candidate"  # nothing listed under VERIFIED
