"""The README's walkthrough runs as written: its command-line block, then its Python block, in
one fresh folder (the install lines at the top are what CI itself runs)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def block(after: str, language: str) -> str:
    """The first fenced ``language`` block after the heading ``after``."""
    text = README.read_text()
    start = text.index(after)
    found = re.search(rf"```{language}\n(.*?)```", text[start:], re.S)
    assert found, f"no {language} block after {after!r}"
    return found.group(1)


@pytest.mark.slow
def test_the_walkthrough_runs_in_order(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    shell = block("## The pipeline from the command line", "bash")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", shell],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for path in (
        "model.json",
        "out/response.csv",
        "audit/report.html",
        "audit/operating_point.json",
        "out2",
    ):
        assert (tmp_path / path).exists(), path
    python = block("## The pipeline from Python", "python")
    ran = subprocess.run(
        [sys.executable, "-c", python], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
