"""Runs: the list, one run with its evaluations and telemetry, and a scan of all runs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from generator.errors import NotFoundError
from generator.queries.common import (
    EVALUATION_COLUMNS,
    RUN_COLUMNS,
    RUN_SUMMARY_COLUMNS,
    TELEMETRY_COLUMNS,
    TELEMETRY_ONE_SQL,
    evaluation_dict,
    run_dict,
    telemetry_dict,
    ts_sql,
)
from generator.store import marks

NEWEST_FIRST = f"ORDER BY {ts_sql('started_at')} DESC, run_id"
_EVALUATION_ORDER = f"{ts_sql('created_at')}, id"


def list_runs(
    conn: sqlite3.Connection,
    limit: int | None = 50,
    suite: str | None = None,
    scenario: str | None = None,
    agent: str | None = None,
    status: str | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Runs newest first (ties by run id), optionally filtered; without metadata."""
    filters = {"suite": suite, "scenario": scenario, "agent": agent, "status": status}
    return list(iter_runs(conn, limit, offset, **filters))


def iter_runs(
    conn: sqlite3.Connection, limit: int | None = None, offset: int = 0, **filters: str | None
) -> Iterator[dict[str, Any]]:
    """list_runs() as a stream, for listings of every run; filters as in list_runs."""
    where, params = [], []
    for column in ("suite", "scenario", "agent", "status"):
        value = filters.get(column)
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    sql = f"SELECT {RUN_SUMMARY_COLUMNS} FROM benchmark_runs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" {NEWEST_FIRST} LIMIT ? OFFSET ?"
    params += [-1 if limit is None else limit, offset]
    for row in conn.execute(sql, params):
        yield run_dict(row)


def count_runs(conn: sqlite3.Connection) -> int:
    """How many runs the file holds."""
    return conn.execute("SELECT COUNT(*) FROM benchmark_runs").fetchone()[0]


def _run_row(conn: sqlite3.Connection, run_id: str) -> sqlite3.Row:
    row = conn.execute(
        f"SELECT {RUN_COLUMNS} FROM benchmark_runs WHERE run_id = ?", (run_id,)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no run with id {run_id!r}")
    return row


def run_evaluations(conn: sqlite3.Connection, run_id: str) -> list[dict[str, Any]]:
    """A run's evaluator results in the order they were recorded."""
    _run_row(conn, run_id)
    return _evaluations(conn, run_id)


def _evaluations(conn: sqlite3.Connection, run_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        f"SELECT {EVALUATION_COLUMNS} FROM evaluation_results WHERE run_id = ? "
        f"ORDER BY {_EVALUATION_ORDER}",
        (run_id,),
    )
    return [evaluation_dict(row) for row in rows]


def run_telemetry(conn: sqlite3.Connection, run_id: str) -> dict[str, Any] | None:
    """A run's telemetry (the first recorded row), or None when it has none."""
    _run_row(conn, run_id)
    return _telemetry(conn, run_id)


def _telemetry(conn: sqlite3.Connection, run_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        f"SELECT {TELEMETRY_COLUMNS} FROM run_telemetry WHERE run_id = ? ORDER BY id LIMIT 1",
        (run_id,),
    ).fetchone()
    return None if row is None else telemetry_dict(row)


def get_run(conn: sqlite3.Connection, run_id: str) -> dict[str, Any]:
    """``{run, evaluations, telemetry}`` for one run; NotFoundError if unknown."""
    row = _run_row(conn, run_id)
    return {
        "run": run_dict(row),
        "evaluations": _evaluations(conn, run_id),
        "telemetry": _telemetry(conn, run_id),
    }


def iter_run_details(
    conn: sqlite3.Connection, run_ids: Sequence[str] | None = None
) -> Iterator[dict[str, Any]]:
    """get_run() for every run (or every one of *run_ids* that exists), by run id, in
    three ordered scans instead of three queries a run."""
    if run_ids is None:
        where, params = "", []
        telemetry_sql = f"SELECT {TELEMETRY_COLUMNS} FROM {TELEMETRY_ONE_SQL} ORDER BY run_id"
    else:
        params = list(run_ids)
        where = f"WHERE run_id IN ({marks(params)}) "
        # The first recorded row of each run is the first of its group below.
        telemetry_sql = f"SELECT {TELEMETRY_COLUMNS} FROM run_telemetry {where}ORDER BY run_id, id"
    runs = conn.execute(f"SELECT {RUN_COLUMNS} FROM benchmark_runs {where}ORDER BY run_id", params)
    evaluations = _grouped(
        conn.execute(
            f"SELECT {EVALUATION_COLUMNS} FROM evaluation_results {where}"
            f"ORDER BY run_id, {_EVALUATION_ORDER}",
            params,
        )
    )
    telemetry = _grouped(conn.execute(telemetry_sql, params))
    for row in runs:
        run_id = row[0]
        yield {
            "run": run_dict(row),
            "evaluations": [evaluation_dict(r) for r in evaluations.take(run_id)],
            "telemetry": next((telemetry_dict(r) for r in telemetry.take(run_id)), None),
        }


class _grouped:
    """Walks rows ordered by their first column, handing out each key's rows in turn.

    Keys are compared with SQLite's BINARY order, which for UTF-8 text is the
    same as Python's str order, so rows of runs that do not exist are skipped.
    """

    def __init__(self, rows: Iterator[Any]) -> None:
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def take(self, key: str) -> list[Any]:
        while self._next is not None and self._next[0] < key:
            self._next = next(self._rows, None)
        out = []
        while self._next is not None and self._next[0] == key:
            out.append(self._next)
            self._next = next(self._rows, None)
        return out
