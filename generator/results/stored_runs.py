"""Stored runs read back in the payload form that validation produces.

Ingest compares incoming runs with stored ones in this form (identical ones
are left alone), and merge reads a source file's runs this way before they go
through the same validation as ``zebench record``.
"""

from __future__ import annotations

import sqlite3

from generator import store
from generator.errors import ValidationError
from generator.results.payloads import loads
from generator.results.validate import normalise_run
from generator.store.schema import EVALUATION_COLUMNS, RUN_COLUMNS, TELEMETRY_COLUMNS

BOOLEAN_KEYS = ("isSuccessful", "specialistEnabled")


def stored_runs(conn: sqlite3.Connection, run_ids: list[str]) -> dict[str, dict]:
    """Read stored runs back into the normalised payload form, keyed by runId.

    A stored run that would not pass validation (odd rows in foreign files) comes
    back un-normalised, so it compares as different rather than failing.
    """
    found = stored_payloads(conn, run_ids)
    return {run_id: _normalised_or_raw(run) for run_id, run in found.items()}


def stored_payloads(conn: sqlite3.Connection, run_ids: list[str]) -> dict[str, dict]:
    """Stored runs as payload dicts (metadata still JSON text), keyed by runId."""
    found: dict[str, dict] = {}
    unique = list(dict.fromkeys(run_ids))
    for chunk in store.id_slices(unique):
        rows = conn.execute(
            f"SELECT {', '.join(RUN_COLUMNS.values())} FROM benchmark_runs "
            f"WHERE run_id IN ({store.marks(chunk)}) ORDER BY id",
            chunk,
        ).fetchall()
        if rows:
            found.update(_payloads(conn, rows))
    return found


def _payloads(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> dict[str, dict]:
    runs = {row[0]: dict(zip(RUN_COLUMNS, tuple(row), strict=True)) for row in rows}
    marks = store.marks(list(runs))
    for run in runs.values():
        run["evaluations"], run["telemetry"] = [], None
        for key in BOOLEAN_KEYS:
            run[key] = None if run[key] is None else bool(run[key])
    evaluations = conn.execute(
        f"SELECT run_id, {', '.join(EVALUATION_COLUMNS.values())} FROM evaluation_results "
        f"WHERE run_id IN ({marks}) ORDER BY id",
        list(runs),
    )
    for row in evaluations:
        runs[row[0]]["evaluations"].append(
            dict(zip(EVALUATION_COLUMNS, tuple(row)[1:], strict=True))
        )
    telemetry = conn.execute(
        f"SELECT run_id, {', '.join(TELEMETRY_COLUMNS.values())} FROM run_telemetry "
        f"WHERE run_id IN ({marks}) ORDER BY id",
        list(runs),
    )
    for row in telemetry:  # upstream writes one row per run; keep the first
        if runs[row[0]]["telemetry"] is None:
            runs[row[0]]["telemetry"] = dict(zip(TELEMETRY_COLUMNS, tuple(row)[1:], strict=True))
    return runs


def normalise_stored(run: dict, where: str) -> dict:
    """Normalise a stored payload, reading its metadata JSON text first."""
    payload = dict(run)
    if isinstance(payload["metadata"], str):
        try:
            payload["metadata"] = loads(payload["metadata"])
        except ValueError:
            raise ValidationError(f"{where}: field 'metadata': not valid JSON text") from None
    return normalise_run(payload, where)


def _normalised_or_raw(run: dict) -> dict:
    try:
        return normalise_stored(run, "stored run")
    except ValidationError:
        return run
