"""Requests against a synthetic register, with the ground truth of each request.

``generate_submissions`` picks targets (registered people and outsiders: strangers, namesakes,
neighbours, housemates), copies their name and an address, distorts them as the profile says,
breaks a share of requests on purpose (placeholder or ZIP-only addresses, missing periods...),
and records per request what a perfect matcher would know (docs/formats.md, "Truth").

An outsider always stays distinguishable in principle from the registered people it imitates:
a housemate never carries a registered resident's given name (a JR housemate: unless no JR of
that name is registered there), and noise never erases the one feature that tells it apart (a
housemate's JR, a neighbour's other unit).
Without this the truth would call a request about someone else that names a registered person
exactly, and the overmatch rate would measure how often the generator does that, not the
matcher.

The one deliberate exception is the ``survey`` profile's household strata (``target_kind``
``household_*``): non-filing members of a filer's household who share the filer's surname,
middle initial and address, with an outright different given name, a given name one letter
away, or the filer's full name (father and son, no suffix). The last cannot be told apart
without a birth date, TIN or suffix; truth tags each stratum so that audits report it apart.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .._io import atomic_dir, check_writable
from ..errors import ConfigError, InputError
from ..formats import SUBMISSION_COLUMNS
from .addresses import address_model, make_slots
from .config import RegisterConfig
from .corrupt import (
    Record,
    distort,
    distort_at_rates,
    is_placeholder_given,
    near_given_names,
    outright_different,
    split_surnames,
    strip_accents,
)
from .households import draw_households
from .lexicon import ADDRESS_PLACEHOLDERS, ALLOWED_STATUTES, BAD_STATUTES, REASON_TEMPLATES
from .names import surnames
from .people import name_people
from .profiles import (
    HOUSEHOLD_KINDS,
    PROFILES,
    InvalidKind,
    Noise,
    Profile,
    ProfileConfig,
    TargetKind,
)
from .register import Register, writable

TRUTH_COLUMNS = [
    "request_id",
    "tin",
    "in_register",
    "verifiable",
    "invalid",
    "invalid_kind",
    "name_origin",
    "common_name",
    "name_decile",
    "household_shared",
    "compound_surname",
    "noise",
    "moved",
    "tin_kind",
    "lookalike_of",
    "target_kind",
]

_K = TypeVar("_K")
_ADDR = ("street", "unit", "city", "state", "zip")
_CASE_PREFIXES = ("ERO", "HSI", "EOIR", "ICE")
MAX_REQUESTS = 5_000_000


@dataclass(frozen=True)
class RegisterView:
    """What the submission generator reads of a register (never ``returns``), kept compact.

    Addresses are reduced to integer ids of distinct whole addresses (``street|unit|city|state|
    zip``), so a 10M-person register fits in a few GB.
    """

    taxpayers: pa.Table
    hispanic: np.ndarray  # bool per person
    moved: np.ndarray  # bool per person
    itin: np.ndarray  # bool per person
    row_year: np.ndarray  # int16 per address row, rows sorted by person then year
    row_address: np.ndarray  # int32 address id per address row
    row_start: np.ndarray  # per person: first address row
    row_stop: np.ndarray
    address_keys: pa.Array  # address id -> "street|unit|city|state|zip"
    occupants: np.ndarray  # address id -> distinct registered people who lived there
    full_names: pa.Array  # distinct "FIRST|LAST" of the register
    full_name_count: np.ndarray  # people per distinct full name
    name_count: np.ndarray  # per person: people with the same first + last (self included)
    years: range

    @property
    def size(self) -> int:
        return self.taxpayers.num_rows

    def text(self, column: str, pos: int) -> str | None:
        value = self.taxpayers[column][pos].as_py()
        return None if value is None else str(value)

    def address(self, row: int) -> dict[str, str | None]:
        parts = str(self.address_keys[int(self.row_address[row])].as_py()).split("|")
        return {c: (v or None) for c, v in zip(_ADDR, parts, strict=True)}

    @functools.cached_property
    def _rows_by_address(self) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(self.row_address, kind="stable")
        person = np.repeat(np.arange(self.size), self.row_stop - self.row_start)
        return self.row_address[order], person[order]

    def residents(self, row: int) -> np.ndarray:
        """Registered people with the address of address row ``row`` in any year."""
        codes, person = self._rows_by_address
        code = self.row_address[row]
        lo, hi = np.searchsorted(codes, code, "left"), np.searchsorted(codes, code, "right")
        return np.unique(person[lo:hi])


def _key(t: pa.Table) -> pa.Array:
    return pc.binary_join_element_wise(
        *(pc.fill_null(t[c], "") for c in _ADDR), "|", null_handling="replace"
    )


def _encode(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    enc = pc.dictionary_encode(values)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.unify_dictionaries().combine_chunks()
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int32), enc.dictionary


def load_register(source: Path | str | Register) -> RegisterView:
    """Read ``taxpayers``, ``addresses`` and ``people`` of a register folder or object."""
    if isinstance(source, Register):
        tp, ad, pe = source.taxpayers, source.addresses, source.people
    else:
        folder = Path(source)
        try:
            tp = pq.read_table(folder / "taxpayers.parquet")
            ad = pq.read_table(folder / "addresses.parquet")
            pe = pq.read_table(
                folder / "people.parquet", columns=["tin", "name_origin", "moved", "tin_kind"]
            )
        except (FileNotFoundError, OSError, pa.ArrowInvalid) as exc:
            raise InputError.at(
                "not a synthetic register folder (need taxpayers, addresses, people .parquet)",
                file=str(folder),
            ) from exc
    if tp.num_rows == 0 or ad.num_rows == 0:
        raise InputError.at("register is empty", file=str(source))
    if not tp["tin"].equals(pe["tin"]):
        raise InputError.at("taxpayers and people are not aligned", file="people.parquet")
    pos = pc.index_in(ad["tin"], value_set=tp["tin"].combine_chunks())
    if pos.null_count:
        raise InputError.at("address rows of unknown TINs", file="addresses.parquet")
    pos_np = pos.to_numpy(zero_copy_only=False).astype(np.int64)
    year = ad["tax_year"].to_numpy().astype(np.int16)
    address, keys = _encode(_key(ad))
    del ad
    order = np.lexsort((year, pos_np))
    pos_np, year, address = pos_np[order], year[order], address[order]
    n = tp.num_rows
    row_start = np.searchsorted(pos_np, np.arange(n), side="left")
    row_stop = np.searchsorted(pos_np, np.arange(n), side="right")
    pairs = np.unique(pos_np * len(keys) + address)
    occupants = np.bincount(pairs % len(keys), minlength=len(keys))
    full, names = _encode(
        pc.binary_join_element_wise(
            pc.fill_null(tp["first_name"], ""), pc.fill_null(tp["last_name"], ""), "|"
        )
    )
    per_name = np.bincount(full, minlength=len(names))
    return RegisterView(
        taxpayers=tp.select(
            ["tin", "first_name", "middle_name", "last_name", "suffix", "birth_date"]
        ),
        hispanic=pc.equal(pe["name_origin"], "hispanic").to_numpy(zero_copy_only=False),
        moved=pe["moved"].to_numpy(zero_copy_only=False).astype(bool),
        itin=pc.equal(pe["tin_kind"], "ITIN").to_numpy(zero_copy_only=False),
        row_year=year,
        row_address=address,
        row_start=row_start,
        row_stop=row_stop,
        address_keys=keys,
        occupants=occupants,
        full_names=names,
        full_name_count=per_name,
        name_count=per_name[full],
        years=range(int(year.min()), int(year.max()) + 1),
    )


def _decile(last: str) -> int:
    """Census frequency decile (9 = most common) of the first surname of ``last``."""
    first = strip_accents(split_surnames(last)[0]).replace(" ", "").upper() if last else ""
    i = _surname_index().get(first)
    return int(surnames().decile[i]) if i is not None else 0


@functools.cache
def _surname_index() -> dict[str, int]:
    return {s: i for i, s in enumerate(surnames().plain)}


def _outsiders(n: int, years: range, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fresh people and fresh addresses that no register row is about."""
    cfg = RegisterConfig()
    h = draw_households(max(n, 1), cfg, rng)
    named = name_people(h, years[-1], None, cfg, rng)
    idx = np.arange(h.size)
    slots = make_slots(h.hispanic, idx, np.zeros(h.size, bool), address_model(rng), cfg, rng)
    people = named.table.to_pandas()
    people["name_origin"] = np.where(h.hispanic, "hispanic", "other")
    return people, slots.select(list(_ADDR)).to_pandas()


def _plain(name: object) -> str:
    return strip_accents(str(name or "")).upper()


def _clean(v: object) -> str | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v)


def _period(years: range, pc_: ProfileConfig, rng: np.random.Generator) -> tuple[int, int]:
    w = np.arange(1, len(years) + 1, dtype=np.float64) ** 1.5
    end = years[int(rng.choice(len(years), p=w / w.sum()))]
    start = (
        end
        if rng.random() < pc_.single_year_share
        else max(end - int(rng.integers(1, 4)), years[0])
    )
    if rng.random() < pc_.overhang_share:
        if rng.random() < 0.5:
            end = years[-1] + int(rng.integers(1, 3))
        else:
            start = years[0] - int(rng.integers(1, 4))
    return start, end


def _neighbor_address(
    addr: dict[str, str | None], rng: np.random.Generator
) -> dict[str, str | None]:
    """Same building with another unit, or the same street with another house number."""
    out = dict(addr)
    unit = addr.get("unit")
    if unit:
        desig, _, label = unit.partition(" ")
        digits = "".join(c for c in label if c.isdigit()) or "1"
        out["unit"] = f"{desig} {int(digits) + int(rng.integers(1, 6))}{label[len(digits) :]}"
        return out
    number, _, rest = (addr.get("street") or "").partition(" ")
    if number.isdigit():
        out["street"] = f"{int(number) + 2 * int(rng.integers(1, 20))} {rest}"
    else:
        out["street"] = f"{int(rng.integers(1, 9999))} MAIN ST"
    return out


def _make_invalid(
    kind: InvalidKind, row: dict[str, object], years: range, rng: np.random.Generator
) -> None:
    zip5 = str(row["zip"] or f"{int(rng.integers(10000, 99999))}")[:5]
    if kind is InvalidKind.ADDRESS_PLACEHOLDER:
        row.update(
            street=ADDRESS_PLACEHOLDERS[int(rng.integers(len(ADDRESS_PLACEHOLDERS)))], unit=None
        )
        if rng.random() < 0.5:
            row.update(city=None, state=None)
        row["zip"] = zip5 if rng.random() < 0.7 else f"{zip5}-{int(rng.integers(1, 10000)):04d}"
    elif kind is InvalidKind.ADDRESS_BLANK:
        row.update(street=None, unit=None)
        if rng.random() < 0.5:
            row.update(city=None)
    elif kind is InvalidKind.ZIP_ONLY:
        z = zip5 if rng.random() < 0.6 else f"{zip5}{int(rng.integers(1, 10000)):04d}"
        if rng.random() < 0.5:
            row.update(
                street=z, unit=None, city=None, state=None, zip=None if rng.random() < 0.5 else zip5
            )
        else:
            row.update(street=None, unit=None, city=None, state=None, zip=zip5)
    elif kind is InvalidKind.NO_PERIOD:
        row.update(tax_period_start=None, tax_period_end=None)
    elif kind is InvalidKind.INVERTED_PERIOD:
        end = years[int(rng.integers(0, len(years) - 1))] if len(years) > 1 else years[0] - 1
        row.update(tax_period_start=end + 1, tax_period_end=end)
    elif kind is InvalidKind.PERIOD_OUTSIDE:
        if rng.random() < 0.5:
            row.update(tax_period_start=years[0] - 4, tax_period_end=years[0] - 2)
        else:
            row.update(tax_period_start=years[-1] + 1, tax_period_end=years[-1] + 2)
    elif kind is InvalidKind.NO_STATUTE:
        row["statute"] = None
    elif kind is InvalidKind.BAD_STATUTE:
        row["statute"] = BAD_STATUTES[int(rng.integers(len(BAD_STATUTES)))]
    elif kind is InvalidKind.NO_REASON:
        row["reason"] = None if rng.random() < 0.7 else " "
    elif kind is InvalidKind.NO_NAME:
        row.update(first_name=None, last_name=None, middle_name=None)


def _filer_row(view: RegisterView, pos: int, start: int, end: int) -> int:
    """The address row of person ``pos`` latest in the period, or -1 when none is."""
    r0, r1 = int(view.row_start[pos]), int(view.row_stop[pos])
    in_span = np.flatnonzero((view.row_year[r0:r1] >= start) & (view.row_year[r0:r1] <= end))
    return r0 + int(in_span[-1]) if len(in_span) else -1


def _resident_given(view: RegisterView, row: int) -> set[str]:
    return {_plain(view.text("first_name", int(p))) for p in view.residents(row)}


def _household_filer(
    view: RegisterView, kind: TargetKind, first: int, start: int, end: int
) -> tuple[int, list[str]]:
    """The first person from ``first`` on who can anchor a ``kind`` household member: an
    address on file in the period, no suffix for an identical name, a free near name for a
    near-identical one. Returns the person and the near names no registered resident has."""
    n = view.size
    for k in range(n):
        pos = (first + k) % n
        if kind is TargetKind.HOUSEHOLD_SAME_NAME and view.text("suffix", pos):
            continue
        row = _filer_row(view, pos, start, end)
        if row < 0:
            continue
        if kind is not TargetKind.HOUSEHOLD_NEAR_GIVEN:
            return pos, []
        options = near_given_names(_plain(view.text("first_name", pos)))
        if options:
            taken = _resident_given(view, row)
            free = [o for o in options if o not in taken]
            if free:
                return pos, free
    raise ConfigError(f"no register person can anchor a {kind.value} request")


def _household_member(
    view: RegisterView,
    kind: TargetKind,
    pos: int,
    row: int,
    near: list[str],
    fresh_rows: Sequence[Mapping[Hashable, Any]],
    i: int,
    rng: np.random.Generator,
) -> tuple[dict[str, str | None], object]:
    """Name and birth date of a non-filer living with register person ``pos`` at address row
    ``row``: same surname and middle initial, given name as ``kind`` says, no suffix."""
    first = view.text("first_name", pos) or ""
    middle = view.text("middle_name", pos)
    birth = view.taxpayers["birth_date"][pos].as_py()
    name = {
        "first_name": first,
        "middle_name": middle[:1] if middle else None,
        "last_name": view.text("last_name", pos),
        "suffix": None,
    }
    if kind is TargetKind.HOUSEHOLD_SAME_NAME:  # father and son: a generation apart
        name["middle_name"] = middle
        years = int(rng.integers(20, 39)) * (1 if birth.year < view.years[-1] - 58 else -1)
        return name, birth + dt.timedelta(days=int(years * 365.25) + int(rng.integers(-180, 180)))
    if kind is TargetKind.HOUSEHOLD_NEAR_GIVEN:
        name["first_name"] = near[int(rng.integers(len(near)))]
        return name, fresh_rows[i]["birth_date"]
    others = _resident_given(view, row) | {_plain(first)}
    count = len(fresh_rows)
    for k in range(count):
        given = _plain(fresh_rows[(i + k) % count]["first_name"])
        if given and all(outright_different(given, g) for g in others if g):
            name["first_name"] = _clean(fresh_rows[(i + k) % count]["first_name"])
            break
    return name, fresh_rows[i]["birth_date"]


def _choice(rng: np.random.Generator, weights: dict[_K, float], n: int) -> list[_K]:
    keys = list(weights)
    w = np.array([weights[k] for k in keys], dtype=np.float64)
    return [keys[i] for i in rng.choice(len(keys), size=n, p=w / w.sum())]


def generate_submissions(
    register: Path | str | Register | RegisterView,
    count: int,
    profile: Profile,
    rng: np.random.Generator,
    config: ProfileConfig | None = None,
    *,
    in_register_share: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``count`` requests of ``profile`` against ``register``: (submissions, truth)."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ConfigError("count must be a positive integer")
    if count > MAX_REQUESTS:
        raise ConfigError(f"count must be at most {MAX_REQUESTS}")
    if not isinstance(profile, Profile):
        raise ConfigError("profile must be a Profile")
    pcfg = (config or PROFILES[profile]).with_in_register_share(in_register_share)
    if not 0.0 <= pcfg.in_register_share <= 1.0:
        raise ConfigError("in_register_share must be between 0 and 1")
    view = register if isinstance(register, RegisterView) else load_register(register)
    years = view.years
    n_people = view.size

    in_reg = rng.random(count) < pcfg.in_register_share
    kinds = np.array(_choice(rng, pcfg.outsider_weights, count), dtype=object)
    kinds[in_reg] = TargetKind.REGISTERED
    common = np.flatnonzero(view.name_count >= 2)
    anchor = rng.integers(0, n_people, count)
    use_common = (rng.random(count) < pcfg.common_anchor_share) & (len(common) > 0)
    if len(common):
        anchor[use_common] = common[rng.integers(0, len(common), int(use_common.sum()))]
    target = rng.integers(0, n_people, count)
    invalid = rng.random(count) < pcfg.invalid_share
    invalid_kind = _choice(rng, pcfg.invalid_weights, count)
    n_noise = rng.choice(
        len(pcfg.noise_count), size=count, p=np.divide(pcfg.noise_count, sum(pcfg.noise_count))
    )
    rate_u = rng.random((count, len(pcfg.noise_rates))) if pcfg.noise_rates else None
    fresh_people, fresh_addr = _outsiders(count, years, rng)
    fresh_addr_rows = fresh_addr.to_dict("records")
    fresh_rows = fresh_people.to_dict("records")
    origin_of = np.where(view.hispanic, "hispanic", "other")
    row_year, row_address = view.row_year, view.row_address
    target_keys: list[str] = []
    full_names: list[str] = []
    shared_min: list[int] = []
    name_min: list[int] = []

    sub_rows: list[dict[str, object]] = []
    truth_rows: list[dict[str, object]] = []
    for i in range(count):
        kind: TargetKind = kinds[i]
        start, end = _period(years, pcfg, rng)
        tags: list[Noise] = []
        pos = int(target[i] if kind is TargetKind.REGISTERED else anchor[i])
        near: list[str] = []
        if kind in HOUSEHOLD_KINDS:
            pos, near = _household_filer(view, kind, int(target[i]), start, end)
        r0, r1 = int(view.row_start[pos]), int(view.row_stop[pos])
        yrs = row_year[r0:r1]
        latest = r1 - 1
        in_span = np.flatnonzero((yrs >= start) & (yrs <= end))
        ref = r0 + int(in_span[-1]) if len(in_span) else latest
        name = {c: view.text(c, pos) for c in ("first_name", "middle_name", "last_name", "suffix")}
        birth = view.taxpayers["birth_date"][pos].as_py()
        addr: dict[str, str | None]
        from_register = True
        protected: frozenset[Noise] = frozenset()
        if kind is TargetKind.REGISTERED:
            u = rng.random()
            older = [r for r in range(r0, ref) if row_address[r] != row_address[ref]]
            if u < pcfg.outdated_share and older:
                ref = older[int(rng.integers(len(older)))]
                tags.append(Noise.OUTDATED_ADDRESS)
            elif u < pcfg.outdated_share + pcfg.not_on_file_share:
                from_register = False
                tags.append(Noise.ADDRESS_NOT_ON_FILE)
            addr = view.address(ref)
            if not from_register:
                addr = {c: _clean(fresh_addr_rows[i][c]) for c in _ADDR}
            origin = origin_of[pos]
        else:
            fresh = fresh_rows[i]
            origin = origin_of[pos]
            home = view.address(latest)
            birth = fresh["birth_date"]
            if kind is TargetKind.STRANGER:
                name = {c: _clean(fresh[c]) for c in name}
                addr = {c: _clean(fresh_addr_rows[i][c]) for c in _ADDR}
                origin = fresh["name_origin"]
            elif kind is TargetKind.NAMESAKE:
                addr = {c: _clean(fresh_addr_rows[i][c]) for c in _ADDR}
                addr.update(city=home["city"], state=home["state"], zip=home["zip"])
                name["suffix"] = None
                name["middle_name"] = _clean(fresh["middle_name"])
            elif kind in HOUSEHOLD_KINDS:
                addr = view.address(ref)
                name, birth = _household_member(view, kind, pos, ref, near, fresh_rows, i, rng)
            elif kind is TargetKind.NEIGHBOR:
                addr = _neighbor_address(home, rng)
                name["suffix"] = None
                if addr["unit"] != home["unit"]:
                    protected = frozenset({Noise.UNIT_MISSING})  # the unit tells them apart
            else:  # HOUSEMATE
                addr = home
                # never a registered resident's own given name (and suffix): an unregistered
                # person named exactly like someone registered at the same address cannot be
                # told apart by anyone, so it would measure the data, not the matcher
                taken = {
                    (_plain(view.text("first_name", int(p))), _plain(view.text("suffix", int(p))))
                    for p in view.residents(latest)
                }
                given_taken = {first for first, _ in taken}
                if (
                    rng.random() < 0.15
                    and not name["suffix"]
                    and (_plain(name["first_name"]), "JR") not in taken
                ):
                    name["suffix"] = "JR"
                    protected = frozenset({Noise.SUFFIX_DROPPED})  # the JR tells them apart
                else:
                    k = 0
                    while _plain(fresh_rows[(i + k) % count]["first_name"]) in given_taken:
                        k += 1
                    name["first_name"] = _clean(fresh_rows[(i + k) % count]["first_name"])
                    name["middle_name"] = _clean(fresh["middle_name"])
                    name["suffix"] = None
        clean_last = name["last_name"] or ""
        clean_first = name["first_name"] or ""
        rec = Record(
            first=clean_first,
            middle=name["middle_name"],
            last=clean_last,
            suffix=name["suffix"],
            street=addr["street"],
            unit=addr["unit"],
            city=addr["city"],
            state=addr["state"],
            zip=addr["zip"],
            surnames=split_surnames(clean_last),
        )
        tags.extend(distort(rec, int(n_noise[i]), pcfg.noise_weights, rng, protected))
        if rate_u is not None:
            tags.extend(
                distort_at_rates(rec, pcfg.noise_rates, rate_u[i], rng, protected, tuple(tags))
            )
        case = (
            f"{_CASE_PREFIXES[int(rng.integers(len(_CASE_PREFIXES)))]}-2025-"
            f"{int(rng.integers(1, 10**6)):06d}"
        )
        row: dict[str, object] = {
            "request_id": f"REQ-{i + 1:07d}",
            "first_name": rec.first or None,
            "middle_name": rec.middle,
            "last_name": rec.last or None,
            "suffix": rec.suffix,
            "street": rec.street,
            "unit": rec.unit,
            "city": rec.city,
            "state": rec.state,
            "zip": rec.zip,
            "birth_date": str(birth)[:10] if rng.random() < pcfg.birth_date_share else None,
            "tin": None,
            "tax_period_start": start,
            "tax_period_end": end,
            "statute": ALLOWED_STATUTES[int(rng.integers(len(ALLOWED_STATUTES)))],
            "reason": REASON_TEMPLATES[int(rng.integers(len(REASON_TEMPLATES)))].format(case=case),
            "case_ref": case,
        }
        bad: InvalidKind | None = invalid_kind[i] if invalid[i] else None
        if bad is not None:
            _make_invalid(bad, row, years, rng)
        elif not rec.first or not rec.last:  # a blanked name part: the request names nobody
            bad = InvalidKind.NO_NAME
        registered = kind is TargetKind.REGISTERED
        target_key = "|".join(addr[c] or "" for c in _ADDR)
        lo, hi = max(start, years[0]), min(end, years[-1])
        verifiable = (
            registered
            and bad is None
            and from_register
            and any(
                lo <= row_year[r] <= hi and row_address[r] == row_address[ref]
                for r in range(r0, r1)
            )
        )
        target_keys.append(target_key)
        shared_min.append(2 if registered and from_register else 1)
        full_names.append(f"{clean_first}|{clean_last}")
        name_min.append(2 if registered else 1)
        tin = view.text("tin", pos)
        truth_rows.append(
            {
                "request_id": row["request_id"],
                "tin": tin if registered else None,
                "in_register": registered,
                "verifiable": bool(verifiable),
                "invalid": bad is not None,
                "invalid_kind": bad.value if bad is not None else None,
                "name_origin": origin,
                "common_name": False,  # filled in below, for all requests at once
                "name_decile": _decile(clean_last),
                "household_shared": False,  # filled in below
                "compound_surname": len(split_surnames(clean_last)) > 1
                or any(w in {"DE", "DEL"} for w in clean_last.split()),
                "noise": ";".join(t.value for t in tags),
                "moved": bool(view.moved[pos]) if registered else False,
                "tin_kind": ("ITIN" if view.itin[pos] else "SSN") if registered else None,
                "lookalike_of": tin if not registered and kind is not TargetKind.STRANGER else None,
                "target_kind": kind.value,
            }
        )
        sub_rows.append(row)
    submissions = pd.DataFrame(sub_rows, columns=list(SUBMISSION_COLUMNS))
    for c in ("tax_period_start", "tax_period_end"):
        submissions[c] = submissions[c].astype("Int16")
    truth = pd.DataFrame(truth_rows, columns=TRUTH_COLUMNS)
    truth["household_shared"] = (
        _lookup(target_keys, view.address_keys, view.occupants) >= shared_min
    )
    truth["common_name"] = _lookup(full_names, view.full_names, view.full_name_count) >= name_min
    truth["name_decile"] = truth["name_decile"].astype("int8")
    if pcfg.well_formed_column:
        truth["well_formed"] = well_formed(submissions)
    return submissions, truth


_WORDS = re.compile(r"[A-Z0-9]+")
_PO_BOX = re.compile(r"^(P ?O ?)?BOX\b|^POB\b|^POST OFFICE BOX\b")
_NOT_STREET = frozenset(w for p in ADDRESS_PLACEHOLDERS for w in _WORDS.findall(p)) | {
    "APT", "UNIT", "STE", "SUITE",
}  # fmt: skip


def _fold(value: object) -> str:
    text = "" if value is None or value is pd.NA or value != value else str(value)
    return " ".join(_WORDS.findall(strip_accents(text).upper()))


def _states_given(value: object) -> bool:
    folded = _fold(value)
    return sum(c.isalpha() for c in folded) >= 2 and not is_placeholder_given(folded)


def _states_surname(value: object) -> bool:
    return sum(c.isalpha() for c in _fold(value)) >= 2


def _states_street(value: object) -> bool:
    folded = _fold(value)
    if _PO_BOX.match(folded):
        return False
    return any(sum(c.isalpha() for c in w) >= 2 and w not in _NOT_STREET for w in folded.split())


def _per_value(column: pd.Series, fn) -> np.ndarray:  # type: ignore[no-untyped-def]
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    values = np.array([*(fn(u) for u in uniques), fn(None)], dtype=bool)
    return values[codes]


def well_formed(submissions: pd.DataFrame) -> np.ndarray:
    """Per request: it states a given name (two letters or more, not a placeholder such as
    WIFE or MRS), a surname, and a street line with a street name (not a PO box, a ZIP or a
    placeholder). The benchmark's recall goal is over well-formed verifiable requests."""
    return (
        _per_value(submissions["first_name"], _states_given)
        & _per_value(submissions["last_name"], _states_surname)
        & _per_value(submissions["street"], _states_street)
    )


def _lookup(values: list[str], keys: pa.Array, counts: np.ndarray) -> np.ndarray:
    """``counts`` of each value's position in ``keys`` (0 when absent)."""
    idx = pc.index_in(pa.array(values, pa.string()), value_set=keys)
    found = pc.fill_null(idx, -1).to_numpy(zero_copy_only=False)
    return np.where(found >= 0, counts[np.maximum(found, 0)], 0)


def write_submissions(
    out: Path | str, submissions: pd.DataFrame, truth: pd.DataFrame, *, force: bool = False
) -> Path:
    """Write ``out/submissions.csv`` and ``out/truth.parquet`` atomically."""
    out = Path(out)
    check_writable(out, force=force)
    with writable(out), atomic_dir(out, force=force) as tmp:
        submissions.to_csv(tmp / "submissions.csv", index=False, lineterminator="\n")
        table = pa.Table.from_pandas(truth, preserve_index=False)
        pq.write_table(table, tmp / "truth.parquet", compression="zstd")
    return out
