"""The pages and files about all runs that can be built side by side with the rest.

Each part reads what it needs from a connection and yields pages and ready-made
files; none depends on another. The build runs them in child processes while
the main process writes the remaining site-wide pages (``build._write_site``).
Every child reads the build's own copy of the results file, taken from the
build's snapshot before any part starts, so all of them see the same data.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator

from generator import api_static
from generator.pages import Page, catalog
from generator.pages import runs as run_pages
from generator.queries import runs
from generator.queries.summary import Summary

File = tuple[str, bytes]


def runs_listing(conn: sqlite3.Connection) -> Iterator[Page | File]:
    """The runs table's data files, the runs CSV and the API's listings of runs."""
    listing = api_static.RunsListing(runs.count_runs(conn))
    yield from run_pages.data_files(conn, listing)


def evaluators(conn: sqlite3.Connection) -> Iterator[Page | File]:
    """The evaluator pages and each evaluator's API trend."""
    summary = Summary(conn)
    yield from catalog.evaluator_pages(conn, summary)
    yield from api_static.encoded(api_static.trend_entries(summary))


def suites(conn: sqlite3.Connection) -> Iterator[Page | File]:
    """The suite and scenario pages and their API statistics."""
    summary = Summary(conn)
    yield from catalog.suite_pages(conn, summary)
    yield from api_static.encoded(api_static.suite_entries(summary))


# The longest first, so that the last one to start is a short one.
PARTS: dict[str, Callable[[sqlite3.Connection], Iterable[Page | File]]] = {
    "suite and scenario pages": suites,
    "runs table, CSV and API listing": runs_listing,
    "evaluator pages": evaluators,
}
