"""Statistics: global, per agent, per model, per suite, per scenario, evaluator trends.

Each ``*_stats`` function has an ``all_*`` twin computing the same answer for
every suite / scenario / evaluator in one scan; the static API uses the twins.
Both share one implementation, so their results are identical.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import datetime
from typing import Any

from generator.errors import NotFoundError
from generator.queries.batches import desc_nulls_last, group_by, group_figures, nulls_last
from generator.queries.common import (
    AGENT,
    MODEL,
    SCENARIO,
    SUITE,
    figures,
    is_success,
    mean,
    since,
    ts_sql,
    wide_rows,
)

# Keys added to the plan's agent/model rows (whose avgScore is a weighted score).
_PERFORMANCE_KEYS = (
    "totalRuns",
    "successfulRuns",
    "runsWithKnownSuccess",
    "successRate",
    "completedRuns",
    "failedRuns",
    "incompleteRuns",
    "runningRuns",
    "avgWeightedScoreCompleted",
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
    "completedRuns",
    "avgScoreCompleted",
    "avgWeightedScoreCompleted",
)


Rows = list[tuple[Any, ...]]


def global_stats(
    conn: sqlite3.Connection,
    days: float | None = None,
    now: datetime | None = None,
    rows: Rows | None = None,
) -> dict[str, Any]:
    """Figures over all runs, or over runs started in the *days* days before *now*.

    *rows* (here and below): every run as ``common.wide_rows(conn)``, so that
    several statistics share one scan; only used for all-time answers.
    """
    cutoff = since(days, now)
    if cutoff is not None:
        rows = wide_rows(conn, f"{ts_sql('r.started_at')} >= ?", [cutoff])
    elif rows is None:
        rows = wide_rows(conn)
    return {"days": days, "since": cutoff, **figures(rows)}


def _performance(rows: list[tuple[Any, ...]], name: str, value: Any) -> dict[str, Any]:
    scores = [r[3] for r in rows if is_success(r) and r[3] is not None]
    stats = figures(rows)
    return {
        name: value,
        "runs": len(scores),
        "avgScore": mean(scores),
        "minScore": min(scores, default=None),
        "maxScore": max(scores, default=None),
        **{key: stats[key] for key in _PERFORMANCE_KEYS},
    }


def _performance_table(rows: Rows, name: str, position: int) -> list[dict[str, Any]]:
    groups = group_by(rows, lambda r: r[position])
    table = [_performance(group, name, key) for key, group in groups.items()]
    table.sort(
        key=lambda a: (
            desc_nulls_last(a["avgScore"]),
            desc_nulls_last(a["avgWeightedScoreCompleted"]),
            nulls_last(a[name]),
        )
    )
    return table


def agent_stats(conn: sqlite3.Connection, rows: Rows | None = None) -> list[dict[str, Any]]:
    """One row per agent: the plan's weighted-score figures over successful runs, and more."""
    return _performance_table(wide_rows(conn) if rows is None else rows, "agent", AGENT)


def model_stats(conn: sqlite3.Connection, rows: Rows | None = None) -> list[dict[str, Any]]:
    """Like agent_stats, per model; runs without a model (NULL, '' or 'default') are left out."""
    rows = wide_rows(conn) if rows is None else rows
    named = [r for r in rows if r[MODEL] is not None and r[MODEL] not in ("", "default")]
    return _performance_table(named, "model", MODEL)


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


def _breakdown_row(rows: list[tuple[Any, ...]], name: str, value: Any) -> dict[str, Any]:
    # The plan's breakdown rows count and average successful runs only.
    successes = [r for r in rows if is_success(r)]
    stats = group_figures(rows)
    stats["totalRuns"] = stats["runs"]
    return {
        name: value,
        "runs": len(successes),
        "avgScore": mean(r[2] for r in successes),
        **{key: stats[key] for key in _BREAKDOWN_KEYS},
    }


def _suite(rows: list[tuple[Any, ...]], suite: str) -> dict[str, Any]:
    scenarios = group_by(rows, lambda r: r[SCENARIO])
    return {
        "suite": suite,
        **figures(rows),
        "scenarioBreakdown": [
            _breakdown_row(scenarios[s], "scenario", s) for s in sorted(scenarios, key=nulls_last)
        ],
    }


def suite_stats(conn: sqlite3.Connection, suite: str) -> dict[str, Any]:
    """A suite's figures with a per-scenario breakdown; NotFoundError if it has no runs."""
    rows = wide_rows(conn, "r.suite = ?", [suite])
    if not rows:
        raise NotFoundError(f"no suite named {suite!r}")
    return _suite(rows, suite)


def all_suite_stats(conn: sqlite3.Connection, rows: Rows | None = None) -> dict[str, dict]:
    """suite_stats() for every suite, in one scan."""
    groups = group_by(wide_rows(conn) if rows is None else rows, lambda r: r[SUITE])
    return {suite: _suite(groups[suite], suite) for suite in sorted(groups)}


def _scenario(rows: list[tuple[Any, ...]], suite: str, scenario: str) -> dict[str, Any]:
    weighted = [r[3] for r in rows if r[3] is not None]
    agents = [_breakdown_row(g, "agent", a) for a, g in group_by(rows, lambda r: r[AGENT]).items()]
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
        **figures(rows),
        "minScore": min(weighted, default=None),
        "maxScore": max(weighted, default=None),
        "agentComparison": agents,
    }


def scenario_stats(conn: sqlite3.Connection, suite: str, scenario: str) -> dict[str, Any]:
    """A scenario's figures with a per-agent comparison; NotFoundError if it has no runs."""
    rows = wide_rows(conn, "r.suite = ? AND r.scenario = ?", [suite, scenario])
    if not rows:
        raise NotFoundError(f"no scenario {scenario!r} in suite {suite!r}")
    return _scenario(rows, suite, scenario)


def all_scenario_stats(
    conn: sqlite3.Connection, rows: Rows | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """scenario_stats() for every (suite, scenario), in one scan."""
    rows = wide_rows(conn) if rows is None else rows
    groups = group_by(rows, lambda r: (r[SUITE], r[SCENARIO]))
    return {key: _scenario(groups[key], *key) for key in sorted(groups)}


def _trends(
    conn: sqlite3.Connection, name: str | None, cutoff: str | None
) -> dict[str, list[dict[str, Any]]]:
    created = ts_sql("created_at")
    where, params = [], []
    if name is not None:
        where.append("evaluator_name = ?")
        params.append(name)
    if cutoff is not None:
        where.append(f"{created} >= ?")
        params.append(cutoff)
    sql = f"SELECT evaluator_name, substr({created}, 1, 10), score FROM evaluation_results"
    if where:
        sql += " WHERE " + " AND ".join(where)
    # Scores per evaluator and day in one pass, in row order like a group_by of each.
    scores: dict[str, dict[Any, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for evaluator, day, score in conn.execute(sql, params):
        scores[evaluator][day].append(score)
    out: dict[str, list[dict[str, Any]]] = {}
    for evaluator in sorted(scores):
        days = scores[evaluator]
        out[evaluator] = [
            {"date": day, "avgScore": mean(days[day]), "count": len(days[day])}
            for day in sorted(days, key=nulls_last)
        ]
    return out


def evaluator_trends(
    conn: sqlite3.Connection, name: str, days: float | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Per UTC day, the mean score and count of one evaluator's results.

    NotFoundError when the evaluator has no results at all; an empty list when
    it has none in the window.
    """
    exists = conn.execute(
        "SELECT 1 FROM evaluation_results WHERE evaluator_name = ? LIMIT 1", (name,)
    ).fetchone()
    if exists is None:
        raise NotFoundError(f"no evaluator named {name!r}")
    return _trends(conn, name, since(days, now)).get(name, [])


def all_evaluator_trends(conn: sqlite3.Connection) -> dict[str, list[dict[str, Any]]]:
    """evaluator_trends() over all time for every evaluator, in one scan."""
    return _trends(conn, None, None)
