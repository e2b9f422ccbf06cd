"""Every run's and batch's own files — page, static API answers — rendered by workers.

Run and batch pages are most of a large site and each depends on one run or
batch only, so they are rendered in worker processes (one per CPU) while other
processes build the pages that summarise all runs (``site_files``). Workers are
handed run ids a few hundred at a time, and batch ids a hundred at a time, and
read them from the build's copy of the results file: the snapshot every part
of the build reads, which no writer can change.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from generator import store
from generator.build.writer import BuildError
from generator.queries import batches, budget, runs
from generator.site import api_files, render
from generator.site.pages import Page, Site
from generator.site.pages import batches as batch_pages
from generator.site.pages import runs as run_pages

CHUNK = 250  # runs per task: small enough to spread the work, large enough to amortise it
BATCH_CHUNK = 100  # batches per task: each has five files, and a run or more to list
File = tuple[str, bytes]
Batch = tuple[dict, dict]  # (batch, analytics) as batches.iter_batch_details gives them


def files(pages: render.PageRenderer, detail: dict) -> Iterator[File]:
    """(path, content) of one run's files, from ``runs.get_run`` for it."""
    # One cut of the long texts, shared by the page and the API files; the page's
    # patch sizes are those of the whole patches.
    shown = budget.cut(detail, pages.site.budget)
    page = run_pages.run_page(shown, budget.patch_sizes(detail))
    yield page.path, pages.render(page).encode("utf-8")
    yield from api_files.encoded(api_files.run_entries(shown))


def batch_files(pages: render.PageRenderer, batch: dict, analytics: dict) -> Iterator[File]:
    """(path, content) of one batch's files: page, CSV, comparison data, API answers."""
    batch, analytics = (
        budget.cut(batch, pages.site.budget),
        budget.cut(analytics, pages.site.budget),
    )
    for item in batch_pages.batch_files(batch, analytics):
        if isinstance(item, Page):
            yield item.path, pages.render(item).encode("utf-8")
        else:
            yield item
    yield from api_files.encoded(api_files.batch_entries(batch, analytics))


@dataclass(frozen=True)
class Job:
    """What every worker needs: where to read, where to write, how to render."""

    db: str  # the build's copy of the results file, opened with store.open_snapshot
    root: str
    site: Site


@dataclass
class Written:
    """Counts of what a share of runs or batches produced."""

    pages: int = 0  # of runs
    batches: int = 0
    files: int = 0
    bytes: int = 0

    def add(self, other: Written) -> None:
        """Add another share's counts to these."""
        self.pages += other.pages
        self.batches += other.batches
        self.files += other.files
        self.bytes += other.bytes


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
    _Worker.conn = store.open_snapshot(job.db)


def render_share(run_ids: list[str]) -> Written:
    """Render and write the files of the runs *run_ids*."""
    details = runs.iter_run_details(_Worker.conn, run_ids)
    return write_details(_Worker.job, _Worker.pages, details)


def render_batches(batch_ids: list[str]) -> Written:
    """Render and write the files of the batches *batch_ids*."""
    details = batches.iter_batch_details(_Worker.conn, batch_ids=batch_ids)
    return write_batches(_Worker.job, _Worker.pages, details)


def write_details(job: Job, pages: render.PageRenderer, details: Iterable[dict]) -> Written:
    """Write the files of runs given as ``runs.get_run`` results."""
    written = Written()
    for detail in details:
        _write_all(job, files(pages, detail), written)
        written.pages += 1
    return written


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


def _died() -> BuildError:
    return BuildError(
        "a process rendering run and batch pages stopped before it finished "
        "(killed, out of memory, or failed to start: see the messages above)"
    )


class RunRenderer:
    """Renders the files of chosen runs and batches in worker processes; ``wait``
    collects the counts."""

    def __init__(
        self,
        job: Job,
        run_ids: Iterable[str],
        batch_ids: Iterable[str] = (),
        workers: int | None = None,
        chunk: int = CHUNK,
    ) -> None:
        self._job = job
        _made.clear()
        run_list, batch_list = sorted(run_ids), sorted(batch_ids)
        self._tasks: list[tuple[Callable[[list[str]], Written], list[str]]] = [
            *((render_share, run_list[i : i + chunk]) for i in range(0, len(run_list), chunk)),
            *(
                (render_batches, batch_list[i : i + BATCH_CHUNK])
                for i in range(0, len(batch_list), BATCH_CHUNK)
            ),
        ]
        self._futures: list[Future[Written]] = []
        self._pool: ProcessPoolExecutor | None = None
        workers = workers or len(os.sched_getaffinity(0))
        if len(self._tasks) <= 2 or workers < 2:
            return  # two shares at most: quicker here, in wait(), than in new processes
        # fork: workers start at once with everything imported; they never touch
        # the parent's SQLite connection, only their own.
        context = multiprocessing.get_context("fork")
        self._pool = ProcessPoolExecutor(workers, context, initializer=_start, initargs=(job,))
        try:
            self._futures = [self._pool.submit(task, ids) for task, ids in self._tasks]
        except BrokenProcessPool:  # a worker has died already, or could not start
            self.close()
            raise _died() from None
        self._tasks = []

    def wait(self) -> Written:
        """Block until every run and batch is written; raise the first failure."""
        total = Written()
        try:
            if self._tasks:
                _start(self._job)
            for task, ids in self._tasks:
                total.add(task(ids))
            for future in self._futures:
                total.add(future.result())
        except BrokenProcessPool:
            raise _died() from None
        finally:
            self.close()
        return total

    def close(self) -> None:
        """Stop the workers, dropping work not yet started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._tasks and hasattr(_Worker, "conn"):
            _Worker.conn.close()
        self._tasks = []
