"""The outcome every request gets: exactly one of these (DESIGN.md section 4)."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What the custodian decided about one request."""

    REJECTED = "REJECTED"  # fails 6103(i)(2)(B) or the data contract; discloses nothing
    NO_MATCH = "NO_MATCH"  # no register person passes
    NAME_ONLY = "NAME_ONLY"  # the name matches, no address on file in the period does
    AMBIGUOUS = "AMBIGUOUS"  # two or more people pass, or the best is not clear enough
    VERIFIED = "VERIFIED"  # one person, name and address in the period: identity disclosed
