"""The custodian's register: identity and addresses, encoded once and cached.

Only ``taxpayers`` and ``addresses`` are ever opened here; this module has no way to name the
``returns`` table, and an import contract (tests/test_architecture.py) keeps the matching
pipeline away from anything that does.

The encoded register has one row per person and *distinct* address, with a bit mask of the tax
years that address is on file for. It is cached next to the register (or in a chosen folder)
under a name derived from the key fingerprint and schema, with a manifest holding a digest of
the two plaintext tables: a changed register is re-encoded, never matched against stale codes.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import __version__
from ._io import atomic_path, touch_pages
from .disclosure import Identities
from .encoding.keys import LinkageSecret
from .encoding.schema import (
    META_FINGERPRINT,
    META_KIND,
    META_REVISION,
    META_SCHEMA,
    META_VERSION,
    EncodingSchema,
)
from .engines.base import ROW_ID, ParquetSource
from .errors import InputError, SchemaError
from .register_store import RegisterSource, open_register

TAXPAYERS = "taxpayers.parquet"
ADDRESSES = "addresses.parquet"
TAXPAYER_COLUMNS = ("tin", "first_name", "middle_name", "last_name", "suffix")
OPTIONAL_TAXPAYER_COLUMNS = ("birth_date",)
ADDRESS_COLUMNS = ("tin", "tax_year", "street", "unit", "city", "state", "zip")
MAX_YEARS = 32  # the years bit mask is a uint32
ENCODE_CHUNK = 262_144  # rows encoded at a time (four row groups)
#: rows per Parquet row group of the encoded register: the local engine's part size, and the
#: smallest split a Spark task reads (so a 100k-row register still keeps two cores busy)
ROW_GROUP_ROWS = 65_536
#: Bumped whenever the same register and encoder give other encoded rows (caches key on it).
#: 2: birth date and TIN encoded too; 3: row_id column, smaller row groups; 4: address keys the
#: same under pandas 2 and 3 (caches made under pandas 2 held rows in another order)
REGISTER_REVISION = 4
_PLAIN_COLUMNS = (ROW_ID, "person", "years")  # the only cached columns that are not random bytes

Progress = Callable[[int], None]


@dataclass(frozen=True)
class EncodedRegister:
    """An encoded register on disk, ready to be streamed past the submissions index."""

    path: Path
    source: RegisterSource  # the plaintext register it was encoded from
    first_year: int
    last_year: int
    rows: int
    digest: str  # of the plaintext taxpayers and addresses tables it was encoded from

    @functools.cached_property
    def tins(self) -> np.ndarray:
        """Person index -> TIN (object array of str), read on first use (checked when the
        register was encoded)."""
        return self.source.read("taxpayers", ["tin"]).column("tin").to_numpy(zero_copy_only=False)

    @property
    def batches(self) -> ParquetSource:
        """The encoded rows (``row_id``, ``person``, ``years`` and the encoded columns) as a
        register source: ``batches()`` streams them one row group at a time, and an engine that
        reads Parquet itself (Spark) reads the file it names instead."""
        return ParquetSource(str(self.path))

    def read(self) -> pa.Table:
        return pq.read_table(self.path)

    def span_masks(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Per request, the uint32 bit mask of the register years inside ``[start, end]``
        (0 when the period misses the register)."""
        lo = np.maximum(np.asarray(start, np.int64), self.first_year) - self.first_year
        hi = np.minimum(np.asarray(end, np.int64), self.last_year) - self.first_year
        width = np.clip(hi - lo + 1, 0, MAX_YEARS)
        ones = (np.left_shift(np.uint64(1), width.astype(np.uint64)) - np.uint64(1)).astype(
            np.uint64
        )
        mask = np.left_shift(ones, np.clip(lo, 0, MAX_YEARS).astype(np.uint64))
        return np.where(width > 0, mask, 0).astype(np.uint32)


def register_digest(folder: Path | str | RegisterSource) -> str:
    """The digest of the register's taxpayers and addresses tables (SHA-256 over a folder's two
    files): what the cache must match."""
    return open_register(folder).digest()


def load_tins(source: RegisterSource) -> pa.Array:
    """The TIN column of ``taxpayers``, checked for nulls and duplicates."""
    file = source.where("taxpayers")
    tins = source.read("taxpayers", ["tin"]).column("tin").combine_chunks()
    if tins.null_count:
        row = int(pc.index(pc.is_null(tins), True).as_py())
        raise InputError.at("TIN is empty", file=str(file), row=row, column="tin")
    if pc.count_distinct(tins).as_py() != len(tins):
        codes = pc.dictionary_encode(tins).indices.to_numpy()
        _, first = np.unique(codes, return_index=True)
        dup = int(np.setdiff1d(np.arange(len(codes)), first)[0])
        raise InputError.at("duplicate TIN", file=str(file), row=dup, column="tin")
    return tins.cast(pa.string())


def _distinct_addresses(source: RegisterSource, tins: pa.Array) -> tuple[pd.DataFrame, int, int]:
    """One row per (person, distinct address) with the bit mask of its tax years."""
    file = source.where("addresses")
    table = source.read("addresses", ADDRESS_COLUMNS)
    if table.num_rows == 0:
        raise InputError.at("register has no addresses", file=str(file))
    person = pc.index_in(table.column("tin"), value_set=tins).to_numpy(zero_copy_only=False)
    unknown = np.flatnonzero(pd.isna(person))
    if unknown.size:
        raise InputError.at(
            "address for a TIN not in taxpayers", file=str(file), row=int(unknown[0]), column="tin"
        )
    years = table.column("tax_year").to_numpy(zero_copy_only=False)
    if pd.isna(years).any():
        raise InputError.at(
            "tax year is empty",
            file=str(file),
            row=int(np.flatnonzero(pd.isna(years))[0]),
            column="tax_year",
        )
    years = years.astype(np.int64)
    first, last = int(years.min()), int(years.max())
    if last - first + 1 > MAX_YEARS:
        raise InputError.at(
            f"register spans more than {MAX_YEARS} tax years", file=str(file), column="tax_year"
        )
    plain = table.drop_columns(["tin", "tax_year"])
    frame = plain.to_pandas()
    # the key must not depend on how pandas types text (object in pandas 2, str in 3): nulls are
    # filled in Arrow (an object fillna would make "\x00" into ""), each value hashed on its own
    # (pandas 2's factorize takes "\x00" for "")
    text = {n: pc.fill_null(plain.column(n).cast(pa.string()), "\x00") for n in plain.column_names}
    key_frame = pa.table(text).to_pandas().astype(object)
    addr_key = pd.util.hash_pandas_object(key_frame, index=False, categorize=False).to_numpy()
    keys = pd.DataFrame({"person": person.astype(np.int64), "addr": addr_key})
    group = keys.groupby(["person", "addr"], sort=True, observed=True)
    ids = group.ngroup().to_numpy()
    mask = np.zeros(ids.max() + 1, dtype=np.uint32)
    np.bitwise_or.at(mask, ids, (np.uint32(1) << (years - first).astype(np.uint32)))
    firsts = np.zeros(ids.max() + 1, dtype=np.int64)
    firsts[ids[::-1]] = np.arange(len(ids))[::-1]  # first row of each group
    rows = frame.iloc[firsts].reset_index(drop=True)
    rows.insert(0, "person", person.astype(np.int64)[firsts].astype(np.int32))
    rows.insert(1, "years", mask)
    return rows, first, last


def _taxpayer_identifiers(source: RegisterSource) -> pd.DataFrame:
    """Per person what the encoder compares: names, TIN and (when the register has it) birth
    date, so that a request carrying a birth date or TIN is compared on it."""
    names = source.schema("taxpayers").names
    optional = [c for c in OPTIONAL_TAXPAYER_COLUMNS if c in names]
    return source.read("taxpayers", [*TAXPAYER_COLUMNS, *optional]).to_pandas()


def encode_register(
    folder: Path | str | RegisterSource,
    secret: LinkageSecret,
    schema: EncodingSchema,
    *,
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
) -> EncodedRegister:
    """Encode the register with the custodian's key and schema, reusing a valid cache."""
    from .encoding.encoder import ENCODER_REVISION, encode_frame

    source = open_register(folder)
    cache = Path(cache_dir) if cache_dir is not None else source.default_cache()
    # the library version is part of the tag: a new encoder never reuses an older cache
    revisions = f"{__version__}|{ENCODER_REVISION}|{REGISTER_REVISION}"
    tag_source = f"{schema.to_json()}|{secret.fingerprint()}|{revisions}"
    tag = hashlib.sha256(tag_source.encode()).hexdigest()[:16]
    path = cache / f"register-{tag}.parquet"
    manifest_path = path.with_suffix(".json")
    stat = source.signature()
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    # files untouched since the cache was made: its digest stands (hashing 10M rows takes seconds)
    same = stat is not None and manifest.get("stat") == stat
    digest = manifest["register_digest"] if same else None
    digest = digest or source.digest()
    if path.is_file() and manifest.get("register_digest") == digest:
        meta = pq.read_metadata(path).metadata or {}
        if meta.get(META_FINGERPRINT, b"").decode() != secret.fingerprint():
            raise SchemaError(f"{path}: cached register was encoded with another key")
        if EncodingSchema.from_json(meta[META_SCHEMA]) != schema:
            raise SchemaError(f"{path}: cached register has another encoding schema")
        if manifest.get("stat") != stat:  # touched but identical: remember the new stat
            with atomic_path(manifest_path) as tmp:
                tmp.write_text(json.dumps({**manifest, "stat": stat}))
        return EncodedRegister(
            path, source, manifest["first_year"], manifest["last_year"], manifest["rows"], digest
        )

    tins = load_tins(source)
    rows, first, last = _distinct_addresses(source, tins)
    names = _taxpayer_identifiers(source)
    metadata = {
        META_SCHEMA: schema.to_json().encode(),
        META_FINGERPRINT: secret.fingerprint().encode(),
        META_REVISION: str(ENCODER_REVISION).encode(),
        META_VERSION: __version__.encode(),
        META_KIND: b"register",
    }
    with atomic_path(path) as tmp:
        writer: pq.ParquetWriter | None = None
        try:
            for start in range(0, len(rows), ENCODE_CHUNK):
                chunk = rows.iloc[start : start + ENCODE_CHUNK]
                plain = names.iloc[chunk["person"].to_numpy()].reset_index(drop=True)
                plain = pd.concat(
                    [plain, chunk.drop(columns=["person", "years"]).reset_index(drop=True)], axis=1
                )
                encoded = encode_frame(plain, secret, schema)
                batch = pa.table(
                    {
                        ROW_ID: pa.array(np.arange(start, start + len(chunk)), pa.int64()),
                        "person": pa.array(chunk["person"].to_numpy(), pa.int32()),
                        "years": pa.array(chunk["years"].to_numpy(), pa.uint32()),
                    }
                )
                for name in encoded.column_names:
                    batch = batch.append_column(name, encoded.column(name))
                if writer is None:
                    writer = pq.ParquetWriter(
                        tmp,
                        batch.schema.with_metadata(metadata),
                        # keyed tokens and filters are random bytes: compressing them, or
                        # dictionaries and statistics over them, only cost time
                        compression={
                            c: "zstd" if c in _PLAIN_COLUMNS else "none" for c in batch.column_names
                        },
                        use_dictionary=["person", "years"],
                        write_statistics=list(_PLAIN_COLUMNS),
                    )
                writer.write_table(
                    batch.replace_schema_metadata(metadata), row_group_size=ROW_GROUP_ROWS
                )
                if progress is not None:
                    progress(len(chunk))
        finally:
            if writer is not None:
                writer.close()
    manifest = {
        "register_digest": digest,
        "stat": stat,
        "first_year": first,
        "last_year": last,
        "rows": len(rows),
    }
    with atomic_path(manifest_path) as tmp:
        tmp.write_text(json.dumps(manifest))
    return EncodedRegister(path, source, first, last, len(rows), digest)


def identities(
    folder: Path | str | RegisterSource,
    tins: Sequence[str],
    start: Sequence[int],
    end: Sequence[int],
    *,
    tin: bool,
) -> Identities:
    """Identities of the VERIFIED requests ``(tins[i], period start[i]..end[i])``, in order.

    The name is as on the register; the address is the one on file for the latest tax year inside
    the period (the last-known address), with that year. Only the requested TINs' rows are kept.
    """
    source = open_register(folder)
    asked = _asked(tins, start, end)
    if asked.empty:
        return Identities.of([])
    wanted = pa.array(pd.unique(asked["tin"]), pa.string())
    tp = source.read("taxpayers", TAXPAYER_COLUMNS, wanted).to_pandas()
    ad = source.read("addresses", ADDRESS_COLUMNS, wanted).to_pandas()
    return _identities_of(asked, tp, ad, tin=tin)


def _asked(tins: Sequence[str], start: Sequence[int], end: Sequence[int]) -> pd.DataFrame:
    asked = pd.DataFrame({"tin": np.asarray(tins, dtype=object), "start": start, "end": end})
    return asked.rename_axis("pos").reset_index()


def _identities_of(
    asked: pd.DataFrame, tp: pd.DataFrame, ad: pd.DataFrame, *, tin: bool
) -> Identities:
    """The identity rows of ``asked`` from the taxpayer and address rows of their TINs."""
    on_file = asked.merge(ad, on="tin")
    on_file = on_file[
        (on_file["tax_year"] >= on_file["start"]) & (on_file["tax_year"] <= on_file["end"])
    ]
    latest = on_file.sort_values(["pos", "tax_year"]).drop_duplicates("pos", keep="last")
    if len(latest) != len(asked):
        raise ValueError("a verified request must have an address on file in its period")
    rows = latest.merge(tp, on="tin", how="left")
    rows = rows.sort_values("pos").rename(columns={"tax_year": "address_year"})
    if not tin:
        rows["tin"] = None
    return Identities.from_frame(rows)


@dataclass(frozen=True)
class IdentityIndex:
    """The register's identity columns (taxpayers and addresses, never returns) as
    memory-mapped Arrow files, with each person's address rows: :meth:`identities` takes the
    rows of a few persons without reading the register (real-time disclosure)."""

    taxpayers: pa.Table = field(repr=False)  # row = person index
    addresses: pa.Table = field(repr=False)  # sorted by person
    offsets: np.ndarray = field(repr=False)  # person -> its rows in ``addresses``

    @classmethod
    def build(cls, folder: Path | str | RegisterSource, into: Path, digest: str) -> IdentityIndex:
        """Copy the identity columns of the register ``folder`` into ``into`` (whole or not at
        all); ``digest`` (:func:`register_digest`) names the register."""
        source = open_register(folder)
        tp = source.read("taxpayers", TAXPAYER_COLUMNS)
        ad = source.read("addresses", ADDRESS_COLUMNS)
        person = pd.Index(tp.column("tin").to_pandas()).get_indexer(ad.column("tin").to_pandas())
        if (person < 0).any():
            where = source.where("addresses")
            raise InputError.at("address for a TIN not in taxpayers", file=where)
        order = np.argsort(person, kind="stable")
        offsets = np.concatenate([[0], np.cumsum(np.bincount(person, minlength=tp.num_rows))])
        into.mkdir(parents=True, exist_ok=True)
        with atomic_path(into / "offsets.npy") as tmp, tmp.open("wb") as fh:
            np.save(fh, offsets.astype(np.int64))
        for name, table in (("taxpayers", tp), ("addresses", ad.take(pa.array(order)))):
            with (
                atomic_path(into / f"{name}.arrow") as tmp,
                pa.ipc.new_file(tmp, table.schema) as writer,
            ):
                writer.write_table(table)
        with atomic_path(into / "digest") as tmp:  # written last: the index is complete
            tmp.write_text(digest)
        return cls.open(into, digest)

    @classmethod
    def open(cls, into: Path, digest: str) -> IdentityIndex:
        """Memory-map an index made by :meth:`build`; :class:`InputError` unless it is whole
        and of the register named by ``digest``."""
        try:
            if (into / "digest").read_text() != digest:
                raise InputError.at("identity index of another register", file=str(into))
            tables = [
                pa.ipc.open_file(pa.memory_map(str(into / f"{n}.arrow"))).read_all()
                for n in ("taxpayers", "addresses")
            ]
            offsets = np.load(into / "offsets.npy", mmap_mode="r")
        except (OSError, ValueError, pa.ArrowInvalid):
            raise InputError.at("cannot open the identity index", file=str(into)) from None
        return cls(tables[0], tables[1], offsets)

    def warm(self) -> int:
        """Read the mapped tables once (see :meth:`RegisterIndex.warm`); returns the bytes."""
        buffers = [
            buf
            for table in (self.taxpayers, self.addresses)
            for column in table.columns
            for chunk in column.chunks
            for buf in chunk.buffers()
            if buf is not None
        ]
        return sum(touch_pages(b) for b in buffers) + touch_pages(self.offsets)

    def __getitem__(self, persons: np.ndarray) -> np.ndarray:
        """The TINs of ``persons`` (a :class:`~xverify.matching.decide.TinLookup`)."""
        taken = self.taxpayers.column("tin").take(pa.array(np.asarray(persons, np.int64)))
        return np.asarray(taken.to_pylist(), dtype=object)

    def identities(
        self, persons: np.ndarray, start: Sequence[int], end: Sequence[int], *, tin: bool
    ) -> Identities:
        """As :func:`identities`, for the given person indices."""
        persons = np.asarray(persons, np.int64)
        tp = self.taxpayers.take(pa.array(persons)).to_pandas()
        asked = _asked(tp["tin"].to_numpy(dtype=object), start, end)
        if asked.empty:
            return Identities.of([])
        lo, hi = self.offsets[persons], self.offsets[persons + 1]
        rows = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)])
        ad = self.addresses.take(pa.array(rows, pa.int64())).to_pandas()
        return _identities_of(asked, tp.drop_duplicates("tin"), ad.drop_duplicates(), tin=tin)
