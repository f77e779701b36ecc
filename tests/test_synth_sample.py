"""The committed sample in synthetic_data/ regenerates byte for byte from its README commands."""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

import pytest

from xverify.cli import main

SAMPLE = Path(__file__).resolve().parent.parent / "synthetic_data"


def _commands() -> list[list[str]]:
    lines = (SAMPLE / "README.md").read_text(encoding="utf-8").splitlines()
    return [shlex.split(line)[1:] for line in lines if line.startswith("xverify synth ")]


def _sums() -> dict[str, str]:
    out = {}
    for line in (SAMPLE / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        out[name.removeprefix("./")] = digest
    return out


def test_sample_is_small_and_complete():
    sums = _sums()
    assert len(sums) == 14
    total = sum((SAMPLE / name).stat().st_size for name in sums)
    assert total < 15_000_000
    for name, digest in sums.items():
        assert hashlib.sha256((SAMPLE / name).read_bytes()).hexdigest() == digest, name


def test_regenerating_the_sample_gives_identical_bytes(tmp_path, monkeypatch):
    commands = _commands()
    assert len(commands) == 6
    monkeypatch.chdir(tmp_path)
    (tmp_path / "synthetic_data").mkdir()
    for argv in commands:
        try:
            main(argv)
        except SystemExit as exc:  # pragma: no cover - only on failure
            pytest.fail(f"{argv[:2]} exited with {exc.code}")
    for name, digest in _sums().items():
        got = hashlib.sha256((tmp_path / "synthetic_data" / name).read_bytes()).hexdigest()
        assert got == digest, name
