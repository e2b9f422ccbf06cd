"""What the statistics cost a build: the decisions the site shows, timed in-process on
the size's results file (like the Python recorder row: a part of the build, not a
command of its own).

- regressions: every series' newest batch against the batches before it
  (``queries.regressions``), as the regressions page, feed and dashboard show it;
- batch comparisons: every batch against the previous comparable batch
  (``queries.comparison.batch_comparisons``), as the batch pages show it;
- repeated runs: pass@k, pass^k and flaky cells from the tallies of all runs
  (``queries.repeats``), as the agents, suites and scenario pages show them; the
  tallies themselves are read once for every overview page and are not counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from generator import store
from generator.queries import comparison, regressions, repeats
from generator.queries.summary import Summary


def measure(db: Path) -> dict:
    """Seconds of each kind of statistics over *db*, with how much each covered."""
    conn = store.open_read(db)
    try:
        started = time.perf_counter()
        checks = regressions.regressions(conn)
        regressions_s = time.perf_counter() - started

        started = time.perf_counter()
        previous = comparison.previous_batches(conn)
        compared = comparison.batch_comparisons(conn, list(previous), previous)
        comparisons_s = time.perf_counter() - started

        summary = Summary(conn)
        summary.tallies  # noqa: B018 - read untimed: every overview page shares it
        started = time.perf_counter()
        counts = repeats.cell_counts(summary.tallies)
        repeats.pass_curves(counts)
        repeats.flaky_by_scenario(counts)
        repeats_s = time.perf_counter() - started
    finally:
        conn.close()
    return {
        "regressions": {"series": len(checks), "seconds": regressions_s},
        "batch_comparisons": {"batches": len(compared), "seconds": comparisons_s},
        "repeats": {"cells": len(counts), "seconds": repeats_s},
    }


def rows() -> list[tuple[str, Callable[[dict], str]]]:
    """The bench table's rows for this section ("–" for results of older code)."""

    def cell(key: str, count: str) -> Callable[[dict], str]:
        def text(r: dict) -> str:
            found = r.get("statistics", {}).get(key)
            if found is None:
                return "–"
            return f"{found['seconds']:.2f} s ({found[count]:,} {count})"

        return text

    return [
        ("Statistics: regressions over time", cell("regressions", "series")),
        ("… batch pages' comparisons", cell("batch_comparisons", "batches")),
        ("… pass@k, pass^k, flaky cells", cell("repeats", "cells")),
    ]
