"""Sizes against the limits of where results go: the build's options about them
(``Options``: the text budget, the results file in the site) and the site's size
against GitHub's limits.

The site offers the results file on its downloads page. A small file is copied
into the site (``downloads/<name>.db``); above ``COPY_LIMIT`` the page links
to where the file is published (``--db-url``, e.g. a release asset) or, without
one, says where to get it, and the site does not carry it.

A build ends with the site's size and file count, and warns, naming what to
do, when the site is over GitHub Pages' limit, a file in it is over GitHub's
limit for a file, or the results file is over GitHub's limit for a committed
file. ``--strict-size`` turns the warnings into an error (``SizeError``) once
the site is written, so a CI job stops before it publishes the site.
The limits are module constants: tests lower them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from generator.build import changes, search
from generator.errors import ParameterError, SizeError
from generator.queries import budget
from generator.site import paths

COPY_LIMIT = 50_000_000  # bytes: a larger results file is linked to, not copied
PAGES_SITE_LIMIT = 1_000_000_000  # GitHub Pages: a published site is at most 1 GB
FILE_LIMIT = 100_000_000  # GitHub refuses a file over 100 MB (pushed or deployed)
COMMIT_LIMIT = 100_000_000  # … and so a committed results file over 100 MB
MODES = ("copy", "link", "none")

Log = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    """The build's choices about sizes (docs/real-sized-results.md)."""

    max_text_bytes: int = budget.DEFAULT_MAX_TEXT_BYTES  # 0: no limit
    db_download: str | None = None  # "copy", "link", "none"; None: by size
    db_url: str | None = None
    copy_limit: int | None = None  # bytes; None: COPY_LIMIT
    strict_size: bool = False  # a size warning is an error
    search: bool = True  # index the run pages for the search box

    def text_budget(self, db: str | os.PathLike[str]) -> budget.Budget:
        """The budget of the texts of every run and batch; its marker names *db*."""
        return budget.Budget(self.max_text_bytes, Path(db).name)


@dataclass(frozen=True)
class Download:
    """Where the downloads page sends a reader for the results file."""

    mode: str  # "copy" (in the site), "link" (to url) or "none" (not offered)
    name: str  # the file's name in the site: paths.file_name of its own name
    bytes: int
    url: str | None = None
    reason: str = ""  # why, when it was chosen by size

    @property
    def copied(self) -> bool:
        """Whether the site carries the file itself."""
        return self.mode == "copy"

    @property
    def site_path(self) -> str:
        """The copy's path inside the site."""
        return f"downloads/{self.name}"

    def describe(self) -> str:
        """The build's log line about it."""
        size = f"{self.bytes / 1e6:,.1f} MB"
        if self.mode == "copy":
            text = f"copied the results file into the site ({self.site_path}, {size})"
        elif self.mode == "link":
            text = f"results file not copied ({size}): the downloads page links to {self.url}"
        else:
            text = f"results file not copied ({size}) and not linked: the downloads page says so"
        return f"{text}{'; ' + self.reason if self.reason else ''}"


def choose_download(
    db: str | os.PathLike[str],
    mode: str | None = None,
    url: str | None = None,
    copy_limit: int | None = None,
) -> Download:
    """The download of *db*: *mode* when given, else a copy up to *copy_limit* bytes
    (default ``COPY_LIMIT``) and above it a link to *url*, or none without one."""
    if mode is not None and mode not in MODES:
        raise ParameterError(f"--db-download {mode!r}: use one of {', '.join(MODES)}")
    if mode == "link" and not url:
        raise ParameterError("--db-download link needs --db-url, the address of the file")
    if url and not url.startswith(("https://", "http://")):
        raise ParameterError(f"--db-url {url!r}: use an http:// or https:// URL")
    name = paths.file_name(Path(db).name)
    try:
        size = Path(db).stat().st_size
    except OSError:
        size = 0  # opening the file reports it
    limit = COPY_LIMIT if copy_limit is None else copy_limit
    if mode is not None:
        return Download(mode, name, size, url if mode == "link" else None)
    if size <= limit:
        return Download("copy", name, size)
    reason = f"over {limit / 1e6:,.1f} MB"
    if url:
        return Download("link", name, size, url, reason)
    return Download("none", name, size, None, f"{reason}; pass --db-url to link to it")


@dataclass(frozen=True)
class SiteSize:
    """What a built site weighs."""

    bytes: int
    files: int
    largest: list[tuple[str, int]] = field(default_factory=list)  # files over FILE_LIMIT


RECORD = ".zebench/sizes.tsv"  # each run's, batch's and search shard's sizes, for the next build
Sizes = tuple[int, int, int]  # bytes, files, the largest file's bytes


def measure(
    site: Path,
    known: dict[str, Sizes],
    plan: changes.Plan,
    shared: Iterable[str],
    written_shards: set[str],
) -> tuple[SiteSize, bytes]:
    """Bytes and files under *site*, the files over ``FILE_LIMIT``, and the record of
    the sizes of each run's, batch's and search shard's files for the next build.

    The folders of runs' and batches' files hold half a million names at 100,000
    runs, so they are not listed: their files are those of *plan*'s runs and
    batches — as the last build recorded them (*known*: ``read_record``), unless
    this build wrote them — and *shared*, the files about all runs this build wrote
    among them. A shard of the search index kept from the last build is as recorded
    too; one in *written_shards* (site paths) is read again. Everything else is read.
    """
    record: dict[str, Sizes] = {}
    large: list[str] = []  # site paths of files that may be over FILE_LIMIT
    for kind, ids, todo, files_of in (
        ("run", plan.runs, plan.runs_todo, changes.run_paths),
        ("batch", plan.batches, plan.batches_todo, changes.batch_paths),
    ):
        for key in ids:
            name = changes.manifest_key(kind, key)
            sizes = None if key in todo else known.get(name)
            record[name] = sizes = sizes or _files_sizes(site, files_of(key))
            if sizes[2] > FILE_LIMIT:  # the record keeps only the largest size
                large += files_of(key)
    folders = changes.RUN_AND_BATCH_DIRS
    among = [path for path in shared if path.rpartition("/")[0] in folders]
    large += among
    counted = [_files_sizes(site, among)]
    stack = [""]
    while stack:
        folder = stack.pop()
        with os.scandir(site / folder) as entries:
            for entry in entries:
                relative = f"{folder}{entry.name}"
                if relative == RECORD or relative in folders:
                    continue
                if not entry.is_dir(follow_symlinks=False):
                    size = entry.stat(follow_symlinks=False).st_size
                    counted.append((size, 1, size))
                    large += [relative] if size > FILE_LIMIT else []
                elif search.is_shard(relative):
                    sizes = None if relative in written_shards else known.get(relative)
                    record[relative] = sizes = sizes or _folder_sizes(site, relative)
                    large += _folder_files(site, relative) if sizes[2] > FILE_LIMIT else []
                else:
                    stack.append(relative + "/")
    text = "".join(f"{key}\t{b}\t{n}\t{big}\n" for key, (b, n, big) in sorted(record.items()))
    data = text.encode("utf-8", "surrogateescape")
    everything = [*record.values(), *counted]
    total = sum(sizes[0] for sizes in everything) + len(data)
    count = sum(sizes[1] for sizes in everything) + 1
    sizes_of = {path: os.lstat(site / path).st_size for path in large}
    over = sorted((path, size) for path, size in sizes_of.items() if size > FILE_LIMIT)
    return SiteSize(total, count, over), data


def _files_sizes(site: Path, files: Iterable[str]) -> Sizes:
    """The sizes of these files of *site* (site paths)."""
    sizes = [os.lstat(site / path).st_size for path in files]
    return sum(sizes), len(sizes), max(sizes, default=0)


def _folder_sizes(site: Path, folder: str) -> Sizes:
    """The sizes of every file under the site path *folder*."""
    return _files_sizes(site, _folder_files(site, folder))


def _folder_files(site: Path, folder: str) -> list[str]:
    """The site paths of every file under the site path *folder*."""
    return [
        os.path.relpath(os.path.join(root, name), site).replace(os.sep, "/")
        for root, _, names in os.walk(site / folder)
        for name in names
    ]


def read_record(last_site: Path | None) -> dict[str, Sizes]:
    """The record of the build of *last_site*; empty when there is none or it cannot
    be read."""
    if last_site is None:
        return {}
    try:
        lines = (last_site / RECORD).read_bytes().decode("utf-8", "surrogateescape").split("\n")
    except OSError:
        return {}
    known = {}
    for line in lines:
        key, _, values = line.partition("\t")
        try:
            size, files, largest = map(int, values.split("\t"))
        except ValueError:  # not as written: measured again
            continue
        known[key] = (size, files, largest)
    return known


def warnings(site: SiteSize, db_bytes: int, download: Download) -> list[str]:
    """What is over a limit of GitHub, each with what to do about it."""
    out = []
    if site.bytes > PAGES_SITE_LIMIT:
        out.append(
            f"the site is {_mb(site.bytes)}, over GitHub Pages' {_mb(PAGES_SITE_LIMIT)} "
            "for a site: lower --max-text-bytes, leave the results file out "
            "(--db-download link or none), or publish fewer runs"
        )
    for path, size in site.largest:
        hint = (
            "use --db-download link --db-url URL (e.g. a release asset) or none"
            if download.copied and path == download.site_path
            else "lower --max-text-bytes, or publish fewer runs"
        )
        out.append(f"{path} is {_mb(size)}, over GitHub's {_mb(FILE_LIMIT)} for a file: {hint}")
    if db_bytes > COMMIT_LIMIT:
        out.append(
            f"the results file is {_mb(db_bytes)}, over GitHub's {_mb(COMMIT_LIMIT)} for a "
            "committed file: do not commit it; publish it as a release asset or an "
            "artifact and link to it with --db-url"
        )
    return out


def report(
    site: Path, size: SiteSize, db_bytes: int, download: Download, strict: bool, log: Log
) -> None:
    """Log the site's size and file count and each warning; with *strict*, a
    warning is a ``SizeError``."""
    log(f"site: {_mb(size.bytes)} in {size.files:,} files")
    found = warnings(size, db_bytes, download)
    for warning in found:
        log(f"warning: {warning}")
    if strict and found:
        raise SizeError(
            f"over a size limit (--strict-size): {'; '.join(found)}. "
            f"The site was written to {site} for a look; do not publish it."
        )


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size < 1e9 else f"{size / 1e9:,.2f} GB"
