"""Crash-safe delivery of one batch: outputs pending, then logged, then renamed into place.

The protocol (``Verifier.verify(encoded, out=...)``; docs/security.md explains why):

1. Under an exclusive lock on the output folder, debris of killed runs is removed (temporaries
   and ``.pending-*`` folders of other batches or never logged).
2. All outputs are written into ``OUT/.pending-<batch>/``, each fsynced, then a ``COMPLETE``
   marker: a pending folder without it is debris.
3. The batch entry, its disclosures and the seal are appended to the log in one locked write
   (:meth:`~xverify.auditlog.AuditLog.append` with the batch digest: a batch already in the log
   is not logged again).
4. The files are renamed into ``OUT`` (``decisions.parquet`` last), then the pending folder goes.

A crash before 3 leaves nothing logged (the next run deletes the pending folder); a crash after 3
leaves a logged batch whose complete outputs are in the pending folder, and the next run of the
same batch finishes the renames instead of deciding again. The *batch digest* names a batch: the
encoded input file, the settings, the supplied model (or none: EM) and the register.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ._io import clean_stale_temps
from .config import MatchConfig
from .encoding.schema import EncodingSchema
from .errors import OutputError

#: rename order: decisions.parquet last, so its presence with this batch's digest means done
OUTPUTS = ("response.parquet", "response.csv", "model.json", "decisions.parquet")
COMPLETE = "COMPLETE"
BATCH_META = b"xverify.batch"


def batch_digest(
    encoded: Path | pa.Table,
    register: str,
    config: MatchConfig,
    schema: EncodingSchema,
    model_digest: str | None,
) -> str:
    """SHA-256 naming one batch: what it was decided from and how (``register``: the
    register's digest, :func:`xverify.register.register_digest`)."""
    h = hashlib.sha256(b"xverify/batch/v1\n")
    if isinstance(encoded, pa.Table):  # an in-memory batch: its Arrow IPC bytes
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, encoded.schema) as writer:
            writer.write_table(encoded)
        h.update(sink.getvalue())
    else:
        with Path(encoded).open("rb") as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
    settings = {  # batch_rows changes speed, not outcomes: a rerun with another is one batch
        "config": {k: v for k, v in config.to_dict().items() if k != "batch_rows"},
        "schema": schema.to_json(),
        "model": model_digest,
        "register": register,
    }
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()


def pending_dir(outdir: Path, batch: str) -> Path:
    return outdir / f".pending-{batch[:32]}"


@contextlib.contextmanager
def locked(outdir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output folder (one writer per folder at a time); a folder
    created here is removed again if the run fails before writing anything into it."""
    created = not outdir.exists()
    outdir.mkdir(parents=True, exist_ok=True)
    fd = os.open(outdir, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"another run is writing to {outdir}") from None
        yield
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                outdir.rmdir()  # only if empty
        raise
    finally:
        os.close(fd)


def clean(outdir: Path, keep: Path | None) -> None:
    """Remove temporaries of killed writers and every pending folder but ``keep``."""
    for name in OUTPUTS:
        clean_stale_temps(outdir / name)
    for stale in outdir.glob(".pending-*"):
        if stale != keep and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def is_complete(pending: Path) -> bool:
    return (pending / COMPLETE).is_file()


def done_in(outdir: Path, batch: str) -> bool:
    """True when ``outdir`` holds the published outputs of ``batch`` (decisions renamed last)."""
    path = outdir / "decisions.parquet"
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, ValueError):
        return False
    return meta.get(BATCH_META) == batch.encode()


def write_pending(pending: Path, writers: dict[str, Callable[[Path], None]]) -> None:
    """Write every output into ``pending``, fsync each, then mark the folder complete (the
    marker lists the outputs)."""
    if pending.exists():
        shutil.rmtree(pending)
    pending.mkdir(parents=True, mode=0o700)
    for name, write in writers.items():
        write(pending / name)
        os.chmod(pending / name, 0o600)  # decisions hold TINs: custodian only, as every output
        _fsync(pending / name)
    (pending / COMPLETE).write_text("\n".join(writers) + "\n")
    _fsync(pending / COMPLETE)
    _fsync(pending)


def publish(pending: Path, outdir: Path) -> list[Path]:
    """Rename the pending outputs into ``outdir`` in :data:`OUTPUTS` order; drop the folder.

    Safe to repeat after a crash part-way: files already renamed are simply no longer pending.
    """
    names = set((pending / COMPLETE).read_text().split())
    written = []
    for name in OUTPUTS:
        if name in names:
            if (pending / name).exists():
                os.replace(pending / name, outdir / name)
            written.append(outdir / name)
    _fsync(outdir)
    shutil.rmtree(pending, ignore_errors=True)
    return written


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
