"""``python -m benchmarks spark``: the Spark engine in local mode against the local engine.

For each register size, one process per engine (``local``, Spark ``local[1]``, ``local[2]``)
matches the same requests against the same encoded register (encoded once beforehand, so the
stages timed are the matching ones) and reports the Verifier's per-stage seconds, the decisions'
digest (all engines must agree), the driver's peak memory (VmHWM of the Python driver; the JVM
and the Python workers are other processes, reported apart) and the shuffle bytes Spark's event
log records. Results go to ``benchmarks/results/spark-<time>.json`` and ``spark-latest.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import data
from .tables import between

HERE = Path(__file__).resolve().parent
ENGINES = ("local", "local[1]", "local[2]")


def _vm_hwm_mb(pid: int | str = "self") -> float:
    """Peak resident memory of a process (its VmHWM)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _children_peak_mb() -> float:
    """The largest peak memory among this process's descendants (the JVM, Python workers)."""
    import psutil

    peaks = [_vm_hwm_mb(c.pid) for c in psutil.Process().children(recursive=True)]
    return max([p for p in peaks if p == p], default=0.0)


def _shuffle_bytes(events: Path) -> int:
    """Shuffle bytes written, summed over every finished task in the event log."""
    total = 0
    for f in events.rglob("*"):
        if not f.is_file():
            continue
        for line in f.read_text(errors="replace").splitlines():
            if '"SparkListenerTaskEnd"' not in line:
                continue
            metrics = json.loads(line).get("Task Metrics") or {}
            total += int(
                (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
            )
    return total


def child(args: argparse.Namespace) -> None:
    """One engine's run, in its own process: prints one JSON line."""
    import pyarrow.parquet as pq

    from xverify import LinkageSecret, MatchConfig, Verifier
    from xverify.engines import Engine, LocalEngine

    secret = LinkageSecret.from_file(args.key)
    encoded = pq.read_table(args.encoded)
    engine: Engine = LocalEngine()
    events = Path(tempfile.mkdtemp(prefix="xverify-spark-events-"))
    session = None
    started = time.perf_counter()
    if args.engine != "local":
        from xverify.engines.spark import SparkEngine, spark_session

        session = spark_session(args.engine, **{
            "spark.eventLog.enabled": "true", "spark.eventLog.dir": events.as_uri(),
            "spark.eventLog.compress": "false", "spark.driver.memory": "4g",
        })  # fmt: skip
        engine = SparkEngine(session, task_threads=args.task_threads)
    session_s = time.perf_counter() - started
    v = Verifier(args.register, secret, MatchConfig(), log=None, cache_dir=args.cache,
                 engine=engine)  # fmt: skip
    v.encoded_register()  # encoded beforehand: a cache hit, not timed as matching
    started = time.perf_counter()
    matched = v.match(encoded)
    wall = time.perf_counter() - started
    decisions = matched.decisions[["request_id", "outcome", "person", "match_weight"]]
    digest = hashlib.sha256(
        decisions.assign(match_weight=decisions["match_weight"].round(9))
        .to_csv(index=False)
        .encode()
    ).hexdigest()
    driver_mb = _vm_hwm_mb()
    children_mb = _children_peak_mb()  # before stop: the JVM is still running
    if session is not None:
        session.stop()
    print(json.dumps({
        "engine": args.engine, "task_threads": args.task_threads,
        "session_s": round(session_s, 2), "match_s": round(wall, 2),
        "stages_s": {k: round(s, 2) for k, s in v.seconds.items() if k != "register"},
        "register_rows": v.encoded_register().rows, "requests": encoded.num_rows,
        "candidate_pairs": len(matched.candidates),
        "verified": int((matched.decisions["outcome"] == "VERIFIED").sum()),
        "decisions_digest": digest, "driver_peak_mb": round(driver_mb, 1),
        "largest_child_peak_mb": round(children_mb, 1),
        "shuffle_bytes": _shuffle_bytes(events) if session is not None else 0,
    }))  # fmt: skip


def run(args: argparse.Namespace) -> Path:
    from xverify import LinkageSecret
    from xverify.requests import encode_submissions_file

    results: dict[str, Any] = {"machine": _machine(), "command": " ".join(sys.argv), "sizes": {}}
    for size in [data.parse_size(s) for s in args.sizes.split(",")]:
        requests = args.requests or min(100_000, size // 10)
        inp = data.prepare(size, requests, Path(args.work))
        encoded = inp.root / f"encoded-{data.label(requests)}.parquet"
        if not encoded.exists():
            encode_submissions_file(inp.submissions, encoded, LinkageSecret.from_file(inp.key))
        cache = inp.root / "spark-cache"
        started = time.perf_counter()
        from xverify import MatchConfig, Verifier

        Verifier(inp.register, LinkageSecret.from_file(inp.key), MatchConfig(), log=None,
                 cache_dir=cache).encoded_register()  # fmt: skip
        entry: dict[str, Any] = {
            "requests": requests,
            "register_encode_s": round(time.perf_counter() - started, 2),
            "runs": [],
        }
        for engine in args.engines.split(","):
            cmd = [sys.executable, "-m", "benchmarks.bench_spark", "--child",
                   "--engine", engine, "--register", str(inp.register), "--key", str(inp.key),
                   "--encoded", str(encoded), "--cache", str(cache),
                   "--task-threads", str(args.task_threads)]  # fmt: skip
            print(f"{data.label(size)} x {data.label(requests)}: {engine}", flush=True)
            done = subprocess.run(cmd, cwd=HERE.parent, capture_output=True, text=True,
                                  timeout=args.timeout)  # fmt: skip
            if done.returncode != 0:
                entry["runs"].append({"engine": engine, "ok": False,
                                      "stderr": done.stderr[-2000:]})  # fmt: skip
                continue
            entry["runs"].append({"ok": True, **json.loads(done.stdout.strip().splitlines()[-1])})
            print("  ", entry["runs"][-1], flush=True)
        digests = {r["decisions_digest"] for r in entry["runs"] if r.get("ok")}
        entry["engines_agree"] = len(digests) == 1
        results["sizes"][data.label(size)] = entry
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"spark-{stamp}.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    (out / "spark-latest.md").write_text(table(results))
    README.write_text(readme_with_table(README.read_text(), results))
    print(f"wrote {path}, spark-latest.md and the README's table")
    return path


README = HERE.parent / "README.md"
BEGIN = "<!-- spark table: python -m benchmarks spark -->"
END = "<!-- /spark table -->"


def latest() -> dict[str, Any]:
    """The newest committed results file."""
    return json.loads(sorted((HERE / "results").glob("spark-*.json"))[-1].read_text())


def readme_with_table(text: str, results: dict[str, Any]) -> str:
    """``text`` with the README's Spark table made from ``results``."""
    return between(text, BEGIN, END, table(results).rstrip("\n"))


def table(results: dict[str, Any]) -> str:
    """The Markdown table of one results file (docs/scaling.md quotes it)."""
    lines = [
        f"Machine: {results['machine']['cpu']}, {results['machine']['cores']} cores; "
        f"commit {results['machine']['commit'][:10]}; command `{_portable(results['command'])}`.",
        "",
        "| register rows | requests | engine | session s | stats s | train s | score s | "
        "decide s | match s | driver peak MB | largest child MB | shuffle bytes | agree |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in results["sizes"].values():
        for r in entry["runs"]:
            if not r.get("ok"):
                lines.append(f"| | {entry['requests']} | {r['engine']} | failed |||||||||")
                continue
            s = r["stages_s"]
            lines.append(
                f"| {r['register_rows']:,} | {r['requests']:,} | {r['engine']} | "
                f"{r['session_s']} | {s.get('stats', 0)} | {s.get('train', 0)} | "
                f"{s.get('score', 0)} | {s.get('decide', 0)} | {r['match_s']} | "
                f"{r['driver_peak_mb']} | {r['largest_child_peak_mb']} | {r['shuffle_bytes']} | "
                f"{'yes' if entry['engines_agree'] else 'NO'} |"
            )
    return "\n".join(lines) + "\n"


def _portable(command: str) -> str:
    """The recorded command as anyone would type it (no local paths)."""
    command = re.sub(r"^\S*__main__\.py", "python -m benchmarks", command)
    return re.sub(r" --work \S+", "", command)


def _machine() -> dict[str, Any]:
    from .harness import machine

    return machine()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks spark", description=__doc__)
    ap.add_argument("--sizes", default="100k,1m", help="register people, comma-separated")
    ap.add_argument("--requests", type=int, default=None, help="default min(100k, size/10)")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--task-threads", type=int, default=1, help="numba threads per Spark task")
    ap.add_argument("--timeout", type=float, default=3600.0)
    ap.add_argument("--work", default=str(data.WORK))
    ap.add_argument("--results", default=str(HERE / "results"))
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--engine", help=argparse.SUPPRESS)
    ap.add_argument("--register", help=argparse.SUPPRESS)
    ap.add_argument("--key", help=argparse.SUPPRESS)
    ap.add_argument("--encoded", help=argparse.SUPPRESS)
    ap.add_argument("--cache", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if args.child:
        child(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
