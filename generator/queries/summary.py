"""Answers about all runs that several pages and static API files share.

A build asks for the same all-runs answers from several places (the dashboard,
the costs page, the suite pages, the static API). ``Summary`` computes each
with the usual query function the first time it is asked for, from one scan of
the runs, and hands out that same answer afterwards.
"""

from __future__ import annotations

import sqlite3
from functools import cached_property
from typing import Any

from generator.queries import batches, stats
from generator.queries.common import wide_rows


class Summary:
    """All-runs answers for one connection, each read once when first needed."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @cached_property
    def rows(self) -> list[tuple[Any, ...]]:
        """Every run as ``common.wide_rows``."""
        return wide_rows(self.conn)

    @cached_property
    def pairs(self) -> stats.Tallies:
        """``stats.tallies`` of every run by agent and model."""
        return stats.tallies(self.rows, ("agent", "model"))

    @cached_property
    def totals(self) -> dict[str, Any]:
        """``stats.global_stats`` over all time."""
        return {"days": None, "since": None, **stats.tally_figures(self.pairs)}

    @cached_property
    def by_pair(self) -> list[dict[str, Any]]:
        """``reports.breakdown`` by agent and model."""
        return stats.tally_breakdown(self.pairs, ("agent", "model"))

    @cached_property
    def tallies(self) -> stats.Tallies:
        """``stats.tallies`` of every run: the suite and scenario figures sum these."""
        return stats.tallies(self.rows)

    @cached_property
    def suites(self) -> dict[str, dict[str, Any]]:
        """``stats.all_suite_stats``."""
        return stats.all_suite_stats(self.conn, self.rows, self.tallies)

    @cached_property
    def scenarios(self) -> dict[tuple[str, str], dict[str, Any]]:
        """``stats.all_scenario_stats``."""
        return stats.all_scenario_stats(self.conn, self.rows, self.tallies)

    @cached_property
    def trends(self) -> dict[str, list[dict[str, Any]]]:
        """``stats.all_evaluator_trends``."""
        return stats.all_evaluator_trends(self.conn)

    @cached_property
    def batches(self) -> list[dict[str, Any]]:
        """``batches.list_batches`` of every batch, newest first."""
        return batches.list_batches(self.conn, limit=None, rows=self.rows)
