"""The whole build, top to bottom: one read snapshot in, one static site out.

Everything is written into a staging folder beside the output; only a build that
finished takes the place of the previous site (``swap``), so a failed build leaves
it as it was. The files of runs and batches that did not change since the last
build are kept from it (``changes``); the run pages are indexed for the search box
(``search``) while the pages about all runs are written. Output is deterministic: pages in a fixed
order, fixed chart ids, and the only clock read is ``SOURCE_DATE_EPOCH``; an
incremental build writes the same tree as a full one.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import plotly

from generator import store, times
from generator.build import changes, site_wide, sizes, swap
from generator.build import search as site_search
from generator.build.sizes import Options
from generator.build.workers import Job, Workers
from generator.build.writer import Writer
from generator.errors import BuildError, ParameterError
from generator.queries import budget, reports, runs
from generator.site import render
from generator.site.pages import NAV, Page, Site, markdown, methods, overview
from generator.site.pages import batches as batch_pages
from generator.site.pages import runs as run_pages
from generator.store import snapshot

MARKER = ".zebench-site"  # marks a folder this build may replace
SNAPSHOT_COPY = ".zebench/snapshot.db"  # for the other processes, when they need one
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
    out, base_url, owner_pages = Path(out), check_base_url(base_url), markdown.load(pages_dir)
    options = options or Options()
    download = sizes.choose_download(db, options.db_download, options.db_url, options.copy_limit)
    last_site = _last_site(out)
    if options.search:
        site_search.check()
    with (
        store.reading(db),
        swap.staging(out) as writer,
        # Held until the processes are done: it keeps their snapshot (store.snapshot).
        snapshot.taken(Path(db), _snapshot_copy(writer, download), download.copied) as taken,
        site_search.Index(writer.root) as index,
    ):
        conn = taken.conn
        site = _site(conn, base_url, owner_pages, options.text_budget(db))
        log(download.describe())
        source, root = str(taken.path), str(writer.root)
        job = Job(source, taken.shared, root, site, detail_site(site), last_site)
        with Workers(job) as workers:
            workers.write_parts(site_wide.names(planned=None), {})
            workers.begun()  # every process reads the snapshot now
            taken.release()  # writers may commit again (store.snapshot)
            manifest = changes.read_manifest(out) if last_site else {}
            plan = changes.plan(conn, job.detail_site, out, manifest)
            log(
                f"{len(plan.runs_todo):,} of {len(plan.runs):,} runs and "
                f"{len(plan.batches_todo):,} of {len(plan.batches):,} batches to render"
            )
            workers.write_parts(site_wide.names(planned="runs"), plan.runs)
            workers.render_runs(plan.runs_todo)  # before the rest: the search index waits
            workers.write_parts(site_wide.names(planned="batches"), plan.batches)
            workers.render_batches(plan.batches_todo, plan.previous_batches)
            writer.write(changes.MANIFEST, plan.manifest())
            pages = _write_pages(conn, writer, site, owner_pages, download)
            if options.search:  # in the background, once the run pages are written
                workers.wait_for_run_pages()
                index.start(plan.runs, plan.runs_todo, out if plan.reuse else None)
            known_sizes = sizes.read_record(last_site)  # while the processes work
            written = workers.wait()
        for path in written.paths:
            writer.reserve(path)  # files about all runs, from several processes
        log(f"{written.run_pages:,} run pages ({len(plan.runs) - written.run_pages:,} kept)")
        if not download.copied:  # every reader of the snapshot is done
            (writer.root / SNAPSHOT_COPY).unlink(missing_ok=True)  # not to be published
        writer.write(MARKER, b"zebench site: 'zebench build' replaces this folder\n")
        with changes.reused(out, writer.root, plan):  # moved back should a step fail
            shards = index.finish(writer, log) if options.search else set()
            shared = [*writer.paths, *written.paths]  # the files about all runs
            site_size, record = sizes.measure(writer.root, known_sizes, plan, shared, shards)
            writer.write(sizes.RECORD, record)
            replaced = swap.replace(writer.root, out)
    swap.clear(out, replaced)  # after the block: the new site is in place
    sizes.report(out, site_size, download.bytes, download, options.strict_size, log)
    files = writer.files + len(changes.RUN_FILES) * len(plan.runs)
    files += len(changes.BATCH_FILES) * len(plan.batches)
    pages += written.pages + len(plan.runs) + len(plan.batches)
    size = writer.bytes + written.bytes
    seconds = time.perf_counter() - started
    return BuildResult(
        out, pages, len(plan.runs), files, size, seconds, plan.kept(),
        site_size.bytes, site_size.files,
    )  # fmt: skip


def detail_site(site: Site) -> Site:
    """The context of a run's or a batch's page: without the site-wide figures, so
    that the page depends on its own data only and survives other runs arriving."""
    return replace(site, data_as_of=None, built_at=None, run_count=None)


def _write_pages(
    conn: sqlite3.Connection,
    writer: Writer,
    site: Site,
    owner_pages: list[markdown.MarkdownPage],
    download: sizes.Download,
) -> int:
    """The pages and files that need no figures of all runs, written by the main
    process while the workers write the rest; returns the pages written."""
    _copy_assets(writer)
    pages: list[Page] = [
        run_pages.index_page(conn),
        batch_pages.index_page(conn),
        batch_pages.compare_page(),
        methods.page(),
        overview.downloads(conn, download.name, download.bytes, _db_link(download)),
        *markdown.pages(owner_pages),
    ]
    return render.render_all(render.environment(), site, pages, writer)


def _snapshot_copy(writer: Writer, download: sizes.Download) -> Path:
    """Where a copy of the snapshot goes: into the site when it carries the results
    file, else beside the build's own files (if one is needed), deleted before the swap."""
    return writer.claim(download.site_path) if download.copied else writer.root / SNAPSHOT_COPY


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


def _last_site(out: Path) -> Path | None:
    """*out* when a build made it (its files may be kept), else None; refuses an
    *out* that is not the build's to replace."""
    _check_out(out)
    return out if (out / MARKER).is_file() else None


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
