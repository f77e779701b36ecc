"""Column contracts of the plaintext submission file (docs/formats.md), defined once.

A leaf module (no heavy imports): the request checks read against it, the synthetic generator
writes by it.
"""

from __future__ import annotations

#: every column of a submissions file, in the order files are written
SUBMISSION_COLUMNS: tuple[str, ...] = (
    "request_id", "first_name", "middle_name", "last_name", "suffix",
    "street", "unit", "city", "state", "zip", "birth_date", "tin",
    "tax_period_start", "tax_period_end", "statute", "reason", "case_ref",
)  # fmt: skip
#: the columns a submissions file may leave out
OPTIONAL_SUBMISSION_COLUMNS: tuple[str, ...] = ("birth_date", "tin")
