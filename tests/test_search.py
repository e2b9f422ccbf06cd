"""Search: the build indexes the run pages with Pagefind; in a browser, a word found
in one run's error leads to that run's page; from file:// the box says to serve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import build_site, serving

from generator import build
from generator.build import search
from generator.cli import main
from generator.errors import BuildError
from generator.results import demo, ingest
from generator.results.validate import normalise_run
from generator.site import paths

WORD = "quokkafrobnication"  # in the error of one run, nowhere else
NEEDLE_RUN = "run-with-the-odd-error"


@pytest.fixture(scope="module")
def search_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import hostile_run

    path = tmp_path_factory.mktemp("search") / "benchmarks.db"
    demo.write_demo(path, runs=12, seed=8)
    needle = hostile_run() | {"runId": NEEDLE_RUN, "batchId": None}
    needle["metadata"] = {"error": f"install failed: {WORD} in step 3", "errorType": "Boom"}
    ingest.record_runs(path, [("needle", normalise_run(needle, "needle"))])
    return path


@pytest.fixture(scope="module")
def search_site(search_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("search-site") / "site"
    build_site(search_db, out)
    return out


def test_every_run_page_and_only_those_are_indexed(search_site: Path):
    entry = json.loads((search_site / "pagefind" / "pagefind-entry.json").read_text())
    (language,) = entry["languages"].values()
    run_pages = [p for p in (search_site / "runs").glob("*.html") if p.name != "index.html"]
    assert language["page_count"] == len(run_pages) == 13
    assert (search_site / "pagefind" / "pagefind.js").is_file()  # from the package, no CDN
    page = (search_site / "runs" / f"{paths.file_name(NEEDLE_RUN)}.html").read_text()
    assert "data-pagefind-body" in page
    assert "data-pagefind-body" not in (search_site / "runs" / "index.html").read_text()


def test_the_same_pages_give_the_same_index(search_db: Path, search_site: Path, tmp_path: Path):
    again = tmp_path / "site"
    build_site(search_db, again)
    bundle = search_site / "pagefind"
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        assert path.read_bytes() == (again / "pagefind" / path.relative_to(bundle)).read_bytes()


def test_no_search_skips_the_index(search_db: Path, tmp_path: Path):
    out = tmp_path / "site"
    args = ["build", "--db", str(search_db), "--out", str(out), "--no-search"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and not (out / "pagefind").exists()


def test_without_pagefind_the_build_fails_and_says_how_to_go_on(
    search_db: Path, tmp_path: Path, monkeypatch
):
    out = tmp_path / "site"
    build_site(search_db, out, options=build.Options(search=False))
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    monkeypatch.setattr(search, "find_spec", lambda name: None)
    with pytest.raises(
        BuildError, match=r"pip install 'pagefind\[bin\]', or build with --no-search"
    ):
        build_site(search_db, out)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # left as it was


def test_a_failed_index_leaves_the_previous_site_whole(
    search_db: Path, tmp_path: Path, monkeypatch
):
    out = tmp_path / "site"
    build_site(search_db, out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    monkeypatch.setattr(search, "command", lambda site: ["false"])  # Pagefind fails
    with pytest.raises(BuildError, match="Pagefind could not index the site"):
        build_site(search_db, out)  # after the kept run pages moved into the new tree
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


@pytest.mark.browser
def test_a_word_from_one_runs_error_leads_to_that_run(search_site: Path, page):
    with serving(search_site) as url:
        page.goto(url + "agents/index.html")
        page.fill("form[data-search] input", WORD)
        link = page.locator("form[data-search] .search-results a")
        link.first.wait_for(timeout=15_000)
        assert link.count() == 1
        assert WORD in page.locator("form[data-search] .search-results mark").first.inner_text()
        link.first.click()
        page.wait_for_url(f"**/runs/{paths.file_name(NEEDLE_RUN)}.html")
        assert NEEDLE_RUN in page.locator("h1").inner_text()
    assert page.problems == []


@pytest.mark.browser
def test_from_file_urls_the_box_says_to_serve_the_site(search_site: Path, page):
    page.goto((search_site / "index.html").as_uri())
    box = page.locator("form[data-search] input")
    assert "zebench serve" in box.get_attribute("placeholder")
    box.focus()
    assert "zebench serve" in page.locator("form[data-search] .search-results").inner_text()


def test_over_the_limit_the_build_says_so_and_leaves_the_index_out(
    search_db: Path, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(search, "MAX_RUNS", 5)
    said: list[str] = []
    build_site(search_db, tmp_path / "site", log=said.append)
    assert "no search index: 13 runs is over the 5 Pagefind can index here" in said
    assert not (tmp_path / "site" / "pagefind").exists()
