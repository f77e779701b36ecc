"""The in-process engine: parts are read one after another and the numba kernels use every core
inside each part (so parts run in sequence, not side by side)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .base import R, RegisterPart, RegisterSource, iter_batches


@dataclass(frozen=True)
class LocalEngine:
    """Runs partition functions in this process, one register part at a time."""

    name: str = "local"

    def map_parts(
        self, source: RegisterSource, fn: Callable[[RegisterPart], R], *, part_rows: int
    ) -> Iterator[R]:
        row0 = 0
        for batch in iter_batches(source):
            for start in range(0, batch.num_rows, part_rows):
                yield fn(RegisterPart(row0 + start, batch.slice(start, part_rows)))
            row0 += batch.num_rows
