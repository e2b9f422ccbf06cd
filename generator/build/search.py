"""Full-text search over the run pages, by Pagefind (from PyPI, no network), in shards.

Pagefind reads the finished run pages (``runs/*.html``), the region each marks
with ``data-pagefind-body`` — run id, suite, scenario, tier, agent and model,
error, evaluator details and judge reasoning, test results, dependency changes,
prompt — leaving out the patches (``data-pagefind-ignore``: lockfiles are most
of a run's bytes and no one searches them) and what every page repeats or only
counts (``EXCLUDED``: labels, headings, scores): they would match every run, and
indexing them took about a sixth of Pagefind's time. Other pages are not indexed: every
suite, scenario, agent and model appears on the run pages.

Pagefind rebuilds an index whole, in time and memory in proportion to its pages,
so the runs are split into shards by their id alone (``cache.bucket``), each its
own Pagefind index in ``pagefind/<NN>/``: one shard for every ``RUNS_PER_SHARD``
runs or so, a power of two up to ``MAX_SHARDS``, so a run changes shard only when
the site grows past a power of two (and then every shard is indexed again).
A shard's stamp is a digest of its runs and their fingerprints (``changes``), of
Pagefind's version and of ``EXCLUDED``; the stamps are kept in the site
(``STAMPS``). A build indexes again only the shards whose stamp changed — after
one new run, one shard of a few hundred runs — and moves the others over from
the previous site.
Pagefind's scripts are kept once, in ``pagefind/``; ``static/search.js`` reads
the list of shards (``pagefind/shards.json``), opens the first shard and merges
the others into it (Pagefind's ``mergeIndex``). Pagefind loads its worker and
WebAssembly beside the first index it opens, so the first shard carries copies.
The same pages give the same bytes, whichever build indexed a shard.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Container
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

from generator.build import cache, changes
from generator.build.changes import fingerprint
from generator.build.writer import Writer
from generator.errors import BuildError

BUNDLE = "pagefind"  # the folder of the index inside the site
MAX_SHARDS = cache.BUCKETS  # one shard per bucket at most: 256
# Runs a shard holds at least: fewer, and a new run's shard is indexed again sooner;
# more, and there are more Pagefind processes and browser fetches (25 ms and one
# request a shard).
RUNS_PER_SHARD = 100
STAMPS = f"{cache.FOLDER}/search.tsv"  # shard <TAB> stamp <TAB> its files, a line each
LIST = f"{BUNDLE}/shards.json"  # the shards that exist, for search.js
PARALLEL = 2  # Pagefind processes at once: each holds one shard, ~0.13 MB a page
# Pagefind's scripts: kept once in pagefind/; the worker and the WebAssembly are
# loaded from the folder of the first index, so that shard has copies of them.
SCRIPTS = ("pagefind.js",)
BESIDE_FIRST = ("pagefind-worker.js", "wasm.en.pagefind", "wasm.unknown.pagefind")
# What a shard keeps of what Pagefind writes: its index; not its UI files, unused.
INDEX_FILES = ("pagefind-entry.json", "index", "fragment", "filter")
INDEX_SUFFIX = ".pf_meta"
_WORK = f"{cache.FOLDER}/search-pages"  # the pages of the shards being indexed, linked
# Parts of a run page's indexed region that are not indexed: headings (but the
# error's, which names its type), labels, the figures, the evaluator scores table
# (its names are in the details below it), table heads and captions, scores.
EXCLUDED = (
    "section:not(.error) > h2", "dt", ".stats", "table.bars", "thead", "caption",
    "td.num", "summary .muted",
)  # fmt: skip


def shard_count(runs: int) -> int:
    """How many shards a site of *runs* runs has: a power of two from 1 to MAX_SHARDS."""
    count = 1
    while count * 2 <= MAX_SHARDS and count * 2 * RUNS_PER_SHARD <= runs:
        count *= 2
    return count


def shard(run_id: str, runs: int) -> str:
    """The name of the shard (and folder in ``pagefind/``) of a run in a site of *runs*."""
    return _shard_name(cache.bucket(run_id), shard_count(runs))


def _shard_name(bucket: int, count: int) -> str:
    return f"{bucket % count:02x}"


def is_shard(site_path: str) -> bool:
    """Whether *site_path* is the folder of a shard."""
    folder, _, name = site_path.rpartition("/")
    return folder == BUNDLE and len(name) == 2 and all(c in "0123456789abcdef" for c in name)


def check() -> None:
    """Fail before the build begins when Pagefind is not installed."""
    if find_spec("pagefind") is None:
        raise BuildError(
            "search needs Pagefind: pip install 'pagefind[bin]', or build with --no-search"
        )


def command(site: Path, output: Path) -> list[str]:
    """The command that indexes the run pages of the folder *site* into *output*."""
    from pagefind.service import get_executable  # the binary itself: no Python started

    binary = get_executable()
    if binary is None:
        raise BuildError("Pagefind's program is missing: pip install 'pagefind[bin]'")
    excluded = [arg for selector in EXCLUDED for arg in ("--exclude-selectors", selector)]
    return [
        str(binary), "--site", str(site), "--glob", "runs/*.html",
        "--output-path", str(output), "--quiet", *excluded,
    ]  # fmt: skip


def stamps(runs: dict[str, str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """({shard: stamp}, {shard: its runIds}) of the shards that have runs."""
    by_bucket, members = cache.buckets(runs)
    version, count = _indexing(), shard_count(len(runs))
    by_shard: dict[str, list[str]] = {}
    parts: dict[str, list[str]] = {}
    for number in sorted(members):
        name = _shard_name(number, count)
        by_shard.setdefault(name, []).extend(members[number])
        parts.setdefault(name, []).append(by_bucket[number])
    return {name: fingerprint(version, count, parts[name]) for name in by_shard}, by_shard


class Index:
    """The build's step: the search index, made while the rest of the build goes on.

    ``start`` links the pages of the shards whose runs changed and sets Pagefind
    to index them in the background; ``finish`` waits for it, keeps the shards of
    the previous site whose runs did not change, and writes the list of shards.
    Leaving the ``with`` block stops what is left of the indexing (a failed build).
    """

    def __init__(self, site: Path) -> None:
        self.site = site
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: list[Future[float]] = []  # each gives the moment its shard was done
        self._started = 0.0
        self.current: dict[str, str] = {}
        self.kept: dict[str, int] = {}
        self.todo: dict[str, list[str]] = {}
        self.previous: Path | None = None
        self.moved: list[str] = []  # what finish moved over from the previous site

    def start(self, runs: dict[str, str], rendered: Container[str], previous: Path | None) -> None:
        """Index the run pages of *runs* (runId -> fingerprint): those of *rendered*
        are in the site, the others still in the *previous* site (kept, not yet
        moved over), whose shards are kept where their runs did not change."""
        self._started = time.perf_counter()
        self.current, members = stamps(runs)
        self.previous = previous
        self.kept = keepable(previous, self.current)  # shard -> its number of files
        self.todo = {name: members[name] for name in sorted(self.current) if name not in self.kept}
        work = self.site / _WORK
        for name, run_ids in self.todo.items():  # now: reuse moves the previous pages later
            pages = work / name / "runs"
            pages.mkdir(parents=True)
            for run_id in run_ids:
                page = changes.run_paths(run_id)[0]  # runs/<file name>.html
                source = self.site if previous is None or run_id in rendered else previous
                os.link(source / page, pages / Path(page).name)
        self._pool = ThreadPoolExecutor(PARALLEL)
        self._jobs = [
            self._pool.submit(_index_one, work / name, self.site / BUNDLE / name, name)
            for name in self.todo
        ]

    def finish(self, writer: Writer, log: Callable[[str], None]) -> set[str]:
        """Wait for the index and complete it; the site paths of the shard folders
        written to (indexed, given the worker, or rid of it).

        Should the build fail from here on, the shards moved from the previous site
        go back to it (``__exit__``; its run and batch folders: ``changes.reused``).
        """
        site, previous, kept, todo = self.site, self.previous, self.kept, self.todo
        self._wait()
        _keep(site, previous, set(kept), self.moved, scripts=bool(kept) and not todo)
        # Written by this build: the shards indexed, the scripts with them, the copies.
        written = [p for name in todo for p in (site / BUNDLE / name).rglob("*") if p.is_file()]
        files = dict(kept) | {name: 0 for name in todo}
        for path in written:
            files[path.relative_to(site / BUNDLE).parts[0]] += 1
        shards = sorted(self.current)
        rid = _beside_first(site / BUNDLE, shards, set(kept))
        written += [site / BUNDLE / name for name in SCRIPTS + BESIDE_FIRST if todo]
        written += [site / BUNDLE / shards[0] / name for name in BESIDE_FIRST if shards]
        writer.write(LIST, (json.dumps({"shards": shards}) + "\n").encode())
        lines = (f"{name}\t{self.current[name]}\t{files[name]}\n" for name in shards)
        writer.write(STAMPS, "".join(lines).encode())
        scripts = len(SCRIPTS) + 2 * len(BESIDE_FIRST) if shards else 0
        writer.files += sum(files.values()) + scripts
        writer.bytes += sum(path.stat().st_size for path in written)
        done = max((job.result() for job in self._jobs), default=self._started)
        seconds = done - self._started  # linking and Pagefind, while the rest went on
        log(
            f"search index: {len(todo):,} of {len(self.current):,} shards indexed, "
            f"{len(kept):,} kept ({seconds:.2f} s)"
        )
        return {f"{BUNDLE}/{name}" for name in [*todo, *shards[:1], *rid]}

    def _wait(self) -> None:
        """Wait for Pagefind; keep of what it wrote the indexes and one set of scripts."""
        for job in self._jobs:
            job.result()
        self._stop()
        if self.todo:
            _take_scripts(self.site / BUNDLE / next(iter(self.todo)), self.site / BUNDLE)
        for name in self.todo:
            _only_index(self.site / BUNDLE / name)

    def _stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        shutil.rmtree(self.site / _WORK, ignore_errors=True)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, failed: type[BaseException] | None, *exc: object) -> None:
        self._stop()
        if failed is not None:
            _give_back(self.site, self.previous, self.moved)


def keepable(previous: Path | None, current: dict[str, str]) -> dict[str, int]:
    """{shard: its number of files} of the shards whose index in the *previous* site
    was made from the same runs (and Pagefind)."""
    if previous is None:
        return {}
    if not all((previous / BUNDLE / name).is_file() for name in SCRIPTS + BESIDE_FIRST):
        return {}
    try:
        text = (previous / STAMPS).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    old = {}
    for line in text.splitlines():
        name, stamp, files = (line.split("\t") + ["", ""])[:3]
        if files.isdigit():
            old[name] = (stamp, int(files))
    return {
        name: old[name][1]
        for name, stamp in current.items()
        if old.get(name, ("",))[0] == stamp
        and (previous / BUNDLE / name / INDEX_FILES[0]).is_file()
    }


def _index_one(pages: Path, output: Path, name: str) -> float:
    """Index one shard: the folder *pages* (its pages, linked), through Pagefind;
    the moment it was done (``time.perf_counter``)."""
    done = subprocess.run(command(pages, output), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output_lines = (done.stdout + done.stderr).strip().splitlines()[-10:]
        raise BuildError(
            f"Pagefind could not index the site (shard {name}; build with --no-search "
            "to skip it):\n" + "\n".join(output_lines)
        )
    return time.perf_counter()


def _take_scripts(bundle: Path, top: Path) -> None:
    """Pagefind's scripts from a bundle it just wrote, into *top* (the same bytes
    whichever bundle: they come with the Pagefind version)."""
    for name in SCRIPTS + BESIDE_FIRST:
        shutil.copyfile(bundle / name, top / name)


def _only_index(bundle: Path) -> None:
    """Delete what Pagefind wrote beside a shard's index: its scripts and UI."""
    for entry in os.scandir(bundle):
        if entry.name in INDEX_FILES or entry.name.endswith(INDEX_SUFFIX):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


def _keep(site: Path, previous: Path | None, kept: set[str], moved: list[str], scripts: bool):
    """Move the *kept* shards (and the scripts, when no shard was indexed) over
    from the *previous* site, naming each in *moved* as it goes."""
    if previous is None:
        return
    (site / BUNDLE).mkdir(parents=True, exist_ok=True)
    for name in (SCRIPTS + BESIDE_FIRST if scripts else ()) + tuple(sorted(kept)):
        os.replace(previous / BUNDLE / name, site / BUNDLE / name)
        moved.append(name)


def _beside_first(bundle: Path, shards: list[str], kept: set[str]) -> list[str]:
    """Copies of the worker and the WebAssembly in the first shard, and in no other
    (a kept shard may have been the first one); the kept shards rid of them."""
    rid = []
    for name in sorted(kept - set(shards[:1])):
        copies = [bundle / name / copy for copy in BESIDE_FIRST]
        if any(copy.exists() for copy in copies):
            rid.append(name)
        for copy in copies:
            copy.unlink(missing_ok=True)
    for copy in BESIDE_FIRST if shards else ():
        shutil.copyfile(bundle / copy, bundle / shards[0] / copy)
    return rid


def _give_back(site: Path, previous: Path | None, moved: list[str]) -> None:
    """Return to the previous site the shards this build moved from it."""
    if previous is None:
        return
    for name in moved:
        os.replace(site / BUNDLE / name, previous / BUNDLE / name)


def _indexing() -> str:
    """What besides the pages shapes an index: Pagefind's version, what it leaves out."""
    names = ("pagefind", "pagefind_bin")
    return " ".join([*(f"{name} {_version(name)}" for name in names), *EXCLUDED])


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"
