"""The server's connections to the results file: one writer, many readers.

Every write goes through one thread holding one connection, so writes never
wait on each other's locks inside the server, each run is its own transaction,
and a run is stored whole or not at all. Other processes (``zebench record`` in
another terminal) still queue on SQLite's busy timeout as usual. Reads run in
the server's worker threads, each on a read-only connection of its own, in one
read transaction per answer.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from generator import store
from generator.queries import api
from generator.results import ingest
from generator.results.validate import normalise_batch, normalise_run

T = TypeVar("T")
WHERE = "request body"  # how validation messages name the record
CACHED_ANSWERS = 1000  # answers kept between two changes of the file


class Writer:
    """One thread, one connection: writes run one after another, in arrival order."""

    def __init__(self, db: str | os.PathLike[str]) -> None:
        self.db = db
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="zebench-writer")
        self._conn: sqlite3.Connection | None = None
        self._thread.submit(self._open).result()  # a file that cannot be written fails now

    def _open(self) -> None:
        with ingest.writing(self.db):
            self._conn = store.open_write(self.db)

    async def call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run *work(conn)* in the writer's thread; its answer or its exception."""
        return await asyncio.wrap_future(self._thread.submit(self._in_thread, work))

    def _in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        assert self._conn is not None
        return work(self._conn)

    def close(self) -> None:
        """Finish the writes already queued, then close the connection."""
        self._thread.submit(self._close).result()
        self._thread.shutdown(wait=True)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def record_run(conn: sqlite3.Connection, payload: object) -> tuple[str, ingest.RecordSummary]:
    """Validate one run payload and store it in a transaction of its own; its runId
    and what was done. ValidationError for a bad payload, ConflictError when its
    runId holds other content."""
    run = normalise_run(payload, WHERE)
    with ingest.writing(conn_path(conn)), store.transaction(conn):
        return run["runId"], ingest.write_runs(conn, [(WHERE, run)], "refuse")


def record_batch(conn: sqlite3.Connection, payload: object) -> tuple[str, ingest.BatchSummary]:
    """Validate one batch payload and insert or update it (incoming fields win); its
    batchId and what was done."""
    batch = normalise_batch(payload, WHERE)
    with ingest.writing(conn_path(conn)), store.transaction(conn):
        return batch["batchId"], ingest.write_batches(conn, [batch], overwrite=True)


def conn_path(conn: sqlite3.Connection) -> str:
    """The file a connection has open, for messages."""
    return store.file_of(conn) or "the results file"


class Readers:
    """A read-only connection per worker thread, kept while the file is in the current
    schema (an older file is read upgraded in memory, so it is opened afresh each time),
    and the answers given since the file last changed."""

    def __init__(self, db: str | os.PathLike[str]) -> None:
        self.db = db
        self._local = threading.local()  # connections close with their threads
        self._answers: dict[str, str] = {}
        self._version: tuple[int, ...] = ()
        self._lock = threading.Lock()
        self._writes = 0  # this server's own writes: file times are too coarse for them

    def changed(self) -> None:
        """This server wrote to the file: forget the answers."""
        with self._lock:
            self._writes += 1

    def answer_text(self, path: str) -> str:
        """``api.dumps`` of the answer for *path*; the same as last time while the file
        has not changed. The statistics over all runs take a scan of every run: at
        100,000 runs far longer than a page may wait, and asked for again and again."""
        version = self._file_version()
        cacheable = "days=" not in path  # a window ending now moves with the clock
        with self._lock:
            if version != self._version:
                self._answers.clear()
                self._version = version
            if cacheable and path in self._answers:
                return self._answers[path]
        text = api.dumps(self.answer(path))
        if cacheable:
            with self._lock:
                if version == self._version and len(self._answers) < CACHED_ANSWERS:
                    self._answers[path] = text
        return text

    def _file_version(self) -> tuple[int, ...]:
        """Changes whenever a commit or a checkpoint changes the file or its log."""
        version = [self._writes]
        for name in (str(self.db), f"{self.db}-wal"):
            try:
                info = os.stat(name)
            except OSError:
                version += [0, 0]
            else:
                version += [info.st_mtime_ns, info.st_size]
        return tuple(version)

    def answer(self, path: str) -> Any:
        """The read API's data for a GET *path*, from one consistent snapshot."""
        conn = getattr(self._local, "conn", None)
        kept = conn is not None
        if conn is None:
            conn = store.open_read(self.db)
            kept = store.on_disk(conn)
            if kept:
                self._local.conn = conn
        try:
            with store.reading(self.db):
                conn.execute("BEGIN")
                try:
                    return api.get(conn, path)
                finally:
                    conn.execute("COMMIT")
        finally:
            if not kept:
                conn.close()
