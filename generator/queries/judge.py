"""The LLM judge's scores per category, agent and model, from its evaluations'
details (``{scores: [{category, score, reasoning}], overall_assessment}``).

Scores add up as exact sums (``JudgeSums``), so the sums of any split of the
runs give the figures of all of them: a build keeps them per bucket of runs.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from generator.queries.common import sql_sorted
from generator.store import id_slices, marks

# Only details that name "scores" can hold them; SQLite's instr() skips the rest
# without handing their text to Python, and Python's parser is several times
# faster than SQLite's json_each over the same text.
_JUDGE_SQL = (
    "SELECT r.run_id, r.agent, r.model, e.details FROM evaluation_results e "
    "JOIN benchmark_runs r ON r.run_id = e.run_id "
    "WHERE typeof(e.details) = 'text' AND instr(e.details, '\"scores\"') > 0"
)
Scores = list[tuple[str, float]]


def judge_categories(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """LLM-judge category scores (details ``{scores: [{category, score}]}``) per agent + model."""
    sums = JudgeSums()
    for _, agent, model, pairs in judge_scores(conn):
        sums.add(agent, model, pairs)
    return sums.rows()


def judge_scores(
    conn: sqlite3.Connection, run_ids: Sequence[str] | None = None
) -> Iterator[tuple[str, Any, Any, Scores]]:
    """(runId, agent, model, (category, score) pairs) of each evaluation of every
    run, or of the runs *run_ids*, whose details may hold LLM-judge scores."""
    if run_ids is None:
        rows: Iterable[tuple[str, Any, Any, str]] = conn.execute(_JUDGE_SQL)
    else:
        rows = _judge_rows(conn, run_ids)
    for run_id, agent, model, details in rows:
        yield run_id, agent, model, _judge_scores(details)


def _judge_rows(conn: sqlite3.Connection, run_ids: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    for chunk in id_slices(run_ids):
        sql = f"{_JUDGE_SQL} AND r.run_id IN ({marks(chunk)})"
        yield from conn.execute(sql, chunk)


# Every finite double is a whole multiple of 2**-1074: scaled by 2**1074, scores
# add up as integers, exactly and in any order.
_SCALE = 2**1074


def _mean(scaled_sum: int, count: int) -> float:
    try:
        return (scaled_sum / _SCALE) / count  # as common.mean: the sum rounded, then divided
    except OverflowError:  # the sum is past the largest float, the mean is not
        return scaled_sum / (_SCALE * count)


class JudgeSums:
    """Count and exact sum of the judge's scores per (agent, model, category).

    The sums of parts add up to the sums of the whole exactly, so a build can
    keep the sums of each bucket of runs and add them up again. Means come out
    as ``common.mean`` gives them: the correctly rounded sum over the count.
    """

    def __init__(self) -> None:
        self.groups: dict[tuple[Any, Any, str], list[int]] = {}  # -> [count, scaled sum]

    def add(self, agent: Any, model: Any, pairs: Scores) -> None:
        """Count the (category, score) pairs of one evaluation."""
        for category, score in pairs:
            numerator, denominator = score.as_integer_ratio()
            group = self.groups.setdefault((agent, model, category), [0, 0])
            group[0] += 1
            group[1] += numerator * (_SCALE // denominator)

    def merge(self, other: JudgeSums) -> None:
        """Add the counts and sums of *other*."""
        for key, (count, total) in other.groups.items():
            group = self.groups.setdefault(key, [0, 0])
            group[0] += count
            group[1] += total

    def rows(self) -> list[dict[str, Any]]:
        """One row per agent, model and category, in SQLite's order of the three."""
        return [
            {
                "agent": agent,
                "model": model,
                "category": category,
                "mean_score": _mean(total, count),
                "count": count,
            }
            for (agent, model, category), (count, total) in self.sorted()
        ]

    def sorted(self) -> list[tuple[tuple[Any, Any, str], list[int]]]:
        """The groups in SQLite's order of agent, model and category."""
        keys = sql_sorted(self.groups)
        return [(key, self.groups[key]) for key in keys]

    def to_rows(self) -> list[tuple[Any, ...]]:
        """(agent, model, category, count, scaled sum as text) of each group, in order;
        one row of count 0 when there is none, so that no sums are kept too."""
        groups = self.sorted() or [((None, None, None), [0, 0])]
        return [(*key, count, str(total)) for key, (count, total) in groups]

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]]) -> JudgeSums:
        """The sums of ``to_rows``; ValueError or TypeError for a row not as written."""
        sums = cls()
        for agent, model, category, count, total in rows:
            if count:
                sums.groups[(agent, model, category)] = [int(count), int(total)]
        return sums


def _judge_scores(details: str) -> list[tuple[str, float]]:
    """(category, score) of each well-formed entry of a judge's ``scores``; none
    when *details* is not such a JSON object (NaN and Infinity are not JSON)."""
    try:
        parsed = json.loads(details, parse_constant=_not_json)
    except (ValueError, RecursionError):
        return []
    entries = parsed.get("scores") if isinstance(parsed, dict) else None
    if not isinstance(entries, list):
        return []
    found = []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("category"), str):
            score = _finite(entry.get("score"))
            if score is not None:
                found.append((entry["category"], score))
    return found


def _finite(value: Any) -> float | None:
    """A JSON number as a finite float; None for anything else, including a
    boolean, 1e400 and a whole number too large for a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def category_totals(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """judge_categories() rows folded over agents: per category, its mean and count."""
    by_category: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_category.setdefault(row["category"], []).append(row)
    out = []
    for category in sorted(by_category):
        group = by_category[category]
        count = sum(r["count"] for r in group)
        weighted = sum(r["mean_score"] * r["count"] for r in group)
        out.append({"category": category, "mean_score": weighted / count, "count": count})
    return out
