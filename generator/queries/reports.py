"""Aggregates only the report site shows: distributions, time series, cross-tabs.

Built on the same pieces as the API (``tally.figures``, ``SUCCESS_SQL`` …), so
a figure here means what it means there. Each function scans the runs once for
every group at the same time (all suites, all days …) rather than once per
group, so the number of scans does not grow with the data.
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from generator import statistics as st
from generator.queries.common import (
    AGENT,
    BATCH,
    FIGURE_COLUMNS,
    FIGURE_FROM,
    KNOWN_SQL,
    MODEL,
    SCENARIO,
    STARTED,
    SUCCESS_SQL,
    SUITE,
    TIER,
    mean,
    ratio,
    sql_sorted,
    ts_sql,
)
from generator.queries.tally import figures

DAY_SQL = f"substr({ts_sql('r.started_at')}, 1, 10)"
GROUP_COLUMNS = {
    "batchId": "r.batchId",
    "suite": "r.suite",
    "scenario": "r.scenario",
    "tier": "r.tier",
    "agent": "r.agent",
    "model": "r.model",
    "status": "r.status",
    "day": DAY_SQL,
}
# Where each key sits in a ``common.wide_rows`` tuple; "day" is cut from STARTED.
_GROUP_POSITIONS = {
    "batchId": BATCH,
    "suite": SUITE,
    "scenario": SCENARIO,
    "tier": TIER,
    "agent": AGENT,
    "model": MODEL,
    "status": 0,
    "day": STARTED,
}
# Evaluations are judged on score / max_score; at least half marks counts as a pass.
PASS_FRACTION = 0.5
_FRACTION_SQL = "(e.score * 1.0 / e.max_score)"


def breakdown(
    conn: sqlite3.Connection, by: Sequence[str], rows: Sequence[Sequence[Any]] | None = None
) -> list[dict[str, Any]]:
    """``tally.figures`` for every combination of the ``by`` columns, ordered by them.

    ``by`` names keys of GROUP_COLUMNS; ``()`` gives one row for all runs.
    *rows*: every run as ``common.wide_rows(conn)``, grouped here instead of a scan.
    """
    if rows is not None:
        return _breakdown_rows(rows, by)
    keys = [GROUP_COLUMNS[name] for name in by]
    select = "".join(f"{column}, " for column in keys)
    order = ", ".join(keys) or "r.run_id"
    # The cell columns follow, where wide rows have them: a Tally clusters by cell.
    cells = "r.suite, r.scenario, r.tier, r.agent, r.model"
    sql = f"SELECT {select}{FIGURE_COLUMNS}, {cells} FROM {FIGURE_FROM} ORDER BY {order}"
    width = len(keys)
    out = []
    rows = (tuple(row) for row in conn.execute(sql))
    for key, group in groupby(rows, key=lambda row: row[:width]):
        values = dict(zip(by, key, strict=True))
        out.append({**values, **figures([row[width:] for row in group])})
    if not by and not out:
        out.append(figures([]))
    return out


def _breakdown_rows(rows: Sequence[Sequence[Any]], by: Sequence[str]) -> list[dict[str, Any]]:
    """breakdown() from wide rows: the same groups, in SQLite's ORDER BY order."""
    groups = _groups(rows, by)
    out = [{**dict(zip(by, key, strict=True)), **figures(group)} for key, group in groups]
    if not by and not out:
        out.append(figures([]))
    return out


def scores_by(rows: Sequence[Sequence[Any]], by: Sequence[str]) -> list[dict[str, Any]]:
    """Of breakdown(conn, by, rows), only ``avgWeightedScoreCompleted``, and only the
    groups that have one: all a chart of scores needs, for a fraction of the work."""
    out = []
    for key, group in _groups(rows, by):
        # figures(): completed runs' weighted scores, fsum-averaged.
        scores = [row[3] for row in group if row[0] == "completed" and row[3] is not None]
        if scores:
            out.append(
                {**dict(zip(by, key, strict=True)), "avgWeightedScoreCompleted": mean(scores)}
            )
    return out


def _groups(
    rows: Sequence[Sequence[Any]], by: Sequence[str]
) -> list[tuple[tuple[Any, ...], list[Sequence[Any]]]]:
    """Wide rows grouped by the *by* keys, in SQLite's ORDER BY order of the keys."""
    groups: dict[tuple[Any, ...], list[Sequence[Any]]] = defaultdict(list)
    if by:
        pick = itemgetter(*(_GROUP_POSITIONS[name] for name in by))
        single = len(by) == 1
        day = by.index("day") if "day" in by else None
        for row in rows:
            key = (pick(row),) if single else pick(row)
            if day is not None and key[day] is not None:
                key = (*key[:day], key[day][:10], *key[day + 1 :])
            groups[key].append(row)
    elif rows:
        groups[()] = list(rows)
    return [(key, groups[key]) for key in sql_sorted(groups)]


def score_bins(conn: sqlite3.Connection, width: float = 0.5) -> list[dict[str, Any]]:
    """Completed runs per weighted-score bin on 0–10; a 10.0 falls in the last, closed bin."""
    count = int(round(10 / width))
    sql = (
        "SELECT MIN(CAST(weighted_score / ? AS INTEGER), ?) AS bin, COUNT(*) "
        "FROM benchmark_runs WHERE status = 'completed' AND weighted_score BETWEEN 0 AND 10 "
        "GROUP BY bin ORDER BY bin"
    )
    counts = dict(conn.execute(sql, (width, count - 1)).fetchall())
    return [
        {"lo": i * width, "hi": (i + 1) * width, "runs": counts.get(i, 0)} for i in range(count)
    ]


def outcomes_by_day(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Per day: runs by outcome and the success rate among runs whose success is known."""
    sql = (
        f"SELECT {DAY_SQL} AS day, COUNT(*), "
        f"TOTAL({SUCCESS_SQL}), "
        "TOTAL(r.status = 'completed' AND r.is_successful = 0), "
        f"TOTAL(NOT {KNOWN_SQL}), "
        "TOTAL(r.status IN ('failed', 'incomplete')), "
        f"TOTAL({KNOWN_SQL}) "
        "FROM benchmark_runs r GROUP BY day ORDER BY day"
    )
    return [
        {
            "day": day,
            "runs": runs,
            "successful": int(ok),
            "unsuccessful": int(not_ok),
            "unknown": int(unknown),
            "failed": int(failed),
            "success_rate": ratio(int(ok), int(known)),
        }
        for day, runs, ok, not_ok, unknown, failed, known in conn.execute(sql)
    ]


def evaluator_summary(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Per evaluator: evaluations, mean score, mean score / max and pass rate, by name."""
    sql = (
        f"SELECT e.evaluator_name, COUNT(*), AVG(e.score), AVG({_FRACTION_SQL}), "
        f"SUM({_FRACTION_SQL} >= ?), SUM(e.max_score > 0) "
        "FROM evaluation_results e GROUP BY e.evaluator_name ORDER BY e.evaluator_name"
    )
    scores: dict[str, list[Any]] = defaultdict(list)
    numbers = (
        # As AVG() reads a score stored as text or a blob: as a number.
        "SELECT evaluator_name, CASE WHEN typeof(score) IN ('integer', 'real') THEN score "
        "ELSE CAST(score AS REAL) END AS value, COUNT(*) FROM evaluation_results "
        "WHERE score IS NOT NULL GROUP BY evaluator_name, value ORDER BY evaluator_name, value"
    )
    for name, score, count in conn.execute(numbers):
        scores[name] += [score] * count
    return [
        {
            "evaluator": name,
            "count": count,
            "mean_score": avg,
            "mean_score_ci": score_interval(scores.get(name, [])),
            "mean_fraction": frac,
            "pass_rate": ratio(passed or 0, scored or 0),
            "pass_rate_ci": st.as_list(st.wilson(passed or 0, scored or 0)),
        }
        for name, count, avg, frac, passed, scored in conn.execute(sql, (PASS_FRACTION,))
    ]


def score_interval(scores: list[Any]) -> list[float] | None:
    """The t interval of the mean of evaluator scores (results are not tied to cells
    here, so each counts as independent); None below 2 scores."""
    try:
        moments = (len(scores), math.fsum(scores), math.fsum(s * s for s in scores))
        return st.as_list(st.moments_interval([moments]))
    except (OverflowError, ValueError):  # scores near the largest float: no interval
        return None


class EvaluatorTotals:
    """``evaluator_summary`` from evaluations grouped by evaluator, score and max score
    (``trends.trends_and_bins`` gives them), instead of another scan of every one.

    Numbers are summed in Python (means as ``common.mean``: the exact sum rounded
    once, where SQLite's AVG may differ in the last bits). The trends' scan hands
    over a score stored as text or a blob as AVG() reads it; an evaluator with a
    maximum that is not a number is left to the SQL of evaluator_summary.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.groups: dict[str, list[Any]] = {}  # -> [count, scores, fractions, passed, scored]
        self.odd: set[str] = set()  # evaluators with a value that is not a number

    def add(self, evaluator: str, score: Any, max_score: Any, count: int) -> None:
        """Count *count* evaluations of *evaluator* with this score and maximum."""
        group = self.groups.setdefault(evaluator, [0, [], [], 0, 0])
        group[0] += count
        if not (_number(score) and _number(max_score)):
            self.odd.add(evaluator)
            return
        if score is not None:
            group[1] += [score] * count
        if max_score is not None:
            if max_score > 0:
                group[4] += count
            if score is not None and max_score != 0:
                fraction = score * 1.0 / max_score
                if fraction == fraction:  # inf / inf is NaN here, NULL in SQLite
                    group[2] += [fraction] * count
                    group[3] += count if fraction >= PASS_FRACTION else 0

    def rows(self) -> list[dict[str, Any]]:
        """evaluator_summary(conn)'s rows."""
        by_sql = {row["evaluator"]: row for row in evaluator_summary(self.conn)} if self.odd else {}
        names = [key[0] for key in sql_sorted([(name,) for name in self.groups])]
        return [by_sql[name] if name in self.odd else self._row(name) for name in names]

    def _row(self, name: str) -> dict[str, Any]:
        count, scores, fractions, passed, scored = self.groups[name]
        return {
            "evaluator": name,
            "count": count,
            "mean_score": mean(scores),
            "mean_score_ci": score_interval(scores),
            "mean_fraction": mean(fractions),
            "pass_rate": ratio(passed, scored),
            "pass_rate_ci": st.as_list(st.wilson(passed, scored)),
        }


def _number(value: Any) -> bool:
    return value is None or type(value) in (int, float)


def evaluator_bins(conn: sqlite3.Connection, count: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Per evaluator, evaluations per bin of score / max on 0–1 (last bin closed)."""
    sql = (
        f"SELECT e.evaluator_name, MIN(CAST({_FRACTION_SQL} * ? AS INTEGER), ?) AS bin, COUNT(*) "
        f"FROM evaluation_results e WHERE e.max_score > 0 AND {_FRACTION_SQL} BETWEEN 0 AND 1 "
        "GROUP BY e.evaluator_name, bin ORDER BY e.evaluator_name, bin"
    )
    found: dict[str, dict[int, int]] = {}
    for name, index, n in conn.execute(sql, (count, count - 1)):
        found.setdefault(name, {})[index] = n
    return {
        name: [
            {"lo": i / count, "hi": (i + 1) / count, "count": bins.get(i, 0)} for i in range(count)
        ]
        for name, bins in found.items()
    }


def newest_start(conn: sqlite3.Connection) -> str | None:
    """The start time of the newest run, ISO 8601, or None without runs."""
    return conn.execute(f"SELECT MAX({ts_sql('started_at')}) FROM benchmark_runs").fetchone()[0]
