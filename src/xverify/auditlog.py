"""The tamper-evident audit log: append-only JSON lines chained by SHA-256.

Each line is one JSON object with sorted keys. ``prev`` is the ``hash`` of the line before it
(64 zeros for the first line) and ``hash`` is the SHA-256 of the entry's canonical JSON without
``hash``. Editing, inserting, deleting or reordering any line breaks the chain at that line;
removing lines from the end is caught by comparing the head hash with one recorded elsewhere
(``verify(path, expected_head=...)``).

Entries hold request metadata (ids, statute, reason, period, case reference), outcome counts and
the *names* of disclosed fields — never a person's name, address or TIN.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from .errors import AuditLogError

GENESIS = "0" * 64
Clock = Callable[[], datetime]


class EntryKind(StrEnum):
    BATCH = "batch"  # one per request batch: counts, never identities
    DISCLOSURE = "disclosure"  # one per VERIFIED request whose identity is disclosed


def utc_now() -> datetime:
    return datetime.now(UTC)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _canonical(entry: Mapping[str, Any]) -> bytes:
    return _CANONICAL.encode(entry).encode()


def _digest(entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


@dataclass(frozen=True)
class Head:
    """Position of the end of a log: number of entries and hash of the last one."""

    entries: int
    hash: str


class AuditLog:
    """Appends chained entries to a JSON-lines file.

    Appends are all-or-nothing: the entries of one call are written with one ``write`` under an
    exclusive lock, fsynced, and the file is truncated back to its former size if anything fails,
    so no half-written line is ever left behind by a failed run.
    """

    def __init__(self, path: Path | str, *, clock: Clock = utc_now) -> None:
        self.path = Path(path)
        self._clock = clock

    def head(self) -> Head:
        """The current end of the log (verifying only that the last line is whole)."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return Head(0, GENESIS)
        last, count = _last_line(self.path)
        try:
            entry = json.loads(last)
            return Head(count, str(entry["hash"]))
        except (ValueError, KeyError, TypeError):
            raise AuditLogError(
                f"{self.path}: last entry is malformed; run 'xverify log verify'"
            ) from None

    def append(self, events: Iterable[Mapping[str, Any]]) -> Head:
        """Append events (each a mapping with at least ``kind``); return the new head."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            head = self.head()
            time = self._clock().astimezone(UTC).isoformat(timespec="microseconds")
            lines: list[bytes] = []
            prev, seq = head.hash, head.entries
            for event in events:
                if "kind" not in event:
                    raise AuditLogError("audit event without a kind")
                if {"seq", "prev", "hash", "time"} & set(event):
                    raise AuditLogError("audit events may not set seq, prev, hash or time")
                body = _canonical({**event, "seq": seq, "time": time, "prev": prev})
                digest = hashlib.sha256(body).hexdigest()
                # the hash goes last: the line is the hashed body with one key added
                lines.append(body[:-1] + b',"hash":"' + digest.encode() + b'"}\n')
                prev, seq = digest, seq + 1
            if not lines:
                return head
            try:
                data = b"".join(lines)
                written = os.write(fd, data)
                if written != len(data):
                    raise OSError("short write to audit log")
                os.fsync(fd)
            except BaseException:
                os.ftruncate(fd, size)
                raise
            return Head(seq, prev)
        finally:
            os.close(fd)


def _last_line(path: Path) -> tuple[bytes, int]:
    """The last line of the file and the number of lines; the file must end in a newline."""
    count = 0
    last = b""
    with path.open("rb") as fh:
        for line in fh:
            count += 1
            last = line
    if not last.endswith(b"\n"):
        raise AuditLogError(f"{path}: last entry is incomplete; run 'xverify log verify'")
    return last, count


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of checking a log: ``ok``, entries read, and the first broken line (1-based)."""

    ok: bool
    entries: int
    head: str
    broken_line: int | None = None
    problem: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.entries} entries, head {self.head}"
        return f"broken at line {self.broken_line}: {self.problem}"


def verify(path: Path | str, *, expected_head: str | None = None) -> VerifyResult:
    """Walk the chain and report the first line that does not follow from the one before."""
    path = Path(path)
    if not path.exists():
        raise AuditLogError(f"{path}: no such audit log")
    prev = GENESIS
    n = 0
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            bad = _check_line(raw, prev, n - 1)
            if bad:
                return VerifyResult(False, n - 1, prev, n, bad)
            prev = json.loads(raw)["hash"]
    if expected_head is not None and expected_head != prev:
        return VerifyResult(
            False,
            n,
            prev,
            n + 1 if n else 1,
            "head differs from the expected head: entries missing at the end or the log replaced",
        )
    return VerifyResult(True, n, prev)


def _check_line(raw: bytes, prev: str, seq: int) -> str:
    if not raw.endswith(b"\n"):
        return "incomplete last line"
    try:
        entry = json.loads(raw)
    except ValueError:
        return "not valid JSON"
    if not isinstance(entry, dict) or "hash" not in entry:
        return "not an audit entry"
    if entry.get("prev") != prev:
        return "does not chain to the previous entry (edited, inserted, deleted or reordered)"
    if entry.get("seq") != seq:
        return "sequence number out of order"
    claimed = entry.pop("hash")
    if _digest(entry) != claimed:
        return "content does not match its hash (edited)"
    return ""
