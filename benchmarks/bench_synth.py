"""Time and peak memory of ``write_register`` at given sizes (each size in a fresh process).

Usage: python benchmarks/bench_synth.py [PEOPLE ...] [--years 2019-2024] [--keep DIR]
Prints one table row per size: people, seconds, peak RSS (MiB), rows per table, bytes on disk.

Measured on the shared 2-core machine (tax years 2019-2024, other jobs running):

      people   seconds  peak RSS MiB  address rows       MB
     100,000       3.1           671       519,262       20
   1,000,000      21.6          1459     5,192,039      197
  10,000,000     195.5          1661    51,939,711     1982
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _child(people: int, years: str, out: Path) -> None:
    import numpy as np
    import pyarrow.parquet as pq

    from xverify.synth import parse_years, write_register

    start = time.perf_counter()
    write_register(out, people, parse_years(years), np.random.default_rng(0), force=True)
    seconds = time.perf_counter() - start
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = {p.stem: pq.ParquetFile(p).metadata.num_rows for p in sorted(out.glob("*.parquet"))}
    size = sum(p.stat().st_size for p in out.glob("*.parquet"))
    print(json.dumps({"seconds": seconds, "rss_mib": rss_mib, "rows": rows, "bytes": size}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("people", nargs="*", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--years", default="2019-2024")
    parser.add_argument("--keep", type=Path, help="write registers here instead of a temp dir")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.people[0], args.years, args.out)
        return
    print(f"{'people':>12} {'seconds':>9} {'peak RSS MiB':>13} {'address rows':>13} {'MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        for n in args.people:
            out = base / f"register_{n}"
            cmd = [sys.executable, __file__, str(n), "--years", args.years, "--child"]
            res = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True)
            if res.returncode:
                sys.exit(res.stderr)
            r = json.loads(res.stdout.strip().splitlines()[-1])
            print(
                f"{n:>12,} {r['seconds']:>9.1f} {r['rss_mib']:>13.0f} "
                f"{r['rows']['addresses']:>13,} {r['bytes'] / 1e6:>8.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
