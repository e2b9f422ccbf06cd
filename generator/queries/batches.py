"""Batches: the list, one batch with its runs, and its analytics.

Every figure of a batch is computed from the batch's runs; the totals stored in
``batch_runs`` are ignored because upstream files often hold wrong or zero ones.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from generator.errors import NotFoundError
from generator.queries.common import (
    AGENT,
    BATCH,
    FAILURE_META,
    FIGURE_COLUMNS,
    FIGURE_FROM,
    MODEL,
    RUN_ID,
    RUN_SUMMARY_COLUMNS,
    SCENARIO,
    STARTED,
    STARTED_RAW,
    SUITE,
    TIER,
    is_success,
    iso,
    mean,
    parse_json,
    run_dict,
    ts_sql,
    wide_rows,
)
from generator.queries.tally import figures
from generator.store import id_slices, marks

BATCH_STATUSES = ("completed", "running")
BATCH_SORTS = ("date", "score")
_BATCH_COLUMNS = f"batchId, createdAt, completedAt, metadata, {ts_sql('createdAt')} AS created"


def nulls_last(value: Any) -> tuple[bool, Any]:
    """Sort key putting None after every value (for ascending sorts)."""
    return (value is None, value if value is not None else 0)


def desc_nulls_last(value: float | None) -> tuple[bool, float]:
    """Sort key for a number in descending order with None last."""
    return (value is None, -value if value is not None else 0.0)


# Which batches a scan covers: one id, several (a list), or every batch (None).
Batches = str | list[str] | None


def _where_batch(batch_id: Batches, column: str = "r.batchId") -> tuple[str, list[str]]:
    if batch_id is None:
        return f"{column} IS NOT NULL", []
    if isinstance(batch_id, list):
        return f"{column} IN ({marks(batch_id)})", batch_id
    return f"{column} = ?", [batch_id]


def _by_batch(
    conn: sqlite3.Connection, batch_id: Batches, rows: list[tuple[Any, ...]] | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """Wide rows of the runs of one batch, several or all (from *rows* when given), by batch."""
    if rows is None:
        rows = wide_rows(conn, *_where_batch(batch_id))
    groups: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        if row[BATCH] is not None:
            groups[row[BATCH]].append(row)
    return groups


def _figure_rows_by_batch(
    conn: sqlite3.Connection, batch_ids: list[str] | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """FIGURE_COLUMNS rows of every run in a batch (or in one of *batch_ids*), by
    batch: all figures() needs, cheaper to read than wide rows."""
    where, params = _where_batch(batch_ids)
    # The cell columns sit where wide rows have them, so a Tally clusters by cell alike.
    cells = "r.suite, r.scenario, r.tier, r.agent, r.model"
    sql = f"SELECT {FIGURE_COLUMNS}, {cells}, r.batchId FROM {FIGURE_FROM} WHERE {where}"
    groups: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in conn.execute(sql, params):
        groups[row[-1]].append(row)
    return groups


def _batch_dict(row: Sequence[Any], runs: list[tuple[Any, ...]]) -> dict[str, Any]:
    return {
        "batchId": row[0],
        "createdAt": iso(row[1]),
        "completedAt": iso(row[2]),
        "metadata": parse_json(row[3]),
        **figures(runs),
    }


def list_batches(
    conn: sqlite3.Connection,
    limit: int | None = 20,
    status: str | None = None,
    sort_by: str = "date",
    rows: list[tuple[Any, ...]] | None = None,
) -> list[dict[str, Any]]:
    """Batches newest first, or by avgWeightedScore (highest first, then newest).

    *rows*: every run as ``common.wide_rows(conn)``, to share one scan between calls.
    """
    where = {"completed": " WHERE completedAt IS NOT NULL", "running": " WHERE completedAt IS NULL"}
    sql = f"SELECT {_BATCH_COLUMNS} FROM batch_runs{where.get(status or '', '')}"
    batch_rows = conn.execute(sql + " ORDER BY created DESC, batchId").fetchall()
    if sort_by != "score" and limit is not None:
        batch_rows = batch_rows[:limit]  # newest first already: figure only those shown
    runs = _by_batch(conn, None, rows) if rows is not None else _figure_rows_by_batch(conn)
    batches = [_batch_dict(row, runs.get(row[0], [])) for row in batch_rows]
    if sort_by == "score":
        # Stable: equal scores keep the newest-first order.
        batches.sort(key=lambda b: desc_nulls_last(b["avgWeightedScore"]))
    return batches if limit is None else batches[:limit]


def batch_dicts(conn: sqlite3.Connection, batch_ids: list[str] | None) -> Iterator[dict[str, Any]]:
    """The ``list_batches`` entries of *batch_ids* that exist (of every batch: None),
    in no set order."""
    slices = [None] if batch_ids is None else id_slices(batch_ids)
    for ids in slices:
        selected = None if ids is None else list(ids)
        where, params = ("1", []) if selected is None else _where_batch(selected, "batchId")
        rows = conn.execute(f"SELECT {_BATCH_COLUMNS} FROM batch_runs WHERE {where}", params)
        runs = _figure_rows_by_batch(conn, selected)
        for row in rows.fetchall():
            yield _batch_dict(row, runs.get(row[0], []))


def count_batches(conn: sqlite3.Connection) -> int:
    """How many batches the file holds."""
    return conn.execute("SELECT COUNT(*) FROM batch_runs").fetchone()[0]


def _batch_row(conn: sqlite3.Connection, batch_id: str) -> sqlite3.Row:
    row = conn.execute(
        f"SELECT {_BATCH_COLUMNS} FROM batch_runs WHERE batchId = ?", (batch_id,)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no batch with id {batch_id!r}")
    return row


def batch_summary(conn: sqlite3.Connection, batch_id: str) -> dict[str, Any]:
    """One batch with its computed figures, without its runs."""
    row = _batch_row(conn, batch_id)
    return _batch_dict(row, _by_batch(conn, batch_id).get(batch_id, []))


def _batch_runs(conn: sqlite3.Connection, batch_id: Batches) -> Iterator[dict[str, Any]]:
    where, params = _where_batch(batch_id, "batchId")
    sql = (
        f"SELECT {RUN_SUMMARY_COLUMNS} FROM benchmark_runs WHERE {where} "
        f"ORDER BY batchId, {ts_sql('started_at')}, run_id"
    )
    for row in conn.execute(sql, params):
        yield run_dict(row)


def get_batch(conn: sqlite3.Connection, batch_id: str) -> dict[str, Any]:
    """A batch, its computed figures and its runs (oldest first, without metadata)."""
    batch = batch_summary(conn, batch_id)
    batch["runs"] = list(_batch_runs(conn, batch_id))
    return batch


def batch_analytics(conn: sqlite3.Connection, batch_id: str) -> dict[str, Any]:
    """Suite, agent, tier and evaluator breakdowns and the failures of one batch."""
    _batch_row(conn, batch_id)
    return _analytics(conn, batch_id).get(batch_id) or _analytics_of([], [])


def iter_batch_details(
    conn: sqlite3.Connection,
    rows: list[tuple[Any, ...]] | None = None,
    batch_ids: list[str] | None = None,
) -> Iterator[tuple[dict, dict]]:
    """(get_batch, batch_analytics) for every batch (or every one of *batch_ids* that
    exists) by batch id, in a few scans.

    *rows*: every run as ``common.wide_rows(conn)``, to share one scan between calls.
    """
    where, params = ("", []) if batch_ids is None else _where_batch(batch_ids, "batchId")
    sql = f"SELECT {_BATCH_COLUMNS} FROM batch_runs{' WHERE ' + where if where else ''}"
    batches = conn.execute(sql + " ORDER BY batchId", params).fetchall()
    selected: Batches = None if batch_ids is None else list(batch_ids)
    by_batch = _by_batch(conn, selected, rows if selected is None else None)
    analytics = _analytics(conn, selected, by_batch)
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in _batch_runs(conn, selected):
        runs[run["batchId"]].append(run)
    empty = _analytics_of([], [])
    for row in batches:
        batch = _batch_dict(row, by_batch.get(row[0], []))
        batch["runs"] = runs.get(row[0], [])
        yield batch, analytics.get(row[0], empty)


def _analytics(
    conn: sqlite3.Connection,
    batch_id: Batches,
    runs: dict[str, list[tuple[Any, ...]]] | None = None,
) -> dict[str, dict[str, Any]]:
    if runs is None:
        runs = _by_batch(conn, batch_id)
    where, params = _where_batch(batch_id)
    evaluations: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    sql = (
        "SELECT r.status, r.is_successful, e.evaluator_name, e.score, e.max_score, r.batchId "
        f"FROM evaluation_results e JOIN benchmark_runs r ON e.run_id = r.run_id WHERE {where}"
    )
    for row in conn.execute(sql, params):
        evaluations[row[-1]].append(tuple(row))
    return {key: _analytics_of(rows, evaluations.get(key, [])) for key, rows in runs.items()}


def _analytics_of(runs: list, evaluations: list) -> dict[str, Any]:
    return {
        "suiteBreakdown": _breakdown(runs, (SUITE, SCENARIO), ("suite", "scenario")),
        "agentPerformance": _agent_performance(runs),
        "evaluatorBreakdown": _evaluator_breakdown(evaluations),
        "tierDistribution": _breakdown(runs, (TIER,), ("tier",)),
        "failures": _failures(runs),
    }


def group_by(rows: list, key: Callable[[Any], Any]) -> dict[Any, list]:
    """Rows grouped by key(row), groups in first-seen order."""
    groups: dict[Any, list] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def group_figures(rows: list) -> dict[str, Any]:
    """figures() of a group, with the plan's ``runs`` (all runs) in place of totalRuns."""
    stats = figures(rows)
    return {"runs": stats.pop("totalRuns"), **stats}


def _breakdown(runs: list, positions: tuple[int, ...], names: tuple[str, ...]) -> list[dict]:
    groups = group_by(runs, lambda r: tuple(r[p] for p in positions))
    ordered = sorted(groups, key=lambda k: tuple(nulls_last(v) for v in k))
    return [{**dict(zip(names, key, strict=True)), **group_figures(groups[key])} for key in ordered]


def _agent_performance(runs: list) -> list[dict]:
    groups = group_by(runs, lambda r: (r[AGENT], r[MODEL]))
    out = []
    for (agent, model), rows in groups.items():
        scores = [r[3] for r in rows if is_success(r) and r[3] is not None]
        stats = group_figures(rows)
        out.append(
            {
                "agent": agent,
                "model": model,
                "runs": stats.pop("runs"),
                "successfulRuns": stats.pop("successfulRuns"),
                "avgWeightedScore": stats.pop("avgWeightedScore"),
                "minScore": min(scores, default=None),
                "maxScore": max(scores, default=None),
                **stats,
            }
        )
    out.sort(
        key=lambda a: (
            desc_nulls_last(a["avgWeightedScore"]),
            desc_nulls_last(a["avgWeightedScoreCompleted"]),
            nulls_last(a["agent"]),
            nulls_last(a["model"]),
        )
    )
    return out


def _evaluator_breakdown(evaluations: list) -> list[dict]:
    # Row: status, is_successful, evaluator_name, score, max_score, batchId.
    out = []
    for name, rows in group_by(evaluations, lambda e: e[2]).items():
        successful = [e for e in rows if is_success(e)]
        completed = [e for e in rows if e[0] == "completed"]
        out.append(
            {
                "evaluatorName": name,
                "avgScore": mean(e[3] for e in successful),
                "maxScore": max((e[4] for e in successful if e[4] is not None), default=None),
                "count": len(successful),
                "avgScoreCompleted": mean(e[3] for e in completed),
                "countCompleted": len(completed),
                "avgScoreAll": mean(e[3] for e in rows),
                "countAll": len(rows),
            }
        )
    out.sort(
        key=lambda e: (
            desc_nulls_last(e["avgScore"]),
            desc_nulls_last(e["avgScoreCompleted"]),
            e["evaluatorName"],
        )
    )
    return out


def _failures(runs: list) -> list[dict]:
    failed = [r for r in runs if r[0] in ("failed", "incomplete")]
    failed.sort(key=lambda r: (nulls_last(r[STARTED]), r[RUN_ID]))
    out = []
    for r in failed:
        metadata = parse_json(r[FAILURE_META])
        details = metadata if isinstance(metadata, dict) else {}
        out.append(
            {
                "runId": r[RUN_ID],
                "suite": r[SUITE],
                "scenario": r[SCENARIO],
                "tier": r[TIER],
                "agent": r[AGENT],
                "model": r[MODEL],
                "status": r[0],
                "startedAt": iso(r[STARTED_RAW]),
                "error": details.get("error"),
                "errorType": details.get("errorType"),
            }
        )
    return out
