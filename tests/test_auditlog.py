"""The audit log: canonical bytes, a SHA-256 chain and Ed25519 seals catch every kind of tampering.

The forger in these tests knows the format and recomputes the whole chain after each change
(the unkeyed chain alone would then pass); only the custodian's private key makes valid seals.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xverify.auditlog import (
    GENESIS,
    AuditLog,
    Head,
    Status,
    canonical,
    head_path,
    iter_entries,
    seal_message,
    verify,
)
from xverify.errors import AuditLogError, ConfigError, SigningKeyError
from xverify.signing import SigningKey, VerifyKey, public_key_path, write_signing_key

FIXED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
KEY = SigningKey.generate()
PUB = KEY.public()


def make_log(path: Path, n: int, key: SigningKey | None = KEY, batch: str = "B1") -> AuditLog:
    """One batch: a batch entry and ``n`` disclosures, then the seal."""
    log = AuditLog(path, signing_key=key, clock=lambda: FIXED)
    log.append(
        [
            {"kind": "batch", "batch": batch, "requests": n, "outcomes": {"VERIFIED": n}},
            *(
                {"kind": "disclosure", "batch": batch, "request_id": f"R{i}",
                 "statute": "18 U.S.C. 1546", "fields": ["name", "address"]}
                for i in range(n)
            ),
        ]
    )  # fmt: skip
    return log


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def rechain(
    entries: list[dict[str, Any]], resign: SigningKey | None = None, claim: str | None = None
) -> bytes:
    """What a forger without the private key writes: renumbered, re-chained, canonical lines;
    seals keep their old signature (or are re-signed with the forger's own key, claiming to be
    the key with fingerprint ``claim``)."""
    out, prev = [], GENESIS
    for seq, e in enumerate(entries):
        body = {k: v for k, v in e.items() if k != "hash"}
        body.update(seq=seq, prev=prev)
        if body["kind"] == "seal":
            body["entries"] = seq
            if resign is not None:
                body["signature"] = resign.sign(seal_message(seq, prev)).hex()
                body["key"] = claim or resign.fingerprint()
        raw = canonical(body)
        prev = hashlib.sha256(raw).hexdigest()
        out.append(raw[:-1] + b',"hash":"' + prev.encode() + b'"}\n')
    return b"".join(out)


def test_a_fresh_log_verifies_with_the_public_key_only(tmp_path: Path) -> None:
    log = make_log(tmp_path / "audit.log", 5)
    result = verify(log.path, PUB)
    assert result.ok and result.status is Status.VERIFIED
    assert result.entries == 7 and result.seals == 1
    assert result.head == log.head() and result.head.verify(PUB)
    first = lines_of(log.path)[0]
    assert first["prev"] == GENESIS and first["seq"] == 0
    assert first["time"] == "2026-01-02T03:04:05.000000+00:00"


def test_without_a_public_key_verification_never_reports_success(tmp_path: Path) -> None:
    log = make_log(tmp_path / "audit.log", 3)
    result = verify(log.path)
    assert result.status is Status.UNCHECKED and not result.ok
    assert "not checked" in str(result)


def test_golden_first_entry_hash(tmp_path: Path) -> None:
    """The hash of an entry is SHA-256 of its canonical JSON: a format other tools can check."""
    log = AuditLog(tmp_path / "a.log", signing_key=KEY, clock=lambda: FIXED)
    log.append([{"kind": "batch", "requests": 1}])
    line = log.path.read_text().splitlines()[0]
    body_json = (
        '{"kind":"batch","prev":"' + GENESIS + '",'
        '"requests":1,"seq":0,"time":"2026-01-02T03:04:05.000000+00:00"'
    )
    digest = "584f4b94bf013ffdae0ad4d9313f5977c4adc4a6bae8a7686b35b93c416da601"
    assert line == body_json + ',"hash":"' + digest + '"}'
    body = json.loads(line)
    body.pop("hash")
    canon = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    assert hashlib.sha256(canon).hexdigest() == digest


def test_every_append_ends_with_a_seal_over_the_head(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    make_log(path, 2)
    make_log(path, 3, batch="B2")
    entries = lines_of(path)
    seals = [i for i, e in enumerate(entries) if e["kind"] == "seal"]
    assert seals == [3, 8] and len(entries) == 9
    for i in seals:
        seal = entries[i]
        assert seal["entries"] == i and seal["prev"] == entries[i - 1]["hash"]
        assert seal["key"] == PUB.fingerprint()
        assert PUB.verify(bytes.fromhex(seal["signature"]), seal_message(i, seal["prev"]))
    assert verify(path, PUB).ok


def test_the_head_file_holds_the_latest_signed_head(tmp_path: Path) -> None:
    log = make_log(tmp_path / "audit.log", 2)
    stored = Head.load(head_path(log.path))
    assert stored == log.head() and stored.verify(PUB)
    assert Head.parse(str(stored)) == Head(stored.entries, stored.hash, stored.signature)
    assert len(str(stored).split(":")[1]) == 64  # printed in full, never a prefix


def test_an_earlier_head_still_verifies_after_more_batches(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    early = str(make_log(path, 2).head())  # as 'xverify match' prints it
    make_log(path, 3, batch="B2")
    assert verify(path, PUB, expected_head=early).ok
    assert verify(path, PUB, expected_head=head_path(path)).ok


# -- tampering ---------------------------------------------------------------------------------
def _edit_field(e: list[dict[str, Any]]) -> list[dict[str, Any]]:
    e[2]["statute"] = "8 U.S.C. 1357"
    return e


def _delete_one_and_fix_counts(e: list[dict[str, Any]]) -> list[dict[str, Any]]:
    e[0]["requests"] -= 1
    e[0]["outcomes"]["VERIFIED"] -= 1
    return [x for i, x in enumerate(e) if i != 3]


def _delete_all_and_fix_counts(e: list[dict[str, Any]]) -> list[dict[str, Any]]:
    e[0]["requests"], e[0]["outcomes"] = 0, {}
    return [x for x in e if x["kind"] != "disclosure"]


def _insert(e: list[dict[str, Any]]) -> list[dict[str, Any]]:
    extra = {**e[1], "request_id": "FORGED"}
    return [*e[:2], extra, *e[2:]]


def _reorder(e: list[dict[str, Any]]) -> list[dict[str, Any]]:
    e[1], e[2] = e[2], e[1]
    return e


def _move_a_seal(e: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seal = e.pop(5)  # the first batch's seal, moved after the second batch's first entry
    e.insert(6, seal)
    return e


FORGERIES: dict[str, Callable[[list[dict[str, Any]]], list[dict[str, Any]]]] = {
    "edit a field": _edit_field,
    "delete one disclosure, fix counts": _delete_one_and_fix_counts,
    "delete all disclosures, fix counts": _delete_all_and_fix_counts,
    "insert": _insert,
    "reorder": _reorder,
    "move a seal": _move_a_seal,
    "recompute the whole chain unchanged in content": lambda e: e,
}


@pytest.mark.parametrize("name", list(FORGERIES))
@pytest.mark.parametrize("resign", [False, True], ids=["old-signatures", "forger-key"])
def test_a_rechained_forgery_fails_with_the_public_key(
    tmp_path: Path, name: str, resign: bool
) -> None:
    path = tmp_path / "audit.log"
    make_log(path, 4)
    make_log(path, 2, batch="B2")
    forged = FORGERIES[name](lines_of(path))
    if name.startswith("recompute"):  # fresh times: every hash differs, content does not
        for e in forged:
            e["time"] = "2026-01-02T03:04:06.000000+00:00"
    path.write_bytes(rechain(forged, SigningKey.generate() if resign else None))
    result = verify(path, PUB)
    assert result.status is Status.BROKEN, name
    assert "seal" in result.problem
    assert verify(path).status is not Status.VERIFIED  # and never a success without the key


@settings(max_examples=40, deadline=None)
@given(how=st.sampled_from(["edit", "delete", "insert", "swap"]), i=st.integers(0, 4))
def test_naive_tampering_breaks_at_the_first_changed_line(
    tmp_path_factory: pytest.TempPathFactory, how: str, i: int
) -> None:
    path = tmp_path_factory.mktemp("log") / "audit.log"
    make_log(path, 5)
    lines = path.read_text().splitlines()
    if how == "edit":
        entry = json.loads(lines[i])
        entry["request_id" if "request_id" in entry else "requests"] = "X"
        lines[i] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    elif how == "delete":
        del lines[i]
    elif how == "insert":
        lines.insert(i, lines[i])
    else:
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    path.write_text("\n".join(lines) + "\n")
    result = verify(path, PUB)
    assert not result.ok
    # an inserted copy of line i is itself valid at i; its repetition breaks the chain next
    assert result.broken_line == i + (2 if how == "insert" else 1)


def test_truncating_whole_batches_is_caught_with_an_earlier_head(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    make_log(path, 2)
    head = str(make_log(path, 3, batch="B2").head())
    kept = b"".join(path.read_bytes().splitlines(keepends=True)[:4])  # the first batch only
    path.write_bytes(kept)
    assert verify(path, PUB).ok  # a shorter signed log is still a signed log ...
    result = verify(path, PUB, expected_head=head)  # ... but not the one whose head we hold
    assert not result.ok and "missing at the end" in result.problem


def test_replacing_the_log_is_caught_with_the_head_or_the_key(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    head = str(make_log(path, 3).head())
    path.unlink()
    make_log(path, 3, batch="OTHER")  # same key, other content
    assert verify(path, PUB).ok
    assert "differs" in verify(path, PUB, expected_head=head).problem
    path.unlink()
    make_log(path, 3, key=SigningKey.generate())  # another key
    assert "another key" in verify(path, PUB).problem


def test_an_empty_log_never_verifies(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    head = str(make_log(path, 1).head())
    path.write_bytes(b"")
    assert verify(path, PUB).status is Status.BROKEN
    assert not verify(path, PUB, expected_head=head).ok


def test_an_unsealed_tail_never_verifies(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    make_log(path, 2)
    entries = lines_of(path)
    path.write_bytes(rechain([*entries, {**entries[1], "request_id": "LATE"}]))
    result = verify(path, PUB)
    assert not result.ok and "not sealed" in result.problem


def test_an_unsigned_log_never_verifies(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    make_log(path, 2, key=None)
    assert verify(path).status is Status.UNCHECKED
    assert "unsigned" in verify(path, PUB).problem


def _recanonical_line(path: Path, i: int, mangle: Callable[[bytes], bytes]) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    lines[i] = mangle(lines[i])
    path.write_bytes(b"".join(lines))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b.replace(b'"kind":"disclosure",', b'"kind":"disclosure","kind":"disclosure",'),
        lambda b: b.replace(b'"kind":"disclosure"', b'"kind": "disclosure"'),
        lambda b: b.replace(b'"seq":1', b'"seq":1.0'),
        lambda b: b.replace(b'"seq":1', b'"seq":1e0'),
        lambda b: b.replace(b'"R0"', b'"\\u0052\\u0030"'),
        lambda b: b'{"kind":"disclosure",' + b[1:].replace(b'"kind":"disclosure",', b""),
        lambda b: b.replace(b"\n", b"\r\n"),
    ],
    ids=["duplicate-key", "space", "float", "exponent", "escape", "key-order", "crlf"],
)
def test_non_canonical_bytes_fail_even_when_the_value_is_the_same(
    tmp_path: Path, mangle: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "audit.log"
    make_log(path, 2)
    before = path.read_bytes()
    _recanonical_line(path, 1, mangle)
    assert path.read_bytes() != before
    result = verify(path, PUB)
    assert not result.ok and result.broken_line == 2


def test_a_duplicate_key_with_another_value_is_not_read_as_the_last_one(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    make_log(path, 1)
    _recanonical_line(path, 1, lambda b: b.replace(b'"request_id":"R0"', b'"request_id":"EVIL",'
                                                   b'"request_id":"R0"'))  # fmt: skip
    assert "duplicate" in verify(path, PUB).problem


def test_only_the_private_key_makes_seals(tmp_path: Path) -> None:
    """An auditor holds the public key: it verifies, and it cannot be used to seal."""
    path = tmp_path / "audit.log"
    make_log(path, 2)
    auditor = VerifyKey.from_file(_write_pair(tmp_path)[1])
    assert not hasattr(auditor, "sign")
    entries = lines_of(path)
    seal = entries[-1]
    # replaying the one valid signature on other content fails
    forged = [{**entries[0], "requests": 99}, *entries[1:]]
    path.write_bytes(rechain(forged))
    assert not verify(path, PUB).ok
    # a forger's key that claims the custodian's fingerprint fails
    fake = SigningKey.generate()
    path.write_bytes(rechain(forged, fake, claim=seal["key"]))
    assert "signature does not match" in verify(path, PUB).problem


def test_a_head_not_signed_by_the_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    head = make_log(path, 2).head()
    other = SigningKey.generate().sign(seal_message(head.entries, head.hash)).hex()
    result = verify(path, PUB, expected_head=Head(head.entries, head.hash, other))
    assert not result.ok and "not signed" in result.problem


def test_bad_head_text_is_a_clear_error() -> None:
    with pytest.raises(ConfigError):
        Head.parse("0123456789abcdef")  # the old 16-hex prefix is not a head


# -- appends: once per batch, atomic, recoverable -------------------------------------------------
def test_a_batch_already_sealed_is_not_logged_again(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log", signing_key=KEY)
    first = log.append([{"kind": "batch", "batch": "D1", "requests": 1}], batch="D1")
    again = log.append([{"kind": "batch", "batch": "D1", "requests": 1}], batch="D1")
    assert first.appended and not again.appended
    assert again.existing is not None and again.existing["requests"] == 1
    assert again.head == first.head and len(lines_of(log.path)) == 2


def test_a_half_written_append_is_moved_aside_by_the_next(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    make_log(path, 2)
    good = path.read_bytes()
    with path.open("ab") as fh:  # a crashed writer: whole lines, then half a line, no seal
        fh.write(good.splitlines(keepends=True)[1].replace(b'"seq":1', b'"seq":4'))
        fh.write(b'{"kind":"disclosure"')
    assert not verify(path, PUB).ok
    assert AuditLog(path, signing_key=KEY).find_batch("B2") is None
    make_log(path, 1, batch="B2")
    assert path.read_bytes().startswith(good)
    assert verify(path, PUB).ok
    kinds = [e["kind"] for e in iter_entries(path)]
    assert kinds == ["batch", "disclosure", "disclosure", "seal", "recovery", "batch",
                     "disclosure", "seal"]  # fmt: skip
    (aside,) = tmp_path.glob("audit.log.discarded-*")
    assert aside.read_bytes().endswith(b'{"kind":"disclosure"')


def test_failed_append_leaves_the_log_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    make_log(path, 2)
    before = path.read_bytes()

    def events():
        yield {"kind": "disclosure", "request_id": "ok"}
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        AuditLog(path, signing_key=KEY).append(events())
    assert path.read_bytes() == before


@pytest.mark.parametrize("event", [{"kind": "batch", "prev": GENESIS}, {"kind": "seal"}, {}])
def test_events_cannot_forge_chain_fields_or_seals(tmp_path: Path, event: dict) -> None:
    with pytest.raises(AuditLogError):
        AuditLog(tmp_path / "a.log", signing_key=KEY).append([event])


# -- keys -------------------------------------------------------------------------------------
def _write_pair(tmp_path: Path) -> tuple[Path, Path]:
    private = tmp_path / "custodian.key"
    write_signing_key(private)
    return private, public_key_path(private)


def test_keygen_writes_a_private_0600_and_a_public_pem(tmp_path: Path) -> None:
    private, public = _write_pair(tmp_path)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert SigningKey.from_file(private).public() == VerifyKey.from_file(public)
    with pytest.raises(Exception, match="exists"):
        write_signing_key(private)
    write_signing_key(private, force=True)


def test_key_files_are_checked_and_errors_show_no_key_material(tmp_path: Path) -> None:
    private, public = _write_pair(tmp_path)
    pem = private.read_bytes()
    os.chmod(private, 0o640)
    with pytest.raises(SigningKeyError, match="chmod 600") as info:
        SigningKey.from_file(private)
    os.chmod(private, 0o600)
    with pytest.raises(SigningKeyError, match="private key") as info2:
        VerifyKey.from_file(private)
    os.chmod(public, 0o600)
    with pytest.raises(SigningKeyError, match="not an unencrypted PEM"):
        SigningKey.from_file(public)  # a public key where the private one belongs
    for exc in (info.value, info2.value):
        assert pem.decode().splitlines()[1][:20] not in str(exc)
    key = SigningKey.from_file(private)
    assert "redacted" in repr(key) and pem.decode().splitlines()[1][:20] not in repr(key)


# -- command line -----------------------------------------------------------------------------
def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xverify", *map(str, args)],
                          capture_output=True, text=True, check=False)  # fmt: skip


def test_cli_keygen_and_log_verify_exit_codes(tmp_path: Path) -> None:
    key = tmp_path / "custodian.key"
    assert run("keygen", "--signing", key).returncode == 0
    assert run("keygen", "--signing", key).returncode == 2  # never overwritten without --force
    log = AuditLog(tmp_path / "audit.log", signing_key=SigningKey.from_file(key))
    log.append([{"kind": "batch", "requests": 0}])
    ok = run("log", "verify", log.path, "--public-key", f"{key}.pub")
    assert ok.returncode == 0 and "verified" in ok.stdout and "audit.log.head" in ok.stdout
    unchecked = run("log", "verify", log.path)
    assert unchecked.returncode == 3 and "not checked" in unchecked.stdout
    assert "verified:" not in unchecked.stdout
    head = str(log.head())
    log.path.write_bytes(b"")
    broken = run("log", "verify", log.path, "--public-key", f"{key}.pub", "--head", head)
    assert broken.returncode == 1
