"""Progress of long stages: what the library reports, and a terminal bar for the CLI.

The library calls a :data:`Progress` with a stage's name and how many units (register rows) it
will take, and gets back a callable to advance it; nothing is printed unless the caller gives
one. :class:`Bars` draws one tqdm bar per stage on standard error (``tqdm`` is a dependency).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .engines.base import Engine, R, RegisterPart, RegisterSource

#: told a stage's name and total units (None: unknown) as it starts; returns ``advance(units)``
Progress = Callable[[str, int | None], Callable[[int], None]]


def _nothing(units: int) -> None:
    return None


def silent(stage: str, total: int | None) -> Callable[[int], None]:
    """A :data:`Progress` that reports nothing."""
    return _nothing


@dataclass
class Bars:
    """A tqdm bar per stage on standard error; the previous stage's bar closes when the next
    starts (call :meth:`close` at the end)."""

    file: Any = None  # where the bars go (None: standard error)
    _bar: Any = field(default=None, repr=False)

    def __call__(self, stage: str, total: int | None) -> Callable[[int], None]:
        from tqdm import tqdm

        self.close()
        width = shutil.get_terminal_size((100, 20)).columns or 100  # 0 in a bare pty
        self._bar = tqdm(total=total, desc=f"{stage:<9}", unit=" rows", unit_scale=True,
                         leave=True, ncols=min(width, 100), file=self.file)  # fmt: skip
        return self._bar.update

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@dataclass(frozen=True)
class CountingEngine:
    """Any engine, reporting the register rows of every part it has finished."""

    engine: Engine
    advance: Callable[[int], None]

    @property
    def name(self) -> str:
        return self.engine.name

    def map_parts(
        self, source: RegisterSource, fn: Callable[[RegisterPart], R], *, part_rows: int
    ) -> Iterator[R]:
        for result, rows in self.engine.map_parts(source, _WithRows(fn), part_rows=part_rows):
            self.advance(rows)
            yield result


@dataclass(frozen=True)
class _WithRows:
    """A partition function that also returns its part's row count (picklable)."""

    fn: Callable[[RegisterPart], Any]

    def __call__(self, part: RegisterPart) -> tuple[Any, int]:
        return self.fn(part), part.rows
