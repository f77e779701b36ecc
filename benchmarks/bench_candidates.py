"""Candidate comparison + scoring throughput on *real* candidate pairs: pairs per second.

Run after ``xverify match`` (which caches the encoded register and writes ``model.json``)::

    python benchmarks/bench_candidates.py --key KEY --register REG ENCODED.parquet OUT/model.json

Streams the cached encoded register past the blocking index of the accepted requests, as the
matcher does, and times each stage over all chunks (best of ``--repeat`` per chunk): the token
join, the comparison alone and comparison + Fellegi-Sunter scoring, on one thread and on all
threads. Unlike ``bench_kernels.py`` (random encodings), the pairs here are the matcher's own:
mostly people sharing a name token or a street line, many agreeing exactly.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from bench_kernels import _best  # the same timing: one warm-up call, best of repeats
from xverify import LinkageSecret, Verifier
from xverify.encoding.encoder import read_encoded
from xverify.matching.blocking import (
    BlockingConfig,
    BlockingIndex,
    Encoded,
    Kernels,
    TokenStats,
    build_index,
)
from xverify.matching.compare import ComparedPairs, RequestFrequencies, compare_pairs
from xverify.matching.model import MatchModel
from xverify.matching.score import score_compared

STAGES = ("join", "compare 1", "compare+score 1", "compare 2", "compare+score 2")


class _Context(NamedTuple):
    index: BlockingIndex
    model: MatchModel
    stats: TokenStats
    freq: RequestFrequencies


def _time_chunk(
    subs: Encoded,
    reg: Encoded,
    row0: int,
    context: _Context,
    repeat: int,
) -> tuple[int, dict[str, float]]:
    """Candidate pairs of one register chunk and the best time of each stage on them."""
    index, model, stats, freq = context
    times = {"join": _best(lambda: index.join(reg, row0, Kernels.NUMBA_PARALLEL), repeat)}
    pairs = index.join(reg, row0, Kernels.NUMBA_PARALLEL)
    for threads, kernels in (("1", Kernels.NUMBA), ("2", Kernels.NUMBA_PARALLEL)):

        def compare(kernels: Kernels = kernels) -> ComparedPairs:
            return compare_pairs(
                subs, reg, pairs, model.compare, stats, reg_row0=row0, kernels=kernels,
                frequencies=freq,
            )  # fmt: skip

        times[f"compare {threads}"] = _best(compare, repeat)
        times[f"compare+score {threads}"] = _best(
            lambda compare=compare, kernels=kernels: score_compared(compare(), model, kernels),
            repeat,
        )
    return len(pairs), times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--key", type=Path, required=True)
    ap.add_argument("--register", type=Path, required=True)
    ap.add_argument("encoded", type=Path)
    ap.add_argument("model", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    secret = LinkageSecret.from_file(args.key)
    register = Verifier(args.register, secret, log=None).encoded_register()
    table, _, _ = read_encoded(args.encoded)
    accepted = np.asarray(table.column("status").to_pylist(), dtype=object) == "ACCEPTED"
    subs = Encoded.of(table.filter(pa.array(accepted)))
    model = MatchModel.load(args.model)
    stats = TokenStats.from_batches(register.batches)
    index = build_index(subs, BlockingConfig(), stats)
    context = _Context(index, model, stats, RequestFrequencies.of(subs, stats))

    totals = dict.fromkeys(STAGES, 0.0)
    n_pairs = row0 = 0
    for batch in register.batches():
        reg = Encoded.of(batch)
        found, times = _time_chunk(subs, reg, row0, context, args.repeat)
        for k, v in times.items():
            totals[k] += v
        n_pairs += found
        row0 += reg.rows
    print(f"{row0:,} register rows x {subs.rows:,} requests: {n_pairs:,} candidate pairs")
    print(f"{'stage':<34} {'per second':>14}")
    print(f"{'token join  register rows':<34} {row0 / totals['join']:>14,.0f}")
    for threads in ("1", "2"):
        for stage in ("compare", "compare+score"):
            rate = n_pairs / totals[f"{stage} {threads}"]
            label = f"{stage}  pairs, {threads} thread{'s' if threads == '2' else ''}"
            print(f"{label:<34} {rate:>14,.0f}")


if __name__ == "__main__":
    main()
