"""The national-scale run: 1,280,000 requests against a 10,000,000-person register.

    python benchmarks/scale_10m.py WORKDIR [--people 10000000] [--requests 1280000]

Steps, each timed in its own process with ``/usr/bin/time -v`` (wall time, peak RSS):
``xverify synth register``; requests built straight from the register (random people at their
latest address, a valid statute, reason and period — the ``synth submissions`` generator holds a
whole register in memory, about 18 GB at 10M, so this run does not use it); ``xverify keygen``;
``xverify encode``; encoding the register (``Verifier.encoded_register``); ``xverify match`` with
the register cached. Needs ~25 GB of disk in WORKDIR. Measures throughput and memory, not accuracy
(the requests carry no noise).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ENCODE_REGISTER = """
from xverify import LinkageSecret, Verifier
Verifier("reg", LinkageSecret.from_file("key"), log=None).encoded_register()
"""


def build_requests(register: Path, out: Path, count: int, seed: int = 23) -> None:
    """``count`` valid requests, written to ``out`` (CSV): random people of ``register`` at
    their latest (2024) address."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    names = ["tin", "first_name", "middle_name", "last_name", "suffix"]
    tp = pq.read_table(register / "taxpayers.parquet", columns=names)
    ad = pq.read_table(register / "addresses.parquet", filters=[("tax_year", "=", 2024)])
    ad = ad.take(pa.array(np.sort(rng.choice(ad.num_rows, count, replace=False))))
    who = tp.take(pc.index_in(ad["tin"], value_set=tp["tin"]))
    n = ad.num_rows
    table = pa.table(
        {
            "request_id": pa.array([f"R{i:07d}" for i in range(n)]),
            **{c: who[c] for c in names[1:]},
            **{c: ad[c] for c in ("street", "unit", "city", "state", "zip")},
            "birth_date": pa.nulls(n, pa.string()),
            "tin": pa.nulls(n, pa.string()),
            "tax_period_start": pa.array(np.full(n, 2023)),
            "tax_period_end": pa.array(np.full(n, 2024)),
            "statute": pa.array(["8 U.S.C. 1253(a)(1)"] * n),
            "reason": pa.array(["Subject of a final order of removal; address needed."] * n),
            "case_ref": pa.array([f"C-{i}" for i in range(n)]),
        }
    )
    pcsv.write_csv(table, out)


def timed(label: str, cmd: list[str], work: Path) -> None:
    out = subprocess.run(
        ["/usr/bin/time", "-v", *cmd], cwd=work, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        sys.exit(f"{label} failed:\n{out.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", out.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    stages = re.search(r"^time: .*$", out.stdout, re.M)
    print(
        f"{label:<18} wall {wall.group(1) if wall else '?':>9}  "
        f"peak RSS {int(rss.group(1)) / 1e6 if rss else 0:6.2f} GB"
        + (f"  ({stages.group(0)})" if stages else ""),
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--people", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=1_280_000)
    args = parser.parse_args(argv)
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    x = [sys.executable, "-m", "xverify"]
    timed("synth register", [*x, "synth", "register", "--people", str(args.people),
                             "--years", "2019-2024", "--seed", "21", "--out", "reg", "--force"],
          work)  # fmt: skip
    build_requests(work / "reg", work / "subs.csv", args.requests)
    timed("keygen", [*x, "keygen", "--out", "key", "--force"], work)
    timed("keygen --signing", [*x, "keygen", "--signing", "custodian.key", "--force"], work)
    timed("encode requests", [*x, "encode", "--key", "key", "subs.csv", "--out", "enc.parquet",
                              "--force"], work)  # fmt: skip
    timed("encode register", [sys.executable, "-c", ENCODE_REGISTER], work)
    timed("match (cached)", [*x, "match", "--key", "key", "--signing-key", "custodian.key",
                             "--register", "reg", "enc.parquet", "--out", "out", "--force"],
          work)  # fmt: skip


if __name__ == "__main__":
    main()
