"""Pairwise-similarity micro benchmark: anonlink's C++ Dice vs xverify's numba Dice kernels.

Same CLKs (clkhash, 1024 bits, written by the anonlink side) and the same all-pairs block of
Q requests x N register rows; pairs ordered by register row as xverify's blocking emits them.
Best of 3 after a warm-up; pairs/s.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import envs
from .harness import PEERS, run_child


def _best(fn: Any, repeat: int = 3) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def xverify_side(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """pairs/s of xverify's Dice kernels over all pairs of ``a`` x ``b``."""
    from xverify.matching import compare_kernels as CK

    ia = np.tile(np.arange(len(a), dtype=np.int32), len(b))
    ib = np.repeat(np.arange(len(b), dtype=np.int64), len(a))
    n = len(ia)
    out = {}
    for name, fn in (("xverify dice_nb (1 thread)", CK.dice_nb),
                     ("xverify dice_par_nb (2 threads)", CK.dice_par_nb)):  # fmt: skip
        out[name] = n / _best(lambda fn=fn: fn(a, b, ia, ib))
    return out


def micro(work: Path, queries: int, rows: int) -> dict[str, Any]:
    """Run both sides on the 100k inputs (or the largest prepared size); results dict."""
    sizes = sorted(work.glob("size-*/peer_register.parquet"), key=lambda p: p.stat().st_size)
    if not sizes:
        return {"ok": False, "error": "no prepared inputs"}
    peer = sizes[-1]
    subs = sorted(peer.parent.glob("requests-*/submissions.csv"))[-1]
    out = work / "kernels"
    py = envs.ensure("anonlink")
    res = run_child([str(py), str(PEERS / "kernel_anonlink.py"), "--register", str(peer),
                     "--submissions", str(subs), "--queries", str(queries), "--rows", str(rows),
                     "--out", str(out)], out.parent / "kernels.log", 1800)  # fmt: skip
    if res["returncode"] != 0:
        return {"ok": False, "error": (out.parent / "kernels.log").read_text()[-500:]}
    an = json.loads((out / "kernel.json").read_text())
    a, b = np.load(out / "clks_a.npy"), np.load(out / "clks_b.npy")
    rates = {"anonlink dice_coefficient_accelerated (C++, 1 thread)": an["pairs_per_s"]}
    rates.update(xverify_side(a, b))
    base = rates["anonlink dice_coefficient_accelerated (C++, 1 thread)"]
    return {
        "ok": True,
        "workload": f"{a.shape[0]} x {b.shape[0]} all-pairs, {a.shape[1] * 64}-bit clkhash CLKs "
        f"from the {peer.parent.name} inputs",
        "pairs": int(a.shape[0] * b.shape[0]),
        "pairs_per_s": rates,
        "ratio_to_anonlink": {k: v / base for k, v in rates.items()},
    }
