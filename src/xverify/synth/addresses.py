"""Addresses: real city/state/ZIP combinations, streets, apartment buildings with units, PO boxes.

ZIPs come from the ``zipcodes`` package (offline USPS data); states are weighted by 2020
population, separately for Hispanic and other households, and each ZIP gets a random density so
that some neighbourhoods are crowded. An address *slot* is one place a household lives for a
run of tax years; moves create new slots.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import zipcodes

from .config import RegisterConfig
from .lexicon import DIRECTIONALS, STATES, STREET_NAMES, STREET_TYPES, UNIT_DESIGNATORS
from .names import _cdf, draw

_LETTERS = pa.array(list("ABCDEFGH"))


class AddressKind(enum.IntEnum):
    """What sort of place an address slot is."""

    HOUSE = 0
    APARTMENT = 1
    PO_BOX = 2


@dataclass(frozen=True)
class ZipTable:
    """Active standard ZIP codes of the 50 states and DC."""

    zip: pa.Array
    city: pa.Array
    state: pa.Array
    state_code: np.ndarray  # index into STATES order

    @property
    def size(self) -> int:
        return len(self.zip)


@functools.cache
def zip_table() -> ZipTable:
    """Load the ZIP list once per process (sorted by ZIP for a stable order)."""
    rows = sorted(
        (r["zip_code"], r["city"].upper(), r["state"])
        for r in zipcodes.list_all()
        if r["zip_code_type"] == "STANDARD" and r["active"] and r["state"] in STATES
    )
    order = list(STATES)
    return ZipTable(
        zip=pa.array([r[0] for r in rows], pa.string()),
        city=pa.array([r[1] for r in rows], pa.string()),
        state=pa.array([r[2] for r in rows], pa.string()),
        state_code=np.array([order.index(r[2]) for r in rows], dtype=np.int16),
    )


@dataclass(frozen=True)
class AddressModel:
    """ZIP sampling tables for one register (the ZIP densities are random per register)."""

    zips: ZipTable
    cdf_hispanic: np.ndarray
    cdf_other: np.ndarray

    def sample_zip(self, hispanic: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.empty(len(hispanic), dtype=np.int32)
        out[hispanic] = draw(self.cdf_hispanic, int(hispanic.sum()), rng)
        out[~hispanic] = draw(self.cdf_other, int((~hispanic).sum()), rng)
        return out


def address_model(rng: np.random.Generator) -> AddressModel:
    """ZIP weights: state population share by origin, spread unevenly over the state's ZIPs."""
    zt = zip_table()
    pop = np.array([p for p, _ in STATES.values()], dtype=np.float64)
    hisp = np.array([h for _, h in STATES.values()], dtype=np.float64) / 100
    per_state = np.bincount(zt.state_code, minlength=len(pop)).astype(np.float64)
    density = rng.lognormal(0.0, 1.0, zt.size)
    base = density / per_state[zt.state_code]
    return AddressModel(
        zips=zt,
        cdf_hispanic=_cdf(base * (pop * hisp)[zt.state_code]),
        cdf_other=_cdf(base * (pop * (1 - hisp))[zt.state_code]),
    )


_TYPE_CDF = _cdf(np.array([w for _, _, w in STREET_TYPES], dtype=np.float64))
_TYPE_ABBR = pa.array([a for a, _, _ in STREET_TYPES])
_TYPE_FULL = pa.array([f for _, f, _ in STREET_TYPES])
_DIR_ABBR = pa.array([a for a, _ in DIRECTIONALS])
_STREET_NAMES = pa.array(STREET_NAMES)
_UNIT_CDF = _cdf(np.array([w for _, w in UNIT_DESIGNATORS], dtype=np.float64))
_UNIT_NAMES = pa.array([d for d, _ in UNIT_DESIGNATORS])


def _idx(values: pa.Array, idx: np.ndarray) -> pa.Array:
    mask = idx < 0
    return values.take(pa.array(np.where(mask, 0, idx), mask=mask if mask.any() else None))


def street_lines(
    number: np.ndarray, predir: np.ndarray, name: np.ndarray, typ: np.ndarray, full: np.ndarray
) -> pa.Array:
    """``123 N MAIN ST`` from component indices (predir -1 = none; ``full`` spells STREET)."""
    t_abbr = _TYPE_ABBR.take(pa.array(typ))
    t_full = _TYPE_FULL.take(pa.array(typ))
    return pc.binary_join_element_wise(
        pc.cast(pa.array(number), pa.string()),
        _idx(_DIR_ABBR, predir),
        _STREET_NAMES.take(pa.array(name)),
        pc.if_else(pa.array(full), t_full, t_abbr),
        " ",
        null_handling="skip",
    )


def _street_parts(
    n: int, cfg: RegisterConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    number = np.clip(rng.lognormal(6.0, 1.3, n).astype(np.int64), 1, 29999)
    predir = np.where(rng.random(n) < 0.15, rng.integers(0, len(DIRECTIONALS), n), -1)
    name = rng.integers(0, len(STREET_NAMES), n)
    typ = draw(_TYPE_CDF, n, rng)
    full = rng.random(n) < cfg.full_street_type_share
    return number, predir, name, typ, full


def make_slots(
    hispanic: np.ndarray,
    first_slot: np.ndarray,
    roommates: np.ndarray,
    model: AddressModel,
    cfg: RegisterConfig,
    rng: np.random.Generator,
) -> pa.Table:
    """One address per slot: street, unit, city, state, zip, kind, building.

    ``first_slot`` is, for each slot, the household's first slot (itself for first slots): a
    local move keeps that ZIP. ``roommates`` marks households of unrelated adults.
    """
    n = len(hispanic)
    u = rng.random(n)
    kind = np.full(n, AddressKind.HOUSE, dtype=np.int8)
    kind[u < cfg.po_box_share + cfg.apartment_share] = AddressKind.APARTMENT
    kind[u < cfg.po_box_share] = AddressKind.PO_BOX
    kind[roommates] = np.where(
        rng.random(int(roommates.sum())) < cfg.roommates_apartment_share,
        AddressKind.APARTMENT,
        AddressKind.HOUSE,
    )
    zip_idx = model.sample_zip(hispanic, rng)
    local = (first_slot != np.arange(n)) & (rng.random(n) < cfg.local_move_share)
    zip_idx[local] = zip_idx[first_slot[local]]

    number, predir, name, typ, full = _street_parts(n, cfg, rng)
    building = np.full(n, -1, dtype=np.int64)
    unit = pa.nulls(n, pa.string())
    apt = np.flatnonzero(kind == AddressKind.APARTMENT)
    if len(apt):
        building[apt], unit_apt, b_zip, b_parts = _buildings(hispanic[apt], model, cfg, rng)
        zip_idx[apt] = b_zip
        for arr, b in zip((number, predir, name, typ, full), b_parts, strict=True):
            arr[apt] = b
        unit = pc.replace_with_mask(
            unit, pa.array(kind == AddressKind.APARTMENT), unit_apt.cast(pa.string())
        )
    street = street_lines(number, predir, name, typ, full)
    pob = kind == AddressKind.PO_BOX
    if pob.any():
        boxes = pc.binary_join_element_wise(
            "PO BOX", pc.cast(pa.array(rng.integers(1, 30000, int(pob.sum()))), pa.string()), " "
        )
        street = pc.replace_with_mask(street, pa.array(pob), boxes)
    z = model.zips
    zi = pa.array(zip_idx)
    return pa.table(
        {
            "street": street,
            "unit": unit,
            "city": z.city.take(zi),
            "state": z.state.take(zi),
            "zip": z.zip.take(zi),
            "kind": pa.array(kind),
            "building": pa.array(building),
        }
    )


def _buildings(
    hispanic: np.ndarray, model: AddressModel, cfg: RegisterConfig, rng: np.random.Generator
) -> tuple[np.ndarray, pa.Array, np.ndarray, tuple[np.ndarray, ...]]:
    """Place apartment slots into multi-unit buildings; each slot gets a distinct unit."""
    n = len(hispanic)
    nb = max(1, round(n / cfg.building_mean_units))
    b_hisp = rng.random(nb) < max(min(hispanic.mean(), 1.0), 0.0)
    weight = rng.lognormal(0.0, 0.8, nb)
    pools = {
        flag: (np.flatnonzero(b_hisp == flag), _cdf(weight[b_hisp == flag]))
        for flag in (True, False)
        if (b_hisp == flag).any()
    }
    own = rng.random(n) < 0.85
    pick = np.where(own, hispanic, ~hispanic)
    b = np.empty(n, dtype=np.int64)
    for flag in (True, False):
        ids, cdf = pools.get(flag) or pools[not flag]
        want = pick == flag
        b[want] = ids[draw(cdf, int(want.sum()), rng)]
    order = np.lexsort((rng.random(n), b))
    sorted_b = b[order]
    first = np.r_[0, np.flatnonzero(sorted_b[1:] != sorted_b[:-1]) + 1]
    rank_sorted = np.arange(n) - np.repeat(first, np.diff(np.r_[first, n]))
    k = np.empty(n, dtype=np.int64)
    k[order] = rank_sorted

    per_floor = rng.integers(4, 9, nb)[b]
    style = rng.integers(0, 3, nb)[b]
    floor = k // per_floor + 1
    num = np.where(style == 1, floor * 100 + k % per_floor + 1, np.where(style == 2, k + 1, floor))
    letter = _idx(_LETTERS, np.where(style == 0, k % per_floor, -1))
    label = pc.binary_join_element_wise(
        pc.cast(pa.array(num), pa.string()), letter, "", null_handling="skip"
    )
    desig = _UNIT_NAMES.take(pa.array(draw(_UNIT_CDF, nb, rng)[b]))
    unit = pc.binary_join_element_wise(desig, label, " ")
    b_zip = model.sample_zip(b_hisp, rng)[b]
    parts = tuple(p[b] for p in _street_parts(nb, cfg, rng))
    return b, unit, b_zip, parts
