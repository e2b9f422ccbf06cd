"""Page contexts: one builder per page type, each returning ``Page`` objects.

A ``Page`` is everything a template sees besides the site-wide ``Site``: its
output path, title, breadcrumbs, its own context ``ctx`` (a documented dict or
dataclass per page type) and its charts as Plotly JSON. Builders read through
the query functions only, so a page and the JSON API agree on every number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from generator.queries.budget import NO_LIMIT, Budget

Crumb = tuple[str, str]  # (label, path from the site root)


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar; ``section`` marks the active entry."""

    label: str
    path: str
    section: str


NAV = (
    NavItem("Dashboard", "index.html", "dashboard"),
    NavItem("Runs", "runs/index.html", "runs"),
    NavItem("Batches", "batches/index.html", "batches"),
    NavItem("Agents & models", "agents/index.html", "agents"),
    NavItem("Suites", "suites/index.html", "suites"),
    NavItem("Evaluators", "evaluators/index.html", "evaluators"),
    NavItem("Regressions", "regressions.html", "regressions"),
    NavItem("Costs", "costs/index.html", "costs"),
    NavItem("Downloads", "downloads/index.html", "downloads"),
)


@dataclass(frozen=True)
class Site:
    """What every page shows around its own content."""

    nav: tuple[NavItem, ...]
    base_url: str | None  # absolute URL of the site root ending in "/", for canonical links
    data_as_of: str | None  # newest run's start, ISO 8601
    built_at: str | None  # from SOURCE_DATE_EPOCH only, so builds stay reproducible
    # None on the pages of one run or batch: they then depend on that run or batch
    # alone, so an incremental build can keep them when other runs arrive.
    run_count: int | None
    # The text budget of every run's and batch's page and API files (queries.budget):
    # part of the context, so a changed budget renders every run again.
    budget: Budget = NO_LIMIT


@dataclass(frozen=True)
class Page:
    """One HTML file: where it goes, which template draws it, and with what."""

    path: str
    template: str
    title: str
    section: str
    ctx: Any
    crumbs: tuple[Crumb, ...] = ()
    charts: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    scripts: tuple[str, ...] = ()

    @property
    def root(self) -> str:
        """The relative path from this page back to the site root ("", "../", …)."""
        return "../" * self.path.count("/")


def figure(
    rows: Sequence[Any] | dict[str, Any], draw: Callable[..., go.Figure], *args: Any
) -> dict[str, Any] | None:
    """draw(rows, *args) as Plotly JSON, or None when there is nothing to draw."""
    if not rows:
        return None
    return draw(rows, *args).to_plotly_json()


def top(rows: Sequence[dict[str, Any]], key: str, n: int) -> list[dict[str, Any]]:
    """The n rows with the highest ``key`` (rows without one last), ties in input order."""
    return sorted(rows, key=lambda r: (r[key] is None, -(r[key] or 0)))[:n]
