"""The benchmark harness: ``python -m benchmarks run ...`` and ``python -m benchmarks report``.

Each system runs as its own process (peers under their own venv); the harness records wall time,
peak RSS (``wait4`` rusage of the child), the stages each system reports, candidate pairs, and
accuracy against the synthetic truth at the system's own threshold and at a threshold matched to
xverify's overmatch. Timings are repeated with the system order rotated; medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from . import data, envs, metrics

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PEERS = HERE / "peers"
SYSTEMS = ("xverify", "splink", "recordlinkage", "anonlink")
SCRIPTS = {
    "xverify": "xverify_run.py",
    "splink": "splink_peer.py",
    "recordlinkage": "recordlinkage_peer.py",
    "anonlink": "anonlink_peer.py",
}
PEERS_MAX_SIZE = 1_000_000  # above this, peers only with --peers-large


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, OS, Python and date."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(x.split()[1]) * 1024
            for x in Path("/proc/meminfo").read_text().splitlines()
            if x.startswith("MemTotal")
        )
    except OSError:
        mem = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_avg_start": os.getloadavg()[0],
        **_git(),
    }


def _git() -> dict[str, Any]:
    """Commit of the working tree and whether xverify's sources differ from it."""

    def git(*a: str) -> str:
        res = subprocess.run(["git", *a], cwd=HERE.parent, capture_output=True, text=True)
        return res.stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "src_dirty": bool(git("status", "--porcelain", "src")),
    }


def _hwm_mb(pid: int) -> float:
    """VmHWM of a live process in MB (0 when gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_child(cmd: list[str], log: Path, timeout: float) -> dict[str, Any]:
    """Run ``cmd``; wall seconds, peak RSS (MB, polled VmHWM), exit status, timeout flag.

    ``ru_maxrss`` of a child is useless here: Linux carries the parent's high-water mark over
    ``exec``. The adapters also report their own VmHWM at exit; the larger value is kept.
    """
    start = time.perf_counter()
    peak = 0.0
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = False
        while True:
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _hwm_mb(proc.pid))
            if time.perf_counter() - start > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                timed_out = True
                pid, status, _ = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": time.perf_counter() - start,
        "peak_rss_mb": peak,
        "returncode": proc.returncode,
        "timed_out": timed_out,
    }


def run_system(system: str, inp: data.Inputs, out: Path, timeout: float) -> dict[str, Any]:
    """One run of one system on one size: timings, memory, pairs, decisions path."""
    out.mkdir(parents=True, exist_ok=True)
    py = envs.ensure(system)
    cmd = [str(py), str(PEERS / SCRIPTS[system]), "--submissions", str(inp.submissions),
           "--out", str(out)]  # fmt: skip
    if system == "xverify":
        cmd += ["--register", str(inp.register), "--key", str(inp.key)]
    else:
        cmd += ["--register", str(inp.peer_register)]
    (out / "timings.json").unlink(missing_ok=True)
    res = run_child(cmd, out / "log.txt", timeout)
    res["ok"] = res["returncode"] == 0 and not res["timed_out"]
    if res["ok"]:
        info = json.loads((out / "timings.json").read_text())
        res.update(info)
        res["peak_rss_mb"] = max(res["peak_rss_mb"], info.get("peak_rss_mb_self", 0.0))
        res["total"] = sum(info["stages"].values())
    else:
        tail = (out / "log.txt").read_text(errors="replace").strip().splitlines()[-5:]
        res["error"] = "timeout" if res["timed_out"] else "\n".join(tail)
    return res


def summarize(runs: list[dict[str, Any]], inp: data.Inputs, out: Path) -> dict[str, Any]:
    """Medians over the repeats plus accuracy from the last successful run."""
    ok = [r for r in runs if r["ok"]]
    if not ok:
        last = runs[-1]
        return {"ok": False, "error": last.get("error", "failed"), "repeats": len(runs),
                "peak_rss_mb": last["peak_rss_mb"], "wall": last["wall"]}  # fmt: skip
    stages = {k: statistics.median(r["stages"].get(k, 0.0) for r in ok) for k in ok[0]["stages"]}
    s: dict[str, Any] = {
        "ok": True,
        "repeats": len(ok),
        "failed_repeats": len(runs) - len(ok),
        "wall": statistics.median(r["wall"] for r in ok),
        "total": statistics.median(r["total"] for r in ok),
        "totals": [r["total"] for r in ok],
        "stages": stages,
        "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in ok),
        "candidate_pairs": ok[-1]["candidate_pairs"],
        "threshold": ok[-1]["threshold"],
        "threshold_label": ok[-1]["threshold_label"],
        "packages": ok[-1]["packages"],
    }
    score_stage = sum(stages.get(k, 0.0) for k in ("block", "compare", "score", "block+score"))
    if s["candidate_pairs"] > 0 and score_stage > 0:
        s["pairs_per_s"] = s["candidate_pairs"] / score_stage
    decisions = pd.read_parquet(out / "decisions.parquet")
    truth = pd.read_parquet(inp.truth)
    s["accuracy"] = metrics.accuracy(decisions, truth)
    return s


def run(args: argparse.Namespace) -> Path:
    sizes = [data.parse_size(x) for x in args.sizes.split(",")]
    systems = [s for s in args.systems.split(",") if s]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        raise SystemExit(f"unknown systems: {sorted(unknown)}")
    work = Path(args.work)
    result: dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv),
                              "repeats": args.repeats, "timeout_s": args.timeout,
                              "sizes": {}, "versions": {}}  # fmt: skip
    for system in systems:
        try:
            envs.ensure(system)
            result["versions"][system] = envs.freeze(system)
        except (subprocess.SubprocessError, OSError) as exc:
            result["versions"][system] = {"error": repr(exc)}
    for size in sizes:
        requests = args.requests or min(100_000, max(size // 10, 1))
        t = time.perf_counter()
        inp = data.prepare(size, requests, work)
        print(f"[{data.label(size)}] inputs ready ({time.perf_counter() - t:.1f} s)", flush=True)
        entry: dict[str, Any] = {"register": size, "requests": requests, "systems": {}}
        active = [s for s in systems if s == "xverify" or size <= PEERS_MAX_SIZE
                  or args.peers_large]  # fmt: skip
        for s in systems:
            if s not in active:
                entry["systems"][s] = {"ok": False, "error": "not run (peers up to 1m only)"}
        runs: dict[str, list[dict[str, Any]]] = {s: [] for s in active}
        for rep in range(args.repeats):
            order = active[rep % len(active) :] + active[: rep % len(active)]
            for s in order:
                if runs[s] and not runs[s][-1]["ok"]:
                    continue  # a failure or timeout is not retried
                r = run_system(s, inp, work / "runs" / data.label(size) / s, args.timeout)
                runs[s].append(r)
                msg = f"total {r['total']:.1f} s" if r["ok"] else f"FAILED {r['error'][-200:]}"
                print(f"[{data.label(size)}] {s:<13} rep {rep + 1}: {msg}, "
                      f"peak {r['peak_rss_mb']:.0f} MB", flush=True)  # fmt: skip
        for s in active:
            entry["systems"][s] = summarize(runs[s], inp, work / "runs" / data.label(size) / s)
        _compare(entry, inp, work / "runs" / data.label(size))
        result["sizes"][data.label(size)] = entry
    if args.kernels:
        from .kernels import micro

        result["kernels"] = micro(work, args.kernel_queries, args.kernel_register)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(args.results) / f"run-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, default=str))
    print(f"wrote {path}")
    if not args.no_report:
        from .report import write_report

        write_report([path], Path(args.results))
    return path


def _compare(entry: dict[str, Any], inp: data.Inputs, runs: Path) -> None:
    """Ratios to xverify and each peer's accuracy at xverify's overmatch."""
    xv = entry["systems"].get("xverify", {})
    if not xv.get("ok"):
        return
    truth = pd.read_parquet(inp.truth)
    target = xv["accuracy"]["overmatch"]
    for name, s in entry["systems"].items():
        if not s.get("ok"):
            continue
        s["time_ratio_to_xverify"] = s["total"] / xv["total"]
        s["rss_ratio_to_xverify"] = s["peak_rss_mb"] / xv["peak_rss_mb"]
        if name != "xverify":
            decisions = pd.read_parquet(runs / name / "decisions.parquet")
            s["accuracy_matched"] = metrics.matched(decisions, truth, target)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="generate inputs, run the systems, write results JSON")
    r.add_argument("--sizes", default="10k,100k")
    r.add_argument("--requests", type=int, default=None, help="default min(100k, size/10)")
    r.add_argument("--repeats", type=int, default=3)
    r.add_argument("--systems", default=",".join(SYSTEMS))
    r.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    r.add_argument("--peers-large", action="store_true", help="also run peers above 1m")
    r.add_argument("--work", default=str(data.WORK))
    r.add_argument("--results", default=str(RESULTS))
    r.add_argument("--no-kernels", dest="kernels", action="store_false")
    r.add_argument("--kernel-queries", type=int, default=1000)
    r.add_argument("--kernel-register", type=int, default=20000)
    r.add_argument("--no-report", action="store_true")
    p = sub.add_parser("report", help="Markdown table and plot from results JSON")
    p.add_argument("files", nargs="*", type=Path, help="default: every run-*.json")
    p.add_argument("--results", default=str(RESULTS))
    args = ap.parse_args(argv)
    if args.cmd == "run":
        run(args)
    else:
        from .report import write_report

        files = args.files or sorted(Path(args.results).glob("run-*.json"))
        write_report(files, Path(args.results))
