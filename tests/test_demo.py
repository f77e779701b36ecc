"""The demo is deterministic: the same seed prints the same summary on every run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def summary(out: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "xverify", "demo", "--people", "1500", "--requests", "150",
         "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if " people, " in line)
    stop = next(i for i, line in enumerate(lines) if line.startswith("time per stage"))
    return lines[start:stop]


def test_two_runs_print_the_same_summary(tmp_path: Path) -> None:
    first, second = summary(tmp_path / "a"), summary(tmp_path / "b")
    assert first == second
    text = "\n".join(first)
    assert "VERIFIED" in text and "wrong person, of the VERIFIED" in text
    assert (tmp_path / "a" / "linkage.key").read_bytes() == (
        tmp_path / "b" / "linkage.key"
    ).read_bytes()
