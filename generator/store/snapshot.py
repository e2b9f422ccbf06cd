"""The build's snapshot of the results file, and its copy in the site.

A build reads the results file in one read transaction, so every query sees the
file as it was when the build began. Its child processes read the build's copy
of that snapshot (``downloads/<name>.db``, which the site also offers), written
with SQLite's backup API: about half a second at 100,000 runs, and the parts
that read the copy cannot start before it is written.

The main process's next step, fingerprinting every run, needs only the snapshot.
So a second connection that reads the same snapshot writes the copy in a thread
(SQLite lets go of Python's lock while it copies) while the first one
fingerprints, and the parts, started already, read it as soon as it is written.

Two read transactions of one file see the same data when no other connection
committed between their starts. ``PRAGMA data_version``, read by the second
connection before the build even opens the file and again inside its own
transaction, tells whether one did. When one did, when the path now names
another file (replaced by a rename), when the second connection would have to
wait for a lock, or when the file is in an older schema (the build reads it
upgraded in memory, and no second connection is opened), the copy is written
from the first connection, before anything else.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from generator import store


@contextmanager
def held(conn: sqlite3.Connection) -> Iterator[None]:
    """Hold one read transaction, so every query sees the file as it was at the start."""
    _begin(conn)
    try:
        yield
    finally:
        conn.rollback()


def _begin(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN")
    conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # BEGIN is lazy; read now


class Twin:
    """A second reader of the results file: opened, and its data version read, before
    the build opens the file and begins its snapshot."""

    def __init__(self, db: str | os.PathLike[str]) -> None:
        self._path = Path(db)
        self._file = _identity(self._path)
        self._version: int | None = None
        self.conn = store.open_twin(db) if self._file is not None else None
        if self.conn is not None:
            try:
                self._version = _data_version(self.conn)
            except sqlite3.Error:
                self.close()

    def same_snapshot(self, conn: sqlite3.Connection) -> bool:
        """Begin reading; whether this sees what *conn*, whose snapshot began since
        this was opened, sees: the same file, and nothing committed in between."""
        if self.conn is None or _identity(self._path) != self._file:
            return False
        try:
            _begin(self.conn)
            return _data_version(self.conn) == self._version
        except sqlite3.Error:  # locked by a writer committing: not the same, surely
            return False

    def close(self) -> None:
        """Close the connection, ending its read transaction."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _data_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA data_version").fetchone()[0]


def _identity(path: Path) -> tuple[int, int] | None:
    """The file at *path* (device, inode): replaced by a rename, it is another one."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


class Copy:
    """The snapshot written to *target*, then ``then(target)``: in a thread when *twin*
    sees the build's snapshot too, else at once from *conn*. No process may be
    forked while the thread runs."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        twin: Twin,
        target: Path,
        then: Callable[[Path], None],
    ) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._future: Future[Path] = Future()
        self.background = twin.same_snapshot(conn)  # written by a thread of its own
        if self.background:
            assert twin.conn is not None
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="zebench-copy")
            self._future = self._pool.submit(_write_then, twin.conn, target, then)
        else:
            self._future.set_result(_write_then(conn, target, then))

    def wait(self) -> Path:
        """The copy's path, once it is written and *then* has returned (and the thread
        has ended); their error, if any."""
        try:
            return self._future.result()
        finally:
            self.close()

    def close(self) -> None:
        """Wait for the thread, if any (its error is ``wait``'s to raise)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _write_then(source: sqlite3.Connection, target: Path, then: Callable[[Path], None]) -> Path:
    write(source, target)
    then(target)
    return target


def write(source: sqlite3.Connection, target: Path) -> None:
    """The snapshot *source* reads, via SQLite's backup (never a torn copy), as a new
    file at *target*."""
    copy = sqlite3.connect(target)
    try:
        # A new file in a staging folder: no journal and no fsync needed (a third
        # of the time of copying 100,000 runs); the bytes are the same.
        copy.execute("PRAGMA journal_mode = OFF")
        copy.execute("PRAGMA synchronous = OFF")
        source.backup(copy)
    finally:
        copy.close()
