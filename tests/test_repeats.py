"""Repeated trials from the tallies of all runs: the numbers of statistics.paired over
the same runs read one agent · model or one scenario at a time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from generator import store
from generator.queries import comparison, repeats, stats
from generator.queries.common import wide_rows
from generator.queries.summary import Summary
from generator.results import demo
from generator.statistics import paired


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    db = tmp_path_factory.mktemp("repeats") / "demo.db"
    demo.write_demo(db)
    return store.open_read(db)


def _pairs(conn: sqlite3.Connection) -> list[tuple[str, str | None]]:
    sql = "SELECT DISTINCT agent, model FROM benchmark_runs ORDER BY agent, model"
    return [tuple(row) for row in conn.execute(sql)]


def test_pass_curves_are_those_of_each_pairs_runs(conn: sqlite3.Connection) -> None:
    curves = Summary(conn).pass_curves
    assert [(r["agent"], r["model"]) for r in curves] == _pairs(conn)
    for row in curves:
        where = "r.agent = ? AND r.model IS ?"
        runs = comparison.outcomes(conn, where, [row["agent"], row["model"]])
        assert row["curves"] == paired.pass_curves(runs, repeats.KMAX)
        assert row["cells"] == row["curves"][0]["cells"]
    # The demo repeats cells: some pair has a pass^2 over several cells, below its pass@2.
    assert any(r["curves"][1]["cells"] >= 5 for r in curves)
    assert all(c["passHatK"] <= c["passAtK"] for r in curves for c in r["curves"] if c["cells"])


def test_flaky_cells_of_a_scenario_are_those_of_each_pair_in_it(conn: sqlite3.Connection) -> None:
    flaky = Summary(conn).flaky
    assert any(found["flakyCells"] for found in flaky.values())
    for (suite, scenario), found in flaky.items():
        expected_cells, repeated = [], 0
        for agent, model in _pairs(conn):
            where = "r.suite = ? AND r.scenario = ? AND r.agent = ? AND r.model IS ?"
            runs = comparison.outcomes(conn, where, [suite, scenario, agent, model])
            one = paired.flaky_cells(runs)
            repeated += one["cellsWithRepeats"]
            expected_cells += [
                {"agent": agent, "model": model, "tier": c["tier"], **_counts(c)}
                for c in one["cells"]
            ]
        assert found["cellsWithRepeats"] == repeated
        key = lambda c: (c["agent"], c["model"] or "", c["tier"])  # noqa: E731
        assert sorted(found["cells"], key=key) == sorted(expected_cells, key=key)


def _counts(cell: dict) -> dict:
    return {k: cell[k] for k in ("runsWithKnownSuccess", "successfulRuns", "disagreement")}


def test_flakiest_ranks_by_share_then_disagreement_and_keeps_only_flaky_scenarios() -> None:
    def entry(share, mean, flaky=1):
        return {"cellsWithRepeats": 4, "flakyCells": flaky, "flakyShare": share,
                "meanDisagreement": mean, "cells": []}  # fmt: skip

    flaky = {
        ("s", "calm"): entry(0.0, 0.0, 0),
        ("s", "b"): entry(0.5, 0.2),
        ("s", "a"): entry(0.5, 0.2),
        ("t", "x"): entry(0.5, 0.4),
        ("t", "y"): entry(0.75, 0.1),
    }
    ranked = repeats.flakiest(flaky, limit=3)
    assert [(r["suite"], r["scenario"]) for r in ranked] == [("t", "y"), ("t", "x"), ("s", "a")]


def test_cell_counts_need_the_fine_tallies(conn: sqlite3.Connection) -> None:
    with pytest.raises(ValueError, match="cell counts need"):
        repeats.cell_counts(stats.tallies(wide_rows(conn), ("suite", "agent")))


def test_the_pages_show_the_curves_and_the_flaky_cells(tmp_path: Path) -> None:
    from generator.site.pages import catalog

    db = tmp_path / "demo.db"
    demo.write_demo(db, runs=200)
    conn = store.open_read(db)
    summary = Summary(conn)
    page = catalog.agents(conn, summary.by_pair, summary)
    assert page.ctx["curves"] == summary.pass_curves
    assert page.charts["pass-curves"] is not None
    pages = {p.path: p for p in catalog.suite_pages(conn, summary)}
    index = pages["suites/index.html"].ctx
    assert index["flakiest"] == repeats.flakiest(summary.flaky)
    scenario = next(p for p in pages.values() if p.ctx.get("kind") == "scenario")
    key = (scenario.ctx["suite"], scenario.ctx["scenario"])
    assert scenario.ctx["flaky"] == summary.flaky.get(key)
