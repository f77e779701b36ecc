"""Single requests in real time against a register indexed once (frozen model).

    python benchmarks/latency.py --size 1m --requests 1000

On the benchmark inputs of one register size (``benchmarks/data.py``: a synthetic register and
realistic requests): trains the model once on calibration requests, builds the register index
(or reuses it), then opens everything in a fresh Verifier and answers the requests one by one:

* ``decide``: ``Verifier.match`` of one request (candidates looked up, scored, decided);
* ``verify_one``: the whole disclosure path of one request (decision, identity read by TIN,
  response, log entries appended and sealed with an Ed25519 key, fsynced).

Writes ``benchmarks/results/latency-<size>.json`` and prints a Markdown table of p50/p99
latency, throughput, the time to open the index and the resident memory after opening.
``python benchmarks/latency.py --report`` rewrites the README's table from every such file.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import data
from benchmarks.tables import between
from xverify import (
    AuditLog,
    LinkageSecret,
    MatchModel,
    Verifier,
    encode_requests,
    read_submissions,
)
from xverify.signing import SigningKey

RESULTS = Path(__file__).resolve().parent / "results"
#: from this register size on, requests are drawn straight from the register, without noise
PLAIN_FROM = 5_000_000
README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = "<!-- latency table: python benchmarks/latency.py --report -->"
END = "<!-- /latency table -->"


def _rss_mb() -> float:
    """Resident memory now (MB), from /proc (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 1e6


def _ms(values: list[float]) -> dict[str, float]:
    a = np.asarray(values) * 1000.0
    return {"p50_ms": float(np.percentile(a, 50)), "p99_ms": float(np.percentile(a, 99)),
            "max_ms": float(a.max())}  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1m", help="register people (e.g. 200k, 1m, 10m)")
    ap.add_argument("--requests", type=int, default=1000, help="single requests timed")
    ap.add_argument("--calibration", type=int, default=20_000, help="requests to train on")
    ap.add_argument("--work", default=str(data.WORK))
    ap.add_argument("--report", action="store_true", help="only rewrite the README's table")
    args = ap.parse_args(argv)
    if args.report:
        README.write_text(readme_with_table(README.read_text()))
        return {}
    size = data.parse_size(args.size)
    count = args.calibration + args.requests
    if size < PLAIN_FROM:
        inputs = data.prepare(size, max(100_000, count), Path(args.work), peers=False)
        register, key, submissions = inputs.register, inputs.key, inputs.submissions
        cache = inputs.root / "cache"
    else:  # the profile generator holds the whole register in memory (~18 GB at 10M)
        register, key, submissions, cache = _plain_inputs(size, count, Path(args.work))
    secret = LinkageSecret.from_file(key)
    table, _ = encode_requests(read_submissions(submissions), secret)
    accepted = np.flatnonzero(np.asarray(table.column("status").to_pylist()) == "ACCEPTED")
    calibration = table.take(accepted[: args.calibration])
    timed = accepted[args.calibration : args.calibration + args.requests]

    setup = Verifier(register, secret, log=None, cache_dir=cache)
    start = time.perf_counter()
    setup.encoded_register()
    encode_s = time.perf_counter() - start
    start = time.perf_counter()
    model = _model(setup, calibration, cache / "latency-model.json")
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    setup = Verifier(register, secret, log=None, cache_dir=cache, model=model)
    setup.open_index()  # builds it the first time
    index_s = time.perf_counter() - start
    del setup, calibration
    gc.collect()

    rss_before = _rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        log = AuditLog(Path(tmp) / "audit.log", signing_key=SigningKey.generate())
        verifier = Verifier(register, secret, log=log, cache_dir=cache, model=model)
        start = time.perf_counter()
        verifier.open_index()
        open_s = time.perf_counter() - start
        start = time.perf_counter()
        verifier.open_index(warm=True)
        warm_s = time.perf_counter() - start
        rss_warm = _rss_mb()
        verifier.match(table.slice(int(timed[0]), 1))  # first call: kernels
        decide, verify = [], []
        stream_start = time.perf_counter()
        for k, row in enumerate(timed):  # alternate requests: neither warms the other's rows
            one = table.slice(int(row), 1)
            t0 = time.perf_counter()
            verifier.match(one) if k % 2 else verifier.verify_one(one)
            (decide if k % 2 else verify).append(time.perf_counter() - t0)
        stream_s = time.perf_counter() - stream_start
        rss_after = _rss_mb()
    result = {
        "size": size,
        "requests": len(timed),
        "request_profile": "realistic" if size < PLAIN_FROM else "noise-free (scale_10m)",
        "machine": {"cpus": len(os.sched_getaffinity(0)), "python": platform.python_version()},
        "register_encoding_or_cache_s": encode_s,
        "train_s": train_s,
        "index_build_or_open_s": index_s,
        "open_s": open_s,
        "warm_s": warm_s,
        "decide": _ms(decide),
        "verify_one": _ms(verify),
        "verify_one_per_s": len(verify) / sum(verify),
        "stream_s": stream_s,
        "rss_mb": {"before_open": rss_before, "warm": rss_warm, "after": rss_after},
        "index_on_disk_mb": _disk_mb(cache),
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"latency-{data.label(size)}.json"
    out.write_text(json.dumps(result, indent=1))
    print(table_md([result]))
    print(f"wrote {out}; python benchmarks/latency.py --report puts it in the README")
    return result


def _plain_inputs(size: int, count: int, work: Path) -> tuple[Path, Path, Path, Path]:
    """Register, key, requests and cache for large registers: noise-free requests drawn
    straight from the register (``benchmarks/scale_10m.py``)."""
    from benchmarks.scale_10m import build_requests
    from xverify.encoding.keys import write_secret
    from xverify.synth import write_register

    root = work / f"size-{data.label(size)}"
    register = root / "register"
    if not (register / "addresses.parquet").exists():
        write_register(register, size, data.YEARS, np.random.default_rng(size), force=True)
    submissions = root / f"plain-requests-{data.label(count)}.csv"
    if not submissions.exists():
        build_requests(register, submissions, count)
    key = work / "key"
    if not key.exists():
        write_secret(key)
    return register, key, submissions, root / "cache"


def _model(setup: Verifier, calibration: object, path: Path) -> MatchModel:
    """The model trained on the calibration requests, kept beside the cache for the next run."""
    if path.exists():
        model = MatchModel.load(path)
        if model.trained_for == setup.trained_for():
            return model
    model = setup.train(calibration)  # type: ignore[arg-type]
    model.save(path)
    return model


def _disk_mb(cache: Path) -> float:
    """Size of the register index and identity index on disk (MB)."""
    files = [f for d in (*cache.glob("*.index"), cache / "identities") for f in d.glob("*")]
    return sum(f.stat().st_size for f in files) / 1e6


def committed() -> list[dict]:
    """Every committed latency result, smallest register first."""
    found = [json.loads(f.read_text()) for f in RESULTS.glob("latency-*.json")]
    return sorted(found, key=lambda r: r["size"])


def readme_with_table(text: str) -> str:
    """``text`` with the part between the latency markers replaced by the committed results."""
    return between(text, BEGIN, END, table_md(committed()))


def table_md(results: list[dict]) -> str:
    """The README's latency table from result dicts."""
    rows = [
        "| register | requests | open index | warm it | decide p50 / p99 | "
        "verify_one p50 / p99 (logged) | verify_one per second | index on disk |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['size']:,} people | {r.get('request_profile', 'realistic')} | "
            f"{r['open_s'] * 1000:.0f} ms | {r.get('warm_s', float('nan')):.1f} s | "
            f"{r['decide']['p50_ms']:.1f} / {r['decide']['p99_ms']:.1f} ms | "
            f"{r['verify_one']['p50_ms']:.1f} / {r['verify_one']['p99_ms']:.1f} ms | "
            f"{r['verify_one_per_s']:.0f} | {r.get('index_on_disk_mb', float('nan')):,.0f} MB |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    main()
