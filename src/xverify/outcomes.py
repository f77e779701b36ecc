"""The outcome every request gets, and what of it the requester may see (DESIGN.md section 4)."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What the custodian decided about one request (custodian and auditor only)."""

    REJECTED = "REJECTED"  # fails 6103(i)(2)(B) or the data contract; discloses nothing
    NO_MATCH = "NO_MATCH"  # no register person passes
    NAME_ONLY = "NAME_ONLY"  # the name matches, no address on file in the period does
    AMBIGUOUS = "AMBIGUOUS"  # two or more people pass, or the best is not clear enough
    VERIFIED = "VERIFIED"  # one person, name and address in the period: identity disclosed

    @property
    def reply(self) -> Reply:
        """What the requester is told: NO_MATCH, NAME_ONLY and AMBIGUOUS all become
        NOT_VERIFIED, because telling them apart would say who is on file."""
        return _REPLY[self]


class Why(StrEnum):
    """What failed, for every decision that is neither VERIFIED nor REJECTED (custodian and
    auditor only: ``reason`` in decisions.parquet; REJECTED rows carry their request defect).

    The first that applies, in this order."""

    NO_CANDIDATE = "NO_CANDIDATE"  # nobody on file shares a blocking key with the request
    PLACEHOLDER_NAME = "PLACEHOLDER_NAME"  # the chosen pair has no given name to compare
    GIVEN_NAME_DISAGREES = "GIVEN_NAME_DISAGREES"  # no exact, fuzzy, nickname or initial match
    SURNAME_DISAGREES = "SURNAME_DISAGREES"  # not even a fuzzy or phonetic surname match
    ADDRESS_NOT_CONFIRMED = "ADDRESS_NOT_CONFIRMED"  # no agreeing address on file in the period
    HOUSEMATE_RISK = "HOUSEMATE_RISK"  # an unregistered housemate explains the request too well
    RUNNER_UP_TOO_CLOSE = "RUNNER_UP_TOO_CLOSE"  # another person on file is within the margin
    BELOW_THRESHOLD = "BELOW_THRESHOLD"  # the evidence is not strong enough


class Reply(StrEnum):
    """The outcome as the requester sees it in the response.

    That a person of a given name is on file (has filed) is itself return information
    (26 U.S.C. 6103(b)(2)); NAME_ONLY or AMBIGUOUS would reveal it about people who were never
    verified. So the response says only whether identity was disclosed, or why the *request*
    was refused (which depends on the request alone).
    """

    VERIFIED = "VERIFIED"
    NOT_VERIFIED = "NOT_VERIFIED"
    REJECTED = "REJECTED"


_REPLY = {
    Outcome.REJECTED: Reply.REJECTED,
    Outcome.NO_MATCH: Reply.NOT_VERIFIED,
    Outcome.NAME_ONLY: Reply.NOT_VERIFIED,
    Outcome.AMBIGUOUS: Reply.NOT_VERIFIED,
    Outcome.VERIFIED: Reply.VERIFIED,
}
