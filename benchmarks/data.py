"""Benchmark inputs per register size, generated once and cached in ``benchmarks/work/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
YEARS = range(2019, 2025)


@dataclass(frozen=True)
class Inputs:
    """Paths of one size's inputs (same for every system)."""

    root: Path
    register: Path  # xverify register folder
    submissions: Path  # submissions.csv
    truth: Path
    peer_register: Path  # one row per person x distinct address, ``years`` bitmask
    key: Path


def label(n: int) -> str:
    for unit, div in (("m", 1_000_000), ("k", 1_000)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * mult)


def prepare(size: int, requests: int, work: Path = WORK, *, peers: bool = True) -> Inputs:
    """Generate (or reuse) the register, submissions, truth and (with ``peers``) the peers'
    plaintext view of one size."""
    from xverify.encoding.keys import write_secret
    from xverify.synth import Profile, generate_submissions, write_register, write_submissions

    root = work / f"size-{label(size)}"
    root.mkdir(parents=True, exist_ok=True)
    register = root / "register"
    if not (register / "addresses.parquet").exists():
        write_register(register, size, YEARS, np.random.default_rng(size), force=True)
    subs_dir = root / f"requests-{label(requests)}"
    if not (subs_dir / "truth.parquet").exists():
        subs, truth = generate_submissions(
            register, requests, Profile.REALISTIC, np.random.default_rng(size + 1)
        )
        write_submissions(subs_dir, subs, truth, force=True)
    peer = root / "peer_register.parquet"
    if peers and not peer.exists():
        peer_view(register).to_parquet(peer, index=False)
    key = work / "key"
    if not key.exists():
        write_secret(key)
    return Inputs(root, register, subs_dir / "submissions.csv", subs_dir / "truth.parquet",
                  peer, key)  # fmt: skip


def peer_view(register: Path) -> pd.DataFrame:
    """Plaintext register rows for the peers: one per person x distinct address (like xverify's
    encoded register), with the tax years the address was on file as a bitmask."""
    people = pq.read_table(register / "taxpayers.parquet").to_pandas()
    addr = pq.read_table(register / "addresses.parquet").to_pandas()
    first = int(addr["tax_year"].min())
    addr["bit"] = np.left_shift(1, (addr["tax_year"].astype(int) - first)).astype(np.int64)
    keys = ["tin", "street", "unit", "city", "state", "zip"]
    rows = addr.groupby(keys, dropna=False, sort=False)["bit"].agg("sum").reset_index()
    rows = rows.rename(columns={"bit": "years"})
    out = rows.merge(people[["tin", "first_name", "middle_name", "last_name", "birth_date"]],
                     on="tin", how="left")  # fmt: skip
    out["birth_date"] = out["birth_date"].astype(str)
    out["first_year"] = first
    return out
