"""Markdown table (``results/latest.md``) and log-log scaling plot (``results/scaling.png``)."""

from __future__ import annotations

import json
import math
from itertools import pairwise
from pathlib import Path
from typing import Any

ORDER = ("xverify", "splink", "recordlinkage", "anonlink")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f}%"


def _stages(s: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in s["stages"].items())


def table(result: dict[str, Any]) -> list[str]:
    """Markdown lines for one run."""
    m = result["machine"]
    lines = [
        f"Run {m['date']} on {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, "
        f"Python {m['python']}; repeats {result['repeats']} (medians), timeout "
        f"{result['timeout_s']:.0f} s.",
        "",
        "| register | requests | system | total s | x xverify | peak RSS MB | x xverify "
        "| candidate pairs | pairs/s | own threshold | linked | overmatch | recall "
        "| recall @ xverify overmatch | stages (s) |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for size, entry in result["sizes"].items():
        for name in sorted(entry["systems"], key=lambda n: ORDER.index(n)):
            s = entry["systems"][name]
            head = f"| {size} | {entry['requests']:,} | {name} "
            if not s.get("ok"):
                err = str(s.get("error", "failed")).splitlines()[-1][:80].replace("|", "/")
                lines.append(head + f"| FAILED: {err} |" + " |" * 13)
                continue
            a = s["accuracy"]
            mt = s.get("accuracy_matched")
            if name == "xverify":
                at = "(reference)"
            elif mt is None:
                at = "–"
            elif mt.get("unreachable"):
                at = f"unreachable (lowest overmatch {_pct(mt['lowest_overmatch'])})"
            else:
                at = f"{mt['recall']:.3f} (score ≥ {mt['threshold']:.10g})"
            pairs = s["candidate_pairs"]
            rate = s.get("pairs_per_s")
            lines.append(
                head + f"| {s['total']:.2f} | {s.get('time_ratio_to_xverify', 1):.2f} "
                f"| {s['peak_rss_mb']:.0f} | {s.get('rss_ratio_to_xverify', 1):.2f} "
                f"| {pairs:,} | {'–' if rate is None else f'{rate:,.0f}'} "
                f"| {s['threshold_label']} | {a['linked']:,} | {_pct(a['overmatch'])} "
                f"| {a['recall']:.3f} | {at} | {_stages(s)} |"
            )
    lines += ["", *slopes(result)]
    k = result.get("kernels")
    if k and k.get("ok"):
        lines += ["", f"Pairwise Dice micro benchmark ({k['workload']}, {k['pairs']:,} pairs):",
                  "", "| kernel | pairs/s | x anonlink |", "|---|---:|---:|"]  # fmt: skip
        for name, rate in k["pairs_per_s"].items():
            lines.append(f"| {name} | {rate:,.0f} | {k['ratio_to_anonlink'][name]:.2f} |")
    elif k:
        lines += ["", f"Kernel micro benchmark failed: {k.get('error', '')[-200:]}"]
    return lines


def slopes(result: dict[str, Any]) -> list[str]:
    """Log-log slope of total time against register size between consecutive sizes."""
    rows = []
    entries = sorted(result["sizes"].values(), key=lambda e: e["register"])
    for name in ORDER:
        pts = [(e["register"], e["requests"], e["systems"][name]["total"]) for e in entries
               if e["systems"].get(name, {}).get("ok")]  # fmt: skip
        cells = []
        for (n0, q0, t0), (n1, q1, t1) in pairwise(pts):
            cells.append(f"{label(n0)}→{label(n1)}: {math.log(t1 / t0) / math.log(n1 / n0):.2f}"
                         + ("" if q0 == q1 else f" (requests x{q1 / q0:g})"))  # fmt: skip
        if cells:
            rows.append(f"| {name} | {'; '.join(cells)} |")
    if not rows:
        return []
    return ["Cost growth: log-log slope of total time vs register size (1 = linear; the request "
            "count grows with the register unless --requests is fixed):", "",
            "| system | slope |", "|---|---|", *rows]  # fmt: skip


def label(n: int) -> str:
    for unit, div in (("m", 1_000_000), ("k", 1_000)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def plot(results: list[dict[str, Any]], path: Path) -> None:
    """Log-log total time and peak RSS against register size, one line per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, dict[int, tuple[float, float]]] = {}
    for r in results:  # later runs override earlier ones at the same size
        for entry in r["sizes"].values():
            for name, s in entry["systems"].items():
                if s.get("ok"):
                    series.setdefault(name, {})[entry["register"]] = (s["total"], s["peak_rss_mb"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for name in sorted(series, key=lambda n: ORDER.index(n)):
        pts = sorted(series[name].items())
        xs = [p[0] for p in pts]
        for ax, i in zip(axes, (0, 1), strict=True):
            ax.plot(xs, [p[1][i] for p in pts], marker="o", label=name)
    for ax, title in zip(axes, ("end-to-end time (s)", "peak RSS (MB)"), strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("register size (people)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(files: list[Path], outdir: Path) -> Path:
    """``latest.md`` (every given run, newest first) and ``scaling.png``."""
    results = [json.loads(Path(f).read_text()) for f in files]
    lines = ["# Benchmark results", "", "Generated by `python -m benchmarks report` from "
             + ", ".join(f"`{Path(f).name}`" for f in files) + ".", ""]  # fmt: skip
    for r in reversed(results):
        lines += [f"## `{r['command']}`", "", *table(r), ""]
    outdir.mkdir(parents=True, exist_ok=True)
    md = outdir / "latest.md"
    md.write_text("\n".join(lines) + "\n")
    plot(results, outdir / "scaling.png")
    print(f"wrote {md} and {outdir / 'scaling.png'}")
    return md
