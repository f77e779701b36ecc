"""Disclose exactly once, after the outputs exist: every crash point of a match run.

A "crash" here is an exception raised at one point of ``Verifier.verify(encoded, out=...)`` that
no cleanup code sees (the on-disk state is the one a SIGKILL there leaves; tests/test_crash.py
kills real processes). After each, the log holds the batch either not at all or with a complete
response, and the next run of the same batch finishes the job without logging it twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tinyworld import tiny_world_fixture
from xverify import delivery
from xverify.auditlog import AuditLog, iter_entries, verify
from xverify.encoding.keys import LinkageSecret
from xverify.errors import AuditLogError, OutputError
from xverify.signing import SigningKey, VerifyKey
from xverify.verifier import Delivered, Verifier

tiny_world = tiny_world_fixture()
OUTPUT_NAMES = ("response.parquet", "response.csv", "model.json", "decisions.parquet")


class Crash(BaseException):
    """Stands for SIGKILL: nothing catches it."""


def verifier(world: Any, log: Path) -> Verifier:
    return Verifier(
        world.register,
        LinkageSecret.from_file(world.linkage_key),
        log=log,
        signing_key=world.signing_key,
        cache_dir=world.root / "cache",
    )


def logged(log: Path) -> tuple[list[str], list[str]]:
    """Batch digests and disclosed request ids, in log order."""
    entries = list(iter_entries(log)) if log.exists() else []
    batches = [e["batch"] for e in entries if e["kind"] == "batch"]
    return batches, [e["request_id"] for e in entries if e["kind"] == "disclosure"]


def verified_ids(out: Path) -> list[str]:
    r = pd.read_parquet(out / "response.parquet")
    return sorted(r.loc[r["outcome"] == "VERIFIED", "request_id"])


def debris(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def test_a_run_writes_outputs_then_logs_once(tiny_world: Any, tmp_path: Path) -> None:
    out, log = tmp_path / "out", tmp_path / "audit.log"
    result = verifier(tiny_world, log).verify(tiny_world.encoded, out=out)
    assert result.delivered is Delivered.LOGGED
    assert [p.name for p in result.written] == list(OUTPUT_NAMES)
    batches, disclosed = logged(log)
    assert batches == [result.batch] and sorted(disclosed) == verified_ids(out)
    assert debris(out) == [] and verify(log, VerifyKey.from_file(tiny_world.public_key)).ok
    # outputs hold TINs (decisions): custodian-only modes, as before
    assert all((out / n).stat().st_mode & 0o077 == 0 for n in OUTPUT_NAMES)
    # the same batch again: nothing appended, nothing refused
    before = log.read_bytes()
    again = verifier(tiny_world, log).verify(tiny_world.encoded, out=out)
    assert again.delivered is Delivered.ALREADY_LOGGED and log.read_bytes() == before
    forced = verifier(tiny_world, log).verify(tiny_world.encoded, out=out, force=True)
    assert forced.delivered is Delivered.ALREADY_LOGGED and log.read_bytes() == before


def _crash_in_write_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    real = delivery.write_pending

    def write_then_crash(pending: Path, writers: dict[str, Callable[[Path], None]]) -> None:
        real(pending, writers)
        raise Crash

    monkeypatch.setattr(delivery, "write_pending", write_then_crash)


def _crash_before_publish(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(pending: Path, outdir: Path) -> list[Path]:
        raise Crash

    monkeypatch.setattr(delivery, "publish", crash)


def _crash_after_first_rename(monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.replace

    def replace(src: Any, dst: Any) -> None:
        if Path(dst).name == "response.csv":
            raise Crash
        real(src, dst)

    monkeypatch.setattr(delivery.os, "replace", replace)


CRASHES = {
    "outputs pending, nothing logged": (_crash_in_write_pending, False),
    "logged, nothing renamed": (_crash_before_publish, True),
    "logged, response.parquet renamed only": (_crash_after_first_rename, True),
}


@pytest.mark.parametrize("point", list(CRASHES))
def test_a_crash_at_any_point_is_finished_by_the_next_run(
    tiny_world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    out, log = tmp_path / "out", tmp_path / "audit.log"
    inject, logged_before_crash = CRASHES[point]
    with monkeypatch.context() as m:
        inject(m)
        with pytest.raises(Crash):
            verifier(tiny_world, log).verify(tiny_world.encoded, out=out)
    batches, disclosed = logged(log)
    assert len(batches) == int(logged_before_crash)
    final = [n for n in OUTPUT_NAMES if (out / n).exists()]
    if not logged_before_crash:
        assert final == []  # nothing disclosed without its log entry
    rerun = verifier(tiny_world, log).verify(tiny_world.encoded, out=out)
    expected = Delivered.RECOVERED if logged_before_crash else Delivered.LOGGED
    assert rerun.delivered is expected
    batches, disclosed = logged(log)
    assert batches == [rerun.batch]  # logged exactly once
    assert sorted(disclosed) == verified_ids(out) and len(set(disclosed)) == len(disclosed)
    assert [n for n in OUTPUT_NAMES if (out / n).exists()] == list(OUTPUT_NAMES)
    assert debris(out) == []
    assert verify(log, VerifyKey.from_file(tiny_world.public_key)).ok


def test_debris_of_killed_writers_is_cleaned_on_the_next_run(
    tiny_world: Any, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dead = 2**22 + 12345  # above pid_max defaults: no such process
    (out / f".response.parquet.{dead}.abc.tmp").write_bytes(b"half")
    (out / ".pending-0123456789abcdef0123456789abcdef").mkdir()
    (out / ".pending-0123456789abcdef0123456789abcdef" / "response.csv").write_text("x")
    verifier(tiny_world, tmp_path / "audit.log").verify(tiny_world.encoded, out=out)
    assert debris(out) == []


def test_existing_outputs_of_another_batch_need_force(tiny_world: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "response.csv").write_text("someone else's\n")
    with pytest.raises(OutputError, match="--force"):
        verifier(tiny_world, tmp_path / "audit.log").verify(tiny_world.encoded, out=out)
    assert logged(tmp_path / "audit.log") == ([], [])


def test_a_batch_logged_with_other_outcomes_is_not_disclosed(
    tiny_world: Any, tmp_path: Path
) -> None:
    log = tmp_path / "audit.log"
    first = verifier(tiny_world, log).verify(tiny_world.encoded)
    lines = log.read_bytes().splitlines(keepends=True)
    entries = [json.loads(x) for x in lines]
    # a log holding this batch with other counts (as if the register had changed since)
    log.unlink()
    forged = {k: v for k, v in entries[0].items() if k not in {"seq", "prev", "hash", "time"}}
    forged["outcomes"] = {"VERIFIED": 0}
    AuditLog(log, signing_key=SigningKey.from_file(tiny_world.signing_key)).append([forged])
    with pytest.raises(AuditLogError, match="other outcomes"):
        verifier(tiny_world, log).verify(tiny_world.encoded, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written: not even the folder stays
    assert first.delivered is Delivered.LOGGED


def test_without_a_signing_key_a_log_path_is_refused(tiny_world: Any, tmp_path: Path) -> None:
    from xverify.errors import ConfigError

    secret = LinkageSecret.from_file(tiny_world.linkage_key)
    with pytest.raises(ConfigError, match="signing_key"):
        Verifier(tiny_world.register, secret, log=tmp_path / "audit.log")
    unsigned = AuditLog(tmp_path / "audit.log", signing_key=None)  # explicit: never verifies
    Verifier(tiny_world.register, secret, log=unsigned, cache_dir=tiny_world.root / "cache")
