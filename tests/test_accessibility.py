"""Accessibility basics of the built site: a skip link first, captions on every
table, sortable headers that are buttons, a text alternative under every chart.

The static half reads every HTML page of the session's site; the browser half
(Playwright with Debian chromium) checks what a keyboard user meets.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import serving

FOCUSABLE = {"a", "button", "input", "select", "textarea", "summary"}


def _tabbable(tag: str, attrs: dict[str, str | None]) -> bool:
    """Whether Tab stops at this element."""
    if attrs.get("tabindex") not in (None, "-1"):
        return True
    return tag in FOCUSABLE and (tag != "a" or "href" in attrs) and "tabindex" not in attrs


class _Page(HTMLParser):
    """What the checks need of one page, in one pass."""

    def __init__(self) -> None:
        super().__init__()
        self.first_focusable: dict[str, str | None] | None = None
        self.main_ids: list[str | None] = []
        self.tables = 0
        self.captions = 0  # tables whose first child is a non-empty caption
        self.sort_headers = 0
        self.sort_buttons = 0
        self.charts: list[str] = []  # ids of chart slots
        self.data_rows: dict[str, int] = {}  # details id -> rows of its data table
        self._after_table = False
        self._in_caption = False
        self._caption_text = ""
        self._details: str | None = None
        self._sort_th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self.first_focusable is None and _tabbable(tag, a):
            self.first_focusable = {"tag": tag, **a}
        if tag == "main":
            self.main_ids.append(a.get("id"))
        if self._after_table:
            self._after_table = False
            self._in_caption = tag == "caption"
            self._caption_text = ""
        if tag == "table":
            self.tables += 1
            self._after_table = True
        if tag == "th" and "data-sort" in a:
            self.sort_headers += 1
            self._sort_th = True
        if tag == "button" and self._sort_th and a.get("type") == "button":
            self.sort_buttons += 1
        if "data-figure" in a:
            self.charts.append(a.get("id") or "")
        if tag == "details" and (a.get("id") or "").startswith("data-"):
            self._details = a["id"]
            self.data_rows[self._details] = 0
        if tag == "tr" and self._details:
            self.data_rows[self._details] += 1

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._caption_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._in_caption:
            self._in_caption = False
            self.captions += bool(self._caption_text.strip())
        if tag == "th":
            self._sort_th = False
        if tag == "details":
            self._details = None


def _read(path: Path) -> _Page:
    parser = _Page()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_page_opens_with_a_skip_link_to_main(built_site: Path) -> None:
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) > 50
    for path in pages:
        page = _read(path)
        first = page.first_focusable or {}
        assert (first.get("tag"), first.get("href")) == ("a", "#main"), path
        assert page.main_ids == ["main"], path


def test_every_table_has_a_caption(built_site: Path) -> None:
    tables = 0
    for path in sorted(built_site.rglob("*.html")):
        page = _read(path)
        assert page.captions == page.tables, path
        tables += page.tables
    assert tables > 100


def test_every_chart_has_its_data_as_a_table(built_site: Path) -> None:
    charts = 0
    for path in sorted(built_site.rglob("*.html")):
        page = _read(path)
        for slot in page.charts:
            details = "data-" + slot.removeprefix("chart-")
            assert page.data_rows.get(details, 0) >= 2, (path, slot)  # a header and a row
        charts += len(page.charts)
    assert charts >= 10


def test_sortable_headers_are_buttons(built_site: Path) -> None:
    for name in ("runs/index.html", "batches/index.html"):
        page = _read(built_site / name)
        assert page.sort_headers >= 7 and page.sort_buttons == page.sort_headers, name


# In a browser: what a keyboard and a screen reader meet.


@pytest.fixture(scope="module")
def site_url(built_site: Path, site_db: Path) -> Iterator[str]:
    with serving(built_site, site_db) as url:
        yield url


def _one_of_each(site: Path) -> list[str]:
    """A page of every template: the site-wide ones and the first of each kind."""

    def first(folder: str) -> str:
        names = sorted(p.relative_to(site).as_posix() for p in (site / folder).rglob("*.html"))
        return next(n for n in names if not n.endswith(("/index.html", "/compare.html")))

    return [
        "index.html",
        "runs/index.html",
        first("runs"),
        "batches/index.html",
        first("batches"),
        "agents/index.html",
        "suites/index.html",
        first("suites"),
        first("scenarios"),
        "evaluators/index.html",
        first("evaluators"),
        "costs/index.html",
        "downloads/index.html",
        "pages/about.html",
    ]


@pytest.mark.browser
def test_tab_from_the_top_reaches_the_skip_link_first(page, site_url: str) -> None:
    page.goto(site_url + "runs/index.html")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.hash]")
    assert focused == ["skip-link", "#main"]
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0 and box["width"] > 20  # shown once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # on past the skip link, the header and the navigation
    assert page.evaluate("document.activeElement.className") != "skip-link"
    assert page.problems == []


def _column(page, n: int) -> list[str]:
    return page.locator(f"#data-table tbody tr td:nth-child({n})").all_inner_texts()


@pytest.mark.browser
def test_header_buttons_sort_from_the_keyboard_and_say_so(page, site_url: str) -> None:
    page.goto(site_url + "runs/index.html")
    page.wait_for_selector("#table-status[data-count]")
    assert page.locator("#data-table th[aria-sort]").count() == 0  # nothing sorted yet
    agent = page.locator("th[data-sort=agent] button")
    agent.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("th[data-sort=agent][aria-sort=ascending]")
    assert "sort=agent" in page.url
    assert _column(page, 6) == sorted(_column(page, 6))
    page.keyboard.press("Space")
    page.wait_for_selector("th[data-sort=agent][aria-sort=descending]")
    assert _column(page, 6) == sorted(_column(page, 6), reverse=True)
    page.locator("th[data-sort=tier] button").click()
    page.wait_for_selector("th[data-sort=tier][aria-sort=ascending]")
    assert page.locator("#data-table th[aria-sort]").count() == 1  # only the sorted column
    assert page.problems == []


@pytest.mark.browser
def test_every_table_has_a_caption_and_every_chart_its_data(
    page, site_url: str, built_site: Path
) -> None:
    chunks = ("index", *(f"{n:04d}" for n in range(1, 100)))  # the batch list's own files
    batches = sorted(
        p.stem for p in (built_site / "data" / "batches").glob("*.js") if p.stem not in chunks
    )
    pages = [*_one_of_each(built_site), f"batches/compare.html#b={batches[0]},{batches[1]}"]
    charts = 0
    for path in pages:
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
        uncaptioned = page.evaluate(
            "[...document.querySelectorAll('table')]"
            ".filter(t => !t.caption || !t.caption.textContent.trim()).length"
        )
        assert uncaptioned == 0, path
        slots = page.evaluate(
            """[...document.querySelectorAll('[data-figure]')].map(el => {
              const data = document.getElementById(el.id.replace(/^chart-/, 'data-'));
              return [el.getAttribute('role'), el.getAttribute('aria-label'),
                      data ? data.querySelectorAll('tbody tr').length : 0];
            })"""
        )
        for role, label, rows in slots:
            assert role == "img" and label and rows >= 1, path
        charts += len(slots)
        assert page.problems == [], path
    assert charts >= 10
