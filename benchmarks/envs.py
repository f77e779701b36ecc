"""Per-peer virtual environments under ``benchmarks/envs/`` (created on first use, pinned)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENVS = HERE / "envs"

#: pinned requirements per peer (the versions measured; see results JSON for the full freeze)
PINS: dict[str, list[str]] = {
    "splink": ["splink==5.0.0", "duckdb==2.0.1", "pandas==3.1.1", "pyarrow==26.0.1"],
    "recordlinkage": [
        "recordlinkage==0.16",
        "pandas==2.3.3",
        "jellyfish==1.3.0",
        "pyarrow==26.0.1",
    ],
    "anonlink": [
        "anonlink==0.15.3",
        "clkhash==0.18.3",
        "setuptools<81",
        "pandas==3.1.1",
        "pyarrow==26.0.1",
    ],
}


def python_for(system: str) -> Path:
    """The interpreter a system runs under: the current one for xverify, else its venv's."""
    if system == "xverify":
        return Path(sys.executable)
    return ENVS / system / "bin" / "python"


def ensure(system: str) -> Path:
    """Create the venv of ``system`` with its pins if it does not exist yet."""
    py = python_for(system)
    if system == "xverify" or py.exists():
        return py
    env = ENVS / system
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", *PINS[system]], check=True,
                   timeout=1800)  # fmt: skip
    return py


def freeze(system: str) -> dict[str, str]:
    """``name -> version`` of everything installed in the system's interpreter."""
    py = python_for(system)
    res = subprocess.run(
        [str(py), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        capture_output=True, text=True,
    )  # fmt: skip
    if res.returncode != 0:
        return {}
    return {p["name"]: p["version"] for p in json.loads(res.stdout)}
