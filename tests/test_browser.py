"""The built site in a real browser: Debian chromium driven by Playwright.

Skipped when chromium or Playwright is missing, except under CI=true, where a
missing browser fails the run (CI must not pass by skipping these).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urldefrag, urljoin, urlsplit

import pytest
from conftest import hostile_run, serving

from generator import store
from generator.site import paths

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def site_url(built_site: Path, site_db: Path) -> Iterator[str]:
    with serving(built_site, site_db) as url:
        yield url


def _one(site_db: Path, sql: str) -> str:
    conn = store.open_read(site_db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="session")
def page_of_each_type(site_db: Path) -> list[str]:
    run = _one(site_db, "SELECT run_id FROM benchmark_runs WHERE metadata LIKE '%diffSummary%'")
    batch = _one(site_db, "SELECT batchId FROM benchmark_runs GROUP BY 1 ORDER BY COUNT(*) DESC")
    suite, scenario = (
        "update-deps",
        _one(site_db, "SELECT scenario FROM benchmark_runs WHERE suite = 'update-deps'"),
    )
    evaluator = _one(site_db, "SELECT evaluator_name FROM evaluation_results")
    return [
        "index.html",
        "runs/index.html",
        f"runs/{paths.file_name(run)}.html",
        f"runs/{paths.file_name(hostile_run()['runId'])}.html",
        "batches/index.html",
        f"batches/{paths.file_name(batch)}.html",
        "agents/index.html",
        "suites/index.html",
        f"suites/{paths.file_name(suite)}.html",
        f"scenarios/{paths.file_name(suite)}/{paths.file_name(scenario)}.html",
        "evaluators/index.html",
        f"evaluators/{paths.file_name(evaluator)}.html",
        "costs/index.html",
        "downloads/index.html",
        "pages/about.html",
    ]


def test_every_page_type_opens_cleanly_and_draws_its_charts(
    page, site_url: str, page_of_each_type: list[str]
) -> None:
    drawn = 0
    for path in page_of_each_type:
        page.goto(site_url + path, wait_until="load")
        for slot in page.query_selector_all("[data-figure]"):
            page.wait_for_selector(f"#{slot.get_attribute('id')} .main-svg", timeout=10_000)
            drawn += 1
        page.wait_for_load_state("networkidle")
        assert page.problems == [], path
    assert drawn >= 10  # dashboard, agents, suites, evaluators, costs all have charts


def _count(page) -> int:
    return int(page.get_attribute("#table-status", "data-count"))


def test_filtering_the_runs_table_by_clicking_is_kept_in_the_url(page, site_url: str) -> None:
    page.goto(site_url + "runs/index.html")
    page.wait_for_selector("#table-status[data-count]")
    everything = _count(page)
    assert page.locator("#data-table tbody tr").count() == min(everything, 50)

    page.select_option("select[data-filter=agent]", "echo")
    page.wait_for_function(f"document.querySelector('#table-status').dataset.count != {everything}")
    echo_only = _count(page)
    assert 0 < echo_only < everything
    agents = page.locator("#data-table tbody tr td:nth-child(6)").all_inner_texts()
    assert set(agents) == {"echo"}
    assert "agent=echo" in page.url

    page.click("th[data-sort=weightedScore]")
    assert "sort=weightedScore" in page.url
    page.reload()
    page.wait_for_selector("#table-status[data-count]")
    assert _count(page) == echo_only
    assert page.input_value("select[data-filter=agent]") == "echo"
    assert page.get_attribute("th[data-sort=weightedScore]", "aria-sort") == "ascending"
    assert page.problems == []


def test_a_link_to_one_batchs_runs_shows_only_them(page, site_url: str, site_db) -> None:
    batch = _one(site_db, "SELECT batchId FROM benchmark_runs GROUP BY 1 ORDER BY COUNT(*) DESC")
    expected = _one(site_db, f"SELECT COUNT(*) FROM benchmark_runs WHERE batchId = '{batch}'")
    page.goto(site_url + f"runs/index.html#batchId={quote(batch)}")  # as batch pages link
    page.wait_for_selector("#table-status[data-count]")
    assert _count(page) == expected
    assert page.input_value("input[data-filter=batchId]") == batch
    assert page.problems == []


def test_comparing_two_batches_by_clicking(page, site_url: str) -> None:
    page.goto(site_url + "batches/index.html")
    page.wait_for_selector("#data-table tbody input[type=checkbox]")
    boxes = page.locator("#data-table tbody input[type=checkbox]")
    boxes.nth(0).check()
    assert page.is_disabled("#compare-picked")
    boxes.nth(1).check()
    page.click("#compare-picked")
    page.wait_for_selector("#compare-figures tbody tr")
    assert re.search(r"compare\.html#b=[^,]+,[^,]+$", page.url)
    assert page.locator("#compare-figures thead th").count() == 3  # label + two batches
    assert page.locator("#compare-by-scenario tbody tr").count() >= 1
    said = page.inner_text("#compare-verdict")
    assert "higher" in said and "not verdicts" in said and "worse" not in said
    assert page.problems == []


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


def test_no_internal_link_is_broken(browser, site_url: str) -> None:
    context = browser.new_context()
    seen: set[str] = set()
    queue = [site_url + "index.html"]
    broken = []
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = context.request.get(url)
        if response.status != 200:
            broken.append(url)
            continue
        if not url.endswith(".html"):
            continue
        parser = _Links()
        parser.feed(response.text())
        for link in parser.found:
            target = urldefrag(urljoin(url, link)).url
            if urlsplit(target).netloc == urlsplit(site_url).netloc:
                queue.append(target)
    context.close()
    assert broken == []
    assert len(seen) > 100  # the crawl reached run and batch pages
