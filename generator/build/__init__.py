"""The whole build, top to bottom: one read snapshot in, one static site out.

    open the file read-only, in one read transaction (a consistent snapshot)
    → copy the snapshot into the site (downloads/<name>.db), in a thread (snapshot);
      a results file the site does not carry (sizes) is copied under .zebench/
      for the build's own readers and deleted before the swap
    → meanwhile: fingerprint every run and batch; compare with the last manifest
    → child processes, reading that copy (site_files): the dashboard, agents,
      costs, suites, scenarios and API statistics once it is written; once
      every run is fingerprinted, the runs listings and the evaluator pages;
      once every batch is, the batch listings
    → the pages and API files of new or changed runs and batches (run_files),
      in worker processes when there are many
    → meanwhile: the pages that need no figures of all runs
    → move the last build's files of unchanged runs and batches into the new tree
    → swap the finished tree in place of the old one, deleted in the background (swap)

Everything goes through ``Writer`` into a staging folder next to the output;
only a build that finished replaces the previous site, and only then are the
previous site's folders of run and batch files moved over (see incremental).
Output is deterministic: pages in a fixed order, fixed chart ids, and the only
clock read is ``SOURCE_DATE_EPOCH``; an incremental build writes the same tree
as a full one.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent import futures
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import plotly

from generator import store, times
from generator.build import changes, per_run, site_wide, sizes, swap
from generator.build.sizes import Options
from generator.build.writer import BuildError, Writer
from generator.errors import ParameterError
from generator.queries import budget, reports, runs
from generator.site import render
from generator.site.pages import NAV, Page, Site, markdown, overview
from generator.site.pages import batches as batch_pages
from generator.site.pages import runs as run_pages
from generator.store import snapshot

MARKER = ".zebench-site"  # marks a folder this build may replace
Log = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote."""

    out: Path
    pages: int
    run_pages: int
    files: int
    bytes: int  # written by this build; files kept from the last one not counted
    seconds: float
    kept: int = 0  # runs and batches whose files were kept from the last build
    site_bytes: int = 0  # the whole site on disk, kept files too (sizes.measure)
    site_files: int = 0


def build(
    db: str | os.PathLike[str],
    out: str | os.PathLike[str] = "site",
    base_url: str | None = None,
    pages_dir: str | os.PathLike[str] | None = None,
    log: Log = lambda message: None,
    options: Options | None = None,
) -> BuildResult:
    """Build the site for *db* into *out*; a failed build leaves *out* as it was."""
    started = time.perf_counter()
    out = Path(out)
    base_url = check_base_url(base_url)
    options = options or Options()
    download = sizes.choose_download(db, options.db_download, options.db_url, options.copy_limit)
    owner_pages = markdown.load(pages_dir)
    _check_out(out)
    last_site = out if (out / MARKER).is_file() else None  # made by a build: it kept things
    staging = swap.staging_folder(out)
    parts = _Parts()
    twin = snapshot.Twin(db)  # before the file is opened: see snapshot
    conn: sqlite3.Connection | None = None
    copying: snapshot.Copy | None = None
    renderer: per_run.RunRenderer | None = None
    try:
        conn = store.open_read(db)
        shutil.rmtree(staging, ignore_errors=True)
        writer = Writer(staging)
        with store.reading(db), snapshot.held(conn):
            site = _site(conn, base_url, owner_pages, options.text_budget(db))
            # Every part reads the snapshot's copy; when the site is not to carry it,
            # it is written beside the build's own files and deleted before the swap.
            if download.copied:
                target = writer.claim(download.site_path)
            else:
                target = staging / ".zebench" / "snapshot.db"
                target.parent.mkdir(parents=True, exist_ok=True)
            parts.start(target, staging, site, last_site)

            def copied(copy: Path) -> None:  # in the copy's thread, when there is one
                log(download.describe())
                parts.copied()

            copying = snapshot.Copy(conn, twin, target, copied)
            previous = changes.read_manifest(out) if last_site else {}
            plan = changes.plan(conn, detail_site(site), out, previous, parts.start_planned)
            log(
                f"{len(plan.runs_todo):,} of {len(plan.runs):,} runs and "
                f"{len(plan.batches_todo):,} of {len(plan.batches):,} batches to render"
            )
            copy = copying.wait()
            twin.close()  # its snapshot is in the copy
            writer.bytes += copy.stat().st_size if download.copied else 0
            job = per_run.Job(str(copy), str(staging), plan.site)
            renderer = per_run.RunRenderer(job, plan.runs_todo, plan.batches_todo)
            _reserve_units(writer, plan)
            pages = _write_site(conn, writer, site, owner_pages, download, log)
            written = renderer.wait()  # a few runs are rendered here, while the parts run
            log(f"{written.pages:,} run pages ({len(plan.runs) - written.pages:,} kept)")
            log(f"{written.batches:,} batch pages")
            writer.write(changes.MANIFEST, plan.manifest())
            pages += parts.wait(writer, log)
        if not download.copied:
            copy.unlink()  # every reader of the snapshot is done; it is not to be published
        writer.write(MARKER, b"zebench site: 'zebench build' replaces this folder\n")
        if plan.reuse:
            changes.reuse(out, staging, plan)
            log("kept the files of unchanged runs and batches")
        swap.replace(staging, out)
    except BaseException:
        if copying is not None:
            copying.close()  # its thread may still be writing into the staging folder
        parts.close()
        if renderer is not None:
            renderer.close()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        twin.close()
        if conn is not None:
            conn.close()
    site_size = sizes.report(out, download.bytes, download, options.strict_size, log)
    seconds = time.perf_counter() - started
    run_count = len(plan.runs)
    total_pages = pages + run_count + len(plan.batches)
    files, size = writer.files, writer.bytes + written.bytes
    return BuildResult(
        out, total_pages, run_count, files, size, seconds, plan.kept(),
        site_size.bytes, site_size.files,
    )  # fmt: skip


def detail_site(site: Site) -> Site:
    """The context of a run's or a batch's page: without the site-wide figures, so
    that the page depends on its own data only and survives other runs arriving."""
    return replace(site, data_as_of=None, built_at=None, run_count=None)


def _write_site(
    conn: sqlite3.Connection,
    writer: Writer,
    site: Site,
    owner_pages: list[markdown.MarkdownPage],
    download: sizes.Download,
    log: Log,
) -> int:
    """The pages and files that ``site_files`` leaves to the main process: those
    that need no figures of all runs; returns the pages written."""
    _copy_assets(writer)
    pages: list[Page] = [
        run_pages.index_page(conn),
        batch_pages.index_page(conn),
        batch_pages.compare_page(),
        overview.downloads(conn, download.name, download.bytes, _db_link(download)),
        *markdown.pages(owner_pages),
    ]
    count = _render_all(render.environment(), site, pages, writer)
    log(f"{count} pages and the static files")
    return count


class _Parts:
    """The parts of ``site_files``, each written by a child process of its own."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._running: list[tuple[str, Future[tuple[list[str], int, int]]]] = []
        self._job: tuple[str, str, Site, Path | None] | None = None
        self._copied: EventType | None = None
        self._abandoned: EventType | None = None

    def start(self, copy: Path, staging: Path, site: Site, last_site: Path | None) -> None:
        """Start the parts that need no plan, to read *copy* once ``copied`` is called
        and to write into *staging*; *last_site*: the site being replaced, whose build
        kept entries for this one."""
        # fork: children start at once with everything imported, and read only
        # their own connection to the copy, never the parent's. A pool that forks
        # starts all its processes at its first task, so they start before the
        # copy's thread does: no other thread of this process holds a lock then.
        context = multiprocessing.get_context("fork")
        self._job = (str(copy), str(staging), site, last_site)
        self._copied, self._abandoned = context.Event(), context.Event()
        workers = max(1, len(site_wide.PARTS))
        self._pool = ProcessPoolExecutor(
            workers, context, initializer=_when_copied, initargs=(self._copied, self._abandoned)
        )
        self._submit(site_wide.names(planned=None), {})

    def copied(self) -> None:
        """The copy is written: the parts may read it."""
        assert self._copied is not None
        self._copied.set()

    def start_planned(self, kind: str, fingerprints: dict[str, str]) -> None:
        """Start the parts that need the plan's fingerprints of *kind* ("runs", "batches")."""
        self._submit(site_wide.names(planned=kind), fingerprints)

    def _submit(self, names: Iterable[str], fingerprints: dict[str, str]) -> None:
        assert self._pool is not None and self._job is not None
        copy, staging, site, last_site = self._job
        for name in names:
            args = (name, copy, staging, site, fingerprints, last_site)
            try:
                self._running.append((name, self._pool.submit(_write_part, *args)))
            except BrokenProcessPool:  # a part started before has died already
                raise BuildError(self._died()) from None

    def wait(self, writer: Writer, log: Log) -> int:
        """Wait for every part; claim its files in *writer*; return its pages."""
        pages = 0
        for name, future in self._running:
            try:
                written, size, count = future.result()
            except BrokenProcessPool:
                raise BuildError(self._died()) from None
            for path in written:
                writer.reserve(path)
            writer.bytes += size
            pages += count
            log(name)
        self.close()
        return pages

    def _died(self) -> str:
        # A dead child breaks the whole pool: every part not finished fails alike,
        # as soon as the pool has noticed.
        futures.wait([future for _, future in self._running])
        unfinished = [
            name
            for name, future in self._running
            if isinstance(future.exception(), BrokenProcessPool)
        ]
        return (
            "a process of the build stopped before it finished (killed, or out of memory?) "
            f"while writing: {'; '.join(unfinished) or 'the pages about all runs'}"
        )

    def close(self) -> None:
        """Stop the children; after a failure elsewhere, parts not yet started are dropped."""
        if self._copied is not None and self._abandoned is not None:
            self._abandoned.set()  # after a failure: parts not yet begun return at once
            self._copied.set()  # and none waits for a copy forever
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._running = []


class _Part:
    """What ``_when_copied`` leaves for the parts of one process."""

    abandoned: EventType | None = None


def _when_copied(copied: EventType, abandoned: EventType) -> None:
    """In each part's process, before its first part: wait until the copy is written
    (or the build has failed: *abandoned*)."""
    _Part.abandoned = abandoned
    copied.wait()


def _write_part(
    name: str,
    copy: str,
    staging: str,
    site: Site,
    fingerprints: dict[str, str],
    last_site: Path | None,
) -> tuple[list[str], int, int]:
    """In a child: write one part of ``site_files``; its paths, bytes and page count."""
    if _Part.abandoned is not None and _Part.abandoned.is_set():
        return [], 0, 0  # the build has failed: nothing would use it
    conn = store.open_snapshot(copy)
    try:
        writer = Writer(Path(staging))
        inputs = site_wide.Inputs(fingerprints, last_site, writer.create, site.budget)
        items = site_wide.PARTS[name](conn, inputs)
        count = _render_all(render.environment(), site, items, writer)
        return writer.paths, writer.bytes + writer.created_bytes(), count
    finally:
        conn.close()


def _reserve_units(writer: Writer, plan: changes.Plan) -> None:
    """Claim the names of every run's and batch's files, written by workers or kept:
    no other file may take them."""
    files = len(changes.RUN_FILES) * len(plan.runs)
    files += len(changes.BATCH_FILES) * len(plan.batches)
    writer.reserve_names(plan.unit_names(), files=files)


def _render_all(
    env: jinja2.Environment, site: Site, items: Iterable[Page | tuple[str, bytes]], writer: Writer
) -> int:
    """Render every page (and write any ready-made file) among *items*; count the pages."""
    count = 0
    for item in items:
        if isinstance(item, Page):
            html = env.get_template(item.template).render(site=site, page=item, ctx=item.ctx)
            writer.write(item.path, html.encode("utf-8"))
            count += 1
        else:
            writer.write(*item)
    return count


def _db_link(download: sizes.Download) -> str | None:
    """The downloads page's link to the results file: in the site, elsewhere, or none."""
    return download.site_path if download.copied else download.url


def _site(
    conn: sqlite3.Connection,
    base_url: str | None,
    owner_pages: list[markdown.MarkdownPage],
    text_budget: budget.Budget,
) -> Site:
    return Site(
        nav=NAV + markdown.nav_items(owner_pages),
        base_url=base_url,
        data_as_of=reports.newest_start(conn),
        built_at=build_time(),
        run_count=runs.count_runs(conn),
        budget=text_budget,
    )


def build_time() -> str | None:
    """``SOURCE_DATE_EPOCH`` as ISO 8601, or None: a build never reads the clock."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return None
    try:
        return times.iso(datetime.fromtimestamp(int(value), tz=UTC))
    except (ValueError, OverflowError, OSError):
        raise ParameterError(
            f"SOURCE_DATE_EPOCH={value!r} is not a number of seconds since 1970"
        ) from None


def check_base_url(base_url: str | None) -> str | None:
    """An http(s) URL ending in "/", or None; anything else is a user error."""
    if not base_url:
        return None
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ParameterError(f"--base-url {base_url!r}: use an http:// or https:// URL")
    return base_url if base_url.endswith("/") else base_url + "/"


def _copy_assets(writer: Writer) -> None:
    static = render.templates_dir() / "static"
    for path in sorted(static.iterdir()):
        if path.is_file():
            writer.write(f"static/{path.name}", path.read_bytes())
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    writer.write("static/plotly.min.js", plotly_js.read_bytes())


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BuildError(f"--out {out} is a file; choose a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise BuildError(
            f"--out {out} is a folder that 'zebench build' did not make; "
            "choose an empty or new folder so nothing of yours is replaced"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create {out.parent} ({exc})") from None
