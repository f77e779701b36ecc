"""The encoding schema both parties share, and the column layout of encoded files.

An encoded record (a submission, or one register row = one person at one address) is a set of
fixed-width columns:

* one Bloom filter per :class:`BloomField`, ``fixed_size_binary(bits // 8)``, column
  ``bf_<field>``; an all-zero filter means the field was missing;
* one token column per :class:`TokenType`, ``fixed_size_binary(8 * slots)``, column
  ``tok_<type>``: ``slots`` little-endian uint64 keyed tokens; the value 0 is reserved for an
  empty slot (a token that hashes to 0 is stored as 1), so a missing value is an explicit 0, never
  the hash of an empty string;
* ``missing``: uint16 bit mask, bit ``i`` set when the ``i``-th :class:`BloomField` was missing.

The schema is versioned and travels in the Parquet file metadata (key ``xverify.schema``) with
the key fingerprint (``xverify.key_fingerprint``), the encoder revision
(``xverify.encoder_revision``), the file kind (``xverify.kind``) and library version
(``xverify.version``). A custodian refuses a file whose schema, revision or fingerprint differs
from its own. An encoded *submissions* file puts :data:`REQUEST_FIELDS` (request metadata, no
PII) before the encoded columns.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import SchemaError

SCHEMA_VERSION = 2  # 2: HOUSE_NUMBER token
#: version written for a schema with a :class:`Hardening` other than ``NONE`` (same layout)
HARDENED_SCHEMA_VERSION = 3
META_SCHEMA = b"xverify.schema"
META_FINGERPRINT = b"xverify.key_fingerprint"
META_VERSION = b"xverify.version"
META_KIND = b"xverify.kind"
META_REVISION = b"xverify.encoder_revision"
MAX_BLOOM_BITS = 1 << 16
MAX_SLOTS = 64

#: request metadata columns of an encoded submissions file, in file order, before the encoded
#: columns: what the custodian needs to decide and log a request, never a name or an address
REQUEST_FIELDS: tuple[pa.Field, ...] = (
    pa.field("request_id", pa.string()),
    pa.field("status", pa.string()),  # ACCEPTED / REJECTED
    pa.field("reason", pa.string()),  # reason code of a REJECTED request, else ""
    pa.field("tax_period_start", pa.int16()),  # null only on REJECTED rows
    pa.field("tax_period_end", pa.int16()),
    pa.field("statute", pa.string()),
    pa.field("reason_text", pa.string()),
    pa.field("case_ref", pa.string()),
    pa.field("zip_like", pa.bool_()),
)


class BloomField(StrEnum):
    """Fields encoded as Bloom filters of q-grams, compared by Dice coefficient."""

    GIVEN = "given"  # all given-name components
    MIDDLE = "middle"
    SURNAME = "surname"  # all surname components, particles included
    STREET = "street"  # street number, directionals, name, type (unit excluded)
    PLACE = "place"  # city and ZIP5


class Hardening(StrEnum):
    """Opt-in hardening of the Bloom filters against pattern-mining attacks.

    ``NONE`` is the default. ``DIFFUSION`` passes every filter through a keyed linear diffusion
    layer (:mod:`xverify.encoding.hardening`): same width, all-zero stays all-zero (missing), Dice
    of similar values stays high, but an output bit no longer belongs to a few q-grams.
    Keyed exact tokens are never changed: they leak equality and frequency whatever the setting
    (docs/threat-model.md).
    """

    NONE = "none"
    DIFFUSION = "diffusion"


class TokenType(StrEnum):
    """Keyed exact tokens: blocking keys and exact-agreement evidence."""

    SURNAME = "surname"  # each surname component
    SURNAME_PHONETIC = "surname_phonetic"  # a phonetic code per surname component
    GIVEN = "given"  # each given-name component
    GIVEN_CANONICAL = "given_canonical"  # canonical given name(s) from nickname tables
    GIVEN_PHONETIC = "given_phonetic"  # phonetic code of the first given name
    MIDDLE_INITIAL = "middle_initial"
    SUFFIX = "suffix"  # JR, SR, II, III...
    STREET_NUMBER_ZIP = "street_number_zip"  # house number + ZIP5
    STREET_ZIP = "street_zip"  # full normalized street line + ZIP5 (no unit)
    UNIT = "unit"  # unit number, designator-free (compared only where the street agrees)
    ZIP5 = "zip5"
    BIRTH_DATE = "birth_date"
    TIN = "tin"
    HOUSE_NUMBER = "house_number"  # alone: a ZIP typo together with a street typo


DEFAULT_SLOTS: MappingProxyType[TokenType, int] = MappingProxyType(
    {
        TokenType.SURNAME: 4,
        TokenType.SURNAME_PHONETIC: 4,
        TokenType.GIVEN: 3,
        TokenType.GIVEN_CANONICAL: 6,
        TokenType.GIVEN_PHONETIC: 1,
        TokenType.MIDDLE_INITIAL: 1,
        TokenType.SUFFIX: 1,
        TokenType.STREET_NUMBER_ZIP: 1,
        TokenType.STREET_ZIP: 1,
        TokenType.UNIT: 1,
        TokenType.ZIP5: 1,
        TokenType.BIRTH_DATE: 1,
        TokenType.TIN: 1,
        TokenType.HOUSE_NUMBER: 1,
    }
)

DEFAULT_BITS: MappingProxyType[BloomField, int] = MappingProxyType(
    {
        BloomField.GIVEN: 512,
        BloomField.MIDDLE: 256,
        BloomField.SURNAME: 512,
        BloomField.STREET: 512,
        BloomField.PLACE: 256,
    }
)


#: hash count per field of :meth:`EncodingSchema.hardened`: the diffusion layer XORs input bits,
#: so dense inputs (many q-grams in few bits: street lines, city + ZIP) would come out near-random;
#: fewer hashes keep those filters sparse enough that Dice of similar values stays high (names keep
#: the default k). Chosen by measured recall on the committed realistic sample.
HARDENED_K: MappingProxyType[BloomField, int] = MappingProxyType(
    {
        BloomField.GIVEN: 20,
        BloomField.MIDDLE: 20,
        BloomField.SURNAME: 20,
        BloomField.STREET: 3,
        BloomField.PLACE: 2,
    }
)


@dataclass(frozen=True)
class BloomSpec:
    """Length, q-gram size and hash count of one field's filter."""

    bits: int
    q: int = 2
    k: int = 20

    def __post_init__(self) -> None:
        if not all(_is_int(v) for v in (self.bits, self.q, self.k)):
            raise SchemaError("Bloom filter length, q and k must be integers")
        if not 0 < self.bits <= MAX_BLOOM_BITS or self.bits % 64:
            raise SchemaError(
                "Bloom filter length must be a positive multiple of 64 bits, "
                f"at most {MAX_BLOOM_BITS}"
            )
        if not 1 <= self.q <= 4:
            raise SchemaError("q-gram size must be between 1 and 4")
        if not 1 <= self.k <= 64:
            raise SchemaError("hash count k must be between 1 and 64")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _default_blooms() -> dict[BloomField, BloomSpec]:
    return {f: BloomSpec(bits=b) for f, b in DEFAULT_BITS.items()}


@dataclass(frozen=True)
class EncodingSchema:
    """Versioned description of an encoding: both parties must hold an equal one."""

    version: int = SCHEMA_VERSION
    blooms: dict[BloomField, BloomSpec] = field(default_factory=_default_blooms)
    slots: dict[TokenType, int] = field(default_factory=lambda: dict(DEFAULT_SLOTS))
    token_bytes: int = 8
    hardening: Hardening = Hardening.NONE

    def __post_init__(self) -> None:
        if not isinstance(self.hardening, Hardening):
            raise SchemaError("encoding schema hardening must be a Hardening member")
        if not _is_int(self.version) or not _is_int(self.token_bytes):
            raise SchemaError("encoding schema version and token_bytes must be integers")
        if not all(_is_int(n) for n in self.slots.values()):
            raise SchemaError("token slot counts must be integers")
        if self.version != SCHEMA_VERSION:
            raise SchemaError(
                f"encoding schema version {self.version} is not supported "
                f"(this xverify reads version {SCHEMA_VERSION})"
            )
        if set(self.blooms) != set(BloomField):
            raise SchemaError("encoding schema must define a Bloom filter for every field")
        if set(self.slots) != set(TokenType) or any(
            not 1 <= n <= MAX_SLOTS for n in self.slots.values()
        ):
            raise SchemaError(f"encoding schema must give every token type 1 to {MAX_SLOTS} slots")
        if self.token_bytes != 8:
            raise SchemaError(f"tokens are 8 bytes in schema version {SCHEMA_VERSION}")

    @classmethod
    def hardened(cls, hardening: Hardening = Hardening.DIFFUSION) -> EncodingSchema:
        """The recommended schema for ``hardening``: default widths and slots, hash counts
        :data:`HARDENED_K` (``Hardening.NONE`` gives the default schema)."""
        if hardening is Hardening.NONE:
            return cls()
        blooms = {f: BloomSpec(bits=DEFAULT_BITS[f], k=HARDENED_K[f]) for f in BloomField}
        return cls(blooms=blooms, hardening=hardening)

    # -- columns -----------------------------------------------------------------------------
    @staticmethod
    def bloom_column(f: BloomField) -> str:
        return f"bf_{f.value}"

    @staticmethod
    def token_column(t: TokenType) -> str:
        return f"tok_{t.value}"

    def arrow_fields(self) -> list[pa.Field]:
        """The encoded columns, in file order (request metadata columns come before them)."""
        cols = [
            pa.field(self.bloom_column(f), pa.binary(s.bits // 8)) for f, s in self.blooms.items()
        ]
        cols += [pa.field(self.token_column(t), pa.binary(8 * n)) for t, n in self.slots.items()]
        cols.append(pa.field("missing", pa.uint16()))
        return cols

    # -- (de)serialisation -------------------------------------------------------------------
    def to_json(self) -> str:
        d: dict[str, Any] = asdict(self)
        d["blooms"] = {f.value: asdict(s) for f, s in self.blooms.items()}
        d["slots"] = {t.value: n for t, n in self.slots.items()}
        if self.hardening is Hardening.NONE:  # the default schema's document is unchanged
            del d["hardening"]
        else:
            d["hardening"] = self.hardening.value
            d["version"] = HARDENED_SCHEMA_VERSION
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> EncodingSchema:
        try:
            d = json.loads(text)
            blooms = {BloomField(k): BloomSpec(**v) for k, v in d["blooms"].items()}
            slots = {TokenType(k): v for k, v in d["slots"].items()}
            version, hardening = d["version"], Hardening.NONE
            if version == HARDENED_SCHEMA_VERSION:
                hardening = Hardening(d["hardening"])
                if hardening is Hardening.NONE:
                    raise SchemaError(f"a version {version} encoding schema must name a hardening")
                version = SCHEMA_VERSION
            elif "hardening" in d:
                raise SchemaError(f"encoding schema version {version} has no hardening setting")
            return cls(
                version=version,
                blooms=blooms,
                slots=slots,
                token_bytes=d["token_bytes"],
                hardening=hardening,
            )
        except SchemaError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise SchemaError(f"malformed encoding schema ({type(exc).__name__})") from None


def filter_words(table: pa.Table | pa.RecordBatch, f: BloomField) -> np.ndarray:
    """Bloom filter column as a zero-copy ``(rows, bits // 64)`` uint64 array."""
    return _fixed_width_view(table, EncodingSchema.bloom_column(f))


def token_slots(table: pa.Table | pa.RecordBatch, t: TokenType) -> np.ndarray:
    """Token column as a ``(rows, slots)`` uint64 array; 0 marks an empty slot."""
    return _fixed_width_view(table, EncodingSchema.token_column(t))


def _fixed_width_view(table: pa.Table | pa.RecordBatch, name: str) -> np.ndarray:
    col = table.column(name)
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    width = col.type.byte_width
    if col.null_count:
        raise SchemaError(f"column {name!r} has nulls; encoded columns are never null")
    buf = col.buffers()[1]
    raw = np.frombuffer(buf, dtype=np.uint8, count=(col.offset + len(col)) * width)
    raw = raw[col.offset * width :]
    return raw.view("<u8").reshape(len(col), width // 8)
