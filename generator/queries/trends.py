"""Evaluator trends: per UTC day, the mean score and count of each evaluator's
results; and, from the same scan, how many fall in each tenth of the maximum.

One grouped scan of the evaluations serves the trends of every evaluator, their
score bins and (through *each*) the per-evaluator summary of the evaluator pages.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from generator.errors import NotFoundError
from generator.queries.batches import nulls_last
from generator.queries.common import mean, since, sql_sorted, ts_sql

# reports.evaluator_bins' bin of one evaluation (of BINS), NULL when it falls in none.
BINS = 10
_FRACTION = "(score * 1.0 / max_score)"
_BIN_SQL = (
    f"CASE WHEN max_score > 0 AND {_FRACTION} BETWEEN 0 AND 1 "
    f"THEN MIN(CAST({_FRACTION} * {BINS} AS INTEGER), {BINS - 1}) END"
)
Bins = dict[str, list[dict[str, Any]]]


def _trends(
    conn: sqlite3.Connection,
    name: str | None,
    cutoff: str | None,
    bins: Bins | None = None,
    each: Callable[[str, Any, Any, int], None] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The trends; with *bins*, also fill it with ``reports.evaluator_bins`` from the
    same scan, and give *each* every (evaluator, score, max score, how many)."""
    created = ts_sql("created_at")
    where, params = [], []
    if name is not None:
        where.append("evaluator_name = ?")
        params.append(name)
    if cutoff is not None:
        where.append(f"{created} >= ?")
        params.append(cutoff)
    # One row per evaluator, day, score and max score with how many evaluations have
    # them: a few thousand rows to read instead of one per evaluation.
    sql = (
        f"SELECT evaluator_name, substr({created}, 1, 10) AS day, score, max_score, COUNT(*) "
        "FROM evaluation_results"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " GROUP BY evaluator_name, day, score, max_score"
    scores: dict[tuple[str, Any], list[Any]] = defaultdict(list)
    counts: dict[tuple[str, int], int] = defaultdict(int)
    for evaluator, day, score, max_score, count in conn.execute(sql, params):
        if score is not None and type(score) not in (int, float):
            score = _real(conn, score)
        scores[(evaluator, day)] += [score] * count  # fsum of the same values
        if each is not None:
            each(evaluator, score, max_score, count)
        if bins is not None:
            number = _bin(conn, score, max_score)
            if number is not None:
                counts[(evaluator, number)] += count
    if bins is not None:
        for evaluator in sql_sorted({(e,) for e, _ in counts}):
            bins[evaluator[0]] = [
                {"lo": i / BINS, "hi": (i + 1) / BINS, "count": counts.get((*evaluator, i), 0)}
                for i in range(BINS)
            ]
    by_evaluator: dict[str, dict[Any, list[Any]]] = defaultdict(dict)
    for (evaluator, day), values in scores.items():
        by_evaluator[evaluator][day] = values
    out: dict[str, list[dict[str, Any]]] = {}
    for evaluator in sorted(by_evaluator):
        per_day = by_evaluator[evaluator]
        out[evaluator] = [
            {"date": day, "avgScore": mean(per_day[day]), "count": len(per_day[day])}
            for day in sorted(per_day, key=nulls_last)
        ]
    return out


def _real(conn: sqlite3.Connection, value: Any) -> float:
    """A score stored as text or a blob as SQLite's AVG() reads it."""
    return conn.execute("SELECT CAST(? AS REAL)", (value,)).fetchone()[0]


def _bin(conn: sqlite3.Connection, score: Any, max_score: Any) -> int | None:
    """_BIN_SQL of one evaluation: in Python for two floats (the same IEEE arithmetic),
    else by SQLite itself."""
    if type(score) is float and type(max_score) is float:
        if max_score > 0:
            fraction = score * 1.0 / max_score
            if 0 <= fraction <= 1:
                return min(int(fraction * BINS), BINS - 1)
        return None
    sql = f"SELECT {_BIN_SQL} FROM (SELECT ? AS score, ? AS max_score)"
    return conn.execute(sql, (score, max_score)).fetchone()[0]


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


def trends_and_bins(
    conn: sqlite3.Connection, each: Callable[[str, Any, Any, int], None] | None = None
) -> tuple[dict[str, list[dict[str, Any]]], Bins]:
    """all_evaluator_trends() and ``reports.evaluator_bins(conn)``, in one scan whose
    (evaluator, score, max score, how many) groups *each* is given too."""
    bins: Bins = {}
    return _trends(conn, None, None, bins, each), bins
