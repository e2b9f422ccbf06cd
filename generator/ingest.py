"""Write runs and batches: validate everything first, then write in one transaction.

``record_files`` is ``zebench record``: every record of every file is parsed and
normalised before the database is opened, so an invalid record means nothing
from that invocation is written. Runs already stored are compared with the
incoming ones in their normalised form: identical ones are left alone, different
ones are refused unless the caller asked to replace them. Rows go in with
``executemany`` inside one ``BEGIN IMMEDIATE`` transaction, which is what makes
thousands of runs per second possible while parallel writers queue safely.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from generator import store, times
from generator.errors import ConflictError, StoreError, ValidationError
from generator.payloads import iter_records, loads
from generator.validate import normalise_batch, normalise_run

OnConflict = Literal["refuse", "replace", "keep"]
Located = tuple[str, dict]  # (where, normalised payload)

# Payload key -> column, in insert order.
RUN_COLUMNS = {
    "runId": "run_id", "batchId": "batchId", "suite": "suite", "scenario": "scenario",
    "tier": "tier", "agent": "agent", "model": "model", "status": "status",
    "startedAt": "started_at", "completedAt": "completed_at", "totalScore": "total_score",
    "weightedScore": "weighted_score", "isSuccessful": "is_successful",
    "successMetric": "success_metric", "specialistEnabled": "specialist_enabled",
    "specialistName": "specialist_name", "specialistVersion": "specialist_version",
    "packageManager": "package_manager", "testResults": "test_results", "metadata": "metadata",
}  # fmt: skip
EVALUATION_COLUMNS = {
    "evaluatorName": "evaluator_name", "score": "score", "maxScore": "max_score",
    "details": "details", "createdAt": "created_at",
}  # fmt: skip
TELEMETRY_COLUMNS = {
    "toolCalls": "tool_calls", "tokensIn": "tokens_in", "tokensOut": "tokens_out",
    "costUsd": "cost_usd", "durationMs": "duration_ms", "workspaceDir": "workspace_dir",
    "promptSent": "prompt_sent",
}  # fmt: skip
_BOOLEAN_KEYS = ("isSuccessful", "specialistEnabled")
_BOOLEAN_INDEXES = [list(RUN_COLUMNS).index(key) for key in _BOOLEAN_KEYS]
_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit


def _insert_sql(table: str, columns: Iterable[str]) -> str:
    names = ["run_id", *columns] if table != "benchmark_runs" else list(columns)
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


_INSERT_RUN = _insert_sql("benchmark_runs", RUN_COLUMNS.values())
_INSERT_EVALUATION = _insert_sql("evaluation_results", EVALUATION_COLUMNS.values())
_INSERT_TELEMETRY = _insert_sql("run_telemetry", TELEMETRY_COLUMNS.values())


@dataclass
class RecordSummary:
    """What a write did, for the one-line summary."""

    recorded: int = 0
    unchanged: int = 0
    replaced: int = 0
    conflicts: list[str] = field(default_factory=list)  # run ids kept as they were

    def __str__(self) -> str:
        noun = "run" if self.recorded == 1 else "runs"
        return (
            f"recorded {self.recorded} {noun}, {self.unchanged} unchanged, {self.replaced} replaced"
        )


@contextmanager
def writing(db_path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn SQLite failures while writing (disk full, corrupt file) into StoreError."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot write to {db_path} ({exc}); nothing was written") from None


def load_runs(sources: Iterable[str]) -> list[Located]:
    """Parse and normalise every run of every file; a runId seen twice must match."""
    seen: dict[str, Located] = {}
    for source in sources:
        for record in iter_records(source):
            run = normalise_run(record.payload, record.where)
            first = seen.get(run["runId"])
            if first is None:
                seen[run["runId"]] = (record.where, run)
            elif first[1] != run:
                raise ValidationError(
                    f"{record.where}: field 'runId': run {run['runId']!r} appears again "
                    f"with different content (first at {first[0]})"
                )
    return list(seen.values())


def record_files(
    db_path: str | os.PathLike[str], sources: Iterable[str], *, replace: bool = False
) -> RecordSummary:
    """``zebench record``: validate every run of *sources*, then write them in one go."""
    return record_runs(db_path, load_runs(sources), replace=replace)


def record_runs(
    db_path: str | os.PathLike[str], runs: list[Located], *, replace: bool = False
) -> RecordSummary:
    """Write normalised runs in one transaction (refusing changed ones unless *replace*)."""
    with writing(db_path):
        conn = store.open_write(db_path)
        try:
            with store.transaction(conn):
                return write_runs(conn, runs, "replace" if replace else "refuse")
        finally:
            conn.close()


def write_runs(conn: sqlite3.Connection, runs: list[Located], on_conflict: OnConflict):
    """Insert new runs, skip identical ones, and refuse, replace or keep changed ones.

    Call inside a transaction. Returns a RecordSummary.
    """
    stored = stored_runs(conn, [run["runId"] for _, run in runs])
    summary = RecordSummary()
    fresh: list[dict] = []
    changed: list[Located] = []
    for where, run in runs:
        old = stored.get(run["runId"])
        if old is None:
            fresh.append(run)
        elif old == run:
            summary.unchanged += 1
        else:
            changed.append((where, run))
    if changed and on_conflict == "refuse":
        raise ConflictError(_conflict_message(changed, stored))
    if on_conflict == "keep":
        summary.conflicts = [run["runId"] for _, run in changed]
        changed = []
    replacing = [run for _, run in changed]
    delete_runs(conn, [run["runId"] for run in replacing])
    insert_runs(conn, fresh + replacing)
    summary.recorded, summary.replaced = len(fresh), len(replacing)
    return summary


def _conflict_message(changed: list[Located], stored: dict[str, dict]) -> str:
    where, run = changed[0]
    old = stored[run["runId"]]
    fields = [key for key in run if run[key] != old.get(key)]
    more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
    return (
        f"{where}: run {run['runId']!r} is already stored with different content "
        f"(field '{fields[0] if fields else 'runId'}' differs){more}; "
        "use --replace to overwrite it, or give the new run its own runId"
    )


def insert_runs(conn: sqlite3.Connection, runs: list[dict]) -> None:
    """Insert whole runs (run row, evaluations, telemetry), creating unknown batches."""
    _ensure_batches(conn, runs)
    conn.executemany(_INSERT_RUN, [_run_row(run) for run in runs])
    conn.executemany(
        _INSERT_EVALUATION,
        [
            (run["runId"], *[e[key] for key in EVALUATION_COLUMNS])
            for run in runs
            for e in run["evaluations"]
        ],
    )
    conn.executemany(
        _INSERT_TELEMETRY,
        [
            (run["runId"], *[run["telemetry"][key] for key in TELEMETRY_COLUMNS])
            for run in runs
            if run["telemetry"] is not None
        ],
    )


def _run_row(run: dict) -> list:
    row = [run[key] for key in RUN_COLUMNS]
    for index in _BOOLEAN_INDEXES:  # SQLite has no booleans; upstream stores 0/1
        row[index] = None if row[index] is None else int(row[index])
    return row


def delete_runs(conn: sqlite3.Connection, run_ids: list[str]) -> None:
    """Delete runs with their evaluations and telemetry (children first, for the FKs)."""
    params = [(run_id,) for run_id in run_ids]
    for table in ("evaluation_results", "run_telemetry", "benchmark_runs"):
        conn.executemany(f"DELETE FROM {table} WHERE run_id = ?", params)


def _ensure_batches(conn: sqlite3.Connection, runs: list[dict]) -> None:
    # An unknown batch starts when its earliest run started.
    first: dict[str, int] = {}
    for run in runs:
        if run["batchId"] is not None:
            started = times.to_epoch_ms(run["startedAt"])
            first[run["batchId"]] = min(first.get(run["batchId"], started), started)
    conn.executemany(
        "INSERT OR IGNORE INTO batch_runs (batchId, createdAt) VALUES (?, ?)", sorted(first.items())
    )


def _chunks(items: list[str], size: int = _CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
    for chunk in _chunks(list(dict.fromkeys(run_ids))):
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT {', '.join(RUN_COLUMNS.values())} FROM benchmark_runs "
            f"WHERE run_id IN ({marks}) ORDER BY id",
            chunk,
        ).fetchall()
        if rows:
            found.update(_payloads(conn, rows))
    return found


def _payloads(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> dict[str, dict]:
    runs = {row[0]: dict(zip(RUN_COLUMNS, tuple(row), strict=True)) for row in rows}
    marks = ", ".join("?" * len(runs))
    for run in runs.values():
        run["evaluations"], run["telemetry"] = [], None
        for key in _BOOLEAN_KEYS:
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


# Batches ---------------------------------------------------------------------

_BATCH_KEYS = ("completedAt", "totalRuns", "successfulRuns", "avgScore", "avgWeightedScore")


@dataclass
class BatchSummary:
    """What a batch write did, for the one-line summary."""

    recorded: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        noun = "batch" if self.recorded == 1 else "batches"
        return (
            f"recorded {self.recorded} {noun}, {self.updated} updated, {self.unchanged} unchanged"
        )


def load_batches(sources: Iterable[str]) -> list[dict]:
    """Parse and normalise every batch of every file; a batchId seen twice must match."""
    seen: dict[str, Located] = {}
    for source in sources:
        for record in iter_records(source):
            batch = normalise_batch(record.payload, record.where)
            first = seen.setdefault(batch["batchId"], (record.where, batch))
            if first[1] != batch:
                raise ValidationError(
                    f"{record.where}: field 'batchId': batch {batch['batchId']!r} appears "
                    f"again with different content (first at {first[0]})"
                )
    return [batch for _, batch in seen.values()]


def record_batch_files(db_path: str | os.PathLike[str], sources: Iterable[str]) -> BatchSummary:
    """``zebench batch``: validate every batch of *sources*, then insert or update them."""
    return record_batches(db_path, load_batches(sources))


def record_batches(db_path: str | os.PathLike[str], batches: list[dict]) -> BatchSummary:
    """Insert or update normalised batches in one transaction; incoming fields win."""
    with writing(db_path):
        conn = store.open_write(db_path)
        try:
            with store.transaction(conn):
                return write_batches(conn, batches, overwrite=True)
        finally:
            conn.close()


def write_batches(conn: sqlite3.Connection, batches: list[dict], *, overwrite: bool):
    """Insert new batches; update known ones, keeping the earliest createdAt.

    With *overwrite* the incoming fields win; without, they only fill empty ones.
    Call inside a transaction. Returns a BatchSummary.
    """
    summary = BatchSummary()
    for batch in batches:
        row = conn.execute(
            "SELECT createdAt, metadata, " + ", ".join(_BATCH_KEYS) + " FROM batch_runs "
            "WHERE batchId = ?",
            (batch["batchId"],),
        ).fetchone()
        if row is None:
            keys = list(batch)
            conn.execute(
                f"INSERT INTO batch_runs ({', '.join(keys)}) VALUES ({', '.join('?' * len(keys))})",
                [batch[key] for key in keys],
            )
            summary.recorded += 1
            continue
        changes = _batch_changes(dict(row), batch, overwrite)
        if changes:
            sets = ", ".join(f"{key} = ?" for key in changes)
            conn.execute(
                f"UPDATE batch_runs SET {sets} WHERE batchId = ?",
                [*changes.values(), batch["batchId"]],
            )
            summary.updated += 1
        else:
            summary.unchanged += 1
    return summary


def _batch_changes(old: dict, new: dict, overwrite: bool) -> dict:
    changes = {}
    try:  # foreign files may hold the time as text
        old_created = times.to_epoch_ms(old["createdAt"])
    except ValueError:
        old_created = None
    if old_created is None or new["createdAt"] < old_created:
        changes["createdAt"] = new["createdAt"]
    for key in (*_BATCH_KEYS, "metadata"):
        if key in new and new[key] != old[key] and (overwrite or old[key] is None):
            changes[key] = new[key]
    return changes
