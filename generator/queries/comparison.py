"""Deciding whether one set of runs is better or worse than another.

A *side* of a comparison is named by a spec: a batch id, ``latest`` (the newest
batch), ``previous`` (the comparable batch before the newest) or filters such as
``agent=claude-code,model=claude-sonnet-4-5`` and ``since=2025-10-01``. Its runs
become ``statistics.paired.Outcome``s and ``paired.compare`` does the statistics.
Batches are *comparable* when their runs have the same suites, agents and models;
a *series* is the comparable batches in time order. ``docs/statistics.md``
describes every field.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from generator import store
from generator.errors import NotFoundError, NothingToCompare, SpecError
from generator.queries.common import FIGURE_FROM, is_known, is_success, ts_sql
from generator.statistics import paired

FILTER_KEYS = ("agent", "model", "suite", "scenario", "tier", "since", "until", "batch")
WINDOW = 5  # a regression check compares the newest batch with this many before it
_OUTCOME_COLUMNS = (
    "r.suite, r.scenario, r.tier, r.status, r.is_successful, r.weighted_score, "
    "t.cost_usd, t.duration_ms, r.batchId"
)


def success(status: Any, is_successful: Any) -> bool | None:
    """A run's success by the rules of every figure (``common.is_known``,
    ``common.is_success``); None when it is unknown."""
    row = (status, is_successful)
    return is_success(row) if is_known(row) else None


def _outcome(row: Sequence[Any]) -> paired.Outcome:
    suite, scenario, tier, status, ok, weighted, cost, duration = row[:8]
    return paired.Outcome(suite, scenario, tier, success(status, ok), weighted, cost, duration)


def outcomes(conn: sqlite3.Connection, where: str, params: Sequence[Any]) -> list[paired.Outcome]:
    """The runs matching *where* (``r`` is the runs table) as Outcomes, in run id order."""
    sql = f"SELECT {_OUTCOME_COLUMNS} FROM {FIGURE_FROM} WHERE {where} ORDER BY r.run_id"
    return [_outcome(row) for row in conn.execute(sql, list(params))]


def batch_outcomes(
    conn: sqlite3.Connection, batch_ids: Iterable[str]
) -> dict[str, list[paired.Outcome]]:
    """{batchId: Outcomes} of the runs of *batch_ids*, each in run id order."""
    ids = sorted(set(batch_ids))
    out: dict[str, list[paired.Outcome]] = {batch_id: [] for batch_id in ids}
    for chunk in store.id_slices(ids):
        where = f"r.batchId IN ({store.marks(chunk)})"
        sql = f"SELECT {_OUTCOME_COLUMNS} FROM {FIGURE_FROM} WHERE {where} ORDER BY r.run_id"
        for row in conn.execute(sql, chunk):
            out[row[-1]].append(_outcome(row))
    return out


def series(conn: sqlite3.Connection) -> dict[tuple[str, ...], list[str]]:
    """{(suites, agents, models): batch ids oldest first}: every batch, by what it ran.

    One grouped query; a batch's time is its first run's start (ties: batch id).
    """
    sql = (
        "SELECT batchId, MIN(" + ts_sql("started_at") + "), "
        "group_concat(DISTINCT suite), group_concat(DISTINCT agent), "
        "group_concat(DISTINCT coalesce(model, '')) "
        "FROM benchmark_runs WHERE batchId IS NOT NULL GROUP BY batchId"
    )
    rows = conn.execute(sql).fetchall()
    rows.sort(key=lambda r: (r[1] is None, r[1] or "", r[0]))
    out: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for batch_id, _, suites, agents, models in rows:
        key = tuple(",".join(sorted((v or "").split(","))) for v in (suites, agents, models))
        out[key].append(batch_id)
    return dict(out)


def previous_batches(conn: sqlite3.Connection) -> dict[str, str]:
    """{batchId: the comparable batch just before it}, for batches that have one."""
    out = {}
    for ids in series(conn).values():
        out.update(zip(ids[1:], ids[:-1], strict=True))
    return out


def series_label(key: tuple[str, ...]) -> str:
    """agent · model · suite of a series key."""
    suites, agents, models = key
    return f"{agents} · {models or 'no model'} · {suites}"


def _latest(conn: sqlite3.Connection) -> str:
    row = conn.execute(
        "SELECT batchId FROM benchmark_runs WHERE batchId IS NOT NULL "
        f"GROUP BY batchId ORDER BY MIN({ts_sql('started_at')}) DESC, batchId DESC LIMIT 1"
    ).fetchone()
    if row is None:
        raise NotFoundError("there are no batches to compare")
    return row[0]


def _previous(conn: sqlite3.Connection) -> str:
    latest = _latest(conn)
    found = previous_batches(conn).get(latest)
    if found is None:
        raise NotFoundError(f"the latest batch {latest} has no comparable batch before it")
    return found


def _filters(spec: str) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in FILTER_KEYS or not value:
            raise SpecError(
                f"{part!r} in {spec!r}: filters are key=value with key one of "
                f"{', '.join(FILTER_KEYS)}"
            )
        if key == "since":
            clauses.append(f"{ts_sql('r.started_at')} >= ?")
        elif key == "until":
            # A bare date means the whole day.
            clauses.append(f"substr({ts_sql('r.started_at')}, 1, {len(value)}) <= ?")
        else:
            clauses.append(f"r.{'batchId' if key == 'batch' else key} = ?")
        params.append(value)
    return " AND ".join(clauses), params


def resolve(conn: sqlite3.Connection, spec: str) -> tuple[str, str, list[Any]]:
    """(label, where, params) of a side spec; NotFoundError for an unknown batch."""
    spec = spec.strip()
    if not spec:
        raise SpecError("a side of a comparison cannot be empty")
    if spec in ("latest", "previous"):
        batch_id = _latest(conn) if spec == "latest" else _previous(conn)
        return batch_id, "r.batchId = ?", [batch_id]
    if "=" in spec:
        where, params = _filters(spec)
        return spec, where, params
    if conn.execute("SELECT 1 FROM benchmark_runs WHERE batchId = ? LIMIT 1", [spec]).fetchone():
        return spec, "r.batchId = ?", [spec]
    raise NotFoundError(f"no batch {spec!r} with runs (or use latest, previous or key=value)")


def compare_outcomes(
    base: Sequence[paired.Outcome],
    candidate: Sequence[paired.Outcome],
    labels: tuple[str, str],
    tolerance: float = paired.TOLERANCE,
    alpha: float = paired.ALPHA,
) -> dict[str, Any]:
    """``paired.compare`` of two sets of Outcomes, each side labelled."""
    result = paired.compare(base, candidate, tolerance, alpha)
    result["base"] = {"label": labels[0], **result["base"]}
    result["candidate"] = {"label": labels[1], **result["candidate"]}
    result["flaky"] = {"base": paired.flaky_cells(base), "candidate": paired.flaky_cells(candidate)}
    return result


def gate_fails(result: dict[str, Any], fail_on: str = "regression") -> bool:
    """Whether a CI gate set to *fail_on* fails on this comparison."""
    failing = {"regression": {"regression"}, "inconclusive": {"regression", "inconclusive"}}
    return result["verdict"] in failing.get(fail_on, set())


def compare_specs(
    conn: sqlite3.Connection,
    base: str,
    candidate: str,
    tolerance: float = paired.TOLERANCE,
    alpha: float = paired.ALPHA,
) -> dict[str, Any]:
    """The comparison of the runs named by two specs (see the module docstring)."""
    sides = [resolve(conn, spec) for spec in (base, candidate)]
    runs = [outcomes(conn, where, params) for _, where, params in sides]
    for (label, _, _), found in zip(sides, runs, strict=True):
        if not found:
            raise NothingToCompare(f"{label!r} matches no runs")
    cells = [set(paired.by_cell(found)) for found in runs]
    if not cells[0] & cells[1]:
        raise NothingToCompare(
            f"{sides[0][0]!r} and {sides[1][0]!r} have no cell (suite, scenario, tier) in "
            "common: there is nothing to pair"
        )
    return compare_outcomes(runs[0], runs[1], (sides[0][0], sides[1][0]), tolerance, alpha)


def batch_comparisons(
    conn: sqlite3.Connection, batch_ids: Iterable[str], previous: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """{batchId: {"base": previous batch id, "result": comparison or None}} for the
    batches of *batch_ids* that have a previous comparable batch (``previous_batches``);
    result None when the two share no cell."""
    pairs = {b: previous[b] for b in batch_ids if b in previous}
    found = batch_outcomes(conn, [*pairs, *pairs.values()])
    out = {}
    for cand, base in sorted(pairs.items()):
        shared = set(paired.by_cell(found[base])) & set(paired.by_cell(found[cand]))
        result = compare_outcomes(found[base], found[cand], (base, cand)) if shared else None
        out[cand] = {"base": base, "result": result}
    return out
