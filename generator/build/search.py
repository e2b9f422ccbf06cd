"""Full-text search over the run pages, by Pagefind (from PyPI, no network).

Pagefind reads the finished run pages (``runs/*.html``), the region each marks
with ``data-pagefind-body`` — run id, suite, scenario, tier, agent and model,
error, evaluator details and judge reasoning, test results, dependency changes,
prompt — leaving out the patches (``data-pagefind-ignore``: lockfiles are most
of a run's bytes and no one searches them). It writes its index and its
JavaScript into ``pagefind/`` inside the site; ``static/search.js`` loads them
when someone types in the header's search box. Other pages are not indexed:
every suite, scenario, agent and model appears on the run pages, and a result
that is a run is one click from everything else.

The index is rebuilt whole at every build (the same pages give the same bytes):
about 1.6 s of CPU and 170 MB of memory per 1,000 run pages, 16 s and 1.7 GB at
10,000. Pagefind holds the whole index in memory, so above ``MAX_RUNS`` run
pages the build says so and leaves the index out rather than exhaust the
machine; see ``docs/search.md``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from generator.build import changes
from generator.build.writer import Writer
from generator.errors import BuildError

BUNDLE = "pagefind"  # the folder of the index inside the site
PAGES = "runs/*.html"
MAX_RUNS = 20_000  # about 3.4 GB for Pagefind: more than a CI runner has to spare


@dataclass(frozen=True)
class Indexed:
    """What indexing wrote."""

    files: int
    bytes: int
    seconds: float


def command(site: str | os.PathLike[str]) -> list[str]:
    """The command that indexes the run pages of the site at *site*."""
    return [
        sys.executable, "-m", "pagefind", "--site", str(site), "--glob", PAGES,
        "--output-subdir", BUNDLE, "--quiet",
    ]  # fmt: skip


def check() -> None:
    """Fail before the build begins when Pagefind is not installed."""
    if find_spec("pagefind") is None:
        raise BuildError(
            "search needs Pagefind: pip install 'pagefind[bin]', or build with --no-search"
        )


def add(
    site: Path, runs: int, writer: Writer, log: Callable[[str], None], give_back: Path | None
) -> None:
    """The build's step: index *site* (counting its files in *writer*), or say why not."""
    if runs > MAX_RUNS:
        log(f"no search index: {runs:,} runs is over the {MAX_RUNS:,} Pagefind can index here")
        return
    indexed = index(site, give_back)
    writer.files, writer.bytes = writer.files + indexed.files, writer.bytes + indexed.bytes
    log(f"search index of {runs:,} run pages ({indexed.seconds:.1f} s)")


def index(site: Path, give_back: Path | None = None) -> Indexed:
    """Index the run pages of the site at *site* into ``site/pagefind/``.

    *give_back*: the previous site, whose run and batch folders the build has moved
    into *site* (``changes.reuse``); should indexing fail, they go back to it.
    """
    try:
        return _index(site)
    except BaseException:
        if give_back is not None:
            for folder in changes.RUN_AND_BATCH_DIRS:
                if (site / folder).is_dir() and not (give_back / folder).exists():
                    (give_back / folder).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(site / folder, give_back / folder)
        raise


def _index(site: Path) -> Indexed:
    check()
    started = time.perf_counter()
    done = subprocess.run(command(site), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()[-10:]
        raise BuildError(
            "Pagefind could not index the site (build with --no-search to skip it):\n"
            + "\n".join(output)
        )
    files = [path for path in (site / BUNDLE).rglob("*") if path.is_file()]
    size = sum(path.stat().st_size for path in files)
    return Indexed(len(files), size, time.perf_counter() - started)
