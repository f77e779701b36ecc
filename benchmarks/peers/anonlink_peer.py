"""anonlink + clkhash: CLKs from a linkage schema, Dice threshold, greedy one-to-one solving.

Run in the anonlink venv: ``python anonlink_peer.py --register R --submissions S --out DIR``.
Both sides are encoded with clkhash (1024-bit CLKs, bigrams, per-field bit budgets) under a
shared secret; candidate pairs come from anonlink's accelerated Dice within keyed-hash blocks
on the same four blocking rules as the other peers (the blocking keys are HMACs, never
plaintext); ``greedy_solve`` makes the one-to-one links. Recommended threshold: Dice 0.8.
The threshold sweep uses each request's best candidate (pairs down to Dice 0.5).
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import numpy as np
import pandas as pd

THRESHOLD = 0.8
FLOOR = 0.5
SECRET = b"a benchmark linkage secret shared by both parties"
FIELDS = [("first_name", 2, 30), ("middle_initial", 1, 10), ("last_name", 2, 30),
          ("street", 2, 15), ("city", 2, 10), ("zip", 1, 15), ("birth_date", 1, 10)]  # fmt: skip
BLOCKS = [("last_name", "zip"), ("first_name", "zip"), ("first_name", "last_name"),
          ("street", "zip")]  # fmt: skip


def schema():  # type: ignore[no-untyped-def]
    from clkhash.comparators import NgramComparison
    from clkhash.field_formats import BitsPerTokenStrategy, FieldHashingProperties, StringSpec
    from clkhash.schema import Schema

    fields = [
        StringSpec(identifier=name, hashing_properties=FieldHashingProperties(
            comparator=NgramComparison(n), strategy=BitsPerTokenStrategy(k)))
        for name, n, k in FIELDS
    ]  # fmt: skip
    return Schema(fields, 1024)


def encode(frame: pd.DataFrame, sch) -> list:  # type: ignore[no-untyped-def]
    from clkhash import clk

    cols = [frame[name].fillna("").astype(str).tolist() for name, _, _ in FIELDS]
    rows = [list(r) for r in zip(*cols, strict=True)]
    return clk.generate_clks(rows, sch, SECRET.decode(), validate=False)


def block_keys(frame: pd.DataFrame) -> list[list[bytes]]:
    """Keyed (HMAC) block ids per record: rule index + the rule's values, when all present."""
    out: list[list[bytes]] = [[] for _ in range(len(frame))]
    for k, cols in enumerate(BLOCKS):
        vals = [frame[c].to_numpy(object) for c in cols]
        for i in range(len(frame)):
            parts = [v[i] for v in vals]
            if all(isinstance(p, str) and p for p in parts):
                msg = f"{k}|" + "|".join(parts)
                out[i].append(hmac.new(SECRET, msg.encode(), hashlib.sha256).digest()[:8])
    return out


def compared(keys: list[list[list[bytes]]]) -> int:
    """Pairs the Dice kernel evaluates: sum over blocks of |register| x |requests|."""
    counts = [pd.Series([k for ks in side for k in ks]).value_counts() for side in keys]
    both = counts[0].to_frame("a").join(counts[1].to_frame("b"), how="inner")
    return int((both["a"] * both["b"]).sum())


def main() -> None:
    import anonlink

    args = common.parse_args()
    timer = common.Timer()
    with timer.stage("load"):
        reg, subs, _ = common.load(args.register, args.submissions)
    with timer.stage("encode"):
        sch = schema()
        clks = [encode(reg, sch), encode(subs, sch)]
    with timer.stage("block"):
        keys = [block_keys(reg), block_keys(subs)]

        def blocking_f(dataset: int, record: int, _hash: object) -> list[bytes]:
            return keys[dataset][record]

    with timer.stage("score"):
        sims, (ds0, _ds1), (rec0, rec1) = anonlink.candidate_generation.find_candidate_pairs(
            clks, anonlink.similarities.dice_coefficient_accelerated, FLOOR,
            blocking_f=blocking_f,
        )  # fmt: skip
        sims = np.asarray(sims, float)
        rec0, rec1 = np.asarray(rec0, np.int64), np.asarray(rec1, np.int64)
        first_is_reg = np.asarray(ds0) == 0
        r = np.where(first_is_reg, rec0, rec1)
        s = np.where(first_is_reg, rec1, rec0)
    with timer.stage("decide"):
        best = common.best_per_request(subs, reg, s, r, sims, THRESHOLD)
        # greedy one-to-one at the recommended threshold, on in-period pairs
        years = reg["years"].to_numpy(np.int64)[r] & subs["span"].to_numpy(np.int64)[s]
        keep = (years != 0) & (sims >= THRESHOLD)
        order = np.argsort(-sims[keep], kind="stable")
        kr, ks, kv = r[keep][order], s[keep][order], sims[keep][order]
        u32 = np.uint32
        cand = (kv, (np.zeros(len(kv), u32), np.ones(len(kv), u32)),
                (kr.astype(u32), ks.astype(u32)))  # fmt: skip
        groups = anonlink.solving.greedy_solve(cand)
        linked = np.zeros(len(subs), bool)
        tins = np.full(len(subs), None, dtype=object)
        tin_col = reg["tin"].to_numpy(object)
        for g in groups:
            rr = [rec for ds, rec in g if ds == 0]
            ss = [rec for ds, rec in g if ds == 1]
            if rr and ss:
                linked[ss[0]], tins[ss[0]] = True, tin_col[rr[0]]
        best["linked"] = linked
        best.loc[linked, "tin"] = tins[linked]
    common.write(
        args.out,
        best,
        timer,
        candidate_pairs=compared(keys),
        threshold=THRESHOLD,
        threshold_label="Dice 0.8, greedy one-to-one",
        pairs_above_floor=len(sims),
        packages=common.versions("anonlink", "clkhash", "bitarray", "numpy", "pandas"),
    )


if __name__ == "__main__":
    main()
