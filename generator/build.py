"""The whole build, top to bottom: one read snapshot in, one static site out.

    open the file read-only, in one read transaction (a consistent snapshot)
    → site-wide pages, lists, catalog pages, batch pages, run pages
    → data files for the client-side tables, the static JSON API, the .db itself
    → swap the finished tree in place of the old one

Everything goes through ``Writer.write`` into a staging folder next to the
output; only a build that finished replaces the previous site. Output is
deterministic: pages in a fixed order, fixed chart ids, and the only clock
read is ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import plotly

from generator import api_static, paths, render, store, times
from generator.errors import ParameterError, ZebenchError
from generator.pages import NAV, Page, Site, catalog, markdown, overview
from generator.pages import batches as batch_pages
from generator.pages import runs as run_pages
from generator.queries import reports, runs

MARKER = ".zebench-site"  # marks a folder this build may replace
Log = Callable[[str], None]


class BuildError(ZebenchError):
    """The output folder cannot be written or replaced."""


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote."""

    out: Path
    pages: int
    run_pages: int
    files: int
    bytes: int
    seconds: float


def build(
    db: str | os.PathLike[str],
    out: str | os.PathLike[str] = "site",
    base_url: str | None = None,
    pages_dir: str | os.PathLike[str] | None = None,
    log: Log = lambda message: None,
) -> BuildResult:
    """Build the site for *db* into *out*; a failed build leaves *out* as it was."""
    started = time.perf_counter()
    out = Path(out)
    base_url = check_base_url(base_url)
    owner_pages = markdown.load(pages_dir)
    _check_out(out)
    conn = store.open_read(db)
    staging = out.parent / f".{out.name}.building-{os.getpid()}"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        writer = Writer(staging)
        with store.reading(db), snapshot(conn):
            site = _site(conn, base_url, owner_pages)
            counts = _write_site(conn, writer, site, owner_pages, Path(db).name, log)
        writer.write(MARKER, b"zebench site: 'zebench build' replaces this folder\n")
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    return BuildResult(out, counts[0], counts[1], writer.files, writer.bytes, seconds)


def _write_site(
    conn: sqlite3.Connection,
    writer: Writer,
    site: Site,
    owner_pages: list[markdown.MarkdownPage],
    db_name: str,
    log: Log,
) -> tuple[int, int]:
    env = render.environment()
    _copy_assets(writer)
    by_pair = reports.breakdown(conn, ("agent", "model"))
    db_file = paths.segment(db_name)
    pages: list[Page] = [
        overview.dashboard(conn, by_pair),
        run_pages.index_page(conn),
        batch_pages.index_page(conn),
        batch_pages.compare_page(),
        catalog.agents(conn, by_pair),
        *catalog.suite_pages(conn),
        *catalog.evaluator_pages(conn),
        overview.costs(conn, by_pair),
        overview.downloads(conn, db_file),
        *markdown.pages(owner_pages),
    ]
    count = _render_all(env, site, pages, writer)
    count += _render_all(env, site, batch_pages.batch_pages(conn), writer)
    for path, data in batch_pages.list_files(conn):
        writer.write(path, data)
    log(f"{count} pages")
    run_count = _render_all(env, site, run_pages.run_pages(conn), writer)
    log(f"{run_count} run pages")
    for path, data in run_pages.data_files(conn):
        writer.write(path, data)
    for path, data in api_static.static_files(conn):
        writer.write(path, data)
    log("data files and JSON API")
    _copy_db(conn, writer, f"downloads/{db_file}")
    return count + run_count, run_count


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


def _site(
    conn: sqlite3.Connection, base_url: str | None, owner_pages: list[markdown.MarkdownPage]
) -> Site:
    return Site(
        nav=NAV + markdown.nav_items(owner_pages),
        base_url=base_url,
        data_as_of=reports.newest_start(conn),
        built_at=build_time(),
        run_count=runs.count_runs(conn),
    )


def build_time() -> str | None:
    """``SOURCE_DATE_EPOCH`` as ISO 8601, or None: a build never reads the clock."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return None
    try:
        return times.iso(datetime.fromtimestamp(int(value), tz=timezone.utc))
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


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """Hold one read transaction, so every query sees the file as it was at the start."""
    conn.execute("BEGIN")
    conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # BEGIN is lazy; read now
    try:
        yield
    finally:
        conn.rollback()


def _copy_db(conn: sqlite3.Connection, writer: Writer, relative: str) -> None:
    """The results file as of the snapshot, via SQLite's backup (never a torn copy)."""
    target = writer.claim(relative)
    copy = sqlite3.connect(target)
    try:
        conn.backup(copy)
    finally:
        copy.close()
    writer.bytes += target.stat().st_size


class Writer:
    """The one way a file gets into the site: checked, relative, never written twice."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0
        self.bytes = 0
        self._claimed: set[str] = set()
        self._dirs: set[Path] = set()

    def claim(self, relative: str) -> Path:
        """Reserve *relative* (a "/"-separated path inside the site) and return its path."""
        parts = relative.split("/")
        if any(p in ("", ".", "..") or "\\" in p or "\0" in p for p in parts):
            raise ValueError(f"unsafe site path {relative!r}")
        key = relative.lower()  # two names differing in case are one file on some systems
        if key in self._claimed:
            raise BuildError(f"two files of the site would both be written to {relative}")
        self._claimed.add(key)
        path = self.root.joinpath(*parts)
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        self.files += 1
        return path

    def write(self, relative: str, data: bytes) -> None:
        """Write *data* at *relative* inside the site."""
        self.claim(relative).write_bytes(data)
        self.bytes += len(data)


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


def _swap(staging: Path, out: Path) -> None:
    """Put the new tree in place of the old one with two renames."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, old)
    try:
        os.replace(staging, out)
    except OSError:
        if old.exists():
            os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
