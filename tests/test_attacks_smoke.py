"""Smoke run of ``benchmarks/attacks`` on a tiny register: every attack runs against default and
hardened encodings and yields shares in [0, 1], and the README table is rewritten from the JSON.
The real figures come from ``python -m benchmarks.attacks run --size 1m`` (benchmarks/README.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's benchmarks/ package

from benchmarks.attacks import report, run
from benchmarks.attacks.attacks import dictionary_attack

from xverify.encoding.keys import LinkageSecret


def test_dictionary_attack_reverses_unkeyed_hashes_only() -> None:
    secret = LinkageSecret(bytes(range(32)))
    got = dictionary_attack(["SMITH", "GARCIA", "ZQXWV", ""], ["SMITH", "GARCIA"], secret)
    assert got["unkeyed_sha256"]["reidentified"] == 2 and got["unkeyed_sha256"]["records"] == 3
    assert got["keyed_tokens"]["reidentified"] == 0


def test_tiny_attack_run_and_report(tmp_path: Path) -> None:
    result = run.run(2000, 100, tmp_path / "work", cost=False)
    for hardening in ("none", "diffusion"):
        enc = result["encodings"][hardening]
        for outcome in (
            enc["token_frequency"]["surname"],
            enc["token_frequency"]["given"],
            *(enc[k][part] for k in ("bloom_surname", "bloom_surname_known_seeds")
              for part in ("frequency_alignment", "pattern_mining", "combined")),
        ):  # fmt: skip
            assert 0.0 <= outcome["share"] <= 1.0 and outcome["records"] > 0
    assert result["dictionary"]["unkeyed_sha256"]["share"] > 0.5
    assert result["dictionary"]["keyed_tokens"]["reidentified"] == 0
    json.dumps(result)  # the result file is plain JSON
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{report.BEGIN}\nold\n{report.END}\n\nafter\n")
    report.write_report(result, readme)
    text = readme.read_text()
    assert "old" not in text and "| attack | default encoding |" in text and "after" in text
