"""Progress: every stage of a match reports, and the parts it counts add up to the register."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from xverify import LinkageSecret, MatchConfig, Verifier, encode_requests, read_submissions
from xverify.progress import Bars

SAMPLE = Path(__file__).resolve().parent.parent / "synthetic_data"
KEY = LinkageSecret(hashlib.sha256(b"xverify tests/test_progress.py").digest())


def test_each_stage_reports_and_counts_every_register_row(tmp_path: Path) -> None:
    table, _ = encode_requests(read_submissions(SAMPLE / "realistic" / "submissions.csv"), KEY)
    seen: dict[str, list[int | None]] = {}

    def progress(stage: str, total: int | None):  # type: ignore[no-untyped-def]
        seen[stage] = [total, 0]

        def advance(units: int) -> None:
            seen[stage][1] += units  # type: ignore[operator]

        return advance

    v = Verifier(SAMPLE / "register", KEY, MatchConfig(), log=None, cache_dir=tmp_path,
                 progress=progress)  # fmt: skip
    v.match(table)
    rows = v.encoded_register().rows
    assert {"register", "stats", "train", "score", "decide"} <= set(seen)
    for stage in ("stats", "train", "score"):
        assert seen[stage] == [rows, rows], stage


def test_bars_draw_one_bar_per_stage() -> None:
    out = io.StringIO()
    bars = Bars(file=out)
    bars("score", 1000)(1000)
    bars("decide", None)(0)
    bars.close()
    text = out.getvalue()
    assert "score" in text and "1.00k/1.00k" in text and "decide" in text
