"""Registers where custodians keep them: a DuckDB file and a real PostgreSQL server.

The PostgreSQL server is Debian's (``/usr/lib/postgresql/*/bin``), started here on a temporary
data folder and a free port (as the ``postgres`` user when the tests run as root) and stopped
afterwards. Both databases also hold the ``returns`` table; PostgreSQL is read as a role without
SELECT on it, so a match that succeeds has not read it.

Without the server or the drivers these tests skip, unless ``XVERIFY_REQUIRE_DB`` is set (CI).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from xverify import LinkageSecret, Verifier
from xverify.auditlog import AuditLog
from xverify.encoding.keys import write_secret
from xverify.errors import InputError
from xverify.register import encode_register
from xverify.register_store import DuckDBRegister, ParquetFolder, PostgresRegister, open_register
from xverify.requests import encode_submissions_file
from xverify.signing import write_signing_key
from xverify.synth import Profile, generate_submissions, write_register, write_submissions

pytestmark = pytest.mark.db
REQUIRED = bool(os.environ.get("XVERIFY_REQUIRE_DB"))
PEOPLE = 2_000
TABLES = ("taxpayers", "addresses", "returns")


def _need(what: str) -> None:
    if REQUIRED:
        pytest.fail(f"XVERIFY_REQUIRE_DB is set but {what}")
    pytest.skip(what)


duckdb = pytest.importorskip("duckdb") if not REQUIRED else __import__("duckdb")
try:
    import adbc_driver_postgresql.dbapi as pg_dbapi
except ImportError:  # pragma: no cover
    pg_dbapi = None


@dataclass(frozen=True)
class World:
    root: Path
    register: Path
    encoded: Path
    secret: LinkageSecret
    signing_key: Path
    key_file: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("dbworld")
    register = write_register(
        root / "register", PEOPLE, range(2019, 2025), np.random.default_rng(5)
    )
    subs, truth = generate_submissions(register, 150, Profile.REALISTIC, np.random.default_rng(6))
    write_submissions(root / "requests", subs, truth)
    # a database register's people are in TIN order (a folder's in file order, and the order of
    # the register's rows moves a rare near-tie): the folder is written in that order too
    for table, keys in (("taxpayers", ["tin"]), ("addresses", ["tin", "tax_year"])):
        rows = pq.read_table(register / f"{table}.parquet")
        pq.write_table(
            rows.sort_by([(k, "ascending") for k in keys]), register / f"{table}.parquet"
        )
    secret = write_secret(root / "linkage.key")
    write_signing_key(root / "custodian.key")
    encoded = root / "encoded.parquet"
    encode_submissions_file(root / "requests" / "submissions.csv", encoded, secret)
    return World(root, register, encoded, secret, root / "custodian.key", root / "linkage.key")


def _duckdb_file(path: Path, register: Path, *, drop: str | None = None) -> Path:
    con = duckdb.connect(str(path))
    for table in TABLES:
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?)",
            [str(register / f"{table}.parquet")],
        )
    if drop is not None:
        table, column = drop.split(".")
        con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.close()
    return path


@pytest.fixture(scope="module")
def duck(world: World) -> Path:
    return _duckdb_file(world.root / "register.duckdb", world.register)


@dataclass(frozen=True)
class Server:
    port: int
    owner: str  # superuser URI
    custodian: str  # the role that matches: SELECT on taxpayers and addresses only


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres(world: World) -> Iterator[Server]:
    bindir = _pg_bin()
    if bindir is None:
        _need("PostgreSQL is not installed (apt-get install postgresql)")
    if pg_dbapi is None:
        _need("adbc-driver-postgresql is not installed")
    assert bindir is not None and pg_dbapi is not None
    as_postgres: list[str] = []
    data = Path(tempfile.mkdtemp(prefix="xverify-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(data, user.pw_uid, user.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def pg(*args: str) -> None:
        subprocess.run([*as_postgres, *args], check=True, capture_output=True, timeout=60)

    pg(str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "postgres",
       "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg(str(bindir / "pg_ctl"), "-D", str(data / "db"), "-o", options,
       "-l", str(data / "log"), "-w", "start")  # fmt: skip
    try:
        base = f"postgresql://postgres@127.0.0.1:{port}"
        with pg_dbapi.connect(f"{base}/postgres", autocommit=True) as con, con.cursor() as cur:
            cur.execute("CREATE DATABASE xverify")
        owner = f"{base}/xverify"
        with pg_dbapi.connect(owner) as con, con.cursor() as cur:
            for table in TABLES:
                cur.adbc_ingest(table, pq.read_table(world.register / f"{table}.parquet"))
            cur.execute("CREATE ROLE custodian LOGIN")
            cur.execute("GRANT SELECT ON taxpayers, addresses TO custodian")
            con.commit()
        yield Server(port, owner, f"postgresql://custodian@127.0.0.1:{port}/xverify")
    finally:
        pg(str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)


def _decisions(register: Any, world: World, cache: Path) -> tuple[pd.DataFrame, Any]:
    verifier = Verifier(
        register,
        world.secret,
        log=AuditLog(cache / "audit.log", signing_key=None),
        cache_dir=cache / "cache",
    )
    result = verifier.verify(world.encoded)
    cols = ["request_id", "outcome", "tin", "match_weight"]
    return result.decisions[cols].reset_index(drop=True), result.response


def test_the_custodian_role_cannot_read_returns(postgres: Server) -> None:
    with pg_dbapi.connect(postgres.owner) as con, con.cursor() as cur:
        cur.execute("SELECT count(*) AS n FROM returns")
        assert cur.fetchone()[0] > 0
    with pg_dbapi.connect(postgres.custodian) as con, con.cursor() as cur:
        cur.execute("SELECT count(*) FROM taxpayers")
        assert cur.fetchone()[0] == PEOPLE
        with pytest.raises(Exception, match="permission denied"):
            cur.execute("SELECT count(*) FROM returns")


def test_decisions_equal_the_parquet_folders(
    world: World, duck: Path, postgres: Server, tmp_path: Path
) -> None:
    want, response = _decisions(world.register, world, tmp_path / "parquet")
    assert (want["outcome"] == "VERIFIED").sum() > 50
    for name, register in (
        ("duckdb", f"duckdb://{duck}"),
        ("postgres", postgres.custodian),  # no SELECT on returns: nothing reads it
    ):
        got, got_response = _decisions(register, world, tmp_path / name)
        pd.testing.assert_frame_equal(got, want, check_exact=False, atol=1e-9, rtol=0)
        assert got_response.table.equals(response.table), name


def test_sources_are_opened_by_name(duck: Path, postgres: Server) -> None:
    assert isinstance(open_register(f"duckdb://{duck}"), DuckDBRegister)
    assert isinstance(open_register(str(duck)), DuckDBRegister)
    assert isinstance(open_register(postgres.custodian), PostgresRegister)
    assert isinstance(open_register(duck.parent / "register"), ParquetFolder)
    secret_uri = postgres.custodian.replace("custodian@", "custodian:hunter2@")
    with pytest.raises(InputError) as err:  # wrong password under trust still connects: no
        PostgresRegister(secret_uri.replace("/xverify", "/nosuchdb"))
    assert "hunter2" not in str(err.value)


def test_digest_changes_when_a_row_changes(world: World, postgres: Server, tmp_path: Path) -> None:
    source = open_register(postgres.custodian)
    before = source.digest()
    assert open_register(postgres.custodian).digest() == before
    with pg_dbapi.connect(postgres.owner) as con, con.cursor() as cur:
        cur.execute(
            "UPDATE addresses SET unit = 'X' WHERE ctid = (SELECT min(ctid) FROM addresses)"
        )
        con.commit()
        try:
            assert source.digest() != before
        finally:
            cur.execute("UPDATE addresses SET unit = NULL WHERE unit = 'X'")
            con.commit()
    db = _duckdb_file(tmp_path / "r.duckdb", world.register)
    first = DuckDBRegister(db).digest()
    con = duckdb.connect(str(db))
    con.execute("UPDATE taxpayers SET first_name = first_name || 'A' WHERE rowid = 0")
    con.close()
    second = DuckDBRegister(db).digest()
    assert second != first
    con = duckdb.connect(str(db))  # a column of the custodian's own, oddly named: hashed too
    con.execute('ALTER TABLE taxpayers ADD COLUMN "Note ""x""" VARCHAR')
    con.close()
    assert DuckDBRegister(db).digest() not in (first, second)


def test_a_missing_column_names_table_and_column(world: World, tmp_path: Path) -> None:
    db = _duckdb_file(tmp_path / "bad.duckdb", world.register, drop="taxpayers.last_name")
    with pytest.raises(InputError) as err:
        encode_register(f"duckdb://{db}", world.secret, _schema(), cache_dir=tmp_path / "c")
    message = str(err.value)
    assert "taxpayers" in message and "last_name" in message
    first = pq.read_table(world.register / "taxpayers.parquet").column("first_name")[0].as_py()
    assert first not in message

    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    con.execute("CREATE TABLE returns (tin VARCHAR)")
    con.close()
    with pytest.raises(InputError, match="taxpayers"):
        encode_register(
            f"duckdb://{tmp_path / 'empty.duckdb'}", world.secret, _schema(), cache_dir=tmp_path
        )


def _schema() -> Any:
    from xverify.encoding.schema import EncodingSchema

    return EncodingSchema()


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xverify", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_matches_against_postgres(world: World, postgres: Server, tmp_path: Path) -> None:
    args = ["match", "--key", world.key_file, "--signing-key", world.signing_key, "--quiet"]
    done = _cli(*args, "--register", postgres.custodian, "--cache", tmp_path / "c",
                "--out", tmp_path / "out", world.encoded)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "response.parquet").is_file()

    bad = _duckdb_file(tmp_path / "bad.duckdb", world.register, drop="addresses.zip")
    failed = _cli(*args, "--register", f"duckdb://{bad}", "--cache", tmp_path / "c2",
                  "--out", tmp_path / "out2", world.encoded)  # fmt: skip
    assert failed.returncode == 2, failed.stderr
    assert "addresses" in failed.stderr and "'zip'" in failed.stderr
