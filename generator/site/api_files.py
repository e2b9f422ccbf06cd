"""The static JSON API: every GET path at its default parameters, as files.

A GET path maps to the file at that path plus ``.json`` under the site root
(``/api/runs/<id>/telemetry`` → ``api/runs/<seg>/telemetry.json``, ``/health`` →
``api/health.json``) where ``<seg>`` is ``paths.file_name(id)``. Each file holds
``api.dumps()`` of the same answer ``api.get()`` gives, built from a few
ordered scans of the whole file instead of one query per path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from generator import queries
from generator.queries import api, budget, encoding
from generator.queries.api import (
    BATCHES_LIMIT,
    RUNS_LIMIT,
    dumps,
    listing_index,
    listing_page,
    page_count,
)
from generator.queries.api import quote_segment as q
from generator.queries.summary import Summary
from generator.site.paths import file_name

Entry = tuple[str, str, Any]  # (file path under the site root, GET path, answer)
Rows = list[tuple[Any, ...]]


def static_files(
    conn: sqlite3.Connection, text_budget: budget.Budget = budget.NO_LIMIT
) -> Iterator[tuple[str, bytes]]:
    """(relative file path, content) for every file of the static JSON API, from
    one call: what the tests check the files of a build against."""
    return encoded(static_entries(conn), text_budget)


def static_entries(
    conn: sqlite3.Connection, *, units: bool = True, summary: Summary | None = None
) -> Iterator[Entry]:
    """(file path, the GET path it answers, the answer) for every static API file.

    Without *units*, only the answers about many runs: not each run's and each
    batch's own files (``run_entries``, ``batch_entries``), which a build may reuse.
    *summary* may come from the caller, who shares its answers with the pages.
    """
    if summary is None:
        summary = Summary(conn)  # every run read once, shared by all the aggregates below
    yield from summary_entries(conn, summary)
    yield from _batches_listing(summary.batches)
    yield from _runs_listing(conn)
    yield from suite_entries(summary)
    yield from trend_entries(summary)
    if units:
        yield from _runs(conn)
        yield from _batches(conn, summary.rows)


def summary_entries(conn: sqlite3.Connection, summary: Summary) -> Iterator[Entry]:
    """Health, and statistics over all runs, per agent and per model."""
    fine = summary.tallies
    yield "api/health.json", "/health", queries.health()
    yield "api/stats.json", "/api/stats", summary.totals
    yield "api/stats/agents.json", "/api/stats/agents", queries.agent_stats(conn, fine)
    yield "api/stats/models.json", "/api/stats/models", queries.model_stats(conn, fine)


def _runs_listing(conn: sqlite3.Connection) -> Iterator[Entry]:
    """``/api/runs`` and the complete listing ``/api/all/runs``, page by page.

    The build writes the same files from each run's kept entries (``run_listing``);
    these answers, straight from the query functions, are what it must match.
    """
    total = queries.count_runs(conn)
    items = queries.list_runs(conn, limit=None)
    yield "api/runs.json", "/api/runs", items[:RUNS_LIMIT]
    yield "api/all/runs.json", "/api/all/runs", listing_index("runs", total)
    for number in range(1, page_count(total) + 1):
        page = items[(number - 1) * api.PAGE_SIZE : number * api.PAGE_SIZE]
        yield (
            f"api/all/runs/{number}.json",
            f"/api/all/runs/{number}",
            listing_page(number, total, page),
        )


def listing_files(kind: str, items: list[str], newest: int) -> Iterator[tuple[str, bytes]]:
    """``/api/<kind>`` (the *newest* items) and the pages and index of
    ``/api/all/<kind>``, from every item already encoded (``encoding.dumps``), in order."""
    total = len(items)
    yield f"api/{kind}.json", encoding.joined("[]\n", items[:newest])
    for number in range(1, page_count(total) + 1):
        page = items[(number - 1) * api.PAGE_SIZE : number * api.PAGE_SIZE]
        empty = api.dumps(listing_page(number, total, []))
        yield f"api/all/{kind}/{number}.json", encoding.joined(empty, page)
    yield f"api/all/{kind}.json", api.dumps(listing_index(kind, total)).encode("utf-8")


def _batches_listing(batches: list[dict[str, Any]]) -> Iterator[Entry]:
    total = len(batches)
    yield "api/batches.json", "/api/batches", batches[:BATCHES_LIMIT]
    yield "api/all/batches.json", "/api/all/batches", listing_index("batches", total)
    for number in range(1, page_count(total) + 1):
        size = api.PAGE_SIZE
        items = batches[(number - 1) * size : number * size]
        page = listing_page(number, total, items)
        yield f"api/all/batches/{number}.json", f"/api/all/batches/{number}", page


def suite_entries(summary: Summary) -> Iterator[Entry]:
    """The statistics of every suite and every scenario."""
    for suite, data in summary.suites.items():
        yield f"api/stats/suites/{file_name(suite)}.json", f"/api/stats/suites/{q(suite)}", data
    for (suite, scenario), data in summary.scenarios.items():
        yield (
            f"api/stats/scenarios/{file_name(suite)}/{file_name(scenario)}.json",
            f"/api/stats/scenarios/{q(suite)}/{q(scenario)}",
            data,
        )


def trend_entries(summary: Summary) -> Iterator[Entry]:
    """The daily trend of every evaluator."""
    for name, data in summary.trends.items():
        yield (
            f"api/stats/evaluators/{file_name(name)}/trends.json",
            f"/api/stats/evaluators/{q(name)}/trends",
            data,
        )


def _runs(conn: sqlite3.Connection) -> Iterator[Entry]:
    for detail in queries.iter_run_details(conn):
        yield from run_entries(detail)


def run_entries(detail: dict[str, Any]) -> Iterator[Entry]:
    """The static API files of one run, from ``queries.get_run`` for it."""
    run_id = detail["run"]["runId"]
    base, path = f"api/runs/{file_name(run_id)}", f"/api/runs/{q(run_id)}"
    yield f"{base}.json", path, detail
    yield f"{base}/evaluations.json", f"{path}/evaluations", detail["evaluations"]
    yield f"{base}/telemetry.json", f"{path}/telemetry", detail["telemetry"]


def _batches(conn: sqlite3.Connection, rows: Rows) -> Iterator[Entry]:
    for batch, analytics in queries.iter_batch_details(conn, rows):
        yield from batch_entries(batch, analytics)


def batch_entries(batch: dict[str, Any], analytics: dict[str, Any]) -> Iterator[Entry]:
    """The static API files of one batch, from ``queries.iter_batch_details``."""
    batch_id = batch["batchId"]
    base, path = f"api/batches/{file_name(batch_id)}", f"/api/batches/{q(batch_id)}"
    yield f"{base}.json", path, batch
    yield f"{base}/analytics.json", f"{path}/analytics", analytics


def encoded(
    entries: Iterable[Entry], text_budget: budget.Budget = budget.NO_LIMIT
) -> Iterator[tuple[str, bytes]]:
    """(file path, content) of static API entries, their texts cut to *text_budget*
    (as ``zebench api --max-text-bytes`` cuts them)."""
    for file_path, _, data in entries:
        yield file_path, dumps(budget.cut(data, text_budget)).encode("utf-8")
