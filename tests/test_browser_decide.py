"""The site's decisions in a browser, on the default demo (400 runs, with its weekly
sweeps): the regressed batch's verdict and intervals, the regressions page, and the
links from an interval to the section of the methods page that explains it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from conftest import build_site, serving

from generator.queries import comparison
from generator.results import demo
from generator.site import paths

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CLAUDE = ("update-deps", "claude-code", "claude-sonnet-4-5-20250929")


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The demo site served, and the page of its regressed batch."""
    root = tmp_path_factory.mktemp("decide-browser")
    db = root / "demo.db"
    demo.write_demo(db)
    build_site(db, root / "site")
    conn = sqlite3.connect(db)
    try:
        regressed = comparison.series(conn)[CLAUDE][-1]
    finally:
        conn.close()
    with serving(root / "site", db) as url:
        yield url, f"batches/{paths.file_name(regressed)}.html"


def _follow(page, link, anchor: str) -> None:
    """Click *link*: the methods page opens at *anchor*, its heading in view."""
    assert link.get_attribute("href").endswith(f"methods/statistics.html#{anchor}")
    link.click()
    page.wait_for_url(f"**/methods/statistics.html#{anchor}")
    heading = page.locator(f"#{anchor}")
    assert heading.is_visible() and heading.evaluate("h => h.tagName") in ("H2", "H3")
    assert heading.evaluate("h => h.getBoundingClientRect().top < window.innerHeight")


def test_the_regressed_batch_shows_its_verdict_and_intervals(page, demo_url) -> None:
    url, batch = demo_url
    page.goto(url + batch)
    verdict = page.locator("#comparison .verdict")
    assert verdict.is_visible()
    assert verdict.inner_text().startswith("Regression: success rate down 45.8 points")
    rates = page.locator("table.comparison-metrics tr", has_text="Success rate")
    assert "83.3% (62.6–100)" in rates.inner_text()  # the base side: docs/statistics.md
    stat = page.locator(".stats .stat", has_text="success rate")
    link = stat.locator("a.ci")
    # Wilson's interval of 9 successes in 24 runs; the comparison's own interval of the
    # same rate, 13.6–61.4, is wider: there the repeated cells count as clusters.
    assert link.is_visible() and link.inner_text() == "(21–57)"
    assert link.get_attribute("title") == "95% interval: how it is worked out"
    _follow(page, link, "wilson-interval")
    assert page.problems == []


def test_the_comparisons_intervals_link_to_their_methods(page, demo_url) -> None:
    url, batch = demo_url
    page.goto(url + batch)
    _follow(page, page.locator("#comparison a", has_text="changes"), "comparing-two-sets-of-runs")
    assert page.problems == []


def test_the_regressions_page_lists_the_regression_with_its_interval(page, demo_url) -> None:
    url, batch = demo_url
    page.goto(url + "regressions.html")
    row = page.locator("table.regressions tr", has_text="claude-code").first
    assert row.is_visible() and "regression" in row.inner_text()
    interval = row.locator("a", has_text="pts")
    assert interval.is_visible() and "(" in interval.inner_text()
    assert row.locator(f'a[href="{batch}#comparison"]').count() == 1
    _follow(page, interval, "comparing-two-sets-of-runs")
    assert page.problems == []


def test_the_agents_page_shows_intervals_bars_and_the_pass_curves(page, demo_url) -> None:
    url, _ = demo_url
    page.goto(url + "agents/index.html")
    page.wait_for_selector("#chart-success-rate .main-svg")
    assert page.locator("#chart-success-rate path.xerror, #chart-success-rate .errorbar").count()
    page.wait_for_selector("#chart-pass-curves .main-svg")
    table = page.locator("#repeated-runs table")
    assert table.is_visible() and "pass^k" in table.inner_text()
    _follow(page, page.locator(".agent-card a.ci").first, "wilson-interval")
    assert page.problems == []


def test_the_batch_list_drawn_by_script_shows_intervals_as_the_pages_do(page, demo_url) -> None:
    url, _ = demo_url
    page.goto(url + "batches/index.html")
    page.wait_for_selector("#data-table tbody a.ci")
    cell = page.locator("#data-table tbody td", has=page.locator("a.ci")).first
    text = cell.inner_text()
    assert "%" in text and "(" in text and "–" in text
    marks = page.locator("#data-table tbody .few-runs")
    assert marks.count() == 0 or marks.first.get_attribute("title").startswith("From fewer than")
    _follow(page, cell.locator("a.ci"), "wilson-interval")
    assert page.problems == []
