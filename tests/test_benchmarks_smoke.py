"""Smoke test of the benchmark harness: a tiny run end to end, plus the report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's benchmarks/ package

from benchmarks import envs, harness

PEERS = ("splink", "recordlinkage", "anonlink")


def _systems() -> list[str]:
    return ["xverify"] + [p for p in PEERS if envs.python_for(p).exists()]


@pytest.mark.parametrize("peer", PEERS)
def test_peer_env_present(peer: str) -> None:
    if not envs.python_for(peer).exists():
        pytest.skip(f"{peer} venv not created (benchmarks/envs/{peer}); run the benchmark once")


def test_tiny_run_and_report(tmp_path: Path) -> None:
    systems = _systems()
    harness.main([
        "run", "--sizes", "2k", "--requests", "200", "--repeats", "1",
        "--systems", ",".join(systems), "--work", str(tmp_path / "work"),
        "--results", str(tmp_path / "results"), "--no-kernels",
    ])  # fmt: skip
    [path] = (tmp_path / "results").glob("run-*.json")
    result = json.loads(path.read_text())
    entry = result["sizes"]["2k"]
    xv = entry["systems"]["xverify"]
    assert xv["ok"], xv
    assert xv["candidate_pairs"] > 0 and xv["peak_rss_mb"] > 0
    assert 0 <= xv["accuracy"]["overmatch"] <= 1 and xv["accuracy"]["recall"] > 0.5
    for peer in systems[1:]:
        s = entry["systems"][peer]
        assert s["ok"], s
        assert "accuracy_matched" in s
    md = (tmp_path / "results" / "latest.md").read_text()
    assert "| 2k | 200 | xverify |" in md
    assert (tmp_path / "results" / "scaling.png").stat().st_size > 0


def test_the_readme_latency_table_is_the_committed_results() -> None:
    """The README's latency table is generated from benchmarks/results/latency-*.json."""
    from benchmarks.latency import README, readme_with_table

    text = README.read_text()
    assert readme_with_table(text) == text, "run: python benchmarks/latency.py --report"


def test_the_readme_spark_table_is_the_newest_committed_results() -> None:
    from benchmarks import bench_spark

    text = bench_spark.README.read_text()
    assert bench_spark.readme_with_table(text, bench_spark.latest()) == text
