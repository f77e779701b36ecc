"""Plaintext identity rows → encoded columns (Bloom filters, keyed tokens, missing mask).

:func:`encode_frame` is the one entry point both parties use: the requester for submissions and
the custodian for register rows (one row = one person at one address). Output rows are aligned
with input rows; the columns are exactly ``schema.arrow_fields()``.

Speed: every column is dictionary-encoded first, so normalization, q-gram hashing and string
digests run once per *distinct* value; rows are then assembled by integer indexing, and
per-row combinations (street + ZIP5, TIN, birth date) go through a compiled SipHash kernel.
Plaintext lives only in local variables of the call: no cache outlives it.

What each column holds (``core`` = a component without particles, "DE LA CRUZ" → "CRUZ"):

=====================  =====================================================================
``bf_given``           q-grams of every word of the given-name components (titles dropped)
``bf_middle``          q-grams of the middle name's words
``bf_surname``         q-grams of every word of every surname component, particles included
``bf_street``          q-grams of house number + directionals + street name + USPS suffix
                       (no unit); PO boxes as "PO BOX <n>"
``bf_place``           q-grams of the city words and the ZIP5
``tok_surname``        digest of ``core`` of each surname component (up to ``slots``)
``tok_surname_phonetic``  digest of the phonetic code of each surname component
``tok_given``          digest of ``core`` of each given component
``tok_given_canonical``   digests of canonical forms of the first given name (nickname tables;
                          slot 0 is the name itself)
``tok_given_phonetic``    digest of the phonetic code of the first given name
``tok_middle_initial``    digest of the middle name's first letter
``tok_suffix``         digest of JR / SR / II / III / IV / V
``tok_street_number_zip`` SipHash(house number digest, ZIP5)
``tok_street_zip``     SipHash(house number digest, rest-of-street digest, ZIP5)
``tok_unit``           SipHash(unit digest): the unit alone, designator-free; the matcher compares
                       it only on pairs whose street agrees (so it can veto another apartment
                       even when the street or ZIP has a typo)
``tok_zip5``           SipHash(ZIP5)
``tok_birth_date``     SipHash(proleptic Gregorian day number)
``tok_tin``            SipHash(9-digit TIN as an integer)
``tok_house_number``   SipHash(house number digest): with a street Dice, it confirms a street
                       line whose street name and ZIP both have a typo, and never a neighbour's
``missing``            bit ``i`` set when the ``i``-th Bloom field is empty
=====================  =====================================================================
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .. import normalize as nz
from ..errors import InputError, SchemaError, SecretError
from .bloom import or_rows, value_filters, word_filters
from .hardening import diffuse, diffusion_taps
from .keys import LinkageSecret
from .schema import (
    META_FINGERPRINT,
    META_KIND,
    META_REVISION,
    META_SCHEMA,
    REQUEST_FIELDS,
    BloomField,
    EncodingSchema,
    Hardening,
    TokenType,
)
from .tokens import fill_slots, siphash_words, string_digests

if TYPE_CHECKING:  # pandas is imported only when a DataFrame is passed (keeps the CLI fast)
    import pandas as pd

__all__ = [
    "ENCODER_REVISION",
    "IDENTITY_COLUMNS",
    "check_request_columns",
    "empty_encoding",
    "encode_frame",
    "read_encoded",
]

#: plaintext columns read by :func:`encode_frame` (absent columns count as all missing)
IDENTITY_COLUMNS = (
    "first_name", "middle_name", "last_name", "suffix", "street", "unit", "city", "state", "zip",
    "birth_date", "tin",
)  # fmt: skip
_FIELD_BIT = {f: np.uint16(1 << i) for i, f in enumerate(BloomField)}


#: Bumped whenever the same schema would encode a value differently: written into every encoded
#: file (``xverify.encoder_revision``), checked by :func:`read_encoded`, part of the register
#: cache tag, pinned by tests/data/golden/encoding_vectors.json.
ENCODER_REVISION = 5  # 5: placeholder given names (WIFE, MRS, FNU...) encoded as missing


def _column(table: pa.Table, name: str) -> tuple[np.ndarray, list[Any]]:
    """Dictionary codes (``-1`` = null) and the distinct values of one column."""
    if name not in table.column_names:
        return np.full(table.num_rows, -1, dtype=np.int64), []
    col = table.column(name)
    if pa.types.is_null(col.type):
        return np.full(table.num_rows, -1, dtype=np.int64), []
    enc = col.dictionary_encode().combine_chunks()
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, enc.dictionary.to_pylist()


def _slots(key: bytes, per_value: Sequence[Sequence[str]], slots: int) -> np.ndarray:
    """``(len(per_value) + 1, slots)`` token table (last row zero, for code -1)."""
    table = np.zeros((len(per_value) + 1, slots), dtype=np.uint64)
    vocab: dict[str, int] = {}
    cells: list[tuple[int, int, int]] = []
    for i, values in enumerate(per_value):
        seen: list[str] = []
        for v in values:
            if v and v not in seen:
                seen.append(v)
                if len(seen) == slots:
                    break
        for j, v in enumerate(seen):
            cells.append((i, j, vocab.setdefault(v, len(vocab))))
    if cells:
        digests = string_digests(key, list(vocab))
        idx = np.asarray(cells, dtype=np.int64)
        table[idx[:, 0], idx[:, 1]] = digests[idx[:, 2]]
    return table


@dataclass(frozen=True, repr=False)
class _Ragged:
    """Per-row lists of strings: row ``i`` holds ``vocab[codes[offsets[i]:offsets[i+1]]]``."""

    offsets: np.ndarray
    codes: np.ndarray
    vocab: list[str]

    @classmethod
    def of(cls, lists: pa.Array) -> _Ragged:
        lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
        enc = pc.list_flatten(lists).dictionary_encode()
        codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        offsets = np.concatenate(([0], np.cumsum(lengths, dtype=np.int64)))
        return cls(offsets, codes, enc.dictionary.to_pylist())

    def first(self) -> np.ndarray:
        """Code of each row's first item; ``len(vocab)`` (one past the end) for empty rows."""
        starts, ends = self.offsets[:-1], self.offsets[1:]
        out = np.full(len(starts), len(self.vocab), dtype=np.int64)
        has = ends > starts
        out[has] = self.codes[starts[has]]
        return out


@dataclass(frozen=True, repr=False)
class _Name:
    cores: _Ragged  # per row: the core word of each component (token inputs)
    words: _Ragged  # per row: every word kept (Bloom filter input)
    suffix: np.ndarray  # per row: generational suffix id found in this field (0 = none)


_LIST = pa.list_(pa.string())


def _from_pandas(frame: pd.DataFrame) -> pa.Table:
    """The identity columns of a DataFrame as Arrow; a column of mixed Python types (which
    Arrow cannot type) becomes strings."""
    cols: dict[str, pa.Array] = {}
    for name in IDENTITY_COLUMNS:
        if name not in frame.columns:
            continue
        series = frame[name]
        try:
            cols[name] = pa.Array.from_pandas(series)
        except (pa.ArrowException, TypeError, ValueError):
            values = [None if v is None or v != v else nz.as_text(v) for v in series.tolist()]
            cols[name] = pa.array(values, pa.string())
    if not cols:
        return pa.table({"_": pa.nulls(len(frame))})
    return pa.table(cols)


def _string_column(table: pa.Table, name: str) -> pa.Array:
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    col = table.column(name).combine_chunks()
    return col if pa.types.is_string(col.type) else pc.cast(col, pa.string())


def _name_lists(
    arr: pa.Array,
    special: frozenset[str],
    parse: Callable[[Any], tuple[tuple[str, ...], str]],
    suffix_ids: dict[str, int],
) -> _Name:
    """Words and component cores of a name column.

    ASCII values without special words (particles, titles, suffixes...) are folded and split in
    Arrow kernels: their components are their words. The rest go through the scalar parser
    ``parse`` once per distinct value.
    """
    n = len(arr)
    folded, ascii_ = nz.fold_column(arr)
    words = pc.split_pattern(folded, " ")
    flat = pc.list_flatten(words)
    lengths = pc.fill_null(pc.list_value_length(words), 0).to_numpy(zero_copy_only=False)
    flagged = pc.is_in(flat, value_set=pa.array(sorted(special), pa.string()))
    # words with digits go to the parser: suffixes (3RD) and OCR misreads (J0HN)
    flagged = pc.or_(flagged, pc.match_substring_regex(flat, "[0-9]"))
    rows = np.repeat(np.arange(n), lengths)
    has_special = np.zeros(n, dtype=bool)
    has_special[rows[flagged.to_numpy(zero_copy_only=False)]] = True
    is_null = arr.is_null().to_numpy(zero_copy_only=False)
    simple = (ascii_ | is_null) & ~has_special
    words = pc.fill_null(words, pa.scalar([], _LIST))
    suffix = np.zeros(n, dtype=np.int64)
    cores, kept = words, words
    if not simple.all():
        enc = pc.filter(arr, pa.array(~simple)).dictionary_encode()
        parsed = [parse(v) for v in enc.dictionary.to_pylist()]
        idx = np.full(n, -1, dtype=np.int64)
        idx[~simple] = enc.indices.to_numpy(zero_copy_only=False)
        take = pa.array(idx, mask=simple)
        core_lists = pa.array([[nz.core(c) for c in comps] for comps, _ in parsed], _LIST)
        word_lists = pa.array([[w for c in comps for w in c.split()] for comps, _ in parsed], _LIST)
        keep = pa.array(simple)
        cores = pc.if_else(keep, words, pc.take(core_lists, take))
        kept = pc.if_else(keep, words, pc.take(word_lists, take))
        sfx = np.asarray([suffix_ids.get(s, 0) for _, s in parsed] + [0], dtype=np.int64)
        suffix = np.where(simple, 0, sfx[idx])
    kept_r = _Ragged.of(kept)
    return _Name(kept_r if cores is kept else _Ragged.of(cores), kept_r, suffix)


def _day_number(value: Any) -> int:
    """Proleptic Gregorian ordinal of a date (0 when missing or unparseable)."""
    try:
        if isinstance(value, dt.datetime):  # pandas.Timestamp is a datetime; NaT is not a date
            return int(value.date().toordinal()) if value == value else 0
        if isinstance(value, dt.date):
            return value.toordinal()
        text = nz.as_text(value).strip()[:10]
        return dt.date.fromisoformat(text).toordinal() if len(text) == 10 else 0
    except (ValueError, TypeError, OverflowError):
        return 0


def _tin_numbers(table: pa.Table) -> np.ndarray:
    """TIN as a uint64 (0 = missing): digits of the field, exactly 9 of them, not all zero."""
    if "tin" not in table.column_names or pa.types.is_null(table.column("tin").type):
        return np.zeros(table.num_rows, dtype=np.uint64)
    col = table.column("tin")
    if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
        col = pc.cast(col, pa.string())
    digits = pc.replace_substring_regex(col, pattern=r"[^0-9]", replacement="")
    ok = pc.fill_null(pc.equal(pc.utf8_length(digits), 9), False)
    num = pc.cast(pc.if_else(ok, digits, "0"), pa.uint64())
    return num.to_numpy(zero_copy_only=False).astype(np.uint64)


def _fixed(arr: np.ndarray) -> pa.Array:
    arr = np.ascontiguousarray(arr, dtype="<u8")
    n, w = arr.shape
    return pa.Array.from_buffers(pa.binary(8 * w), n, [None, pa.py_buffer(arr)])


def empty_encoding(n: int, schema: EncodingSchema | None = None) -> pa.Table:
    """``n`` rows of all-zero encodings (every field marked missing)."""
    schema = schema or EncodingSchema()
    cols: list[pa.Array] = []
    for f in schema.arrow_fields():
        if f.name == "missing":
            all_missing = np.uint16(sum(int(b) for b in _FIELD_BIT.values()))
            cols.append(pa.array(np.full(n, all_missing, dtype=np.uint16)))
        else:
            cols.append(_fixed(np.zeros((n, f.type.byte_width // 8), dtype=np.uint64)))
    return pa.Table.from_arrays(cols, schema=pa.schema(schema.arrow_fields()))


def encode_frame(
    frame: pd.DataFrame | pa.Table,
    secret: LinkageSecret,
    schema: EncodingSchema | None = None,
    *,
    streets: nz.StreetColumn | None = None,
) -> pa.Table:
    """Encode identity rows (columns :data:`IDENTITY_COLUMNS`) into ``schema.arrow_fields()``.

    Total: any cell value gives an encoding (unparseable values count as missing). Row order is
    kept. Register rows and submissions go through this same function. ``streets`` may pass
    :func:`~xverify.normalize.street_column` of the ``street`` column when the caller already
    parsed it (the request checks do).
    """
    schema = schema or EncodingSchema()
    if not isinstance(secret, LinkageSecret):
        raise TypeError("secret must be a LinkageSecret")
    table = frame if isinstance(frame, pa.Table) else _from_pandas(frame)
    n = table.num_rows
    bloom_key = {f: secret.subkey(f"bloom/{f.value}") for f in BloomField}
    str_key = {t: secret.subkey(f"token/{t.value}/str") for t in TokenType}
    prf_key = {t: secret.subkey(f"token/{t.value}/prf", 16) for t in TokenType}
    addr_key = secret.subkey("token/address-part/str")
    blooms: dict[BloomField, np.ndarray] = {}
    tokens: dict[TokenType, np.ndarray] = {}
    missing = np.zeros(n, dtype=np.uint16)
    slots = schema.slots

    # -- names ---------------------------------------------------------------------------------
    phonetic_memo: dict[str, str] = {}  # plaintext held for this call only

    def phonetic(word: str) -> str:
        code = phonetic_memo.get(word)
        if code is None:
            code = phonetic_memo[word] = nz.phonetic(word)
        return code

    suffix_ids = {s: i + 1 for i, s in enumerate(nz.GENERATIONAL_SUFFIXES)}

    def name_field(column: str, special: frozenset[str], parse: Callable[[Any], Any]) -> _Name:
        return _name_lists(_string_column(table, column), special, parse, suffix_ids)

    given = name_field("first_name", nz.GIVEN_SPECIAL, nz.given_components)
    surname = name_field("last_name", nz.SURNAME_SPECIAL, nz.surname_components)
    middle = name_field("middle_name", nz.MIDDLE_SPECIAL, nz.middle_components)

    def bloom_of(name: _Name, f: BloomField) -> np.ndarray:
        spec = schema.blooms[f]
        wf = word_filters(bloom_key[f], name.words.vocab, spec)
        return or_rows(name.words.offsets, name.words.codes, wf)

    def slots_of(r: _Ragged, t: TokenType, values: list[str]) -> np.ndarray:
        return fill_slots(r.offsets, r.codes, string_digests(str_key[t], values), slots[t])

    blooms[BloomField.GIVEN] = bloom_of(given, BloomField.GIVEN)
    blooms[BloomField.SURNAME] = bloom_of(surname, BloomField.SURNAME)
    blooms[BloomField.MIDDLE] = bloom_of(middle, BloomField.MIDDLE)
    tokens[TokenType.SURNAME] = slots_of(surname.cores, TokenType.SURNAME, surname.cores.vocab)
    tokens[TokenType.SURNAME_PHONETIC] = slots_of(
        surname.cores, TokenType.SURNAME_PHONETIC, [phonetic(c) for c in surname.cores.vocab]
    )
    tokens[TokenType.GIVEN] = slots_of(given.cores, TokenType.GIVEN, given.cores.vocab)
    first = given.cores.first()
    canon = _slots(
        str_key[TokenType.GIVEN_CANONICAL],
        [nz.canonical_given(c, slots[TokenType.GIVEN_CANONICAL]) for c in given.cores.vocab],
        slots[TokenType.GIVEN_CANONICAL],
    )
    tokens[TokenType.GIVEN_CANONICAL] = canon[first]
    phon = string_digests(
        str_key[TokenType.GIVEN_PHONETIC], [phonetic(c) for c in given.cores.vocab] + [""]
    )
    tokens[TokenType.GIVEN_PHONETIC] = phon[first][:, None]
    initial = string_digests(
        str_key[TokenType.MIDDLE_INITIAL], [w[:1] for w in middle.words.vocab] + [""]
    )
    tokens[TokenType.MIDDLE_INITIAL] = initial[middle.words.first()][:, None]

    # suffix: the suffix column, else one trailing a surname, given or middle name
    sfx_codes, sfx_u = _column(table, "suffix")
    row_sfx = np.asarray([*(suffix_ids.get(nz.normalize_suffix(v), 0) for v in sfx_u), 0])
    row_sfx = row_sfx[sfx_codes]
    for name in (surname, given, middle):
        row_sfx = np.where(row_sfx == 0, name.suffix, row_sfx)
    sfx_table = string_digests(str_key[TokenType.SUFFIX], ["", *nz.GENERATIONAL_SUFFIXES])
    tokens[TokenType.SUFFIX] = sfx_table[row_sfx][:, None]

    # -- address -------------------------------------------------------------------------------
    if streets is None:
        streets = nz.street_column(_string_column(table, "street"))
    elif len(streets.codes) != n:
        raise ValueError("streets does not match the table's rows")
    rests: dict[str, int] = {"": 0}
    units: dict[str, int] = {"": 0}
    e_rest = np.asarray(
        [rests.setdefault(e.rest, len(rests)) if e.has_street else 0 for e in streets.entries]
    )
    e_unit = np.asarray(
        [units.setdefault(e.unit, len(units)) if e.has_street else 0 for e in streets.entries]
    )
    row_rest = e_rest[streets.codes]
    has_street = row_rest != 0
    num_vocab = streets.number_vocab
    row_num = streets.number_codes
    unit_codes, unit_u = _column(table, "unit")
    u_ids = np.asarray([*(units.setdefault(nz.normalize_unit(v), len(units)) for v in unit_u), 0])
    row_unit = u_ids[unit_codes]
    row_unit = np.where(row_unit == 0, e_unit[streets.codes], row_unit)
    row_unit = np.where(has_street, row_unit, 0)

    spec = schema.blooms[BloomField.STREET]
    key = bloom_key[BloomField.STREET]
    blooms[BloomField.STREET] = (
        value_filters(key, [v.split() for v in num_vocab], spec)[row_num]
        | value_filters(key, [v.split() for v in rests], spec)[row_rest]
    )

    zip_enc = nz.zip5_column(_string_column(table, "zip")).dictionary_encode()
    zip_codes = zip_enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    zips = zip_enc.dictionary.to_pylist()
    row_zip = np.asarray([*(int(z) if z else 0 for z in zips), 0], dtype=np.uint64)[zip_codes]
    city_codes, city_u = _column(table, "city")
    cities = [nz.normalize_city(v).split() for v in city_u]
    spec = schema.blooms[BloomField.PLACE]
    key = bloom_key[BloomField.PLACE]
    blooms[BloomField.PLACE] = (
        value_filters(key, cities, spec)[city_codes]
        | value_filters(key, [[z] if z else [] for z in zips], spec)[zip_codes]
    )

    num_d = string_digests(addr_key, num_vocab)[row_num]
    rest_d = string_digests(addr_key, list(rests))[row_rest]
    unit_d = string_digests(addr_key, list(units))[row_unit]
    has_zip = row_zip != 0
    tokens[TokenType.STREET_NUMBER_ZIP] = siphash_words(
        prf_key[TokenType.STREET_NUMBER_ZIP], np.stack([num_d, row_zip], axis=1),
        has_street & has_zip & (num_d != 0),
    )[:, None]  # fmt: skip
    tokens[TokenType.STREET_ZIP] = siphash_words(
        prf_key[TokenType.STREET_ZIP], np.stack([num_d, rest_d, row_zip], axis=1),
        has_street & has_zip,
    )[:, None]  # fmt: skip
    # the unit alone: compared only on pairs whose street already agrees (fully or fuzzily), so a
    # different apartment can veto an address agreement even when the street or ZIP has a typo
    tokens[TokenType.UNIT] = siphash_words(
        prf_key[TokenType.UNIT], unit_d[:, None], has_street & (row_unit != 0)
    )[:, None]  # fmt: skip
    tokens[TokenType.ZIP5] = siphash_words(prf_key[TokenType.ZIP5], row_zip, has_zip)[:, None]
    tokens[TokenType.HOUSE_NUMBER] = siphash_words(
        prf_key[TokenType.HOUSE_NUMBER], num_d[:, None], has_street & (num_d != 0)
    )[:, None]  # fmt: skip

    # -- other identifiers ----------------------------------------------------------------------
    bd_codes, bd_u = _column(table, "birth_date")
    row_bd = np.asarray([*(_day_number(v) for v in bd_u), 0], dtype=np.uint64)[bd_codes]
    tokens[TokenType.BIRTH_DATE] = siphash_words(
        prf_key[TokenType.BIRTH_DATE], row_bd, row_bd != 0
    )[:, None]
    tins = _tin_numbers(table)
    tokens[TokenType.TIN] = siphash_words(prf_key[TokenType.TIN], tins, tins != 0)[:, None]

    # -- assemble ------------------------------------------------------------------------------
    for f, arr in blooms.items():
        empty = ~arr.any(axis=1)
        missing |= np.where(empty, _FIELD_BIT[f], np.uint16(0))
    if BloomField.STREET in blooms:  # a street line with no street is missing, whatever it holds
        blooms[BloomField.STREET][~has_street] = 0
        missing |= np.where(has_street, np.uint16(0), _FIELD_BIT[BloomField.STREET])
    if schema.hardening is Hardening.DIFFUSION:  # linear: a missing (all-zero) filter stays zero
        for f, arr in blooms.items():
            taps = diffusion_taps(
                secret.subkey(f"bloom/{f.value}/diffusion"), schema.blooms[f].bits
            )
            blooms[f] = diffuse(arr, taps)
    cols: list[pa.Array] = []
    for f in schema.blooms:
        cols.append(_fixed(blooms[f]))
    for t, k in schema.slots.items():
        arr = tokens[t]
        if arr.shape[1] < k:  # single-token types in a schema that gives them more slots
            arr = np.concatenate([arr, np.zeros((n, k - arr.shape[1]), dtype=np.uint64)], axis=1)
        cols.append(_fixed(arr[:, :k]))
    cols.append(pa.array(missing, type=pa.uint16()))
    return pa.Table.from_arrays(cols, schema=pa.schema(schema.arrow_fields()))


def read_encoded(
    path: str | Path | pa.Table,
    expected_schema: EncodingSchema | None = None,
    expected_fingerprint: str | None = None,
) -> tuple[pa.Table, EncodingSchema, str]:
    """Read an encoded submissions file and check it against its contract and the reader's own
    schema, encoder revision and key fingerprint.

    ``path`` may also be the table :func:`xverify.encode_requests` returned. Returns
    ``(table, schema, fingerprint)``; the request metadata columns come back as
    :data:`~xverify.encoding.schema.REQUEST_FIELDS` types (see :func:`check_request_columns`).
    Raises :class:`SchemaError` when the file has no, another or a malformed schema, another
    encoder revision or kind, or encoded columns that do not match its schema;
    :class:`SecretError` when it was encoded under another key; :class:`InputError` when it is
    not a readable Parquet file or its request columns break the contract.
    """
    if isinstance(path, pa.Table):  # as encode_requests returned it, metadata included
        table, p = path, Path("<encoded table>")
    elif isinstance(path, str | Path):
        p = Path(path)
        try:
            table = pq.read_table(p)
            table.column_names  # noqa: B018 -- a damaged name fails here (UnicodeDecodeError)
        except (pa.ArrowException, OSError, ValueError):
            raise InputError.at("not a readable encoded Parquet file", file=str(p)) from None
    else:
        raise InputError("encoded submissions must be a file path or an Arrow table")
    meta = table.schema.metadata or {}
    if META_SCHEMA not in meta or META_FINGERPRINT not in meta:
        raise SchemaError(f"{p}: no xverify encoding schema or key fingerprint in the metadata")
    kind = meta.get(META_KIND)
    if kind != b"submissions":
        what = {b"register": "an encoded register", None: "a file of no xverify kind"}
        raise SchemaError(
            f"{p}: {what.get(kind, 'a file of another kind')}, not encoded submissions "
            "(metadata xverify.kind)"
        )
    _check_revision(meta.get(META_REVISION), p)
    schema = EncodingSchema.from_json(meta[META_SCHEMA])
    fingerprint = meta[META_FINGERPRINT].decode("ascii", "replace")
    if expected_schema is not None and schema != expected_schema:
        raise SchemaError(f"{p}: encoded with another encoding schema than the custodian's")
    if expected_fingerprint is not None and not hmac.compare_digest(
        fingerprint.encode(), expected_fingerprint.encode()
    ):
        raise SecretError(f"{p}: encoded under another linkage key (fingerprint differs)")
    names = table.column_names
    for f in schema.arrow_fields():
        if f.name not in names:
            raise SchemaError(f"{p}: column {f.name!r} is missing or has the wrong type")
        if names.count(f.name) > 1:
            raise InputError.at("column appears more than once", file=str(p), column=f.name)
        if table.schema.field(f.name).type != f.type:
            raise SchemaError(f"{p}: column {f.name!r} is missing or has the wrong type")
    return check_request_columns(table, schema, file=str(p)), schema, fingerprint


def _check_revision(raw: bytes | None, p: Path) -> None:
    if raw is None:
        raise SchemaError(
            f"{p}: no encoder revision in the metadata (encoded by an older xverify, or "
            f"edited); this xverify reads encoder revision {ENCODER_REVISION} only: re-encode "
            "the submissions"
        )
    if not re.fullmatch(rb"[0-9]{1,6}", raw):
        raise SchemaError(f"{p}: the encoder revision in the metadata is not an integer")
    if int(raw) != ENCODER_REVISION:
        raise SchemaError(
            f"{p}: encoded by encoder revision {int(raw)}, this xverify reads revision "
            f"{ENCODER_REVISION} only: requester and custodian must run the same encoder "
            "(re-encode the submissions)"
        )


def _column_label(name: str, index: int, known: frozenset[str]) -> str | int:
    """A column as errors may name it: its name when it is a known column, else its 1-based
    position (an unknown name may be a value, e.g. the first row of a headerless file)."""
    return name if name in known else index + 1


def check_request_columns(
    table: pa.Table, schema: EncodingSchema | None = None, *, file: str | None = None
) -> pa.Table:
    """Check the request metadata columns of an encoded submissions table; cast them to
    :data:`~xverify.encoding.schema.REQUEST_FIELDS` types (``large_string`` and the like from
    other writers are accepted), empty text for null text.

    The contract: at least one row; no other columns than the request and encoded ones (an
    extra column may be plaintext); ``status`` ACCEPTED or REJECTED on every row; an ACCEPTED
    request has a tax period and a ``request_id`` no other row holds (REJECTED rows keep
    theirs, duplicates included: the response accounts for every row). Raises
    :class:`InputError` naming row (1 = first) and column, never a value.
    """
    schema = schema or EncodingSchema()
    names = table.column_names
    request = frozenset(f.name for f in REQUEST_FIELDS)
    known = request | {f.name for f in schema.arrow_fields()}
    for i, name in enumerate(names):
        if names.count(name) > 1:
            raise InputError.at(
                "column appears more than once", file=file, column=_column_label(name, i, known)
            )
        if name not in known:
            raise InputError.at(
                "unknown column (an encoded file holds request metadata and encodings only)",
                file=file,
                column=_column_label(name, i, frozenset(IDENTITY_COLUMNS) | known),
            )
    if table.num_rows == 0:
        raise InputError.at("file has no rows", file=file)
    cols: dict[str, pa.Array] = {}
    for f in REQUEST_FIELDS:
        if f.name not in names:
            raise InputError.at("required column is missing", file=file, column=f.name)
        cols[f.name] = _request_column(table.column(f.name).combine_chunks(), f, file)
    status = cols["status"]
    ok = pc.fill_null(pc.is_in(status, value_set=pa.array(["ACCEPTED", "REJECTED"])), False)
    _fail_first(pc.invert(ok), "status is not ACCEPTED or REJECTED", file, "status")
    accepted = pc.equal(status, "ACCEPTED")
    _fail_first(pc.is_null(cols["request_id"]), "request_id is empty", file, "request_id")
    ids = cols["request_id"]
    for name in ("tax_period_start", "tax_period_end"):
        _fail_first(
            pc.and_(accepted, pc.is_null(cols[name])),
            "an ACCEPTED request has no tax period",
            file,
            name,
        )
    blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(ids)), 0)
    _fail_first(pc.and_(accepted, blank), "an ACCEPTED request has no request_id", file,
                "request_id")  # fmt: skip
    codes = ids.dictionary_encode().indices.to_numpy(zero_copy_only=False)
    acc = accepted.to_numpy(zero_copy_only=False)
    clash = np.flatnonzero(acc & (np.bincount(codes)[codes] > 1))
    if clash.size:
        row = int(clash[0])
        other = int(next(r for r in np.flatnonzero(codes == codes[row]) if r != row))
        raise InputError.at(
            f"request_id of an ACCEPTED request is used again on row {other + 1}",
            file=file,
            row=row + 1,
            column="request_id",
        )
    _fail_first(pc.is_null(cols["zip_like"]), "zip_like is empty", file, "zip_like")
    for f in REQUEST_FIELDS:
        if pa.types.is_string(f.type) and cols[f.name].null_count:
            cols[f.name] = pc.fill_null(cols[f.name], "")
    out = pa.table({f.name: cols[f.name] for f in REQUEST_FIELDS}, metadata=table.schema.metadata)
    for name in names:  # the encoded columns, in file order
        if name not in request:
            out = out.append_column(table.schema.field(name), table.column(name))
    return out


def _request_column(col: pa.Array, f: pa.Field, file: str | None) -> pa.Array:
    t = col.type
    if pa.types.is_dictionary(t):
        col, t = col.dictionary_decode(), t.value_type
    if pa.types.is_null(t):
        return pa.nulls(len(col), f.type)
    if pa.types.is_string(f.type):
        if pa.types.is_string(t):
            return col
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            return pc.cast(col, pa.string())
        raise InputError.at("wrong type (expected text)", file=file, column=f.name)
    if pa.types.is_boolean(f.type):
        if pa.types.is_boolean(t):
            return col
        raise InputError.at("wrong type (expected true/false)", file=file, column=f.name)
    if not pa.types.is_integer(t):
        raise InputError.at("wrong type (expected an integer tax year)", file=file, column=f.name)
    info = np.iinfo(f.type.to_pandas_dtype())
    out_of_range = pc.or_(pc.less(col, info.min), pc.greater(col, info.max))
    _fail_first(out_of_range, "tax year out of range", file, f.name)
    return pc.cast(col, f.type)


def _fail_first(bad: pa.Array, problem: str, file: str | None, column: str) -> None:
    """Raise :class:`InputError` at the first row where ``bad`` is true (nulls are false)."""
    bad = pc.fill_null(bad, False)
    if pc.any(bad).as_py():
        row = int(pc.index(bad, True).as_py()) + 1
        raise InputError.at(problem, file=file, row=row, column=column)
