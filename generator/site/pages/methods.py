"""The methods page: ``docs/statistics.md`` rendered into the site, so every interval
and verdict on a page can link to the section that explains it."""

from __future__ import annotations

import re
from pathlib import Path

import markdown as md
from markupsafe import Markup

from generator.site.pages import Page

PATH = "methods/statistics.html"
# Sections of docs/statistics.md that pages link to (python-markdown's toc ids).
WILSON = "wilson-interval"
MEAN = "cluster-robust-interval"
T_INTERVAL = "mean-and-t-interval"
RATE_OVER_CELLS = "success-rate-over-repeated-cells"
COMPARING = "comparing-two-sets-of-runs"
REGRESSIONS = "regressions-over-time"
PASS_K = "pass-rates-over-k-runs"
FLAKY = "disagreement-rate"


def docs_dir() -> Path:
    """docs/ inside the installed package, else the source checkout's ``docs/``."""
    package = Path(__file__).resolve().parents[2]
    installed = package / "docs"
    return installed if installed.is_dir() else package.parent / "docs"


def href(root: str, section: str) -> str:
    """The link from a page at *root* to a section of the methods page."""
    return f"{root}{PATH}#{section}"


def page() -> Page:
    """The methods page, from docs/statistics.md (the project's own text: HTML kept)."""
    text = (docs_dir() / "statistics.md").read_text(encoding="utf-8")
    html = md.markdown(text, extensions=["extra", "sane_lists", "toc"], output_format="html")
    html = _captioned(html)
    return Page(
        path=PATH,
        template="markdown.html",
        title="Statistics: methods",
        section="methods",
        ctx={"html": Markup(html), "show_title": False},
    )


_HEADING_OR_TABLE = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>|<table>", re.S)


def _captioned(html: str) -> str:
    """Every table with a caption (read by screen readers): its section's heading."""
    heading = "Statistics"

    def caption(match: re.Match[str]) -> str:
        nonlocal heading
        if match.group(1) is not None:
            heading = re.sub(r"<[^>]+>", "", match.group(1))
            return match.group(0)
        return f'<table><caption class="visually-hidden">{heading}</caption>'

    return _HEADING_OR_TABLE.sub(caption, html)
