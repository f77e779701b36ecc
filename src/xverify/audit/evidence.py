"""Build the policy-replay evidence frame from plaintext synthetic submissions.

An auditor replays several disclosure policies on the *same* requests. The flawed ``name-zip``
procedure never validated requests, so here every request is encoded and matched — including
those xverify's validator rejects — and the validator's verdict is kept beside the evidence as
``status``. Nothing is disclosed or logged: this is a simulation on synthetic data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import MatchConfig
from ..encoding.keys import LinkageSecret
from ..matching.compare import holds
from ..matching.levels import Comparison, Given, Rule, Surname
from ..requests import ReasonCode, RequestPolicy, encode_requests, read_submissions
from ..verifier import Matched, Verifier


def build_evidence(
    submissions: Path | str,
    register: Path | str,
    secret: LinkageSecret,
    *,
    config: MatchConfig | None = None,
    policy: RequestPolicy | None = None,
    cache_dir: Path | str | None = None,
) -> pd.DataFrame:
    """One row per request: validator verdict, raw-address flags and the matcher's evidence."""
    config = config or MatchConfig()
    table = read_submissions(submissions)
    verifier = Verifier(register, secret, config, log=None, cache_dir=cache_dir)
    reg = verifier.encoded_register()
    meta, validation = encode_requests(table, secret, verifier.schema, policy, encode_rejected=True)
    # every request is matched; periods the validator could not read span the whole register
    start = np.where(validation.period_start >= 0, validation.period_start, reg.first_year)
    end = np.where(validation.period_end >= 0, validation.period_end, reg.last_year)
    start, end = np.minimum(start, end), np.maximum(start, end)
    n = table.num_rows
    for name, values in (
        ("status", pa.array(["ACCEPTED"] * n)),
        ("reason", pa.array([""] * n)),
        ("tax_period_start", pa.array(start.astype(np.int16))),
        ("tax_period_end", pa.array(end.astype(np.int16))),
    ):
        meta = meta.set_column(meta.schema.get_field_index(name), name, values)
    matched = verifier.match(meta)
    d = matched.identified(reg.tins)  # the auditor compares TINs with the synthetic truth

    reason = validation.reason.astype(object)
    outside = (reason == "") & (matched.requests.span_mask == 0)
    reason[outside] = ReasonCode.PERIOD_OUT_OF_RANGE.value
    exact_count, exact_tin = _exact(matched, reg.tins)
    nonblank = np.zeros(table.num_rows, dtype=bool)
    for name in ("street", "unit", "city", "state", "zip"):
        if name in table.column_names:
            nonblank |= ~_blank(table, name)
    return pd.DataFrame(
        {
            "request_id": d["request_id"],
            "status": np.where(reason == "", "ACCEPTED", "REJECTED"),
            "reason": reason,
            "zip_like": validation.zip_like,
            "address_nonblank": nonblank,
            "tin": d["tin"],
            "name_agrees": (d["level_given"] >= Rule.GIVEN_AGREES.min_level)
            & (d["level_surname"] >= Rule.SURNAME_AGREES.min_level),
            "name_weight": d["name_weight"],
            "best_probability": d["probability"],
            "match_weight": d["match_weight"],
            "runner_up_probability": d["runner_up_probability"],
            "runner_up_match_weight": d["runner_up_match_weight"],
            "housemate_probability": d["housemate_probability"],
            "level_given": d["level_given"],
            "level_surname": d["level_surname"],
            "address_agrees": d["address_agrees"],
            "exact_name_street_zip": exact_count > 0,
            "exact_tin": exact_tin,
            "exact_count": exact_count,
        }
    )


def _exact(matched: Matched, tins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per request: how many people have its exact name, street and ZIP on file in the period."""
    c, r = matched.candidates, matched.requests
    n = len(r.request_id)
    lv = c.levels
    # the exact baseline: every given and surname component exact, street line + ZIP agree
    hit = (
        (lv[:, int(Comparison.GIVEN)] == Given.ALL_EXACT)
        & (lv[:, int(Comparison.SURNAME)] == Surname.ALL_EXACT)
        & holds(Rule.STREET_LINE_AGREES, lv)
        & ((c.years & r.span_mask[c.request]) != 0)
    )
    pairs = pd.DataFrame({"req": c.request[hit], "person": c.person[hit]}).drop_duplicates()
    count = np.bincount(pairs["req"], minlength=n)
    first = pairs.drop_duplicates("req")
    tin = np.full(n, None, dtype=object)
    single = count[first["req"].to_numpy()] == 1
    tin[first["req"].to_numpy()[single]] = tins[first["person"].to_numpy()[single]]
    return count, tin


def _text(table: pa.Table, name: str) -> pa.Array:
    return pc.cast(table.column(name), pa.string()).combine_chunks()


def _blank(table: pa.Table, name: str) -> np.ndarray:
    col = pc.utf8_trim_whitespace(_text(table, name))
    return pc.fill_null(pc.equal(col, ""), True).to_numpy(zero_copy_only=False)
