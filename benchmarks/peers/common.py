"""Shared by the peer adapters: argument parsing, light cleaning, period filter, outputs.

Imports only numpy/pandas/pyarrow so it runs in every peer's venv.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

TEXT = ["first_name", "middle_name", "last_name", "street", "city", "state", "zip"]
_PUNCT = re.compile(r"[^A-Z0-9 ]+")
_SPACES = re.compile(r"\s+")


class Timer:
    """Wall seconds per named stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--register", type=Path, required=True, help="peer_register.parquet")
    ap.add_argument("--submissions", type=Path, required=True, help="submissions.csv")
    ap.add_argument("--out", type=Path, required=True)
    return ap.parse_args()


def clean(series: pd.Series) -> pd.Series:
    """Upper case, punctuation to space, single spaces; missing stays missing (None)."""
    s = series.astype("string").str.upper().str.normalize("NFKD")
    s = s.str.encode("ascii", "ignore").str.decode("ascii")
    s = s.str.replace(_PUNCT, " ", regex=True).str.replace(_SPACES, " ", regex=True).str.strip()
    s = s.mask(s == "")
    return s.astype(object).where(s.notna(), None)


def load(register: Path, submissions: Path) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Cleaned register rows and submissions (with ``span`` bitmask); returns first tax year."""
    reg = pd.read_parquet(register)
    first_year = int(reg["first_year"].iloc[0])
    subs = pd.read_csv(submissions, dtype=str, keep_default_na=False, na_values=[""])
    for frame in (reg, subs):
        for col in TEXT:
            frame[col] = clean(frame[col])
        for col, src, stop in (("zip", "zip", 5), ("middle_initial", "middle_name", 1)):
            v = frame[src].str[:stop]
            frame[col] = v.astype(object).where(v.notna(), None)
        bd = frame["birth_date"].astype("string").str[:10]
        frame["birth_date"] = bd.astype(object).where(bd.notna() & (bd != ""), None)
    reg["birth_date"] = pd.to_datetime(reg["birth_date"], errors="coerce").dt.strftime("%Y-%m-%d")
    reg["birth_date"] = reg["birth_date"].astype(object).where(reg["birth_date"].notna(), None)
    subs["span"] = span_masks(subs, first_year)
    return reg, subs, first_year


def span_masks(subs: pd.DataFrame, first_year: int) -> np.ndarray:
    """Bitmask of register years inside each request's tax period (0: no usable period)."""
    start = pd.to_numeric(subs["tax_period_start"], errors="coerce")
    end = pd.to_numeric(subs["tax_period_end"], errors="coerce")
    out = np.zeros(len(subs), dtype=np.int64)
    ok = start.notna() & end.notna() & (start <= end)
    for i in np.flatnonzero(ok.to_numpy()):
        lo = max(int(start.iloc[i]) - first_year, 0)
        hi = min(int(end.iloc[i]) - first_year, 30)
        if hi >= lo:
            out[i] = ((1 << (hi + 1)) - 1) ^ ((1 << lo) - 1)
    return out


def best_per_request(
    subs: pd.DataFrame,
    reg: pd.DataFrame,
    sub_idx: np.ndarray,
    reg_idx: np.ndarray,
    score: np.ndarray,
    threshold: float,
) -> pd.DataFrame:
    """Keep pairs whose address is on file in the period; the best person per request.

    Returns one row per request: request_id, tin (best candidate or null), score, linked
    (score >= threshold).
    """
    sub_idx, reg_idx = np.asarray(sub_idx, np.int64), np.asarray(reg_idx, np.int64)
    score = np.asarray(score, dtype=float)
    years = reg["years"].to_numpy(np.int64)[reg_idx]
    keep = (years & subs["span"].to_numpy(np.int64)[sub_idx]) != 0
    pairs = pd.DataFrame({"s": sub_idx[keep], "r": reg_idx[keep], "score": score[keep]})
    pairs = pairs.sort_values("score", ascending=False, kind="stable").drop_duplicates("s")
    out = pd.DataFrame({"request_id": subs["request_id"].to_numpy()})
    out["tin"] = None
    out["score"] = np.nan
    s = pairs["s"].to_numpy()
    out.loc[s, "tin"] = reg["tin"].to_numpy()[pairs["r"].to_numpy()]
    out.loc[s, "score"] = pairs["score"].to_numpy()
    out["linked"] = out["score"].to_numpy() >= threshold
    return out


def peak_rss_mb() -> float:
    """This process's high-water RSS (VmHWM, reset at exec, unlike the inherited ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def versions(*names: str) -> dict[str, str]:
    out = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "missing"
    return out


def write(
    out: Path,
    decisions: pd.DataFrame,
    timer: Timer,
    *,
    candidate_pairs: int,
    threshold: float,
    threshold_label: str,
    packages: dict[str, str],
    **extra: object,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    decisions = decisions.copy()
    decisions["tin"] = decisions["tin"].astype("string")
    decisions.to_parquet(out / "decisions.parquet", index=False)
    info = {
        "stages": timer.seconds,
        "candidate_pairs": int(candidate_pairs),
        "threshold": threshold,
        "threshold_label": threshold_label,
        "packages": packages,
        "peak_rss_mb_self": peak_rss_mb(),
        **extra,
    }
    (out / "timings.json").write_text(json.dumps(info, indent=1))
