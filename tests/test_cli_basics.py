"""The console script answers --help and --version and turns errors into exit codes."""

import subprocess
import sys

import xverify


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xverify", *args], capture_output=True, text=True, check=False
    )


def test_version() -> None:
    out = run("--version")
    assert out.returncode == 0
    assert xverify.__version__ in out.stdout


def test_help_lists_subcommands() -> None:
    out = run("--help")
    assert out.returncode == 0
    for name in ("synth", "encode", "keygen", "match", "demo", "audit", "log", "explain"):
        assert name in out.stdout


def test_unknown_command_fails() -> None:
    out = run("no-such-command")
    assert out.returncode != 0


def test_a_bad_threshold_exits_2_before_any_work(tmp_path) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "k"
    assert run("keygen", "--out", str(key)).returncode == 0
    out = tmp_path / "out"
    missing = str(tmp_path / "missing.parquet")
    done = run("match", "--key", str(key), "--unsigned-log", "--register", str(tmp_path),
               "--threshold", "2", missing, "--out", str(out))  # fmt: skip
    assert done.returncode == 2 and "threshold" in done.stderr
    assert not out.exists()
