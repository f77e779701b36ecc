"""The synthetic register: generated chunk by chunk, streamed to Parquet (one row group per chunk).

Files in a register folder (docs/formats.md): ``taxpayers.parquet``, ``addresses.parquet``,
``returns.parquet``, plus ``people.parquet`` — the generator's per-person truth (household,
role, origin, TIN kind), read only by the submission generator and audits, never by matching.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .._io import atomic_dir, check_writable
from ..errors import ConfigError, OutputError
from .addresses import AddressModel, address_model, make_slots
from .config import RegisterConfig, Role, check_years
from .households import KINDS, ROLES, draw_households
from .names import surnames
from .people import name_people
from .returns import make_returns
from .tins import TinAllocator

TABLES = ("taxpayers", "addresses", "returns", "people")
ADDRESS_COLUMNS = ("street", "unit", "city", "state", "zip")
PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 6}
MAX_PEOPLE = 10_900_000


@dataclass(frozen=True)
class Register:
    """The four register tables (in memory; for large registers use :func:`write_register`)."""

    taxpayers: pa.Table
    addresses: pa.Table
    returns: pa.Table
    people: pa.Table

    def table(self, name: str) -> pa.Table:
        return getattr(self, name)


def _check(people: int, years: range) -> None:
    if isinstance(people, bool) or not isinstance(people, int) or people < 1:
        raise ConfigError("people must be a positive integer")
    if people > MAX_PEOPLE:
        raise ConfigError(f"people must be at most {MAX_PEOPLE}")
    check_years(years)


def iter_register(
    people: int,
    years: range,
    rng: np.random.Generator,
    config: RegisterConfig | None = None,
) -> Iterator[Register]:
    """Yield the register in chunks of ``config.chunk_people`` people.

    Output is a function of the generator's seed, the arguments and the configuration (including
    ``chunk_people``, since each chunk draws from its own child generator).
    """
    cfg = config or RegisterConfig()
    _check(people, years)
    sizes = [cfg.chunk_people] * (people // cfg.chunk_people)
    if people % cfg.chunk_people:
        sizes.append(people % cfg.chunk_people)
    tin_rng, model_rng, *chunk_rngs = rng.spawn(len(sizes) + 2)
    tins = TinAllocator(people, tin_rng)
    model = address_model(model_rng)
    offset = 0
    for size, crng in zip(sizes, chunk_rngs, strict=True):
        chunk, n_households = _chunk(size, years, offset, tins, model, cfg, crng)
        offset += n_households
        yield chunk


def _chunk(
    n: int,
    years: range,
    household_offset: int,
    tins: TinAllocator,
    model: AddressModel,
    cfg: RegisterConfig,
    rng: np.random.Generator,
) -> tuple[Register, int]:
    h = draw_households(n, cfg, rng)
    named = name_people(h, years[-1], tins, cfg, rng)
    n_y = len(years)
    n_h = int(h.household[-1]) + 1
    hstart = np.flatnonzero(np.r_[True, h.household[1:] != h.household[:-1]])

    # moves: households move together; one address slot per place lived
    moves = rng.random((n_h, n_y)) < cfg.move_rate
    moves[:, 0] = False
    steps = np.cumsum(moves, axis=1)
    n_slots = steps[:, -1] + 1
    base = np.r_[0, np.cumsum(n_slots)[:-1]]
    slot_of = base[:, None] + steps
    roommates = h.is_role(Role.ROOMMATE)[hstart]
    slots = make_slots(
        hispanic=np.repeat(h.hispanic[hstart], n_slots),
        first_slot=np.repeat(base, n_slots),
        roommates=np.repeat(roommates, n_slots),
        model=model,
        cfg=cfg,
        rng=rng,
    )

    # filings: adults file most years; everyone files at least once
    age_y = h.age[:, None] - (years[-1] - np.asarray(years))[None, :]
    filed = (age_y >= 18) & (rng.random((n, n_y)) < cfg.file_rate)
    filed[~filed.any(axis=1), -1] = True
    person, yi = np.nonzero(filed)
    slot = slot_of[h.household[person], yi]
    tin = named.table["tin"]
    tin_rows = tin.take(pa.array(person))
    year = np.asarray(years, dtype=np.int16)[yi]
    addr = slots.select(list(ADDRESS_COLUMNS)).take(pa.array(slot))
    addresses = pa.table(
        {"tin": tin_rows, "tax_year": pa.array(year), **{c: addr[c] for c in ADDRESS_COLUMNS}}
    )
    married = (h.spouse >= 0) & (h.is_role(Role.HEAD) | h.is_role(Role.SPOUSE))
    returns = make_returns(tin_rows, year, age_y[person, yi], married[person], rng)

    starts = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
    ends = np.r_[starts[1:], len(person)] - 1
    sn = surnames()
    people = pa.table(
        {
            "tin": tin,
            "household_id": pa.array(h.household + household_offset),
            "household_kind": pa.array([k.value for k in KINDS]).take(pa.array(h.kind)),
            "role": pa.array([r.value for r in ROLES]).take(pa.array(h.role)),
            "sex": pa.array(np.where(h.female, "F", "M")),
            "name_origin": pa.array(np.where(h.hispanic, "hispanic", "other")),
            "compound_surname": pa.array(named.compound_surname),
            "surname_decile": pa.array(sn.decile[named.surname1]),
            "tin_kind": pa.array(np.where(named.itin, "ITIN", "SSN")),
            "moved": pa.array(slot[starts] != slot[ends]),
        }
    )
    return Register(named.table, addresses, returns, people), n_h


def generate_register(
    people: int,
    years: range,
    rng: np.random.Generator,
    config: RegisterConfig | None = None,
) -> Register:
    """The whole register in memory (fine up to a few hundred thousand people)."""
    chunks = list(iter_register(people, years, rng, config))
    return Register(*(pa.concat_tables([c.table(name) for c in chunks]) for name in TABLES))


@contextlib.contextmanager
def writable(out: Path) -> Iterator[None]:
    """Turn operating-system write failures under ``out`` into OutputError."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or type(exc).__name__}") from None


def write_register(
    out: Path | str,
    people: int,
    years: range,
    rng: np.random.Generator,
    config: RegisterConfig | None = None,
    *,
    force: bool = False,
) -> Path:
    """Stream the register to ``out/{taxpayers,addresses,returns,people}.parquet`` atomically."""
    _check(people, years)
    out = Path(out)
    check_writable(out, force=force)
    with writable(out), atomic_dir(out, force=force) as tmp:
        writers: dict[str, pq.ParquetWriter] = {}
        try:
            for chunk in iter_register(people, years, rng, config):
                for name in TABLES:
                    table = chunk.table(name)
                    if name not in writers:
                        writers[name] = pq.ParquetWriter(
                            tmp / f"{name}.parquet", table.schema, **PARQUET_OPTIONS
                        )
                    writers[name].write_table(table, row_group_size=len(table))
        finally:
            for w in writers.values():
                w.close()
    return out
