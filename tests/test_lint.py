"""The code base stays ruff-clean (lint and format), as configured in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
#: the project's own code: a virtualenv made inside the checkout (any name) is not linted
PROJECT = ("src", "tests", "benchmarks", "notebooks")


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_check() -> None:
    out = _ruff("check", *PROJECT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_format() -> None:
    out = _ruff("format", "--check", *PROJECT)
    assert out.returncode == 0, out.stdout + out.stderr
