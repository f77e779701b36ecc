"""Encoding speed: the encoding stage, `xverify encode` end to end, and clkhash on the same rows.

    python benchmarks/bench_encode.py [--rows 1000000] [--no-clkhash] [--keep DIR]

Generates plausible submissions (names drawn by frequency from the bundled name tables,
compound surnames, streets with directionals/suffixes/units, ZIP+4, dates, TINs, a few
placeholder addresses), then measures:

* the encoding stage: :func:`xverify.encoding.encoder.encode_frame` on the identity columns
  (normalization + Bloom filters + tokens), records/s;
* ``xverify encode`` as a subprocess on the CSV (start-up, parsing, validation, encoding,
  Parquet writing), records/s;
* clkhash (the reference PPRL encoder) on the same records, if it can be installed into its
  own venv under ``benchmarks/envs/clkhash``; otherwise the issue's reference figure.

Targets (issue 3): encoding stage >= 200,000 records/s; end to end >= 100,000 records/s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CLKHASH_REFERENCE = 42_000
HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "src" / "xverify" / "data"
SUFFIXES = ["St", "Street", "Ave", "Avenue", "Rd", "Road", "Dr", "Drive", "Blvd", "Boulevard",
            "Ln", "Lane", "Ct", "Court", "Way", "Way", "Pl", "Place", "Cir", "Circle"]  # fmt: skip
DIRS = ["N", "S", "E", "W", "North", "South", "East", "West"]
STATES = ["CA", "TX", "FL", "NY", "IL", "AZ", "NV", "NM", "CO", "GA", "NC", "WA", "NJ"]
PLACEHOLDERS = ["FAILED TO PROVIDE", "UNKNOWN", "N/A", "HOMELESS", ""]


def _weighted(
    rng: np.random.Generator, names: np.ndarray, counts: np.ndarray, n: int
) -> np.ndarray:
    p = counts / counts.sum()
    return names[rng.choice(len(names), size=n, p=p)]


def generate(n: int, seed: int = 7) -> pa.Table:
    """``n`` plausible submission rows (docs/formats.md), deterministic for a seed."""
    rng = np.random.default_rng(seed)
    firsts = pq.read_table(DATA / "first_names.parquet").to_pandas()
    firsts = firsts.groupby("name", as_index=False)["count"].sum()
    surnames = pq.read_table(DATA / "surnames.parquet").to_pandas()
    fn = np.asarray(firsts["name"], dtype=str), np.asarray(firsts["count"], dtype=float)
    sn = np.asarray(surnames["name"], dtype=str), np.asarray(surnames["count"], dtype=float)
    first = _weighted(rng, *fn, n)
    middle = np.where(rng.random(n) < 0.5, "", _weighted(rng, *fn, n))
    last1, last2 = _weighted(rng, *sn, n), _weighted(rng, *sn, n)
    compound = rng.random(n)
    last = np.where(compound < 0.12, np.char.add(np.char.add(last1, " "), last2), last1)
    last = np.where(compound > 0.96, np.char.add(np.char.add(last1, "-"), last2), last)
    # a pool of streets (name + type, some with a directional), each spelled 1-2 ways
    n_streets = 40_000
    street_names = sn[0][:6000]
    pool_name = street_names[rng.integers(0, len(street_names), n_streets)]
    pool_sfx = rng.integers(0, len(SUFFIXES) // 2, n_streets) * 2  # index of a short/long pair
    pool_dir = np.where(
        rng.random(n_streets) < 0.2, np.asarray(DIRS)[rng.integers(0, 4, n_streets)], ""
    )
    pick = rng.integers(0, n_streets, n)
    long_form = rng.random(n) < 0.3
    sfx = np.asarray(SUFFIXES)[pool_sfx[pick] + long_form.astype(int)]
    pre = np.where(pool_dir[pick] != "", np.char.add(pool_dir[pick], " "), "")
    num = rng.integers(1, 20000, n).astype(str)
    street = np.char.add(np.char.add(np.char.add(np.char.add(num, " "), pre), pool_name[pick]), " ")
    street = np.char.title(np.char.add(street, sfx))
    bad = rng.random(n) < 0.02
    street = np.where(bad, np.asarray(PLACEHOLDERS)[rng.integers(0, 5, n)], street)
    unit = np.where(
        rng.random(n) < 0.3, np.char.add("Apt ", rng.integers(1, 400, n).astype(str)), ""
    )
    zips = rng.integers(1000, 99950, 12000)
    zip_i = rng.integers(0, len(zips), n)
    zip5 = np.char.zfill(zips[zip_i].astype(str), 5)
    plus4 = np.char.zfill(rng.integers(0, 9999, n).astype(str), 4)
    zipc = np.where(rng.random(n) < 0.1, np.char.add(np.char.add(zip5, "-"), plus4), zip5)
    cities = np.char.title(np.char.add(street_names[:1500], " CITY"))
    city = cities[zip_i % len(cities)]
    state = np.asarray(STATES)[zip_i % len(STATES)]
    days = rng.integers(-10957, 12784, n).astype("datetime64[D]").astype(str)
    tin = rng.integers(100_000_000, 899_999_999, n).astype(str)
    dashed = np.asarray([f"{t[:3]}-{t[3:5]}-{t[5:]}" for t in tin[: n // 2]] + list(tin[n // 2 :]))
    tin = dashed
    start = rng.integers(2019, 2023, n)
    cols = {
        "request_id": np.char.add("R", np.arange(n).astype(str)),
        "first_name": np.char.title(first.astype(str)),
        "middle_name": middle.astype(str),
        "last_name": np.char.title(last.astype(str)),
        "suffix": np.where(rng.random(n) < 0.02, "Jr", ""),
        "street": street,
        "unit": unit,
        "city": city,
        "state": state,
        "zip": zipc,
        "birth_date": days,
        "tin": tin,
        "tax_period_start": start.astype(str),
        "tax_period_end": (start + rng.integers(0, 3, n)).astype(str),
        "statute": np.where(rng.random(n) < 0.5, "8 U.S.C. 1253(a)(1)", "18 U.S.C. 1546"),
        "reason": np.char.add("Subject is respondent in removal proceedings, case ",
                              np.char.add(rng.integers(0, 10**6, n).astype(str),
                                          "; a mailing address is needed to serve notice.")),
        "case_ref": np.char.add("A", rng.integers(0, 10**6, n).astype(str)),
    }  # fmt: skip
    return pa.table({k: pa.array(v.astype(str)) for k, v in cols.items()})


def bench_encoding_stage(table: pa.Table) -> tuple[float, float]:
    """(wall, CPU) records/s of encode_frame; CPU time is what counts on a shared machine."""
    from xverify.encoding.encoder import IDENTITY_COLUMNS, encode_frame
    from xverify.encoding.keys import LinkageSecret

    secret = LinkageSecret.generate()
    ident = table.select(list(IDENTITY_COLUMNS))
    encode_frame(ident.slice(0, 1000), secret)  # warm-up: numba cache, nickname tables
    t0, c0 = time.perf_counter(), time.process_time()
    encode_frame(ident, secret)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return table.num_rows / wall, table.num_rows / cpu


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def bench_end_to_end(csv_path: Path, workdir: Path, rows: int) -> tuple[float, float]:
    """(wall, CPU) records/s of `xverify encode` as a fresh process (start-up included)."""
    key = workdir / "bench.key"
    exe = [sys.executable, "-m", "xverify"]
    subprocess.run([*exe, "keygen", "--out", str(key), "--force"], check=True, capture_output=True)
    out = workdir / "encoded.parquet"
    t0, c0 = time.perf_counter(), _child_cpu()
    subprocess.run([*exe, "encode", "--key", str(key), str(csv_path), "--out", str(out), "--force"],
                   check=True, capture_output=True)  # fmt: skip
    return rows / (time.perf_counter() - t0), rows / (_child_cpu() - c0)


_CLK_SCRIPT = r"""
import csv, io, sys, time, json
from clkhash import clk, randomnames
from clkhash.field_formats import *
from clkhash.schema import Schema
from clkhash.comparators import NgramComparison
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
n = len(rows)
fields = [StringSpec(identifier=name, hashing_properties=FieldHashingProperties(
    comparator=NgramComparison(2), strategy=BitsPerTokenStrategy(20)))
    for name in ("first_name", "last_name", "street", "city", "zip")]
schema = Schema(fields, 1024)
t0 = time.perf_counter()
text = "\n".join(",".join(r) for r in [["first_name", "last_name", "street", "city", "zip"]] + rows)
clk.generate_clk_from_csv(io.StringIO(text), "a benchmark secret", schema, validate=False,
                          header=True, progress_bar=False)
print(json.dumps({"rps": n / (time.perf_counter() - t0)}))
"""


def bench_clkhash(table: pa.Table, workdir: Path, rows: int) -> float | None:
    env = HERE / "envs" / "clkhash"
    py = env / "bin" / "python"
    if not py.exists():
        try:
            subprocess.run(
                [sys.executable, "-m", "venv", str(env)], check=True, capture_output=True
            )
            subprocess.run([str(py), "-m", "pip", "install", "-q", "clkhash"], check=True,
                           capture_output=True, timeout=600)  # fmt: skip
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"clkhash could not be installed ({type(exc).__name__}); "
                  f"reference figure {CLKHASH_REFERENCE:,} records/s")  # fmt: skip
            return None
    sub = table.select(["first_name", "last_name", "street", "city", "zip"]).slice(0, rows)
    path = workdir / "clk.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(zip(*(c.to_pylist() for c in sub.columns), strict=True))
    res = subprocess.run([str(py), "-c", _CLK_SCRIPT, str(path)], capture_output=True, text=True)
    if res.returncode != 0:
        print("clkhash run failed:", res.stderr.strip().splitlines()[-1:] or "")
        return None
    return float(json.loads(res.stdout.strip().splitlines()[-1])["rps"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--clk-rows", type=int, default=100_000)
    ap.add_argument("--no-clkhash", action="store_true")
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="xverify-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    table = generate(args.rows)
    csv_path = workdir / "submissions.csv"
    pacsv.write_csv(table, csv_path)
    print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s -> {csv_path}")
    results = {"rows": args.rows, "cpus": os.cpu_count()}
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    wall, cpu = bench_encoding_stage(table)
    results["encoding_stage_rps"], results["encoding_stage_cpu_rps"] = wall, cpu
    print(f"encoding stage      {wall:>12,.0f} records/s wall, {cpu:>12,.0f} per CPU-second "
          "(target 200,000)")  # fmt: skip
    wall, cpu = bench_end_to_end(csv_path, workdir, args.rows)
    results["end_to_end_rps"], results["end_to_end_cpu_rps"] = wall, cpu
    print(f"xverify encode e2e  {wall:>12,.0f} records/s wall, {cpu:>12,.0f} per CPU-second "
          "(target 100,000)")  # fmt: skip
    if not args.no_clkhash:
        clk_rps = bench_clkhash(table, workdir, min(args.clk_rows, args.rows))
        results["clkhash_rps"] = clk_rps
        ref = clk_rps or CLKHASH_REFERENCE
        label = "measured" if clk_rps else "reference"
        print(f"clkhash ({label})  {ref:>12,.0f} records/s -> xverify is "
              f"{results['encoding_stage_rps'] / ref:.1f}x")  # fmt: skip
    print(json.dumps(results))


if __name__ == "__main__":
    main()
