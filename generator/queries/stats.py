"""Statistics: global, per agent, per model, per suite, per scenario (evaluator
trends are in ``trends``).

``suite_stats`` and ``scenario_stats`` have ``all_*`` twins computing the same
answer for every suite / scenario in one scan; the static API uses the twins.
Both share one implementation, so their results are identical.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from generator.errors import NotFoundError
from generator.queries.batches import desc_nulls_last, group_by, nulls_last
from generator.queries.common import (
    AGENT,
    MODEL,
    SCENARIO,
    STARTED,
    SUITE,
    TIER,
    exact_sum,
    mean_of_sum,
    since,
    sql_sorted,
    ts_sql,
    wide_rows,
)
from generator.queries.tally import Tally, figures

# Keys added to the plan's agent/model rows (whose avgScore is a weighted score).
_PERFORMANCE_KEYS = (
    "totalRuns",
    "successfulRuns",
    "runsWithKnownSuccess",
    "successRate",
    "successRateCI",
    "completedRuns",
    "failedRuns",
    "incompleteRuns",
    "runningRuns",
    "avgWeightedScoreCompleted",
    "avgWeightedScoreCompletedCI",
    "totalCostUsd",
    "avgCostUsd",
    "totalTokensIn",
    "totalTokensOut",
    "avgDurationMs",
)
# Keys added to breakdown rows whose plan ``runs`` counts successful runs only.
_BREAKDOWN_KEYS = (
    "totalRuns",
    "runsWithKnownSuccess",
    "successRate",
    "successRateCI",
    "completedRuns",
    "avgScoreCompleted",
    "avgScoreCompletedCI",
    "avgWeightedScoreCompleted",
    "avgWeightedScoreCompletedCI",
)


Rows = list[tuple[Any, ...]]


def global_stats(
    conn: sqlite3.Connection, days: float | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Figures over all runs, or over runs started in the *days* days before *now*."""
    cutoff = since(days, now)
    where, params = (f"{ts_sql('r.started_at')} >= ?", [cutoff]) if cutoff is not None else ("", [])
    return {"days": days, "since": cutoff, **figures(wide_rows(conn, where, params))}


def _performance(tally: Tally, name: str, value: Any) -> dict[str, Any]:
    stats = tally.figures()
    return {
        name: value,
        "runs": tally.count("ok_weighted"),  # successful runs with a weighted score
        "avgScore": stats["avgWeightedScore"],
        "avgScoreCI": stats["avgWeightedScoreCI"],
        "minScore": tally.worst,
        "maxScore": tally.best,
        **{key: stats[key] for key in _PERFORMANCE_KEYS},
    }


def _performance_table(
    conn: sqlite3.Connection, fine: Tallies | None, name: str, leave_out: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    groups = roll_up(tallies(wide_rows(conn)) if fine is None else fine, (name,))
    table = [_performance(tally, name, key) for (key,), tally in groups.items()]
    table = [row for row in table if row[name] not in leave_out]
    table.sort(
        key=lambda a: (
            desc_nulls_last(a["avgScore"]),
            desc_nulls_last(a["avgWeightedScoreCompleted"]),
            nulls_last(a[name]),
        )
    )
    return table


def agent_stats(conn: sqlite3.Connection, fine: Tallies | None = None) -> list[dict[str, Any]]:
    """One row per agent: the plan's weighted-score figures over successful runs, and more.

    *fine* (here and below): ``tallies`` of every run, so that several statistics
    share one scan.
    """
    return _performance_table(conn, fine, "agent")


def model_stats(conn: sqlite3.Connection, fine: Tallies | None = None) -> list[dict[str, Any]]:
    """Like agent_stats, per model; runs without a model (NULL, '' or 'default') are left out."""
    return _performance_table(conn, fine, "model", (None, "", "default"))


def list_suites(conn: sqlite3.Connection) -> list[str]:
    """Every suite that has runs, sorted."""
    return [r[0] for r in conn.execute("SELECT DISTINCT suite FROM benchmark_runs ORDER BY suite")]


def list_scenarios(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every (suite, scenario) that has runs, sorted."""
    sql = "SELECT DISTINCT suite, scenario FROM benchmark_runs ORDER BY suite, scenario"
    return [(r[0], r[1]) for r in conn.execute(sql)]


def list_evaluators(conn: sqlite3.Connection) -> list[str]:
    """Every evaluator name that has results, sorted."""
    sql = "SELECT DISTINCT evaluator_name FROM evaluation_results ORDER BY evaluator_name"
    return [r[0] for r in conn.execute(sql)]


def _breakdown_row(tally: Tally, name: str, value: Any) -> dict[str, Any]:
    # The plan's breakdown rows count and average successful runs only.
    stats = tally.figures()
    return {
        name: value,
        "runs": stats["successfulRuns"],
        "avgScore": stats["avgScore"],
        "avgScoreCI": stats["avgScoreCI"],
        **{key: stats[key] for key in _BREAKDOWN_KEYS},
    }


@dataclass(frozen=True)
class Tallies:
    """A ``tally.Tally`` of runs per value of the wide-row fields *keys* ("day" is
    the UTC day a run started); every breakdown by some of those keys sums them."""

    keys: tuple[str, ...]
    groups: dict[tuple[Any, ...], Tally]


# The finest groups of the suite and scenario statistics and pages.
FINE_KEYS = ("suite", "scenario", "agent", "model", "tier")
# Where each key sits in a wide row; "day" is cut from STARTED.
_POSITIONS = {
    "suite": SUITE,
    "scenario": SCENARIO,
    "tier": TIER,
    "agent": AGENT,
    "model": MODEL,
    "day": STARTED,
}


def key_of(positions: Sequence[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A function giving the tuple of the items at *positions* (one or more) of a row."""
    if len(positions) > 1:
        return itemgetter(*positions)
    return lambda row: (row[positions[0]],)


def utc_day(started: str | None) -> str | None:
    """The UTC day of a start time in zebench's ISO form (``STARTED`` of a wide row)."""
    return started if started is None else started[:10]


def tallies(rows: Rows, keys: tuple[str, ...] = FINE_KEYS) -> Tallies:
    """A Tally of *rows* (wide rows) per value of *keys*."""
    positions = [_POSITIONS[name] for name in keys]
    pick = key_of(positions)
    if "day" not in keys:
        groups = group_by(rows, pick)
    else:
        at = keys.index("day")
        groups = defaultdict(list)
        for row in rows:
            key = pick(row)
            key = (*key[:at], utc_day(key[at]), *key[at + 1 :])
            groups[key].append(row)
    return Tallies(keys, {key: Tally(group) for key, group in groups.items()})


def roll_up(tallies: Tallies, by: Sequence[str]) -> dict[tuple[Any, ...], Tally]:
    """*tallies* summed by the keys *by* (among its keys), in SQLite's ORDER BY order of
    those keys."""
    pick = [tallies.keys.index(name) for name in by]
    parts: dict[tuple[Any, ...], list[Tally]] = defaultdict(list)
    for key, tally in tallies.groups.items():
        parts[tuple(key[i] for i in pick)].append(tally)
    return {key: Tally.merged(parts[key]) for key in sql_sorted(parts)}


def tally_breakdown(tallies: Tallies, by: Sequence[str]) -> list[dict[str, Any]]:
    """``reports.breakdown(conn, by, rows)`` from tallies(rows, keys) (*by* among keys)."""
    groups = roll_up(tallies, by)
    return [{**dict(zip(by, key, strict=True)), **tally.figures()} for key, tally in groups.items()]


def tally_figures(tallies: Tallies) -> dict[str, Any]:
    """``tally.figures`` of all the runs of *tallies*."""
    return Tally.merged(tallies.groups.values()).figures()


def _suite(tallies: Tallies, suite: str) -> dict[str, Any]:
    scenarios = roll_up(tallies, ("scenario",))
    return {
        "suite": suite,
        **tally_figures(tallies),
        "scenarioBreakdown": [
            _breakdown_row(scenarios[key], "scenario", key[0])
            for key in sorted(scenarios, key=lambda key: nulls_last(key[0]))
        ],
    }


def suite_stats(conn: sqlite3.Connection, suite: str) -> dict[str, Any]:
    """A suite's figures with a per-scenario breakdown; NotFoundError if it has no runs."""
    rows = wide_rows(conn, "r.suite = ?", [suite])
    if not rows:
        raise NotFoundError(f"no suite named {suite!r}")
    return _suite(tallies(rows), suite)


def _split(tallies: Tallies, width: int) -> dict[tuple[Any, ...], Tallies]:
    """*tallies* by the first *width* parts of their keys."""
    groups: dict[tuple[Any, ...], dict[tuple[Any, ...], Tally]] = defaultdict(dict)
    for key, tally in tallies.groups.items():
        groups[key[:width]][key] = tally
    return {prefix: Tallies(tallies.keys, part) for prefix, part in groups.items()}


def all_suite_stats(
    conn: sqlite3.Connection, rows: Rows | None = None, fine: Tallies | None = None
) -> dict[str, dict]:
    """suite_stats() for every suite, in one scan (*fine*: tallies() of every run)."""
    if fine is None:
        fine = tallies(wide_rows(conn) if rows is None else rows)
    groups = _split(fine, 1)
    return {suite: _suite(groups[(suite,)], suite) for (suite,) in sorted(groups)}


def _scenario(tallies: Tallies, suite: str, scenario: str, weighted: list[Any]) -> dict[str, Any]:
    agents = [
        _breakdown_row(tally, "agent", key[0])
        for key, tally in roll_up(tallies, ("agent",)).items()
    ]
    agents.sort(
        key=lambda a: (
            desc_nulls_last(a["avgScore"]),
            desc_nulls_last(a["avgScoreCompleted"]),
            nulls_last(a["agent"]),
        )
    )
    return {
        "suite": suite,
        "scenario": scenario,
        **tally_figures(tallies),
        "minScore": min(weighted, default=None),
        "maxScore": max(weighted, default=None),
        "agentComparison": agents,
    }


def _weighted(rows: Rows) -> dict[tuple[Any, Any], list[Any]]:
    """The weighted scores of *rows* by (suite, scenario), in row order."""
    out: dict[tuple[Any, Any], list[Any]] = defaultdict(list)
    for row in rows:
        if row[3] is not None:
            out[(row[SUITE], row[SCENARIO])].append(row[3])
    return out


def scenario_stats(conn: sqlite3.Connection, suite: str, scenario: str) -> dict[str, Any]:
    """A scenario's figures with a per-agent comparison; NotFoundError if it has no runs."""
    rows = wide_rows(conn, "r.suite = ? AND r.scenario = ?", [suite, scenario])
    if not rows:
        raise NotFoundError(f"no scenario {scenario!r} in suite {suite!r}")
    return _scenario(tallies(rows), suite, scenario, [r[3] for r in rows if r[3] is not None])


def all_scenario_stats(
    conn: sqlite3.Connection, rows: Rows | None = None, fine: Tallies | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """scenario_stats() for every (suite, scenario), in one scan (*fine*: tallies() of
    *rows*)."""
    rows = wide_rows(conn) if rows is None else rows
    if fine is None:
        fine = tallies(rows)
    groups = _split(fine, 2)
    weighted = _weighted(rows)
    return {key: _scenario(groups[key], *key, weighted[key]) for key in sorted(groups)}


# The keys of daily_scores(), in the order of its key tuples.
_DAILY_KEYS = ("suite", "scenario", "day", "agent", "model")


def daily_scores(rows: Rows) -> dict[tuple[Any, ...], list[Any]]:
    """Completed runs' weighted scores by (suite, scenario, day, agent, model)."""
    out: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in rows:
        if row[0] == "completed" and row[3] is not None:
            key = (row[SUITE], row[SCENARIO], utc_day(row[STARTED]), row[AGENT])
            out[(*key, row[MODEL])].append(row[3])
    return out


def scores_of(daily: dict[tuple[Any, ...], list[Any]], by: Sequence[str]) -> list[dict[str, Any]]:
    """``reports.scores_by(rows, by)`` from daily_scores(rows) (*by* among its keys)."""
    groups = daily
    if tuple(by) != _DAILY_KEYS:
        positions = [_DAILY_KEYS.index(name) for name in by]
        pick = key_of(positions)
        groups = defaultdict(list)
        for key, scores in daily.items():
            groups[pick(key)] += scores
    out = []
    for key in sql_sorted(groups):
        row = dict(zip(by, key, strict=True))
        scores = groups[key]
        row["avgWeightedScoreCompleted"] = mean_of_sum(scores, len(scores))  # never empty
        out.append(row)
    return out


def daily_costs(rows: Rows) -> list[dict[str, Any]]:
    """Of ``reports.breakdown(conn, ("day",), rows)``, only ``totalCostUsd``, and only
    the days that have one."""
    costs: dict[tuple[Any], list[Any]] = defaultdict(list)
    for row in rows:
        if row[4] is not None:
            costs[(utc_day(row[STARTED]),)].append(row[4])
    return [{"day": key[0], "totalCostUsd": exact_sum(costs[key])} for key in sql_sorted(costs)]
