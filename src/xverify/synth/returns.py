"""Return rows that look like tax data, each carrying a canary so leaks can be proven absent.

Every row's ``canary`` is ``CANARY-<16 hex>``; every employer name also embeds a
``CANARY-E<8 hex>`` token. A test that finds ``CANARY-`` in any output has found a leak.
"""

from __future__ import annotations

import enum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._arrow import digits, fixed_width, hex_chars, prefixed
from .lexicon import COMPANY_SUFFIXES, EMPLOYER_PREFIXES, INDUSTRIES

CANARY_PREFIX = "CANARY-"
_EMPLOYERS_PER_CHUNK = 4000


class FilingStatus(enum.Enum):
    """Form 1040 filing statuses."""

    SINGLE = "SINGLE"
    MFJ = "MARRIED_FILING_JOINTLY"
    MFS = "MARRIED_FILING_SEPARATELY"
    HOH = "HEAD_OF_HOUSEHOLD"
    QSS = "QUALIFYING_SURVIVING_SPOUSE"


_STATUS = pa.array([s.value for s in FilingStatus])
_STATUS_IDX = {s: i for i, s in enumerate(FilingStatus)}


def employers(rng: np.random.Generator) -> pa.Array:
    """A pool of employer names, each with its own canary token."""
    n = _EMPLOYERS_PER_CHUNK
    pre = pa.array(EMPLOYER_PREFIXES).take(pa.array(rng.integers(0, len(EMPLOYER_PREFIXES), n)))
    ind = pa.array(INDUSTRIES).take(pa.array(rng.integers(0, len(INDUSTRIES), n)))
    suf = pa.array(COMPANY_SUFFIXES).take(pa.array(rng.integers(0, len(COMPANY_SUFFIXES), n)))
    tok = prefixed(b"CANARY-E", hex_chars(rng.integers(0, 2**63, n, dtype=np.uint64))[:, 8:])
    return pc.binary_join_element_wise(pre, ind, tok, suf, " ")


def routing_numbers(n: int, rng: np.random.Generator) -> pa.Array:
    """ABA routing numbers: a plausible Federal Reserve prefix and a valid check digit."""
    prefix = rng.choice(np.r_[1:13, 21:33], n)
    body = rng.integers(0, 10**6, n)
    d = np.hstack([digits(prefix, 2), digits(body, 6)]).astype(np.int64) - ord("0")
    check = (-(3 * (d[:, 0] + d[:, 3] + d[:, 6]) + 7 * (d[:, 1] + d[:, 4] + d[:, 7])
               + (d[:, 2] + d[:, 5]))) % 10  # fmt: skip
    return fixed_width(np.hstack([digits(prefix, 2), digits(body, 6), digits(check, 1)]))


def make_returns(
    tin: pa.Array,
    tax_year: np.ndarray,
    age: np.ndarray,
    married: np.ndarray,
    rng: np.random.Generator,
) -> pa.Table:
    """One return row per (person, year) with a filing; inputs are per row."""
    n = len(tax_year)
    status = np.full(n, _STATUS_IDX[FilingStatus.SINGLE])
    u = rng.random(n)
    status[married] = np.where(
        u[married] < 0.88,
        _STATUS_IDX[FilingStatus.MFJ],
        np.where(
            u[married] < 0.95, _STATUS_IDX[FilingStatus.MFS], _STATUS_IDX[FilingStatus.SINGLE]
        ),
    )
    dependents = np.where((age >= 24) & (age <= 60), rng.poisson(0.7, n), 0)
    hoh = ~married & (dependents > 0) & (rng.random(n) < 0.8)
    status[hoh] = _STATUS_IDX[FilingStatus.HOH]
    status[~married & (age > 60) & (u < 0.01)] = _STATUS_IDX[FilingStatus.QSS]
    retired = (age >= 67) & (rng.random(n) < 0.75)
    wages = np.where(retired | (rng.random(n) < 0.06), 0, rng.lognormal(10.6, 0.8, n))
    wages = np.round(wages).astype(np.int64)
    other = np.where(
        retired | (rng.random(n) < 0.3), np.round(rng.lognormal(9.0, 1.2, n)).astype(np.int64), 0
    )
    agi = wages + other
    refund = np.round(rng.normal(1200, 2200, n) + 900 * dependents).astype(np.int64)
    direct = (refund > 0) & (rng.random(n) < 0.8)
    acct_len = rng.integers(8, 13, n)
    acct = rng.integers(0, 10**12, n) % (10**acct_len)
    account = pc.utf8_lpad(pc.cast(pa.array(acct), pa.string()), 8, "0")
    no_acct = pa.array(~direct)
    pool = employers(rng)
    emp = pool.take(pa.array(rng.integers(0, len(pool), n), mask=wages == 0))
    canary = prefixed(CANARY_PREFIX.encode(), hex_chars(rng.integers(0, 2**63, n, dtype=np.uint64)))
    null_str = pa.scalar(None, pa.string())
    return pa.table(
        {
            "tin": tin,
            "tax_year": pa.array(tax_year.astype(np.int16)),
            "filing_status": _STATUS.take(pa.array(status)),
            "agi": pa.array(agi),
            "wages": pa.array(wages),
            "employer": emp,
            "dependents": pa.array(dependents.astype(np.int8)),
            "refund": pa.array(refund),
            "bank_routing": pc.if_else(no_acct, null_str, routing_numbers(n, rng)),
            "bank_account": pc.if_else(no_acct, null_str, account),
            "canary": canary,
        }
    )
