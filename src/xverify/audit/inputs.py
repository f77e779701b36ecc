"""Load and check the auditor's inputs: the decisions file and the synthetic truth.

Every check fails with :class:`~xverify.errors.InputError` naming the file, column and a count or
row number — never a value, because a value may be a person's name, address or TIN.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..outcomes import Outcome

#: columns a decisions frame must have (docs/formats.md); ``reason`` defaults to empty
DECISION_COLUMNS = (
    "request_id",
    "outcome",
    "tin",
    "probability",
    "match_weight",
    "runner_up_match_weight",
    "address_agrees",
)
#: columns a truth frame must have; the strata tags are used when present
TRUTH_COLUMNS = ("request_id", "tin", "verifiable", "invalid")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a Parquet or CSV file (by suffix); CSV cells are read as strings, blanks as null."""
    path = Path(path)
    if not path.is_file():
        raise InputError.at("no such file", file=str(path))
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise InputError.at(
            f"cannot read as a table ({type(exc).__name__})", file=str(path)
        ) from None


def load_decisions(path: str | Path) -> pd.DataFrame:
    """Read and check a decisions file; see :func:`check_decisions`."""
    return check_decisions(read_table(path), name=str(path))


def load_truth(path: str | Path) -> pd.DataFrame:
    """Read and check a truth file; see :func:`check_truth`."""
    return check_truth(read_table(path), name=str(path))


def _require(df: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError.at(f"missing column(s) {', '.join(missing)}", file=name)
    if len(df) == 0:
        raise InputError.at("no rows", file=name)


def _ids(df: pd.DataFrame, name: str) -> pd.Series:
    ids = df["request_id"]
    nulls = ids.isna()
    if nulls.any():
        raise InputError.at(
            "request_id is empty", file=name, row=int(np.flatnonzero(nulls.to_numpy())[0])
        )
    ids = ids.astype(str)
    dup = ids.duplicated()
    if dup.any():
        raise InputError.at(
            f"{int(dup.sum())} duplicate request_id(s), first at row "
            f"{int(np.flatnonzero(dup.to_numpy())[0])}",
            file=name,
            column="request_id",
        )
    return ids


def _bool(series: pd.Series, name: str, column: str, *, null: bool | None = None) -> pd.Series:
    """Coerce to bool; strings true/false/1/0 are accepted (CSV). Nulls become ``null`` or fail."""
    s = series
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        mapping = {"true": True, "false": False, "1": True, "0": False, "t": True, "f": False}
        lowered = s.map(lambda v: v if v is None or isinstance(v, bool | np.bool_) else str(v))
        lowered = lowered.map(lambda v: v if not isinstance(v, str) else mapping.get(v.lower(), v))
        bad = lowered.notna() & ~lowered.map(lambda v: isinstance(v, bool | np.bool_))
        if bad.any():
            raise InputError.at(
                "not a boolean",
                file=name,
                column=column,
                row=int(np.flatnonzero(bad.to_numpy())[0]),
            )
        s = lowered
    nulls = s.isna()
    if nulls.any():
        if null is None:
            raise InputError.at(
                "null in a boolean column",
                file=name,
                column=column,
                row=int(np.flatnonzero(nulls.to_numpy())[0]),
            )
        s = s.where(~nulls, null)
    return s.astype(bool)


def _float(series: pd.Series, name: str, column: str) -> pd.Series:
    out = pd.to_numeric(series, errors="coerce").astype(float)
    bad = out.isna() & series.notna()
    if bad.any():
        raise InputError.at(
            "not a number", file=name, column=column, row=int(np.flatnonzero(bad.to_numpy())[0])
        )
    return out


def _tin(series: pd.Series) -> pd.Series:
    return (
        series.astype(object)
        .where(series.notna(), None)
        .map(lambda v: None if v is None else str(v))
    )


def check_decisions(df: pd.DataFrame, *, name: str = "decisions") -> pd.DataFrame:
    """Check a decisions frame and return a normalized copy.

    Requires :data:`DECISION_COLUMNS`; outcomes must be :class:`Outcome` values; probabilities
    in [0, 1]. A null ``address_agrees`` (no candidate) reads as False, a missing ``reason`` as
    empty, a null runner-up weight as "no runner-up" (infinite margin).
    """
    _require(df, DECISION_COLUMNS, name)
    out = df.copy()
    out["request_id"] = _ids(df, name)
    outcome = df["outcome"].astype(object)
    known = outcome.isin([o.value for o in Outcome])
    if not known.all():
        raise InputError.at(
            f"{int((~known).sum())} unknown outcome value(s), first at row "
            f"{int(np.flatnonzero(~known.to_numpy())[0])}",
            file=name,
            column="outcome",
        )
    out["outcome"] = outcome.astype(str)
    out["tin"] = _tin(df["tin"])
    for column in ("probability", "match_weight", "runner_up_match_weight"):
        out[column] = _float(df[column], name, column)
    if "runner_up_probability" in df.columns:
        out["runner_up_probability"] = _float(
            df["runner_up_probability"], name, "runner_up_probability"
        )
    p = out["probability"]
    bad = p.notna() & ((p < 0) | (p > 1))
    if bad.any():
        raise InputError.at(
            "probability outside [0, 1]",
            file=name,
            column="probability",
            row=int(np.flatnonzero(bad.to_numpy())[0]),
        )
    verified = out["outcome"] == Outcome.VERIFIED
    if (verified & (out["tin"].isna() | p.isna())).any():
        row = int(np.flatnonzero((verified & (out["tin"].isna() | p.isna())).to_numpy())[0])
        raise InputError.at("VERIFIED without a tin or probability", file=name, row=row)
    out["address_agrees"] = _bool(df["address_agrees"], name, "address_agrees", null=False)
    if "reason" in df.columns:
        out["reason"] = df["reason"].astype(object).where(df["reason"].notna(), "").astype(str)
    else:
        out["reason"] = ""
    return out.reset_index(drop=True)


def check_truth(df: pd.DataFrame, *, name: str = "truth") -> pd.DataFrame:
    """Check a truth frame and return a normalized copy (requires :data:`TRUTH_COLUMNS`)."""
    _require(df, TRUTH_COLUMNS, name)
    out = df.copy()
    out["request_id"] = _ids(df, name)
    out["tin"] = _tin(df["tin"])
    for column in ("verifiable", "invalid"):
        out[column] = _bool(df[column], name, column)
    if "in_register" in df.columns:
        out["in_register"] = _bool(df["in_register"], name, "in_register")
    else:
        out["in_register"] = out["tin"].notna()
    for column in ("household_shared", "compound_surname", "moved", "common_name"):
        if column in df.columns:
            out[column] = _bool(df[column], name, column, null=False)
    if "noise" in df.columns:
        out["noise"] = df["noise"].astype(object).where(df["noise"].notna(), "").astype(str)
    return out.reset_index(drop=True)


def join(decisions: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Join checked decisions and truth on request_id; both must cover the same requests.

    Truth columns that clash with decisions get a ``truth_`` prefix (``truth_tin``).
    """
    only_d, only_t = coverage(decisions["request_id"], truth["request_id"])
    if only_d or only_t:
        raise InputError(
            "decisions and truth do not cover the same requests: "
            f"{only_d} request_id(s) only in decisions, {only_t} only in truth"
        )
    t = truth.rename(
        columns={
            c: f"truth_{c}" for c in truth.columns if c in decisions.columns and c != "request_id"
        }
    )
    return decisions.merge(t, on="request_id", how="left", validate="one_to_one")


def coverage(left: pd.Series, right: pd.Series) -> tuple[int, int]:
    """How many (unique) ids are only in ``left`` and only in ``right``."""
    a, b = set(left.tolist()), set(right.tolist())
    return len(a - b), len(b - a)


__all__ = [
    "DECISION_COLUMNS",
    "TRUTH_COLUMNS",
    "check_decisions",
    "check_truth",
    "coverage",
    "join",
    "load_decisions",
    "load_truth",
    "read_table",
]
