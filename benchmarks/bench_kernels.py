"""Throughput of the matching kernels on random encodings: pairs per second.

Run: ``python benchmarks/bench_kernels.py [--pairs N] [--register N] [--submissions N]``.
Dice on one 1024-bit field (numba, numba parallel, NumPy), then the whole candidate scoring
(all comparison levels + Fellegi-Sunter weights) over pairs sorted by register row, as the
blocking stage emits them, the whole stage (blocking + comparison + scoring, default kernels) and
the token join alone. Random encodings give more candidates per register row than real ones.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from xverify.matching import compare_kernels as CK
from xverify.matching.blocking import BlockingConfig, Encoded, Kernels, TokenStats, build_index
from xverify.matching.compare import (
    CompareConfig,
    RequestFrequencies,
    compare_pairs,
    random_encoded_table,
)
from xverify.matching.levels import LEVEL_LABELS, Comparison
from xverify.matching.model import ComparisonParams, MatchModel
from xverify.matching.pipeline import score_candidates
from xverify.matching.score import score_compared


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    fn()  # warm up / compile
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _model() -> MatchModel:
    params = []
    for c in Comparison:
        n = len(LEVEL_LABELS[c])
        m = np.geomspace(0.01, 1, n)
        u = np.geomspace(1, 0.001, n)
        params.append(ComparisonParams(c, tuple(m / m.sum()), tuple(u / u.sum())))
    return MatchModel(params=tuple(params), prior=1e-6, candidate_prior=0.01)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pairs", type=int, default=4_000_000)
    ap.add_argument("--register", type=int, default=200_000)
    ap.add_argument("--submissions", type=int, default=20_000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    subs_t = random_encoded_table(args.submissions, rng, vocabulary=5000)
    reg_t = random_encoded_table(args.register, rng, vocabulary=5000)
    subs, reg = Encoded.of(subs_t), Encoded.of(reg_t)
    n = args.pairs
    ri = np.sort(rng.integers(0, reg.rows, n))
    si = rng.integers(0, subs.rows, n)
    rows: list[tuple[str, float]] = []

    a = np.ascontiguousarray(np.concatenate([subs.words] * 2, axis=1)[:, :16])  # 1024 bits
    b = np.ascontiguousarray(np.concatenate([reg.words] * 2, axis=1)[:, :16])
    for name, fn in (
        ("dice 1024 bits  numba", CK.dice_nb),
        ("dice 1024 bits  numba parallel", CK.dice_par_nb),
        ("dice 1024 bits  numpy", CK.dice_np),
    ):
        m = n if fn is not CK.dice_np else n // 8
        rows.append((name, m / _best(lambda fn=fn, m=m: fn(a, b, si[:m], ri[:m]))))

    stats = TokenStats.from_batches(reg_t)
    model = _model()
    from xverify.matching.blocking import CandidatePairs

    pairs = CandidatePairs(si.astype(np.int32), ri.astype(np.int64))
    cfg = CompareConfig()
    freq = RequestFrequencies.of(subs, stats)  # once per batch, as the pipeline does
    for name, kernels, m in (
        ("compare+score  numba", Kernels.NUMBA, n),
        ("compare+score  numba parallel", Kernels.NUMBA_PARALLEL, n),
        ("compare+score  numpy", Kernels.NUMPY, n // 16),
    ):
        p = CandidatePairs(pairs.sub_idx[:m], pairs.reg_idx[:m])

        def run(p: CandidatePairs = p, kernels: Kernels = kernels) -> None:
            compared = compare_pairs(subs, reg, p, cfg, stats, kernels=kernels, frequencies=freq)
            score_compared(compared, model, kernels)

        rows.append((name, m / _best(run)))

    def pipeline() -> int:
        return len(score_candidates(subs_t, reg_t, model, stats=stats))

    found = pipeline()
    rows.append((f"block+compare+score ({found} pairs)  pairs", found / _best(pipeline, 2)))

    index = build_index(subs, BlockingConfig(), stats)
    t = _best(lambda: index.join(reg, 0), repeat=2)
    found = len(index.join(reg, 0))
    rows.append((f"token join ({found} pairs)  register rows", reg.rows / t))

    print(f"{'kernel':<44} {'per second':>14}")
    for name, rate in rows:
        print(f"{name:<44} {rate:>14,.0f}")


if __name__ == "__main__":
    main()
