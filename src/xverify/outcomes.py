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
