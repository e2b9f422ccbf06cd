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

The index is rebuilt whole at every build, about 1.6 s per 1,000 runs on one
core (see ``docs/publishing.md`` and ``zebench bench``); the same pages give
the same bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from generator.build import changes
from generator.build.writer import BuildError

BUNDLE = "pagefind"  # the folder of the index inside the site
PAGES = "runs/*.html"


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


def index(site: Path, give_back: Path | None = None) -> Indexed:
    """Index the run pages of the site at *site* into ``site/pagefind/``.

    *give_back*: the previous site, whose run and batch folders the build has moved
    into *site* (``changes.reuse``); should indexing fail, they go back to it.
    """
    try:
        return _index(site)
    except BaseException:
        if give_back is not None:
            for folder in changes.UNIT_DIRS:
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
