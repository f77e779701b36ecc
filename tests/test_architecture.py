"""Structural privacy: the matching pipeline cannot reach the returns table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import xverify

PACKAGE = Path(xverify.__file__).parent
ROOT = PACKAGE.parent.parent
PIPELINE = sorted(
    [
        PACKAGE / "register.py",
        PACKAGE / "disclosure.py",
        PACKAGE / "verifier.py",
        *(PACKAGE / "matching").glob("*.py"),
    ]
)


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
    assert len(PIPELINE) > 10, "the pipeline modules moved: update PIPELINE"
    for path in PIPELINE:
        assert not pattern.search(path.read_text()), f"{path.name} names the returns table"
