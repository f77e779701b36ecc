"""The engine protocol: scan a register in parts, run a partition function on each."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeAlias, TypeVar, runtime_checkable

import pyarrow as pa

Batch: TypeAlias = pa.RecordBatch | pa.Table
#: A register stream: batches, or a callable returning a fresh stream (can be read twice).
RegisterSource = Iterable[Batch] | Callable[[], Iterable[Batch]]

R = TypeVar("R")


@dataclass(frozen=True)
class RegisterPart:
    """A slice of the encoded register: its rows and the global index of the first one.

    Register rows are known by their global index (``row0 + i``) from blocking to the decision;
    an engine numbers the parts of one source the same way on every pass.
    """

    row0: int
    batch: Batch

    @property
    def rows(self) -> int:
        return int(self.batch.num_rows)


@runtime_checkable
class Engine(Protocol):
    """Runs partition functions over a register's parts and returns their partial results.

    A partition function is pure: it reads one :class:`RegisterPart` and what it closed over
    (the submissions index, the model: small, shipped to every worker) and returns a partial
    result (counts, sufficient statistics, the pairs that survive pruning). Nothing
    proportional to the register comes back to the caller.
    """

    @property
    def name(self) -> str: ...

    def map_parts(
        self, source: RegisterSource, fn: Callable[[RegisterPart], R], *, part_rows: int
    ) -> Iterator[R]:
        """``fn`` of every part of at most ``part_rows`` rows, in register order."""
        ...


def iter_batches(source: RegisterSource) -> Iterable[Batch]:
    """The batches of a register source (a callable is called, a table split in batches)."""
    if isinstance(source, pa.Table):
        return source.to_batches()
    if callable(source):
        return source()
    return source


def rereadable(source: RegisterSource) -> bool:
    """Can the source be streamed more than once (a callable, table or sequence)?"""
    return callable(source) or isinstance(source, pa.Table | list | tuple)
