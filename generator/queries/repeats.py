"""Repeated trials: pass@k and pass^k per agent · model, and the flaky cells of each
scenario.

A cell is one (suite, scenario, tier) of one agent · model; its repeated runs are
trials of the same question (``docs/statistics.md``). Everything here is worked
out from the counts of each cell in ``stats.tallies`` of every run (the tallies
``Summary`` reads once for all the pages about all runs), so it costs no further
read: per cell, the runs with known success and the successes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from generator.queries.batches import nulls_last
from generator.queries.common import sql_sorted
from generator.queries.stats import FINE_KEYS, Tallies
from generator.statistics import paired

KMAX = 5  # pass@k and pass^k for k = 1..KMAX
FLAKIEST = 10  # scenarios in the "flakiest scenarios" list

Counts = dict[tuple[Any, ...], tuple[int, int]]


def cell_counts(tallies: Tallies) -> Counts:
    """{(suite, scenario, agent, model, tier): (runs with known success, successes)} of
    the cells with at least one run of known success."""
    if tallies.keys != FINE_KEYS:
        raise ValueError(f"cell counts need tallies by {FINE_KEYS}, not {tallies.keys}")
    return {
        key: (tally.known, tally.successes) for key, tally in tallies.groups.items() if tally.known
    }


def pass_curves(counts: Counts, kmax: int = KMAX) -> list[dict[str, Any]]:
    """Per agent · model (by agent, then model): ``agent``, ``model``, ``cells`` (cells
    with known success) and ``curves``, pass@k and pass^k for k = 1..kmax with the
    number of cells each covers (``paired.pass_curves``)."""
    by_pair: dict[tuple[Any, Any], list[tuple[int, int]]] = defaultdict(list)
    for (_, _, agent, model, _), known in sorted(counts.items(), key=_cell_order):
        by_pair[(agent, model)].append(known)
    return [
        {
            "agent": agent,
            "model": model,
            "cells": len(by_pair[(agent, model)]),
            "curves": paired.pass_curves_of_counts(by_pair[(agent, model)], kmax),
        }
        for agent, model in sql_sorted(by_pair)
    ]


def flaky_by_scenario(counts: Counts) -> dict[tuple[Any, Any], dict[str, Any]]:
    """{(suite, scenario): ``paired.flaky_cells`` of its cells}, each flaky cell with
    its ``agent``, ``model`` and ``tier`` (cells by agent, model, tier)."""
    by_scenario: dict[tuple[Any, Any], list[tuple[dict[str, Any], int, int]]] = defaultdict(list)
    for (suite, scenario, agent, model, tier), (n, c) in sorted(counts.items(), key=_cell_order):
        keys = {"agent": agent, "model": model, "tier": tier}
        by_scenario[(suite, scenario)].append((keys, n, c))
    return {key: paired.flaky_of_counts(cells) for key, cells in by_scenario.items()}


def flakiest(
    flaky: dict[tuple[Any, Any], dict[str, Any]], limit: int = FLAKIEST
) -> list[dict[str, Any]]:
    """The scenarios with flaky cells, the flakiest first: by share of flaky cells among
    those with repeats, then mean disagreement, then suite and scenario."""
    rows = [
        {
            "suite": suite,
            "scenario": scenario,
            **{key: found[key] for key in ("cellsWithRepeats", "flakyCells", "flakyShare")},
            "meanDisagreement": found["meanDisagreement"],
        }
        for (suite, scenario), found in flaky.items()
        if found["flakyCells"]
    ]
    rows.sort(
        key=lambda r: (
            -r["flakyShare"],
            -r["meanDisagreement"],
            nulls_last(r["suite"]),
            nulls_last(r["scenario"]),
        )
    )
    return rows[:limit]


def _cell_order(item: tuple[tuple[Any, ...], Any]) -> tuple[Any, ...]:
    """Cells in SQLite's order of their keys (NULLs first, as ORDER BY puts them)."""
    return tuple((value is not None, "" if value is None else str(value)) for value in item[0])
