"""`xverify synth`: happy path and bad arguments (one-line error, exit 2, no partial output)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from xverify.cli import main


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture(scope="module")
def register_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "reg"
    argv = ["synth", "register", "--people", "3000", "--years", "2020-2023", "--seed", "4"]
    assert run([*argv, "--out", str(out)]) == 0
    return out


def _leftovers(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if p.name.startswith(".")]


def test_register_and_submissions_files(register_dir, tmp_path):
    assert sorted(p.name for p in register_dir.iterdir()) == [
        "addresses.parquet", "people.parquet", "returns.parquet", "taxpayers.parquet",
    ]  # fmt: skip
    years = set(pq.read_table(register_dir / "addresses.parquet")["tax_year"].to_pylist())
    assert years == {2020, 2021, 2022, 2023}
    out = tmp_path / "subs"
    argv = ["synth", "submissions", "--register", str(register_dir), "--count", "200"]
    assert run([*argv, "--profile", "replay-2025", "--seed", "1", "--out", str(out)]) == 0
    sub = pd.read_csv(out / "submissions.csv", dtype=str)
    truth = pq.read_table(out / "truth.parquet").to_pandas()
    assert len(sub) == len(truth) == 200
    assert truth.invalid.any() and (~truth.in_register).any()
    argv += ["--profile", "realistic", "--in-register-share", "1.0", "--out", str(out)]
    assert run([*argv, "--force"]) == 0
    assert pq.read_table(out / "truth.parquet").to_pandas().in_register.all()


@pytest.mark.parametrize(
    "args",
    [
        ["--people", "-5"],
        ["--people", "0"],
        ["--people", "10", "--years", "2024-2019"],
        ["--people", "10", "--years", "twenty"],
        ["--people", "10", "--seed", "-1"],
    ],
)
def test_bad_register_arguments(args, tmp_path, capsys):
    out = tmp_path / "reg"
    assert run(["synth", "register", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
    assert not out.exists() and not _leftovers(tmp_path)


@pytest.mark.parametrize(
    "args",
    [
        ["--count", "-1", "--profile", "clean"],
        ["--count", "10", "--profile", "sloppy"],
        ["--count", "10", "--profile", "clean", "--in-register-share", "1.5"],
    ],
)
def test_bad_submission_arguments(args, register_dir, tmp_path, capsys):
    out = tmp_path / "subs"
    assert (
        run(["synth", "submissions", "--register", str(register_dir), *args, "--out", str(out)])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
    assert not out.exists() and not _leftovers(tmp_path)


def test_missing_register_is_an_input_error(tmp_path, capsys):
    argv = ["synth", "submissions", "--register", str(tmp_path / "nope"), "--count", "5"]
    assert run([*argv, "--profile", "clean", "--out", str(tmp_path / "o")]) == 2
    assert "not a synthetic register" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_existing_output_needs_force_and_stays_untouched(register_dir, tmp_path, capsys):
    out = tmp_path / "reg"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert run(["synth", "register", "--people", "50", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert run(["synth", "register", "--people", "50", "--out", str(out), "--force"]) == 0
    assert not (out / "keep.txt").exists() and (out / "taxpayers.parquet").exists()
    assert not _leftovers(tmp_path)


def test_unwritable_output(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert run(["synth", "register", "--people", "50", "--out", str(blocker / "reg")]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert blocker.read_text() == "x"
