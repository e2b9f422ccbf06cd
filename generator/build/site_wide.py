"""The pages and files about all runs that can be built side by side with the rest.

Each part reads what it needs from a connection and yields pages and ready-made
files; none depends on another. The build runs them in child processes while
the main process plans and writes the pages that need no figures of all runs
(``build._write_pages``).
Every child reads the build's snapshot (``store.snapshot``), so all of them see
the same data. Besides it a part is given ``Inputs``: the plan's fingerprints
and what the last build kept for the next one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.build import batch_listing, cache, run_listing
from generator.queries import judge, regressions
from generator.queries.budget import NO_LIMIT, Budget
from generator.queries.summary import Summary
from generator.site import api_files
from generator.site.pages import Page, catalog
from generator.site.pages import overview as overview_pages
from generator.site.pages import regressions as regression_pages

File = tuple[str, bytes]


@dataclass(frozen=True)
class Inputs:
    """What a part may use besides the results."""

    fingerprints: dict[str, str]  # runId -> fingerprint, from changes.plan
    last_site: Path | None  # the site this build replaces, whose build kept entries
    create: Callable[[str], Path]  # claims a site path for a file the part writes itself
    text_budget: Budget = NO_LIMIT  # of the API's listings, as of every run's files


def runs_listing(conn: sqlite3.Connection, inputs: Inputs) -> Iterator[Page | File]:
    """The runs table's data files, the runs CSV and the API's listings of runs,
    with each run's entries kept for the next build."""
    return _kept_listing(run_listing, conn, inputs)


def batches_listing(conn: sqlite3.Connection, inputs: Inputs) -> Iterator[Page | File]:
    """The batch list's data files and the API's listings of batches, with each
    batch's entries kept for the next build."""
    return _kept_listing(batch_listing, conn, inputs)


def _kept_listing(listing: Any, conn: sqlite3.Connection, inputs: Inputs) -> Iterator[File]:
    """The files of a listing module (``run_listing``, ``batch_listing``), from the
    entries the last build kept where they still hold; this build's entries kept."""
    kept = cache.read_rows(inputs.last_site, listing.CACHE, listing.CACHE_WIDTH, texts=True)
    last = {row[0]: row[1:] for row in kept}
    files, rows = listing.files(conn, inputs.fingerprints, last, inputs.text_budget)
    yield from files
    cache.write(inputs.create(cache.path(listing.CACHE)), rows, listing.CACHE_WIDTH)


JUDGE = "judge"  # kept: (bucket, stamp, agent, model, category, count, scaled sum) rows
JUDGE_WIDTH = 7


def evaluators(conn: sqlite3.Connection, inputs: Inputs) -> Iterator[Page | File]:
    """The evaluator pages and each evaluator's API trend; the LLM judge's sums
    per bucket of runs are kept for the next build."""
    judged, rows = _judge_categories(conn, inputs)
    summary = Summary(conn)
    yield from catalog.evaluator_pages(conn, summary, judged)
    yield from api_files.encoded(api_files.trend_entries(summary))
    cache.write(inputs.create(cache.path(JUDGE)), rows, JUDGE_WIDTH)


def _judge_categories(
    conn: sqlite3.Connection, inputs: Inputs
) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """``judge.judge_categories`` from the sums of each bucket of runs, those of
    unchanged buckets kept from the last build; and the rows to keep."""
    stamps, members = cache.buckets(inputs.fingerprints)
    last = _kept_sums(cache.read_rows(inputs.last_site, JUDGE, JUDGE_WIDTH))
    found, missing = cache.split(sorted(stamps), stamps.get, last)
    sums = {number: values[0] for number, values in found.items()}
    sums.update((number, judge.JudgeSums()) for number in missing)
    run_ids = None if len(missing) == len(stamps) else [r for n in missing for r in members[n]]
    for run_id, agent, model, pairs in judge.judge_scores(conn, run_ids):
        sums[cache.bucket(run_id)].add(agent, model, pairs)
    total = judge.JudgeSums()
    rows: list[tuple[Any, ...]] = []
    for number in sorted(sums):
        total.merge(sums[number])
        rows += [(number, stamps[number], *row) for row in sums[number].to_rows()]
    return total.rows(), rows


def _kept_sums(rows: list[tuple[Any, ...]]) -> dict[int, tuple[str, judge.JudgeSums]]:
    """{bucket: (stamp, sums)} from kept rows; none at all if any row is not as written."""
    by_bucket: dict[tuple[Any, Any], list[tuple[Any, ...]]] = {}
    for number, stamp, *row in rows:
        by_bucket.setdefault((number, stamp), []).append(row)
    try:
        return {
            n: (stamp, judge.JudgeSums.from_rows(group)) for (n, stamp), group in by_bucket.items()
        }
    except (TypeError, ValueError):
        return {}


def overview(conn: sqlite3.Connection, inputs: Inputs) -> Iterator[Page | File]:
    """The pages and API statistics made of the figures of all runs: dashboard,
    agents, costs, suites and scenarios; all runs read once."""
    summary = Summary(conn)
    by_pair = summary.by_pair
    checks = regressions.regressions(conn)
    yield overview_pages.dashboard(conn, by_pair, summary, checks)
    yield regression_pages.page(checks)
    yield regression_pages.feed(checks)
    yield catalog.agents(conn, by_pair, summary)
    yield overview_pages.costs(conn, by_pair, summary)
    yield from catalog.suite_pages(conn, summary)
    yield from api_files.encoded(api_files.summary_entries(conn, summary))
    yield from api_files.encoded(api_files.suite_entries(summary))


# Each has a child process of its own; the build reports them in this order.
PARTS: dict[str, Callable[[sqlite3.Connection, Inputs], Iterable[Page | File]]] = {
    "dashboard, suites, agents, costs and statistics": overview,
    "runs table, CSV and API listing": runs_listing,
    "batch list and API listing": batches_listing,
    "evaluator pages": evaluators,
}
# Started once the plan has fingerprinted every run, or every batch: they take
# those fingerprints. The others start at once.
PLANNED = {runs_listing: "runs", evaluators: "runs", batches_listing: "batches"}


def names(planned: str | None) -> list[str]:
    """The names of the parts that wait for the fingerprints of *planned* ("runs",
    "batches"), or (None) of those that wait for none."""
    return [name for name, part in PARTS.items() if PLANNED.get(part) == planned]
