"""The build's other processes, behind one object: ``Workers``.

Two kinds of work go to them. The files of each new or changed run and batch
(``per_run``), a few hundred runs per task; and the parts of ``site_wide``, the
pages about all runs, a task each. The processes are forked at the first task;
each reads the build's snapshot on a connection of its own (``store.snapshot``),
never the parent's, and writes its files straight into the staging folder.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time
from collections.abc import Iterable
from concurrent import futures
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from generator import store
from generator.build import per_run, site_wide
from generator.build.writer import Writer
from generator.errors import BuildError, ZebenchError
from generator.queries import batches, comparison, runs
from generator.site import render
from generator.site.pages import Site
from generator.store import snapshot

START_TIMEOUT = 60  # seconds for a process to start and open the snapshot
RUNS_PER_TASK = 250  # small enough to spread the work, large enough to amortise it
BATCHES_PER_TASK = 100  # each has five files, and a run or more to list


@dataclass(frozen=True)
class Job:
    """What every process needs: where to read, where to write, how to render."""

    source: str  # the results file (shared) or the build's copy of its snapshot
    shared: bool  # source is the results file: read in a transaction begun at the start
    root: str  # the staging folder
    site: Site  # the context of pages about all runs
    detail_site: Site  # the context of a run's or a batch's page: no site-wide figures
    last_site: Path | None = None  # the site being replaced: what its build cached


@dataclass
class Written:
    """What some tasks wrote."""

    pages: int = 0  # pages about all runs
    run_pages: int = 0
    batch_pages: int = 0
    files: int = 0
    bytes: int = 0
    paths: list[str] = field(default_factory=list)  # of the pages about all runs

    def add(self, other: Written) -> None:
        """Add another task's counts to these."""
        self.pages += other.pages
        self.run_pages += other.run_pages
        self.batch_pages += other.batch_pages
        self.files += other.files
        self.bytes += other.bytes
        self.paths += other.paths


class Workers:
    """One pool of forked processes doing the build's heavy work while the main
    process plans and writes the rest; ``wait`` collects what they wrote."""

    def __init__(self, job: Job, processes: int | None = None) -> None:
        # fork: processes start with everything imported. A forking pool starts
        # all its processes at its first task, before any thread of this one.
        self._processes = processes or max(len(os.sched_getaffinity(0)), len(site_wide.PARTS))
        context = multiprocessing.get_context("fork")
        self._begun = context.Semaphore(0)
        self._failures = context.SimpleQueue()  # why a process could not start
        self._pool = ProcessPoolExecutor(
            self._processes,
            context,
            initializer=_start,
            initargs=(job, self._begun, self._failures),
        )
        self._tasks: list[tuple[str, Future[Written]]] = []

    def begun(self) -> None:
        """Wait until every process has begun reading the snapshot; fails at once
        when one could not (the build holds the results file's lock meanwhile)."""
        if not self._tasks:  # the pool starts every process at its first task
            self._submit("start", _nothing)
        deadline = time.monotonic() + START_TIMEOUT
        waiting = self._processes
        while waiting:
            if self._begun.acquire(timeout=0.05):
                waiting -= 1
            elif not self._failures.empty() or self._broken() or time.monotonic() > deadline:
                raise BuildError(self._died())

    def _broken(self) -> bool:
        """Whether a process has died, which fails every task not yet done."""
        return any(
            task.done() and isinstance(task.exception(), BrokenProcessPool)
            for _, task in self._tasks
        )

    def write_parts(self, names: Iterable[str], fingerprints: dict[str, str]) -> None:
        """Write the parts of ``site_wide`` called *names*, given *fingerprints*."""
        for name in names:
            self._submit(name, _write_part, name, fingerprints)

    def render_runs(self, run_ids: Iterable[str], per_task: int = RUNS_PER_TASK) -> None:
        """Write the files of these runs."""
        run_list = sorted(run_ids)
        for i in range(0, len(run_list), per_task):
            self._submit("run pages", _render_runs, run_list[i : i + per_task])

    def render_batches(self, batch_ids: Iterable[str], previous: dict[str, str]) -> None:
        """Write the files of these batches (*previous*: each batch's previous
        comparable batch, ``comparison.previous_batches``)."""
        batch_list = sorted(batch_ids)
        for i in range(0, len(batch_list), BATCHES_PER_TASK):
            chunk = batch_list[i : i + BATCHES_PER_TASK]
            theirs = {key: previous[key] for key in chunk if key in previous}
            self._submit("batch pages", _render_batches, chunk, theirs)

    def _submit(self, label: str, task: Any, *args: Any) -> None:
        try:
            self._tasks.append((label, self._pool.submit(task, *args)))
        except BrokenProcessPool:  # a process has died already
            raise BuildError(self._died()) from None

    def wait_for_run_pages(self) -> None:
        """Wait until every run page is written; other tasks may still be running."""
        self._results("run pages")

    def wait(self) -> Written:
        """Wait for every task; what they wrote, or the first failure."""
        total = Written()
        for written in self._results():
            total.add(written)
        return total

    def _results(self, label: str | None = None) -> list[Written]:
        """What the tasks (those called *label*, or all) wrote, once they are done."""
        try:
            return [task.result() for name, task in self._tasks if label in (None, name)]
        except BrokenProcessPool:
            raise BuildError(self._died()) from None

    def _died(self) -> str:
        if not self._failures.empty():  # a process could not start: say why
            return f"a process of the build could not start: {self._failures.get()}"
        # A dead process breaks the whole pool: every unfinished task fails alike.
        futures.wait([task for _, task in self._tasks])
        unfinished = dict.fromkeys(
            label for label, task in self._tasks if isinstance(task.exception(), BrokenProcessPool)
        )
        return (
            "a process of the build stopped before it finished (killed, or out of memory?) "
            f"while writing: {'; '.join(unfinished) or 'the site'}"
        )

    def close(self) -> None:
        """Stop the processes; tasks not yet begun are dropped."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Process:
    """What ``_start`` sets up once in each process."""

    job: Job
    conn: sqlite3.Connection
    env: jinja2.Environment


def _start(job: Job, begun: Any, failures: Any) -> None:
    try:
        per_run.forget_folders()  # a previous build of this process may have made them
        _Process.job = job
        if job.shared:
            _Process.conn = store.open_read(job.source)
            snapshot.begin(_Process.conn)  # the build holds the write lock meanwhile
        else:
            _Process.conn = store.open_snapshot(job.source)
        _Process.env = render.environment()
    except BaseException as exc:
        failures.put(str(exc) if isinstance(exc, ZebenchError) else repr(exc))
        raise  # the pool is broken, and the build says so
    begun.release()


def _nothing() -> Written:
    return Written()


def _render_runs(run_ids: list[str]) -> Written:
    written = Written()
    for detail in runs.iter_run_details(_Process.conn, run_ids):
        _write(per_run.run_files(_Process.env, _Process.job.detail_site, detail), written)
        written.run_pages += 1
    return written


def _render_batches(batch_ids: list[str], previous: dict[str, str]) -> Written:
    written = Written()
    compared = comparison.batch_comparisons(_Process.conn, batch_ids, previous)
    for batch, analytics in batches.iter_batch_details(_Process.conn, batch_ids=batch_ids):
        found = compared.get(batch["batchId"])
        files = per_run.batch_files(_Process.env, _Process.job.detail_site, batch, analytics, found)
        _write(files, written)
        written.batch_pages += 1
    return written


def _write(files: Iterable[per_run.File], written: Written) -> None:
    """Write *files* into the staging folder, counting them in *written*."""
    for relative, data in files:
        per_run.write(_Process.job.root, relative, data)
        written.files += 1
        written.bytes += len(data)


def _write_part(name: str, fingerprints: dict[str, str]) -> Written:
    """Write the part *name* of ``site_wide``."""
    job = _Process.job
    writer = Writer(Path(job.root))
    inputs = site_wide.Inputs(fingerprints, job.last_site, writer.create, job.site.budget)
    items = site_wide.PARTS[name](_Process.conn, inputs)
    pages = render.render_all(_Process.env, job.site, items, writer)
    return Written(
        pages=pages, files=0, bytes=writer.bytes + writer.created_bytes(), paths=writer.paths
    )
