"""The tamper-evident audit log: canonical JSON lines, chained by SHA-256, sealed with Ed25519.

Each line is one JSON object in canonical form (keys sorted, no spaces, ASCII, no NaN) with
``hash`` appended last. ``prev`` is the ``hash`` of the line before (64 zeros for the first) and
``hash`` is the SHA-256 of the line's canonical JSON without ``hash``. Every append (one request
batch) ends with a ``seal`` entry holding the custodian's Ed25519 signature over the *head* at that
point: the number of entries before the seal and the chain value (the ``hash`` of the entry before
it). The chain alone is unkeyed — anyone can recompute it after an edit — so it is the seals,
checked with the custodian's public key, that catch edits, insertions, deletions, reordering and
re-chaining; the latest signed head, also kept in ``<log>.head`` and printed by ``xverify match``,
catches batches cut from the end when compared with any earlier copy of it.

A line that is not exactly the canonical encoding of its parsed value (a duplicate key, other
spacing or key order, a number spelled differently) fails verification: equal content, equal bytes.

Entries hold request metadata (ids, statute, reason, period, case reference), outcome counts and
the *names* of disclosed fields — never a person's name, address or TIN.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from ._io import atomic_path
from .errors import AuditLogError, ConfigError
from .signing import SigningKey, VerifyKey

GENESIS = "0" * 64
#: domain separation for seal signatures: a seal signature cannot be replayed as anything else
SEAL_CONTEXT = b"xverify/audit-log/seal/v1\n"
Clock = Callable[[], datetime]
_RESERVED = frozenset({"seq", "prev", "hash", "time"})
_HEX64 = re.compile(r"[0-9a-f]{64}")


class EntryKind(StrEnum):
    BATCH = "batch"  # one per request batch: counts and provenance, never identities
    DISCLOSURE = "disclosure"  # one per VERIFIED request whose identity is disclosed
    SEAL = "seal"  # closes every append: signature over the head at that point
    RECOVERY = "recovery"  # an unsealed tail left by a crashed writer was moved aside


def utc_now() -> datetime:
    return datetime.now(UTC)


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
)


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The one byte encoding of an entry: sorted keys, no spaces, ASCII, no NaN."""
    return _CANONICAL.encode(entry).encode()


def seal_message(entries: int, chain: str) -> bytes:
    """The bytes a seal signs: a fixed context, the entry count and the chain value."""
    return SEAL_CONTEXT + f"{entries}:{chain}".encode()


@dataclass(frozen=True)
class Head:
    """A position in the log: ``entries`` before it and the chain value (hash of the last one).

    A *signed* head (``signature``, hex Ed25519 over :func:`seal_message`) is what a seal
    certifies. Written as text it is ``ENTRIES:CHAIN[:SIGNATURE]``.
    """

    entries: int
    hash: str
    signature: str | None = None
    key: str | None = None  # fingerprint of the key that signed it

    def __str__(self) -> str:
        return f"{self.entries}:{self.hash}" + (f":{self.signature}" if self.signature else "")

    @classmethod
    def parse(cls, text: str) -> Head:
        """Read ``ENTRIES:CHAIN[:SIGNATURE]`` (as printed by ``xverify match``)."""
        parts = text.strip().split(":")
        if not 2 <= len(parts) <= 3 or not parts[0].isdigit() or not _HEX64.fullmatch(parts[1]):
            raise ConfigError("a head is ENTRIES:CHAIN[:SIGNATURE] (as 'xverify match' prints it)")
        sig = parts[2] if len(parts) == 3 else None
        if sig is not None and not re.fullmatch(r"[0-9a-f]{128}", sig):
            raise ConfigError("the head's signature is not 128 hex digits")
        return cls(int(parts[0]), parts[1], sig)

    @classmethod
    def load(cls, value: str | Path) -> Head:
        """A head from a head file (``<log>.head``) or from its text form."""
        path = Path(value)
        if path.is_file():
            try:
                data = json.loads(path.read_bytes())
                text = f"{int(data['entries'])}:{data['chain']}"
                head = cls.parse(text + (f":{data['signature']}" if data["signature"] else ""))
                return cls(head.entries, head.hash, head.signature, data["key"])
            except (ValueError, KeyError, TypeError, ConfigError):
                raise AuditLogError(f"{path}: not an audit log head file") from None
        return cls.parse(str(value))

    def to_json(self) -> bytes:
        body = {"chain": self.hash, "entries": self.entries}
        return canonical({**body, "key": self.key, "signature": self.signature}) + b"\n"

    def verify(self, key: VerifyKey) -> bool:
        """True when this head carries a valid signature by ``key``."""
        if self.signature is None:
            return False
        return key.verify(bytes.fromhex(self.signature), seal_message(self.entries, self.hash))


def head_path(log: Path | str) -> Path:
    """The head file kept next to a log: ``audit.log`` -> ``audit.log.head``."""
    p = Path(log)
    return p.with_name(p.name + ".head")


@dataclass(frozen=True)
class Commit:
    """What an append did: the head after it, and whether anything was written.

    ``existing`` is the batch entry already in the log when the batch had been logged before
    (then nothing is appended: a re-run never logs the same disclosures twice).
    """

    head: Head
    appended: bool
    existing: Mapping[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class _Scan:
    """What one pass over the log found (under the lock)."""

    sealed_bytes: int  # the log up to and including the last seal
    sealed_entries: int
    head: Head  # the last seal's signed head (GENESIS when there is none)
    chain: str  # hash of the last sealed entry: what the next entry chains to
    batch: dict[str, Any] | None  # the sealed batch entry with the digest asked for


class AuditLog:
    """Appends sealed batches of chained entries to a JSON-lines file.

    ``signing_key`` must be given explicitly: a :class:`~xverify.signing.SigningKey` seals each
    append with a signature, ``None`` writes unsigned seals (such a log never verifies; for
    experiments only). Appends are all-or-nothing and serialised across processes: one ``write``
    under an exclusive ``flock``, fsynced, truncated back if anything fails. A crashed writer can
    leave at most an unsealed tail; the next append moves it aside (to
    ``<log>.discarded-<offset>-<digest>``) and records a ``recovery`` entry, so nothing unsealed
    is ever sealed by someone else.
    """

    def __init__(
        self, path: Path | str, *, signing_key: SigningKey | None, clock: Clock = utc_now
    ) -> None:
        self.path = Path(path)
        self.signing_key = signing_key
        self._clock = clock

    def __repr__(self) -> str:
        signed = "unsigned" if self.signing_key is None else self.signing_key.fingerprint()
        return f"AuditLog({str(self.path)!r}, {signed})"

    @property
    def head_path(self) -> Path:
        return head_path(self.path)

    def head(self) -> Head:
        """The latest signed head (the last seal); entries after it are not counted."""
        if not self.path.exists():
            return Head(0, GENESIS)
        with self.path.open("rb") as fh:
            return _scan(fh, None).head

    def find_batch(self, batch: str) -> dict[str, Any] | None:
        """The sealed batch entry with this digest, if the log holds one."""
        if not self.path.exists():
            return None
        with self.path.open("rb") as fh:
            return _scan(fh, batch).batch

    def append(self, events: Iterable[Mapping[str, Any]], *, batch: str | None = None) -> Commit:
        """Append events (each a mapping with at least ``kind``) and a seal; return the new head.

        With ``batch`` (a digest naming the request batch) nothing is appended when a sealed
        batch entry with that digest is already in the log: the check and the append happen
        under one lock, so concurrent runs of one batch log it once.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with os.fdopen(os.dup(fd), "rb") as fh:
                scan = _scan(fh, batch)
            if scan.batch is not None:
                return Commit(scan.head, False, scan.batch)
            size = os.fstat(fd).st_size
            lines, prev, seq = [], scan.chain, scan.sealed_entries
            time = self._clock().astimezone(UTC).isoformat(timespec="microseconds")
            if size > scan.sealed_bytes:
                tail = os.pread(fd, size - scan.sealed_bytes, scan.sealed_bytes)
                _save_discarded(self.path, scan.sealed_bytes, tail)
                recovery = {
                    "kind": EntryKind.RECOVERY.value,
                    "discarded_bytes": len(tail),
                    "discarded_entries": tail.count(b"\n"),
                    "discarded_sha256": hashlib.sha256(tail).hexdigest(),
                }
                line, prev = _line(recovery, seq, time, prev)
                lines.append(line)
                seq += 1
            for event in events:
                if "kind" not in event or event["kind"] == EntryKind.SEAL.value:
                    raise AuditLogError("audit event without a kind, or a forged seal")
                if _RESERVED & set(event):
                    raise AuditLogError("audit events may not set seq, prev, hash or time")
                line, prev = _line(event, seq, time, prev)
                lines.append(line)
                seq += 1
            if not lines:
                return Commit(scan.head, False)
            head = self._seal(seq, prev)
            seal = {"kind": EntryKind.SEAL.value, "entries": seq, "key": head.key}
            line, _ = _line({**seal, "signature": head.signature}, seq, time, prev)
            lines.append(line)
            data = b"".join(lines)
            try:
                if size > scan.sealed_bytes:
                    os.ftruncate(fd, scan.sealed_bytes)
                if os.write(fd, data) != len(data):
                    raise OSError("short write to audit log")
                os.fsync(fd)
            except BaseException:
                os.ftruncate(fd, scan.sealed_bytes)
                raise
            with atomic_path(self.head_path) as tmp:
                tmp.write_bytes(head.to_json())
                _fsync_file(tmp)
            return Commit(head, True)
        finally:
            os.close(fd)

    def _seal(self, entries: int, chain: str) -> Head:
        if self.signing_key is None:
            return Head(entries, chain)
        signature = self.signing_key.sign(seal_message(entries, chain)).hex()
        return Head(entries, chain, signature, self.signing_key.fingerprint())


def _line(event: Mapping[str, Any], seq: int, time: str, prev: str) -> tuple[bytes, str]:
    """One log line for an event and its hash: the hash goes last, after the hashed body."""
    try:
        body = canonical({**event, "seq": seq, "time": time, "prev": prev})
    except (TypeError, ValueError):
        raise AuditLogError("audit event is not plain JSON (or holds NaN)") from None
    digest = hashlib.sha256(body).hexdigest()
    return body[:-1] + b',"hash":"' + digest.encode() + b'"}\n', digest


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _save_discarded(log: Path, offset: int, tail: bytes) -> None:
    """Keep an unsealed tail (never authoritative, but evidence) beside the log."""
    digest = hashlib.sha256(tail).hexdigest()[:12]
    target = log.with_name(f"{log.name}.discarded-{offset}-{digest}")
    with atomic_path(target) as tmp:
        tmp.write_bytes(tail)
        _fsync_file(tmp)


def _scan(fh: BinaryIO, batch: str | None) -> _Scan:
    """Find the last seal (and the sealed batch entry ``batch``) in one pass; trust the seals'
    own fields (verification is :func:`verify`'s job)."""
    offset = sealed_bytes = sealed_entries = 0
    head, chain = Head(0, GENESIS), GENESIS
    needle = b'"batch":"' + batch.encode() + b'"' if batch else None
    found: dict[str, Any] | None = None
    pending: dict[str, Any] | None = None  # a matching batch entry not yet sealed
    for entries, raw in enumerate(fh, start=1):
        offset += len(raw)
        if not raw.endswith(b"\n"):
            break
        if needle is not None and found is None and needle in raw and b'"kind":"batch"' in raw:
            pending = _parse(raw)
        if b'"kind":"seal"' in raw:
            seal = _parse(raw)
            try:
                head = Head(int(seal["entries"]), str(seal["prev"]), seal["signature"], seal["key"])
                chain = str(seal["hash"])
            except (KeyError, TypeError, ValueError):
                raise AuditLogError(
                    "the log holds a malformed seal; run 'xverify log verify'"
                ) from None
            sealed_bytes, sealed_entries = offset, entries
            found, pending = found or pending, None
    return _Scan(sealed_bytes, sealed_entries, head, chain, found)


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        entry = json.loads(raw)
    except ValueError:
        raise AuditLogError("the log holds a malformed entry; run 'xverify log verify'") from None
    if not isinstance(entry, dict):
        raise AuditLogError("the log holds a malformed entry; run 'xverify log verify'")
    return entry


# -- verification --------------------------------------------------------------------------------
class Status(StrEnum):
    VERIFIED = "verified"  # chain, canonical bytes, every seal and the head(s) check out
    UNCHECKED = "unchecked"  # no public key given: nothing is proven, whatever the chain says
    BROKEN = "broken"


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of checking a log. ``ok`` only when signatures were checked and all held."""

    status: Status
    entries: int
    seals: int = 0
    head: Head | None = None  # the last seal's signed head
    broken_line: int | None = None  # 1-based
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.status is Status.VERIFIED

    def __str__(self) -> str:
        if self.status is Status.VERIFIED:
            assert self.head is not None
            return (
                f"verified: {self.entries} entries in {self.seals} signed batches "
                f"(key {self.head.key}), head {self.head}"
            )
        if self.status is Status.UNCHECKED:
            return (
                f"NOT VERIFIED: signatures were not checked (no public key given); the chain of "
                f"{self.entries} entries in {self.seals} batches is consistent, but anyone can "
                "recompute a chain"
            )
        where = f"line {self.broken_line}" if self.broken_line else "the log"
        return f"broken at {where}: {self.problem}"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key")
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError("non-standard JSON constant")


def _decode(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    """Parse a line and check it is canonical; return (entry without hash, problem)."""
    if not raw.endswith(b"\n"):
        return None, "incomplete last line"
    try:
        entry = json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except ValueError:
        return None, "not valid JSON, or a duplicate key"
    if not isinstance(entry, dict) or not isinstance(entry.get("hash"), str):
        return None, "not an audit entry"
    claimed = entry.pop("hash")
    try:
        body = canonical(entry)
    except ValueError:
        return None, "not canonical JSON"
    if raw != body[:-1] + b',"hash":"' + claimed.encode() + b'"}\n':
        return None, "not in canonical form (spacing, key order, escapes or number spelling)"
    if hashlib.sha256(body).hexdigest() != claimed:
        return None, "content does not match its hash (edited)"
    entry["hash"] = claimed
    return entry, ""


def verify(
    path: Path | str,
    public_key: VerifyKey | None = None,
    *,
    expected_head: Head | str | Path | None = None,
) -> VerifyResult:
    """Check every line, the chain, every seal and (optionally) an earlier head.

    Without ``public_key`` the result is at best ``UNCHECKED``: an unkeyed chain proves nothing,
    since whoever edits the log can recompute it. ``expected_head`` (a :class:`Head`, a head
    file or its text) is a head recorded earlier: the log must still contain it, which catches
    batches cut from the end or a log replaced by another.
    """
    path = Path(path)
    if not path.is_file():
        raise AuditLogError(f"{path}: no such audit log")
    want = expected_head if isinstance(expected_head, Head | None) else Head.load(expected_head)
    if (
        want is not None
        and public_key is not None
        and want.signature is not None
        and not want.verify(public_key)
    ):
        return VerifyResult(Status.BROKEN, 0, problem="the given head is not signed by this key")
    prev, n, seals, last_seal = GENESIS, 0, 0, 0
    head: Head | None = None
    at_want: str | None = None
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            seq = n - 1
            entry, problem = _check_entry(raw, seq, prev, public_key)
            if entry is None:
                return VerifyResult(Status.BROKEN, seq, seals, head, n, problem)
            if entry["kind"] == EntryKind.SEAL.value:
                seals, last_seal = seals + 1, n
                head = Head(seq, prev, entry.get("signature"), entry.get("key"))
            if want is not None and seq == want.entries:
                at_want = prev
            prev = entry["hash"]
    if n == 0:
        return VerifyResult(Status.BROKEN, 0, problem="the log is empty: nothing is sealed")
    if last_seal < n:
        return VerifyResult(Status.BROKEN, n, seals, head, last_seal + 1,
                            f"the last {n - last_seal} entries are not sealed (a crashed "
                            "run's tail, or entries added without the signing key)")  # fmt: skip
    if want is not None and at_want != want.hash:
        problem = (
            f"entries missing at the end: the given head is at entry {want.entries}, "
            f"the log holds {n}"
            if want.entries >= n
            else "the log differs from the given head (rewritten or replaced)"
        )
        return VerifyResult(Status.BROKEN, n, seals, head, None, problem)
    status = Status.UNCHECKED if public_key is None else Status.VERIFIED
    return VerifyResult(status, n, seals, head)


def _check_entry(
    raw: bytes, seq: int, prev: str, key: VerifyKey | None
) -> tuple[dict[str, Any] | None, str]:
    """The entry of one line if it is canonical, chains to ``prev`` and, if a seal, holds."""
    entry, problem = _decode(raw)
    if entry is None:
        return None, problem
    if entry.get("prev") != prev:
        return None, "does not chain to the previous entry (edited, inserted, deleted or reordered)"
    if entry.get("seq") != seq:
        return None, "sequence number out of order"
    if entry.get("kind") not in set(EntryKind):
        return None, "not an audit entry (unknown kind)"
    if entry["kind"] == EntryKind.SEAL.value:
        problem = _check_seal(entry, seq, prev, key)
        if problem:
            return None, problem
    return entry, ""


def _check_seal(entry: Mapping[str, Any], seq: int, prev: str, key: VerifyKey | None) -> str:
    if entry.get("entries") != seq:
        return "seal does not count the entries before it"
    sig = entry.get("signature")
    if key is None:
        return ""
    if sig is None:
        return "seal is unsigned (the log was written without a signing key)"
    if entry.get("key") != key.fingerprint():
        return "seal was made with another key than the public key given"
    if not isinstance(sig, str) or not re.fullmatch(r"[0-9a-f]{128}", sig):
        return "seal signature is malformed"
    if not key.verify(bytes.fromhex(sig), seal_message(seq, prev)):
        return "seal signature does not match (edited, inserted, deleted, reordered or re-chained)"
    return ""


def iter_entries(path: Path | str) -> Iterator[dict[str, Any]]:
    """The parsed entries of a log, in order (no checking: use :func:`verify` for that)."""
    with Path(path).open("rb") as fh:
        for raw in fh:
            yield _parse(raw)
