"""Pairwise-similarity micro benchmark, anonlink side (run in the anonlink venv).

``python kernel_anonlink.py --register R --submissions S --queries Q --rows N --out DIR``:
clkhash CLKs (the anonlink adapter's schema) of the first Q requests and N register rows,
saved as ``clks_a.npy``/``clks_b.npy`` (uint64 words) for the xverify side; then anonlink's
C++ Dice over the all-pairs block Q x N (threshold 0.5, best of 3), pairs/s in ``kernel.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anonlink_peer
import common
import numpy as np


def words(clks: list) -> np.ndarray:
    raw = b"".join(c.tobytes() for c in clks)
    return np.frombuffer(raw, dtype=np.uint64).reshape(len(clks), -1).copy()


def main() -> None:
    import anonlink

    ap = argparse.ArgumentParser()
    ap.add_argument("--register", type=Path, required=True)
    ap.add_argument("--submissions", type=Path, required=True)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    reg, subs, _ = common.load(args.register, args.submissions)
    sch = anonlink_peer.schema()
    a = anonlink_peer.encode(subs.head(args.queries), sch)
    b = anonlink_peer.encode(reg.head(args.rows), sch)
    np.save(args.out / "clks_a.npy", words(a))
    np.save(args.out / "clks_b.npy", words(b))
    times = []
    for _ in range(3):
        t = time.perf_counter()
        sims, _ = anonlink.similarities.dice_coefficient_accelerated([a, b], 0.5)
        times.append(time.perf_counter() - t)
    pairs = len(a) * len(b)
    (args.out / "kernel.json").write_text(json.dumps({
        "pairs": pairs, "seconds": min(times), "pairs_per_s": pairs / min(times),
        "above_threshold": len(sims), "bits": len(a[0]),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
