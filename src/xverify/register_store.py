"""Where the custodian keeps its register: a Parquet folder, a DuckDB file or PostgreSQL.

A :class:`RegisterSource` gives the columns of the two identity tables, ``taxpayers`` and
``addresses``, as Arrow; a content digest that changes when a row changes; and the rows of given
TINs. It can name no other table (:data:`TABLES`): a database register can be read by a role that
has no SELECT on the returns table, so the privacy rule is enforced by the database too.

* a folder (``taxpayers.parquet``, ``addresses.parquet``): read as before, byte for byte;
* ``duckdb:///path/register.duckdb`` (or a path ending ``.duckdb``), opened read-only
  (``pip install 'xverify[db]'``);
* ``postgresql://user@host:port/db`` through ADBC (``adbc-driver-postgresql``), streamed as
  Arrow batches (the driver reads PostgreSQL's binary COPY).

A database register's people are ordered by TIN (the register row order of a folder is its
file's order); its digest is a count and a sum of per-row MD5 prefixes computed by the database
itself, so checking a cache moves no rows.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import ConfigError, InputError

Table = Literal["taxpayers", "addresses"]
#: the only tables a register source ever selects from
TABLES: tuple[Table, ...] = ("taxpayers", "addresses")


class RegisterSource(Protocol):
    """The identity tables of a register, wherever they are kept."""

    #: how the register is named in messages and ``repr`` (a URI never shows a password)
    name: str

    def where(self, table: Table) -> str:
        """The place named in an error about ``table``."""
        ...

    def schema(self, table: Table) -> pa.Schema:
        """The columns of ``table`` (:class:`InputError` when it is missing or unreadable)."""
        ...

    def read(self, table: Table, columns: Sequence[str], tins: pa.Array | None = None) -> pa.Table:
        """``columns`` of ``table``; with ``tins`` only the rows of those TINs."""
        ...

    def digest(self) -> str:
        """A digest of the two tables' contents: it changes when a row changes."""
        ...

    def signature(self) -> object | None:
        """A cheap signature that, when unchanged, vouches for the last digest (or ``None``)."""
        ...

    def default_cache(self) -> Path:
        """Where the encoded register is cached unless a folder is given."""
        ...


def _check_table(table: str) -> None:
    if table not in TABLES:  # never reached from xverify: the returns table is not a register table
        raise ValueError(f"not a register table: {table}")


def require(source: RegisterSource, table: Table, columns: Sequence[str]) -> None:
    """:class:`InputError` naming the table and the first missing column (never a value)."""
    names = source.schema(table).names
    for col in columns:
        if col not in names:
            raise InputError.at("required column is missing", file=source.where(table), column=col)


class ParquetFolder:
    """The register folder: ``taxpayers.parquet`` and ``addresses.parquet``."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.name = str(self.folder)

    def __repr__(self) -> str:
        return f"ParquetFolder({self.name!r})"

    def file(self, table: Table) -> Path:
        _check_table(table)
        return self.folder / f"{table}.parquet"

    def where(self, table: Table) -> str:
        return str(self.file(table))

    def open(self, table: Table) -> pq.ParquetFile:
        path = self.file(table)
        if not path.is_file():
            raise InputError.at(f"register table {path.name} is missing", file=str(self.folder))
        try:
            return pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError):
            raise InputError.at(
                "not a readable Parquet file (truncated or corrupted?)", file=str(path)
            ) from None

    def schema(self, table: Table) -> pa.Schema:
        return self.open(table).schema_arrow

    def read(self, table: Table, columns: Sequence[str], tins: pa.Array | None = None) -> pa.Table:
        """Row group by row group when filtering (never the whole table in memory)."""
        pf = self.open(table)
        require(self, table, columns)
        try:
            if tins is None:
                return pf.read(columns=list(columns))
            keep = [  # row group by row group: iter_batches holds on to what it has read
                g.filter(pc.is_in(g.column("tin"), value_set=tins))
                for g in (
                    pf.read_row_group(i, columns=list(columns)) for i in range(pf.num_row_groups)
                )
            ]
            schema = pa.schema([pf.schema_arrow.field(c) for c in columns])
            return pa.concat_tables(keep) if keep else schema.empty_table()
        except (pa.ArrowInvalid, OSError):
            raise InputError.at(
                "could not be read (truncated or corrupted?)", file=self.where(table)
            ) from None

    def digest(self) -> str:
        """SHA-256 over the taxpayers and addresses files."""
        h = hashlib.sha256()
        for table in TABLES:
            path = self.file(table)
            if not path.is_file():
                raise InputError.at(f"register table {path.name} is missing", file=self.name)
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 22):
                    h.update(chunk)
        return h.hexdigest()

    def signature(self) -> list[list[int]]:
        """Size, modification time and inode of the two files: when all are unchanged since the
        digest was taken, the files are the ones it was taken of."""
        out = []
        for table in TABLES:
            try:
                st = os.stat(self.file(table))
            except OSError:
                raise InputError.at(
                    f"register table {table}.parquet is missing", file=self.name
                ) from None
            out.append([st.st_size, st.st_mtime_ns, st.st_ino])
        return out

    def default_cache(self) -> Path:
        return self.folder / ".xverify-cache"


def _text(col: str, dialect: str) -> str:
    # a NULL and an empty string hash apart; the unit separator keeps columns apart
    cast = f"CAST({_quote(col)} AS VARCHAR)" if dialect == "duckdb" else f"{_quote(col)}::text"
    return f"coalesce({cast}, chr(30))"


def _quote(name: str) -> str:
    """An SQL identifier (any column of the custodian's tables may be hashed by the digest)."""
    return '"' + name.replace('"', '""') + '"'


def _utf8(table: pa.Table) -> pa.Table:
    """Plain ``string`` columns (drivers may hand over large or view strings)."""
    fields = [
        pa.field(f.name, pa.string())
        if pa.types.is_large_string(f.type) or pa.types.is_string_view(f.type)
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields)) if fields != list(table.schema) else table


class _Database:
    """What DuckDB and PostgreSQL registers share: SQL over the two identity tables."""

    dialect: str
    name: str

    def default_cache(self) -> Path:
        raise NotImplementedError

    def _query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """The result of one query, read from the driver's Arrow stream."""
        raise NotImplementedError

    def where(self, table: Table) -> str:
        _check_table(table)
        return f"{self.name} table {table}"

    def _sql(self, table: Table, columns: Sequence[str], *, filtered: bool) -> str:
        _check_table(table)
        cols = ", ".join(_quote(c) for c in columns)
        sql = f"SELECT {cols} FROM {_quote(table)}"
        if filtered:
            sql += " WHERE tin = ANY(?)" if self.dialect == "duckdb" else " WHERE tin = ANY($1)"
        order = [c for c in (("tin", "tax_year") if table == "addresses" else ("tin",))]
        order += [c for c in columns if c not in order]
        collate = "" if self.dialect == "duckdb" else ' COLLATE "C"'
        keys = ", ".join(
            f"{_quote(c)}{collate if c != 'tax_year' and c != 'birth_date' else ''}" for c in order
        )
        return f"{sql} ORDER BY {keys}"

    def schema(self, table: Table) -> pa.Schema:
        _check_table(table)
        try:
            return self._query(f"SELECT * FROM {_quote(table)} LIMIT 0").schema
        except InputError:
            raise
        except Exception:
            raise InputError.at(
                f"register table {table} is missing or not readable", file=self.name
            ) from None

    def read(self, table: Table, columns: Sequence[str], tins: pa.Array | None = None) -> pa.Table:
        require(self, table, columns)
        params = None if tins is None else [tins.to_pylist()]
        try:
            return _utf8(self._query(self._sql(table, columns, filtered=tins is not None), params))
        except Exception:
            raise InputError.at("could not be read", file=self.where(table)) from None

    def _row_hash(self, columns: Sequence[str]) -> str:
        row = " || chr(31) || ".join(_text(c, self.dialect) for c in columns)
        if self.dialect == "duckdb":
            return f"CAST(('0x' || left(md5({row}), 15)) AS BIGINT)"
        return f"('x' || left(md5({row}), 16))::bit(64)::bigint::numeric"

    def digest(self) -> str:
        """Per table a count and a sum of 64-bit MD5 prefixes of its rows (all its columns, as
        text), computed by the database: no row leaves it, and no sort is needed."""
        h = hashlib.sha256(self.dialect.encode())
        for table in TABLES:
            names = sorted(self.schema(table).names)
            sql = (
                f"SELECT CAST(count(*) AS VARCHAR) AS n, "
                f"CAST(coalesce(sum({self._row_hash(names)}), 0) AS VARCHAR) AS s "
                f"FROM {_quote(table)}"
            )
            try:
                row = self._query(sql).to_pylist()[0]
            except Exception:
                raise InputError.at("could not be read", file=self.where(table)) from None
            h.update(f"|{table}|{','.join(names)}|{row['n']}|{row['s']}".encode())
        return h.hexdigest()

    def signature(self) -> None:
        return None


class DuckDBRegister(_Database):
    """A DuckDB database file holding ``taxpayers`` and ``addresses`` (opened read-only)."""

    dialect = "duckdb"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = f"duckdb://{self.path}" if self.path.is_absolute() else f"duckdb:{self.path}"
        try:
            import duckdb
        except ImportError:
            raise ConfigError("a DuckDB register needs: pip install 'xverify[db]'") from None
        self._duckdb = duckdb
        if not self.path.is_file():
            raise InputError.at("register database is missing", file=str(self.path))
        self._connect().close()

    def __repr__(self) -> str:
        return f"DuckDBRegister({str(self.path)!r})"

    def _connect(self) -> Any:
        """A read-only connection, one per query: the file is not held locked between them."""
        try:
            return self._duckdb.connect(str(self.path), read_only=True)
        except self._duckdb.Error:
            raise InputError.at("not a readable DuckDB database", file=str(self.path)) from None

    def _query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        with self._connect() as con:
            return con.sql(sql, params=params).to_arrow_reader(65_536).read_all()

    def default_cache(self) -> Path:
        return self.path.with_name(self.path.name + ".xverify-cache")


def _redact(uri: str) -> str:
    """The URI without its password."""
    return re.sub(r"^([a-z+]+://[^:/@]*):[^@]*@", r"\1@", uri)


class PostgresRegister(_Database):
    """A PostgreSQL database holding ``taxpayers`` and ``addresses`` (through ADBC)."""

    dialect = "postgresql"

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.name = _redact(uri)
        try:
            import adbc_driver_postgresql.dbapi as dbapi
        except ImportError:
            raise ConfigError("a PostgreSQL register needs: pip install 'xverify[db]'") from None
        try:
            self._con = dbapi.connect(uri, autocommit=True)  # reads only: no open transaction
        except Exception:
            raise InputError.at("cannot connect to the register database", file=self.name) from None

    def __repr__(self) -> str:
        return f"PostgresRegister({self.name!r})"

    def _query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        cur = self._con.cursor()
        try:
            cur.execute(sql, parameters=params)
            return cur.fetch_record_batch().read_all()  # streamed by the driver (binary COPY)
        finally:
            cur.close()

    def default_cache(self) -> Path:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return base / "xverify" / hashlib.sha256(self.name.encode()).hexdigest()[:16]


def is_database(register: object) -> bool:
    """Whether ``register`` names a database rather than a folder."""
    text = str(register)
    return text.startswith(("duckdb:", "postgresql://", "postgres://")) or text.endswith(".duckdb")


def open_register(register: RegisterSource | Path | str) -> RegisterSource:
    """The register source that ``register`` names: a folder, a DuckDB file or a PostgreSQL URI."""
    if not isinstance(register, str | Path):
        return register
    text = str(register)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresRegister(text)
    if text.startswith("duckdb:"):
        return DuckDBRegister(re.sub(r"^duckdb:(//)?", "", text))
    if text.endswith(".duckdb"):
        return DuckDBRegister(text)
    return ParquetFolder(register)
