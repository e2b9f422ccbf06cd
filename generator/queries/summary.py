"""Answers about all runs that several pages and static API files share.

A build asks for the same all-runs answers from several places (the dashboard,
the costs page, the suite pages, the static API). ``Summary`` computes each
the first time it is asked for, from one read of the runs (and one of the
evaluations), and hands out that same answer afterwards. Each equals the answer
of the query function its docstring names, which the tests check.
"""

from __future__ import annotations

import sqlite3
from functools import cached_property
from typing import Any

from generator.queries import batches, repeats, reports, stats, trends
from generator.queries.common import STARTED, is_known, ratio, sql_sorted, wide_rows

Rows = list[tuple[Any, ...]]


class Summary:
    """All-runs answers for one connection, each read once when first needed."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @cached_property
    def rows(self) -> Rows:
        """Every run as ``common.wide_rows``."""
        return wide_rows(self.conn)

    @cached_property
    def tallies(self) -> stats.Tallies:
        """``stats.tallies`` of every run: every figure below sums these."""
        return stats.tallies(self.rows)

    @cached_property
    def totals(self) -> dict[str, Any]:
        """``stats.global_stats`` over all time."""
        return {"days": None, "since": None, **stats.tally_figures(self.tallies)}

    @cached_property
    def by_pair(self) -> list[dict[str, Any]]:
        """``reports.breakdown`` by agent and model."""
        return stats.tally_breakdown(self.tallies, ("agent", "model"))

    @cached_property
    def suites(self) -> dict[str, dict[str, Any]]:
        """``stats.all_suite_stats``."""
        return stats.all_suite_stats(self.conn, self.rows, self.tallies)

    @cached_property
    def scenarios(self) -> dict[tuple[str, str], dict[str, Any]]:
        """``stats.all_scenario_stats``."""
        return stats.all_scenario_stats(self.conn, self.rows, self.tallies)

    @cached_property
    def cell_counts(self) -> repeats.Counts:
        """``repeats.cell_counts``: the runs and successes of every cell."""
        return repeats.cell_counts(self.tallies)

    @cached_property
    def pass_curves(self) -> list[dict[str, Any]]:
        """``repeats.pass_curves`` per agent · model."""
        return repeats.pass_curves(self.cell_counts)

    @cached_property
    def flaky(self) -> dict[tuple[Any, Any], dict[str, Any]]:
        """``repeats.flaky_by_scenario``."""
        return repeats.flaky_by_scenario(self.cell_counts)

    @cached_property
    def evaluations(self) -> tuple[dict[str, list[dict[str, Any]]], trends.Bins, list[Any]]:
        """``trends.trends_and_bins`` and ``reports.evaluator_summary``, from one scan
        of every evaluation."""
        totals = reports.EvaluatorTotals(self.conn)
        by_day, bins = trends.trends_and_bins(self.conn, totals.add)
        return by_day, bins, totals.rows()

    @cached_property
    def evaluator_summary(self) -> list[dict[str, Any]]:
        """``reports.evaluator_summary``."""
        return self.evaluations[2]

    @cached_property
    def trends(self) -> dict[str, list[dict[str, Any]]]:
        """``trends.all_evaluator_trends``."""
        return self.evaluations[0]

    @cached_property
    def evaluator_bins(self) -> trends.Bins:
        """``reports.evaluator_bins``."""
        return self.evaluations[1]

    @cached_property
    def batches(self) -> list[dict[str, Any]]:
        """``batches.list_batches`` of every batch, newest first."""
        return batches.list_batches(self.conn, limit=None, rows=self.rows)

    def newest_batches(self, count: int) -> list[dict[str, Any]]:
        """``batches.list_batches`` of the *count* newest batches."""
        return batches.list_batches(self.conn, limit=count, rows=self.rows)

    @cached_property
    def score_bins(self) -> list[dict[str, Any]]:
        """``reports.score_bins``."""
        return score_bins(self.rows)

    @cached_property
    def outcomes_by_day(self) -> list[dict[str, Any]]:
        """``reports.outcomes_by_day``."""
        return outcomes_by_day(self.rows)


def score_bins(rows: Rows, width: float = 0.5) -> list[dict[str, Any]]:
    """``reports.score_bins`` from wide rows, without another scan."""
    count = int(round(10 / width))
    counts = [0] * count
    for row in rows:
        weighted = row[3]
        # As SQL's BETWEEN: only numbers compare with 0 and 10 (text sorts after them).
        if row[0] == "completed" and isinstance(weighted, (int, float)) and 0 <= weighted <= 10:
            counts[min(int(weighted / width), count - 1)] += 1
    return [{"lo": i * width, "hi": (i + 1) * width, "runs": counts[i]} for i in range(count)]


def outcomes_by_day(rows: Rows) -> list[dict[str, Any]]:
    """``reports.outcomes_by_day`` from wide rows, without another scan."""
    # Per day: runs, successful, unsuccessful, unknown, failed, known.
    days: dict[tuple[Any], list[int]] = {}
    for row in rows:
        key = (stats.utc_day(row[STARTED]),)
        counts = days.get(key)
        if counts is None:
            counts = days[key] = [0, 0, 0, 0, 0, 0]
        status, successful = row[0], row[1]
        counts[0] += 1
        if status == "completed":
            if successful == 1:
                counts[1] += 1
            elif successful == 0:
                counts[2] += 1
        if is_known(row):
            counts[5] += 1
        else:
            counts[3] += 1
        if status in ("failed", "incomplete"):
            counts[4] += 1
    return [
        {
            "day": key[0],
            "runs": runs,
            "successful": ok,
            "unsuccessful": not_ok,
            "unknown": unknown,
            "failed": failed,
            "success_rate": ratio(ok, known),
        }
        for key in sql_sorted(days)
        for runs, ok, not_ok, unknown, failed, known in [days[key]]
    ]
