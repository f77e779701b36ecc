"""Atomic file output: write to a temporary sibling, then rename.

A failed run leaves no partial output and never clobbers what was there before.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from .errors import OutputError


def check_writable(path: Path, *, force: bool = False) -> None:
    """Fail early, before any work, if ``path`` exists (without ``force``) or cannot be created."""
    path = Path(path)
    if path.exists() and not force:
        raise OutputError(f"{path} exists; pass --force to replace it")
    parent = path.parent if str(path.parent) else Path(".")
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"cannot write {path}: {probe} is not a directory")
    if not os.access(probe, os.W_OK):
        raise OutputError(f"cannot write to {parent}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def clean_stale_temps(path: Path) -> None:
    """Remove temporaries of ``path`` left by writers that died (killed, power loss).

    Temporaries are named ``.NAME.PID.RANDOM.tmp``; one whose process no longer runs can never
    be renamed into place and is only debris.
    """
    path = Path(path)
    if not path.parent.is_dir():
        return
    prefix = f".{path.name}."
    for tmp in path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        pid = tmp.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


@contextlib.contextmanager
def atomic_path(path: Path, *, force: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` only on success.

    Debris of earlier writers of ``path`` that were killed is removed first.
    """
    path = Path(path)
    if path.exists() and not force:
        raise OutputError(f"{path} exists; pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_dir(path: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``path`` as a whole on success.

    With ``force`` an existing directory is replaced; without it, an existing path is an error.
    """
    path = Path(path)
    check_writable(path, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def touch_pages(data: np.ndarray | pa.Buffer) -> int:
    """Fault every page of a memory-mapped array or buffer in (one byte read per 4 KiB), so
    later random reads find it in memory; returns its size in bytes."""
    raw = np.frombuffer(data, np.uint8) if isinstance(data, pa.Buffer) else data.reshape(-1)
    flat = raw.view(np.uint8)
    int(flat[::4096].sum())
    return int(flat.size)
