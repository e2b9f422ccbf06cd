"""Golden output: a handful of pages of a small fixed site, byte for byte.

After an intended change to templates or pages, refresh with one command:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

and review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import build_site, hostile_run, make_site_db

from generator.site import paths

GOLDEN = Path(__file__).resolve().parent / "golden"
PAGES = (
    "index.html",
    "runs/index.html",
    "agents/index.html",
    "evaluators/index.html",
    "data/runs/index.js",
    f"runs/{paths.file_name(hostile_run()['runId'])}.html",
)


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = make_site_db(tmp_path_factory.mktemp("golden") / "benchmarks.db", runs=12)
    out = tmp_path_factory.mktemp("golden-site") / "site"
    build_site(db, out)
    return out


def _first_batch_page(site: Path) -> str:
    names = sorted(p.name for p in (site / "batches").glob("*.html"))
    return "batches/" + next(n for n in names if n not in ("index.html", "compare.html"))


def test_pages_match_the_golden_copies(small_site: Path) -> None:
    wanted = (*PAGES, _first_batch_page(small_site))
    if os.environ.get("UPDATE_GOLDEN"):
        for old in GOLDEN.rglob("*"):
            if old.is_file():
                old.unlink()
        for name in wanted:
            target = GOLDEN / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((small_site / name).read_bytes())
    stored = sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file())
    assert stored == sorted(wanted), "golden set changed: refresh with UPDATE_GOLDEN=1"
    changed = [n for n in wanted if (small_site / n).read_bytes() != (GOLDEN / n).read_bytes()]
    assert changed == [], f"pages differ from tests/golden (UPDATE_GOLDEN=1 to refresh): {changed}"
