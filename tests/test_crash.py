"""Kill harness: ``xverify match`` and ``xverify encode`` killed (SIGKILL) at random moments.

After every kill: no partial output file (each output is absent or whole), no response without
its logged batch, and the log either verifies or ends in a torn, unsealed append. A re-run of the
same command (no --force) succeeds, leaves no debris, the log verifies with the public key, and
each disclosure is logged exactly once. Four processes appending to one log lose nothing.

The suite kills ``match`` at each step of the delivery protocol and each command twice at random
(``XVERIFY_CRASH_KILLS``, default 2); the slow run sets 30 or more and adds four concurrent real
``match`` runs on one log: ``XVERIFY_CRASH_KILLS=40 pytest tests/test_crash.py``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tinyworld import tiny_world_fixture
from xverify.auditlog import iter_entries, verify
from xverify.encoding.encoder import read_encoded
from xverify.signing import VerifyKey

tiny_world = tiny_world_fixture()
KILLS = int(os.environ.get("XVERIFY_CRASH_KILLS", "2"))
SLOW = KILLS >= 10  # the slow run also matches four real batches into one log at once
OUTPUTS = ("response.parquet", "response.csv", "model.json", "decisions.parquet")

# runs the command line with a SIGKILL planted at one point of the delivery protocol
_PLANTED = """
import os, signal, sys
from pathlib import Path
from xverify import delivery

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

point = sys.argv[1]
if point == "pending":  # outputs written under temporary names, nothing logged
    real_write = delivery.write_pending
    def write_pending(*args):
        real_write(*args)
        die()
    delivery.write_pending = write_pending
elif point == "logged":  # batch appended and sealed, nothing renamed
    delivery.publish = die
elif point == "renaming":  # killed after the first output was renamed into place
    real_replace = os.replace
    def replace(src, dst):
        real_replace(src, dst)
        if Path(src).parent.name.startswith(".pending-"):
            die()
    os.replace = replace
from xverify.cli import main
main(sys.argv[2:])
"""


def xverify(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "xverify", *map(str, args)]


def match_cmd(world: Any, out: Path) -> list[str]:
    return xverify("match", "--key", world.linkage_key, "--signing-key", world.signing_key,
                   "--register", world.register, world.encoded, "--out", out)  # fmt: skip


def run_killed(cmd: list[str], delay: float) -> bool:
    """Start ``cmd``, SIGKILL it after ``delay`` seconds; False if it finished first."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def timed_run(cmd: list[str]) -> float:
    """Run ``cmd`` to completion (it must succeed); return its wall time."""
    start = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - start


def logged(log: Path) -> tuple[list[str], list[str]]:
    entries = list(iter_entries(log)) if log.exists() else []
    batches = [e["batch"] for e in entries if e["kind"] == "batch"]
    return batches, [e["request_id"] for e in entries if e["kind"] == "disclosure"]


def verified_ids(out: Path) -> list[str]:
    r = pd.read_parquet(out / "response.parquet")
    return sorted(r.loc[r["outcome"] == "VERIFIED", "request_id"])


def check_after_kill(out: Path, key: VerifyKey) -> None:
    """Whatever exists is whole, and nothing is disclosed that the log does not hold."""
    present = [n for n in OUTPUTS if (out / n).exists()]
    for name in present:
        path = out / name
        if name.endswith(".parquet"):
            pq.read_table(path)
        elif name.endswith(".csv"):
            pd.read_csv(path)
        else:
            json.loads(path.read_text())
    log = out / "audit.log"
    if log.exists() and log.stat().st_size:
        result = verify(log, key)
        assert result.ok or "not sealed" in result.problem or "incomplete" in result.problem
    if present:
        assert log.exists() and verify(log, key).ok  # outputs only after their batch is sealed
        _, disclosed = logged(log)
        if "response.parquet" in present:
            assert sorted(disclosed) == verified_ids(out)


def check_complete(out: Path, key: VerifyKey) -> None:
    assert [n for n in OUTPUTS if (out / n).exists()] == list(OUTPUTS)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    log = out / "audit.log"
    assert verify(log, key).ok
    batches, disclosed = logged(log)
    assert len(batches) == 1  # the batch is logged once, however often it was killed
    assert sorted(disclosed) == verified_ids(out)  # every disclosure exactly once
    assert len(disclosed) == len(set(disclosed))


@pytest.mark.parametrize("point", ["pending", "logged", "renaming"])
def test_match_killed_at_each_step_of_the_delivery(
    tiny_world: Any, tmp_path: Path, point: str
) -> None:
    key = VerifyKey.from_file(tiny_world.public_key)
    out = tmp_path / "out"
    cmd = match_cmd(tiny_world, out)
    killed = subprocess.run([sys.executable, "-c", _PLANTED, point, *cmd[3:]], check=False)
    assert killed.returncode == -signal.SIGKILL
    check_after_kill(out, key)
    assert len(logged(out / "audit.log")[0]) == (0 if point == "pending" else 1)
    rerun = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    if point != "pending":
        assert "stopped" in rerun.stdout  # finished the logged batch, decided nothing again
    check_complete(out, key)


def kill_loop(attempt: Callable[[float], bool], first_guess: float) -> int:
    """Run ``attempt(delay)`` until KILLS runs were really killed part-way; return attempts.

    Delays are uniform below an estimate of a run's wall time that shrinks when a run finishes
    before its kill and grows when it is killed, so most attempts land inside a run.
    """
    rng = random.Random(KILLS)
    estimate, killed, attempts = first_guess, 0, 0
    while killed < KILLS:
        attempts += 1
        assert attempts <= 4 * KILLS, f"only {killed} of {attempts} runs were killed part-way"
        if attempt(rng.uniform(0.05, 1.0) * estimate):
            killed, estimate = killed + 1, estimate * 1.05
        else:
            estimate *= 0.8
    return attempts


def test_match_killed_at_random_moments(tiny_world: Any, tmp_path: Path) -> None:
    key = VerifyKey.from_file(tiny_world.public_key)
    runs = iter(range(10**6))

    def attempt(delay: float) -> bool:
        out = tmp_path / f"run{next(runs)}"
        cmd = match_cmd(tiny_world, out)
        killed = run_killed(cmd, delay)
        check_after_kill(out, key)
        timed_run(cmd)  # the re-run succeeds, without --force
        check_complete(out, key)
        return killed

    attempts = kill_loop(attempt, first_guess=3.0)
    print(f"match: {KILLS} kills in {attempts} runs")


def test_encode_killed_at_random_moments(tiny_world: Any, tmp_path: Path) -> None:
    out = tmp_path / "encoded.parquet"

    def cmd(force: bool) -> list[str]:
        extra = ["--force"] if force else []
        return xverify("encode", "--key", tiny_world.linkage_key, tiny_world.submissions,
                       "--out", out, *extra)  # fmt: skip

    def attempt(delay: float) -> bool:
        killed = run_killed(cmd(force=out.exists()), delay)
        if out.exists():
            read_encoded(out)  # whole: the old file or the new one, never half of one
        timed_run(cmd(force=out.exists()))  # the re-run succeeds
        read_encoded(out)
        assert [p.name for p in tmp_path.iterdir()] == ["encoded.parquet"]  # no debris
        return killed

    attempts = kill_loop(attempt, first_guess=2.0)
    print(f"encode: {KILLS} kills in {attempts} runs")


_APPENDER = """
import sys
from xverify.auditlog import AuditLog
from xverify.signing import SigningKey

log = AuditLog(sys.argv[1], signing_key=SigningKey.from_file(sys.argv[2]))
for i in range(int(sys.argv[4])):
    batch = f"{sys.argv[3]}-{i}"
    events = [{"kind": "batch", "batch": batch, "requests": 3}]
    events += [{"kind": "disclosure", "batch": batch, "request_id": f"{batch}-R{k}"}
               for k in range(3)]
    log.append(events, batch=batch)
"""


def test_four_processes_append_to_one_log_and_lose_nothing(tiny_world: Any, tmp_path: Path) -> None:
    log, per_process = tmp_path / "audit.log", 25
    args = [str(log), str(tiny_world.signing_key)]
    procs = [
        subprocess.Popen([sys.executable, "-c", _APPENDER, *args, f"P{p}", str(per_process)])
        for p in range(4)
    ]
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    result = verify(log, VerifyKey.from_file(tiny_world.public_key))
    assert result.ok and result.seals == 4 * per_process
    batches, disclosed = logged(log)
    assert sorted(batches) == sorted(f"P{p}-{i}" for p in range(4) for i in range(per_process))
    assert len(disclosed) == len(set(disclosed)) == 3 * 4 * per_process
    # every batch is contiguous: batch entry, its disclosures, its seal
    kinds = [e["kind"] for e in iter_entries(log)]
    assert kinds == ["batch", "disclosure", "disclosure", "disclosure", "seal"] * 4 * per_process


@pytest.mark.skipif(not SLOW, reason="slow run only (XVERIFY_CRASH_KILLS >= 10)")
def test_four_match_processes_share_one_log(tiny_world: Any, tmp_path: Path) -> None:
    """Real runs: four batches matched at once into one --log; all four logged, once each."""
    from xverify.encoding.keys import LinkageSecret
    from xverify.requests import encode_submissions_file

    secret = LinkageSecret.from_file(tiny_world.linkage_key)
    subs = pd.read_csv(tiny_world.submissions, dtype=str)
    log = tmp_path / "shared.log"
    procs = []
    for p in range(4):
        part = subs.iloc[p::4]
        part.to_csv(tmp_path / f"part{p}.csv", index=False)
        encode_submissions_file(tmp_path / f"part{p}.csv", tmp_path / f"part{p}.parquet", secret)
        cmd = match_cmd(tiny_world, tmp_path / f"out{p}")
        cmd[cmd.index(str(tiny_world.encoded))] = str(tmp_path / f"part{p}.parquet")
        cmd += ["--log", str(log)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for proc in procs:
        _, err = proc.communicate()
        assert proc.returncode == 0, err.decode()
    assert verify(log, VerifyKey.from_file(tiny_world.public_key)).ok
    batches, disclosed = logged(log)
    assert len(batches) == len(set(batches)) == 4
    expected = [i for p in range(4) for i in verified_ids(tmp_path / f"out{p}")]
    assert sorted(disclosed) == sorted(expected)
