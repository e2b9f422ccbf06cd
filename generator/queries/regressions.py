"""Regressions over time: per series of comparable batches (agent · model · suite), the
newest batch against the WINDOW batches before it, paired by cell.

A series is flagged a *regression* when ``paired.compare`` says so: the drop in success
rate is at least the tolerance and significant. A drop over the tolerance that is not
significant is listed apart ("over tolerance, not significant"), as asv marks it ``~``.
Work per build: one grouped query for the series, then the runs of the newest batches
and their windows only.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from generator import store
from generator.queries import comparison
from generator.queries.common import ts_sql
from generator.statistics import paired

WINDOW = comparison.WINDOW


def _status(result: dict[str, Any]) -> str:
    """regression | over tolerance | other, from a comparison."""
    if result["verdict"] == "regression":
        return "regression"
    delta = result["successRateDelta"]
    if delta is not None and delta <= -result["tolerance"] + 1e-12:
        return "over tolerance"
    return "other"


def regressions(conn: sqlite3.Connection, window: int = WINDOW) -> list[dict[str, Any]]:
    """One entry per series with at least two batches: its newest batch compared with the
    *window* before it; regressions first, then over tolerance, then the rest, each by
    series."""
    chosen = {key: ids[-window - 1 :] for key, ids in comparison.series(conn).items()}
    chosen = {key: ids for key, ids in chosen.items() if len(ids) >= 2}
    found = comparison.batch_outcomes(conn, [b for ids in chosen.values() for b in ids])
    times = _first_started(conn, [ids[-1] for ids in chosen.values()])
    out = []
    for key, ids in sorted(chosen.items()):
        newest, baseline = ids[-1], ids[:-1]
        base = [run for b in baseline for run in found[b]]
        shared = set(paired.by_cell(base)) & set(paired.by_cell(found[newest]))
        if not shared:
            continue
        label = f"previous {len(baseline)}" if len(baseline) > 1 else baseline[0]
        result = comparison.compare_outcomes(base, found[newest], (label, newest))
        suites, agents, models = key
        out.append(
            {
                "series": comparison.series_label(key),
                "suite": suites,
                "agent": agents,
                "model": models or None,
                "batchId": newest,
                "startedAt": times.get(newest),
                "baselineBatchIds": baseline,
                "status": _status(result),
                "comparison": result,
            }
        )
    order = {"regression": 0, "over tolerance": 1, "other": 2}
    out.sort(key=lambda entry: order[entry["status"]])
    return out


def _first_started(conn: sqlite3.Connection, batch_ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for chunk in store.id_slices(batch_ids):
        sql = (
            f"SELECT batchId, MIN({ts_sql('started_at')}) FROM benchmark_runs "
            f"WHERE batchId IN ({store.marks(chunk)}) GROUP BY batchId"
        )
        out.update(conn.execute(sql, chunk).fetchall())
    return out
