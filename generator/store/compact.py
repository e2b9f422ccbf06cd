"""Compact the results file: rewrite it without the free pages rows left behind.

SQLite reuses the pages of deleted rows but never gives them back, so a file
that ``zebench prune`` has emptied stays as large as before until it is
rewritten. ``compact`` does that in a way a kill at any moment survives:

    take the file alone (an exclusive lock: no other reader or writer may hold it)
    → fold the write-ahead log into the file (leaving WAL for a rollback journal,
      so that closing this connection later deletes no ``-wal`` file by name)
    → ``VACUUM INTO`` a new file beside it, put back in WAL mode and synced to disk
    → ``os.replace`` it over the original, and sync the folder

Until the rename the original is whole and the new file only a stray
``.<name>.compact`` beside it (removed by the next compact); after it, the new
file is. Either way the path holds every row.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from generator import store
from generator.errors import StoreError

WAIT_SECONDS = 2.0  # how long to wait for another process to let go of the file


@dataclass(frozen=True)
class Compacted:
    """The size of the file (with its write-ahead log) before and after."""

    path: Path
    before: int
    after: int

    def __str__(self) -> str:
        saved = self.before - self.after
        return f"compacted {self.path}: {_mb(self.before)} → {_mb(self.after)} ({_mb(saved)} freed)"


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def temporary_path(path: Path) -> Path:
    """Where the compacted copy is written before it replaces *path*."""
    return path.with_name(f".{path.name}.compact")


def compact(path: str | os.PathLike[str], wait: float = WAIT_SECONDS) -> Compacted:
    """Rewrite the results file at *path* compactly (see module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"no database at {path}")
    before = _size(path)
    conn = _alone(path, wait)
    temporary = temporary_path(path)
    swapped = was_wal = False
    try:
        was_wal = _journal_mode(conn) == "wal"
        conn.execute("PRAGMA journal_mode = DELETE")  # checkpoints and removes the -wal
        _remove(temporary)  # left by a compact that was killed
        conn.execute("VACUUM INTO ?", (str(temporary),))
        _finish_copy(temporary, was_wal)
        os.replace(temporary, path)
        swapped = True
        _sync_folder(path.parent)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot compact {path} ({exc}); the file is as it was") from None
    finally:
        if not swapped:
            _remove(temporary)
            if was_wal:
                _restore_wal(conn)
        conn.close()
    return Compacted(path, before, _size(path))


def _alone(path: Path, wait: float) -> sqlite3.Connection:
    """A connection holding *path* exclusively: no other connection may read or write."""
    try:
        uri = store.read_write_uri(path)
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=wait)
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")  # the lock is kept after COMMIT
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreError(
                f"{path} is in use by another process (a writer, a build or a server "
                "reading it); compact needs it alone: stop them and try again"
            ) from None
        raise StoreError(f"cannot open {path} for writing ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a readable SQLite database ({exc})") from None
    return conn


def _remove(copy: Path) -> None:
    """Delete *copy* and any journal of it: a stale journal must never meet a new copy."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        copy.with_name(copy.name + suffix).unlink(missing_ok=True)


def _journal_mode(conn: sqlite3.Connection) -> str:
    return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()


def _finish_copy(copy: Path, wal: bool) -> None:
    """Give the copy the original's journal mode, then sync it to disk."""
    if wal:
        conn = sqlite3.connect(copy, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()  # the last connection: removes its -wal and -shm
    with open(copy, "rb") as file:
        os.fsync(file.fileno())


def _restore_wal(conn: sqlite3.Connection) -> None:
    """After a failure, leave the original in WAL mode again (best effort)."""
    # Else the next writer switches it back: store.open_write asks for WAL.
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA journal_mode = WAL")


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
