"""The encoded register's year masks: which tax years of a request's period it covers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xverify.register import EncodedRegister

REGISTER = EncodedRegister(Path("unused"), Path("unused"), 2019, 2024, 0, "")


def reference(start: int, end: int) -> int:
    lo, hi = max(start, 2019), min(end, 2024)
    return 0 if lo > hi else ((1 << (hi - lo + 1)) - 1) << (lo - 2019)


def test_span_masks_agree_with_the_year_by_year_definition() -> None:
    starts, ends = np.meshgrid(np.arange(2010, 2031), np.arange(2010, 2031))
    got = REGISTER.span_masks(starts.ravel(), ends.ravel())
    want = [reference(int(a), int(b)) for a, b in zip(starts.ravel(), ends.ravel(), strict=True)]
    assert got.tolist() == want
    assert REGISTER.span_masks(np.array([2023]), np.array([2024])).tolist() == [0b110000]
