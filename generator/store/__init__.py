"""The results file: open it, create it, upgrade it (``migrations``), read it safely.

One SQLite file holds everything, with the upstream harness's table and column
names (``schema``) so that its files, its Worker's D1 exports and ours open
unchanged.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from generator.errors import StoreError
from generator.store.migrations import SCHEMA_VERSION, migrate, schema_version

T = TypeVar("T")
DEFAULT_DB = "data/benchmarks.db"
BUSY_TIMEOUT_MS = 60_000
IDS_PER_QUERY = 500  # ids bound in one "IN (…)" query, well under SQLite's limit


def id_slices(ids: Sequence[T], size: int = IDS_PER_QUERY) -> Iterator[Sequence[T]]:
    """*ids* in slices small enough to bind in one "IN (…)" query."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def marks(ids: Sequence[object]) -> str:
    """The "?, ?, …" of an "IN (…)" of *ids*."""
    return ", ".join("?" * len(ids))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception.

    IMMEDIATE takes the write lock up front, so parallel writers queue on the
    busy timeout instead of failing mid-transaction with "database is locked".
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def _connect(uri: str) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves (see transaction()).
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    return conn


def _check_sqlite(conn: sqlite3.Connection, path: Path) -> None:
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:  # permissions, locks, a WAL it cannot create
        conn.close()
        raise StoreError(
            f"cannot read {path} ({exc}): check that the file and its folder are accessible"
        ) from None
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        conn.close()
        raise StoreError(f"{path} is not a readable SQLite database ({exc})") from None


def read_only_uri(path: Path) -> str:
    """A URI that opens *path* read-only and immutable: for files nothing writes to."""
    return _uri(path, "ro") + "&immutable=1"


def read_write_uri(path: Path) -> str:
    """A URI that opens *path* for reading and writing, never creating it."""
    return _uri(path, "rw")


def _uri(path: Path, mode: str) -> str:
    return f"file:{_quote(str(path.resolve()))}?mode={mode}"


def _quote(text: str) -> str:
    # '?' and '#' would end the path part of a URI; '%' would start an escape.
    return text.replace("%", "%25").replace("?", "%3f").replace("#", "%23")


def open_write(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the results file for writing."""
    conn = _open_rw(Path(path))
    if schema_version(conn) < SCHEMA_VERSION:
        _migrate_or_fail(conn, Path(path))
    return conn


def init(path: str | os.PathLike[str]) -> list[str]:
    """Create or upgrade the file at *path*; return the names of migrations applied."""
    conn = _open_rw(Path(path))
    try:
        return _migrate_or_fail(conn, Path(path))
    finally:
        conn.close()


def _open_rw(path: Path) -> sqlite3.Connection:
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(_uri(path, "rwc"))
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open {path} for writing ({exc})") from None
    _check_sqlite(conn, path)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _wal(conn)  # readers never block writers
        conn.execute("PRAGMA synchronous = NORMAL")  # safe in WAL; one fsync per checkpoint
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"cannot write to {path} ({exc})") from None
    return conn


def _wal(conn: sqlite3.Connection) -> None:
    # Switching a new file to WAL while another process does the same answers
    # "database is locked" at once, without the busy timeout: wait here instead.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _migrate_or_fail(conn: sqlite3.Connection, path: Path) -> list[str]:
    try:
        return migrate(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"cannot upgrade {path} ({exc})") from None


def open_read(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open the results file read-only; never changes a byte of it.

    A file in an older schema is copied into memory and migrated there, so
    queries always see the current columns without the file being touched.
    """
    path = Path(path)
    if not path.is_file():
        raise StoreError(
            f"no database at {path}: create one with 'zebench init --db {path}' "
            f"or 'zebench demo --db {path}'"
        )
    try:
        conn = _connect(_uri(path, "ro"))
    except sqlite3.Error as exc:
        raise StoreError(
            f"cannot read {path} ({exc}): check that the file and its folder are readable"
        ) from None
    _check_sqlite(conn, path)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if schema_version(conn) < SCHEMA_VERSION:
        memory = _connect("file::memory:")
        conn.backup(memory)
        conn.close()
        migrate(memory)
        conn = memory
    return conn


def file_of(conn: sqlite3.Connection) -> str:
    """The file *conn* has open; empty when it reads from memory (an older schema
    upgraded by ``open_read``)."""
    return conn.execute("PRAGMA database_list").fetchone()[2]


def on_disk(conn: sqlite3.Connection) -> bool:
    """Whether *conn* reads a file, not an older schema upgraded in memory (``open_read``)."""
    return bool(file_of(conn))


def open_snapshot(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open a copy of the results file that nothing writes to (a build's own copy,
    in the current schema) read-only, without locks and without -wal/-shm files."""
    return _connect(read_only_uri(Path(path)))


# SQLite result codes that mean the file itself is the problem, not the query.
_FILE_PROBLEMS = ("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_IOERR", "SQLITE_CANTOPEN")


@contextmanager
def reading(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn a damaged or vanishing file met while reading *path* into StoreError.

    ``open_read`` only checks the first page; corruption further in surfaces in
    whichever query first touches it.
    """
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if not getattr(exc, "sqlite_errorname", "").startswith(_FILE_PROBLEMS):
            raise  # a bug in a query keeps its traceback
        raise StoreError(
            f"cannot read {path} ({exc}): the file is damaged; restore it from a backup"
        ) from None
