"""Structural privacy: the matching pipeline cannot reach the returns table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import xverify

PACKAGE = Path(xverify.__file__).parent
ROOT = PACKAGE.parent.parent
PIPELINE = [
    "register.py",
    "blocking.py",
    "compare.py",
    "scoring.py",
    "decide.py",
    "kernels.py",
    "disclosure.py",
    "verifier.py",
]


def test_import_contract_holds() -> None:
    """import-linter: no pipeline module imports the synthetic generator (which writes returns)."""
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run(
        [str(lint), str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "KEPT" in out.stdout


def test_pipeline_source_never_names_the_returns_table() -> None:
    pattern = re.compile(r"returns?\.parquet|[\"']returns[\"']")
    for name in PIPELINE:
        path = PACKAGE / name
        if path.exists():
            assert not pattern.search(path.read_text()), f"{name} names the returns table"
