"""Rebuild the compact name tables shipped in ``xverify/data`` from the public source files.

Run once by a maintainer (``python -m xverify.synth.build_data SOURCE_DIR``); the generator
itself only reads the compact tables. Sources are described in ``xverify/data/README.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
FIRST_DECADES = range(1920, 2010, 10)
FIRST_COVERAGE = 0.98
FIRST_CAP = 6000
RARE_TAIL_MAX = 1000


def build_surnames(src: Path) -> pa.Table:
    """All 162k Census 2010 surnames with count and Hispanic share (fraction)."""
    s = pd.read_parquet(
        src / "census_2010_surnames.parquet", columns=["name", "count", "pcthispanic"]
    )
    other = s["name"] == "ALL OTHER NAMES"
    rest = int(s.loc[other, "count"].sum())
    s = s[~other].copy()
    # Spread the "all other names" mass over the rare tail, so listed names keep census shares.
    tail = s["count"] <= RARE_TAIL_MAX
    s.loc[tail, "count"] += (rest * s.loc[tail, "count"] / s.loc[tail, "count"].sum()).round()
    s = s.sort_values(["count", "name"], ascending=[False, True])
    return pa.table(
        {
            "name": pa.array(s["name"].astype(str).to_numpy(), pa.string()),
            "count": pa.array(s["count"].to_numpy(np.int32)),
            "hispanic": pa.array((s["pcthispanic"].to_numpy() / 100).astype(np.float32)),
        }
    )


def build_first_names(src: Path) -> pa.Table:
    """SSA first names per sex and birth decade (top names covering 98%), plus Hispanic share."""
    ssa = pd.read_csv(src / "ssa_first_names_by_birth_year.csv.gz")
    ssa = ssa[(ssa.year_of_birth >= FIRST_DECADES.start) & (ssa.year_of_birth < FIRST_DECADES.stop)]
    ssa = ssa.assign(
        decade=(ssa.year_of_birth // 10 * 10).astype(np.int16),
        name=ssa.first_name.str.upper(),
        sex=ssa.sex.str.upper(),
    )
    # as_index=False: a frame, where pandas-stubs type a column's group sums as a Series
    g = cast(pd.DataFrame, ssa.groupby(["sex", "decade", "name"], as_index=False)["count"].sum())
    census = pd.read_parquet(
        src / "census_2020_first_names.parquet", columns=["name", "pcthispanic"]
    )
    share = dict(zip(census["name"].str.upper(), census["pcthispanic"] / 100, strict=True))
    parts = []
    for _, grp in g.groupby(["sex", "decade"], sort=True):
        grp = grp.sort_values(["count", "name"], ascending=[False, True])
        cum = grp["count"].cumsum() / grp["count"].sum()
        keep = min(int((cum < FIRST_COVERAGE).sum()) + 1, FIRST_CAP)
        parts.append(grp.iloc[:keep])
    parts.extend(_census_hispanic(src))
    out = pd.concat(parts, ignore_index=True)
    hisp = out["name"].map(share).astype(float)
    return pa.table(
        {
            "sex": pa.array(out["sex"].to_numpy().astype(str), pa.string()),
            "decade": pa.array(out["decade"].to_numpy(np.int16)),
            "name": pa.array(out["name"].to_numpy().astype(str), pa.string()),
            "count": pa.array(out["count"].to_numpy(np.int32)),
            "hispanic": pa.array(hisp.to_numpy(np.float32), pa.float32()),
        }
    )


def _census_hispanic(src: Path) -> list[pd.DataFrame]:
    """Decade-0 buckets: names of Hispanic bearers of all ages (includes the foreign-born).

    SSA counts only babies born in the United States, so they understate names such as MARIA
    and JOSE among Hispanic adults; the census table counts everyone.
    """
    c = pd.read_parquet(src / "census_2020_first_names.parquet")
    c = c[c["name"] != "ALL OTHER NAMES"]
    parts = []
    for sex, col in (("F", "pctfemale"), ("M", "pctmale")):
        w = c["count"] * c["pcthispanic"] / 100 * c[col] / 100
        grp = pd.DataFrame(
            {"sex": sex, "decade": np.int16(0), "name": c["name"].str.upper(), "count": w.round()}
        )
        grp = grp[grp["count"] > 0].sort_values(["count", "name"], ascending=[False, True])
        cum = grp["count"].cumsum() / grp["count"].sum()
        keep = min(int((cum < FIRST_COVERAGE).sum()) + 1, FIRST_CAP)
        parts.append(grp.iloc[:keep].assign(count=lambda d: d["count"].astype(np.int64)))
    return parts


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    src = Path(args[0] if args else "../shared/data/names")
    for name, table in (
        ("surnames.parquet", build_surnames(src)),
        ("first_names.parquet", build_first_names(src)),
    ):
        pq.write_table(table, DATA_DIR / name, compression="zstd", compression_level=19)


if __name__ == "__main__":
    main()
