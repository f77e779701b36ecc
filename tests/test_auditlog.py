"""The audit log's hash chain catches every edit, insertion, deletion and reordering."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xverify.auditlog import GENESIS, AuditLog, verify
from xverify.errors import AuditLogError

FIXED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def make_log(path: Path, n: int) -> AuditLog:
    log = AuditLog(path, clock=lambda: FIXED)
    log.append([{"kind": "batch", "requests": n}])
    log.append(
        {"kind": "disclosure", "request_id": f"R{i}", "fields": ["name", "address"]}
        for i in range(n)
    )
    return log


def test_chain_of_a_fresh_log_verifies(tmp_path: Path) -> None:
    log = make_log(tmp_path / "audit.log", 5)
    result = verify(log.path)
    assert result.ok and result.entries == 6
    assert result.head == log.head().hash
    first = json.loads(log.path.read_text().splitlines()[0])
    assert first["prev"] == GENESIS and first["seq"] == 0
    assert first["time"] == "2026-01-02T03:04:05.000000+00:00"


def test_golden_first_entry_hash(tmp_path: Path) -> None:
    """The hash of an entry is SHA-256 of its canonical JSON: a format other tools can check."""
    log = AuditLog(tmp_path / "a.log", clock=lambda: FIXED)
    head = log.append([{"kind": "batch", "requests": 1}])
    line = log.path.read_text()
    body_json = (
        '{"kind":"batch","prev":"' + GENESIS + '",'
        '"requests":1,"seq":0,"time":"2026-01-02T03:04:05.000000+00:00"'
    )
    assert line == body_json + ',"hash":"' + head.hash + '"}\n'
    assert head.hash == "584f4b94bf013ffdae0ad4d9313f5977c4adc4a6bae8a7686b35b93c416da601"
    import hashlib

    body = json.loads(line)
    body.pop("hash")
    canon = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    assert hashlib.sha256(canon).hexdigest() == head.hash


def test_appends_continue_the_chain_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    make_log(path, 2)
    make_log(path, 3)
    assert verify(path).entries == 3 + 4


def _tamper(lines: list[str], how: str, i: int) -> list[str]:
    lines = list(lines)
    if how == "edit":
        entry = json.loads(lines[i])
        entry["request_id" if "request_id" in entry else "requests"] = "X"
        lines[i] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    elif how == "delete":
        del lines[i]
    elif how == "insert":
        lines.insert(i, lines[i])
    elif how == "swap":
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return lines


@settings(max_examples=40, deadline=None)
@given(how=st.sampled_from(["edit", "delete", "insert", "swap"]), i=st.integers(0, 4))
def test_any_tampering_is_detected_at_the_first_broken_line(
    tmp_path_factory: pytest.TempPathFactory, how: str, i: int
) -> None:
    path = tmp_path_factory.mktemp("log") / "audit.log"
    make_log(path, 5)
    lines = path.read_text().splitlines()
    tampered = _tamper(lines, how, i)
    path.write_text("\n".join(tampered) + "\n")
    result = verify(path)
    assert not result.ok
    # an inserted copy of line i is itself valid at i; its repetition breaks the chain next
    assert result.broken_line == i + (2 if how == "insert" else 1)


def test_truncation_at_the_end_is_caught_with_the_expected_head(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    head = make_log(path, 3).head()
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")
    assert verify(path).ok  # a shorter chain is still a chain ...
    assert not verify(path, expected_head=head.hash).ok  # ... but not the one recorded


def test_half_written_line_is_reported_and_blocks_appends(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    make_log(path, 2)
    with path.open("ab") as fh:
        fh.write(b'{"kind":"disclosure"')
    assert not verify(path).ok
    with pytest.raises(AuditLogError):
        AuditLog(path).append([{"kind": "batch"}])


def test_failed_append_leaves_the_log_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    make_log(path, 2)
    before = path.read_bytes()

    def events():
        yield {"kind": "disclosure", "request_id": "ok"}
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        AuditLog(path).append(events())
    assert path.read_bytes() == before


def test_events_cannot_forge_chain_fields(tmp_path: Path) -> None:
    with pytest.raises(AuditLogError):
        AuditLog(tmp_path / "a.log").append([{"kind": "batch", "prev": GENESIS}])
