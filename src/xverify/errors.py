"""One error hierarchy for the whole package.

Messages name the file, row and field at fault, never the value: a value may be a person's
name or address, and errors end up in logs and terminals.
"""

from __future__ import annotations


class XVerifyError(Exception):
    """Base class of every error xverify raises on purpose."""


class ConfigError(XVerifyError):
    """A configuration or command-line argument is invalid."""


class SecretError(XVerifyError):
    """A linkage secret is missing, too short, low-entropy, or does not match a file."""


class SigningKeyError(XVerifyError):
    """The custodian's log-signing key pair is missing, malformed or exposed."""


class SchemaError(XVerifyError):
    """An encoding schema is invalid or two parties' schemas disagree."""


class InputError(XVerifyError):
    """An input file is missing, malformed or breaks its data contract.

    Build it with :meth:`at` so the message names the place and never the value.
    """

    @classmethod
    def at(
        cls,
        problem: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | int | None = None,
    ) -> InputError:
        """``column`` is a known column's name, or the 1-based position of a column whose name
        is not to be shown (an unknown name may be a value: a headerless file's first row)."""
        if isinstance(column, int):
            column = None if column < 1 else column
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file is not None else "",
                f"row {row}" if row is not None else "",
                f"column {column!r}" if isinstance(column, str) else "",
                f"column {column}" if isinstance(column, int) else "",
            )
            if part
        )
        return cls(f"{where}: {problem}" if where else problem)


class OutputError(XVerifyError):
    """An output cannot be written (exists without --force, unwritable location...)."""


class EngineError(XVerifyError):
    """A distributed run failed or did not cover the register exactly once (a row_id gap or
    overlap)."""


class AuditLogError(XVerifyError):
    """The audit log is malformed or its hash chain is broken."""


__all__ = [
    "AuditLogError",
    "ConfigError",
    "InputError",
    "OutputError",
    "SchemaError",
    "SecretError",
    "SigningKeyError",
    "XVerifyError",
]
