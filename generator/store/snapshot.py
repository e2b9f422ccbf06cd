"""The build's snapshot of the results file, shared with the build's other processes.

A build reads the results file in one read transaction, so every query sees the
file as it was when the build began, whatever writers do meanwhile. Its other
processes see the same file as it was, in one of two ways:

- they read the results file itself, each in a read transaction begun while the
  build holds the file's write lock: no writer can commit between the build's
  snapshot and theirs, and once every process has begun, ``Snapshot.release``
  lets writers on (a fraction of a second). That is in WAL mode, which zebench
  sets on every file it writes; in a file in rollback-journal mode (from another
  tool) any reader keeps writers waiting, so they wait for the build's end.
  What keeps their snapshot whole afterwards is the build's own read
  transaction, not theirs: the processes are forked from the build, and SQLite
  counts the locks of a forked process as its parent's, so their read locks do
  not hold back a checkpoint or a writer. The build's transaction (``taken``)
  must therefore last until every other process is done, as it does in
  ``build.build``;
- or they read a copy of the snapshot, written with SQLite's backup API (never a
  torn copy): when the site offers the file anyway (``downloads/<name>.db``), or
  the build cannot take the lock (a file it may not write, a writer's long
  transaction) or its snapshot is an older schema upgraded in memory.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from generator import store
from generator.errors import BuildError

LOCK_WAIT = 2.0  # seconds to wait for a writer's transaction to end, else copy


@dataclass
class Snapshot:
    """The build's read transaction (``conn``) and the file its other processes read
    (``path``): the results file itself (``shared``), or a copy of the snapshot."""

    conn: sqlite3.Connection
    path: Path
    shared: bool
    _lock: _WriteLock

    def release(self) -> None:
        """Let writers commit again: call once every other process has begun its read
        transaction (``begin``). Fails when the results file was replaced meanwhile
        (``zebench compact`` swaps in a new file): they may have opened the new one."""
        self._lock.close()
        if self.shared and _identity(self._lock.db) != self._lock.identity:
            raise BuildError(
                f"{self._lock.db} was replaced as the build began (by 'zebench compact'?): "
                "build again"
            )


@contextmanager
def taken(db: Path, copy: Path, copied: bool) -> Iterator[Snapshot]:
    """The build's snapshot of *db*. A copy of it goes to *copy* when *copied* (the
    site offers the file), or when the other processes cannot share *db* itself."""
    with _WriteLock(db, wanted=not copied) as lock, closing(store.open_read(db)) as conn:
        begin(conn)  # after the lock: the newest data, and no commit can follow it
        try:
            shared = lock.held and store.on_disk(conn)
            if not shared:
                lock.close()
                write(conn, copy)
            yield Snapshot(conn, db if shared else copy, shared, lock)
        finally:
            conn.rollback()


def begin(conn: sqlite3.Connection) -> None:
    """Begin a read transaction that holds until the connection rolls back: every
    query sees the file as it is now."""
    conn.execute("BEGIN")
    conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # BEGIN is lazy; read now


def write(source: sqlite3.Connection, target: Path) -> None:
    """The snapshot *source* reads, via SQLite's backup (never a torn copy), as a new
    file at *target*."""
    target.parent.mkdir(parents=True, exist_ok=True)
    copy = sqlite3.connect(target)
    try:
        # A new file in a staging folder: no journal and no fsync needed (a third
        # of the time of copying 100,000 runs); the bytes are the same.
        copy.execute("PRAGMA journal_mode = OFF")
        copy.execute("PRAGMA synchronous = OFF")
        source.backup(copy)
    finally:
        copy.close()


class _WriteLock:
    """*db*'s write lock, when *wanted* and to be had within ``LOCK_WAIT``; kept
    until ``close``. The file's identity is taken before the lock, so that a
    file swapped in meanwhile is noticed."""

    def __init__(self, db: Path, wanted: bool) -> None:
        self.db, self.identity = db, _identity(db)
        self._conn = _locked(db) if wanted else None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()  # rolls back: the lock is gone
            self._conn = None

    def __enter__(self) -> _WriteLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _locked(db: Path) -> sqlite3.Connection | None:
    """A connection holding *db*'s write lock, or None: a file this process may not
    write, or a writer's transaction that held it for ``LOCK_WAIT``."""
    try:
        conn = sqlite3.connect(
            store.read_write_uri(db), uri=True, isolation_level=None, timeout=LOCK_WAIT
        )
    except sqlite3.Error:
        return None
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error:
        conn.close()
        return None
    return conn


def _identity(db: Path) -> tuple[int, int]:
    try:
        status = os.stat(db)
    except OSError:
        return 0, 0  # opening it says what is wrong
    return status.st_dev, status.st_ino
