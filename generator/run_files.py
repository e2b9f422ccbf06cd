"""Every run's and batch's own files — page, static API answers — rendered by workers.

Run and batch pages are most of a large site and each depends on one run or
batch only, so they are rendered in worker processes (one per CPU) while the
main process builds the pages that summarise all runs. Workers are handed run
ids a few hundred at a time and read them in their own read transaction. A
writer may have replaced some since the build's snapshot was taken: a worker
leaves those whose fingerprint changed to the main process, which renders them
from its snapshot. Batches come already read, from the main process's snapshot:
it reads them all in a few scans of the runs it reads anyway.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sqlite3
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from generator import api_static, incremental, render, store
from generator.pages import Page, Site
from generator.pages import batches as batch_pages
from generator.pages import runs as run_pages
from generator.queries import runs

CHUNK = 250  # runs per task: small enough to spread the work, large enough to amortise it
BATCH_CHUNK = 100  # batches per task: each has five files, and a run or more to list
File = tuple[str, bytes]
Batch = tuple[dict, dict]  # (batch, analytics) as batches.iter_batch_details gives them


def files(pages: render.PageRenderer, detail: dict) -> Iterator[File]:
    """(path, content) of one run's files, from ``runs.get_run`` for it."""
    page = run_pages.run_page(detail)
    yield page.path, pages.render(page).encode("utf-8")
    yield from api_static.encoded(api_static.run_entries(detail))


def batch_files(pages: render.PageRenderer, batch: dict, analytics: dict) -> Iterator[File]:
    """(path, content) of one batch's files: page, CSV, comparison data, API answers."""
    for item in batch_pages.batch_files(batch, analytics):
        if isinstance(item, Page):
            yield item.path, pages.render(item).encode("utf-8")
        else:
            yield item
    yield from api_static.encoded(api_static.batch_entries(batch, analytics))


@dataclass(frozen=True)
class Job:
    """What every worker needs: where to read, where to write, how to render."""

    db: str
    root: str
    site: Site
    context: str


@dataclass
class Written:
    """Counts of what a share of runs produced."""

    pages: int = 0  # of runs
    batches: int = 0
    files: int = 0
    bytes: int = 0
    stale: list[str] = field(default_factory=list)  # runs replaced since the snapshot

    def add(self, other: Written) -> None:
        """Add another share's counts to these."""
        self.pages += other.pages
        self.batches += other.batches
        self.files += other.files
        self.bytes += other.bytes
        self.stale += other.stale


class _Worker:
    """Per-process state, set up once by ``_start``."""

    job: Job
    pages: render.PageRenderer
    conn: sqlite3.Connection


_made: set[str] = set()  # folders this process has created


def _start(job: Job) -> None:
    _made.clear()  # a previous build of this process may have made (and removed) them
    _Worker.job = job
    _Worker.pages = render.PageRenderer(render.environment(), job.site)
    _Worker.conn = store.open_read(job.db)


def render_share(share: list[tuple[str, str]]) -> Written:
    """Render and write the files of *share*, a list of (runId, fingerprint), except
    runs whose rows changed since the fingerprint was taken (listed as stale)."""
    job, conn = _Worker.job, _Worker.conn
    expected = dict(share)
    conn.execute("BEGIN")
    try:
        now = incremental.run_fingerprints(conn, job.context, list(expected))
        same = [run_id for run_id, value in share if now.get(run_id) == value]
        written = write_details(job, _Worker.pages, runs.iter_run_details(conn, same))
    finally:
        conn.rollback()
    written.stale = [run_id for run_id, value in share if now.get(run_id) != value]
    return written


def write_details(job: Job, pages: render.PageRenderer, details: Iterable[dict]) -> Written:
    """Write the files of runs given as ``runs.get_run`` results."""
    written = Written()
    for detail in details:
        _write_all(job, files(pages, detail), written)
        written.pages += 1
    return written


def render_batches(share: bytes) -> Written:
    """Render and write the files of *share*, a pickled list of ``Batch``."""
    return write_batches(_Worker.job, _Worker.pages, pickle.loads(share))


def write_batches(job: Job, pages: render.PageRenderer, details: Iterable[Batch]) -> Written:
    """Write the files of batches given as ``batches.iter_batch_details`` results."""
    written = Written()
    for batch, analytics in details:
        _write_all(job, batch_files(pages, batch, analytics), written)
        written.batches += 1
    return written


def _write_all(job: Job, items: Iterable[File], written: Written) -> None:
    for relative, data in items:
        _write(job.root, relative, data)
        written.files += 1
        written.bytes += len(data)


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def _write(root: str, relative: str, data: bytes) -> None:
    # The main process has claimed and checked every path; only folders are needed here.
    # Plain strings and os calls: a large site has half a million of these files, and
    # pathlib and a buffered file object cost half as much again as the write itself.
    path = f"{root}/{relative}"
    folder = path.rpartition("/")[0]
    if folder not in _made:
        os.makedirs(folder, exist_ok=True)
        _made.add(folder)
    fd = os.open(path, _CREATE, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


class RunRenderer:
    """Renders the files of chosen runs, and of the batches added, in worker
    processes; ``wait`` collects the counts."""

    def __init__(
        self, job: Job, fingerprints: dict[str, str], workers: int | None = None, chunk: int = CHUNK
    ) -> None:
        self._job = job
        _made.clear()
        ordered = sorted(fingerprints.items())
        shares = [ordered[i : i + chunk] for i in range(0, len(ordered), chunk)]
        self._inline: list[list[tuple[str, str]]] = []
        self._batches: list[Batch] = []  # not yet handed to a worker
        self._futures: list[Future[Written]] = []
        self._pool: ProcessPoolExecutor | None = None
        workers = workers or len(os.sched_getaffinity(0))
        if len(shares) < 2 or workers < 2:
            self._inline = shares  # too little to share out: rendered here, in wait()
            return
        # fork: workers start at once with everything imported; they never touch
        # the parent's SQLite connection, only their own.
        context = multiprocessing.get_context("fork")
        self._pool = ProcessPoolExecutor(workers, context, initializer=_start, initargs=(job,))
        self._futures = [self._pool.submit(render_share, share) for share in shares]

    def add_batch(self, batch: dict, analytics: dict) -> None:
        """Render this batch's files too: in a worker, or here in ``wait`` without workers."""
        self._batches.append((batch, analytics))
        if self._pool is not None and len(self._batches) == BATCH_CHUNK:
            self._submit_batches()

    def _submit_batches(self) -> None:
        assert self._pool is not None
        # Pickled now: the pool keeps a task's arguments until the task is done,
        # and the bytes take a fraction of the memory of the dicts.
        share = pickle.dumps(self._batches, pickle.HIGHEST_PROTOCOL)
        self._futures.append(self._pool.submit(render_batches, share))
        self._batches = []

    def wait(self, conn: sqlite3.Connection) -> Written:
        """Block until every run and batch is written; raise the first failure. Runs
        replaced since the snapshot are rendered here, from the snapshot held by *conn*."""
        total = Written()
        try:
            if self._pool is not None and self._batches:
                self._submit_batches()
            if self._inline:
                _start(self._job)
            for share in self._inline:
                total.add(render_share(share))
            for future in self._futures:
                total.add(future.result())
        finally:
            self.close()
        pages = render.PageRenderer(render.environment(), self._job.site)
        total.add(write_batches(self._job, pages, self._batches))  # without workers
        self._batches = []
        if total.stale:
            details = runs.iter_run_details(conn, total.stale)
            total.add(write_details(self._job, pages, details))
        return total

    def close(self) -> None:
        """Stop the workers, dropping work not yet started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._inline and hasattr(_Worker, "conn"):
            _Worker.conn.close()
            self._inline = []
