"""Write runs and batches: validate everything first, then write in one transaction.

``record_files`` is ``zebench record``: every record of every file is parsed and
normalised before the database is opened, so an invalid record means nothing
from that invocation is written. Runs already stored are compared with the
incoming ones in their normalised form: identical ones are left alone, different
ones are refused unless the caller asked to replace them. Rows go in with
``executemany`` inside one ``BEGIN IMMEDIATE`` transaction, which is what makes
thousands of runs per second possible while parallel writers queue safely.

Memory stays flat however large the input: JSON Lines are read a line at a
time, validated runs wait in a ``ValidatedRuns`` (pickled, spilling to disk), and the
write pass reads them back and writes them 500 at a time in that one transaction.
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
from generator.results.payloads import iter_records
from generator.results.stored_runs import (
    BOOLEAN_KEYS,
    EVALUATION_COLUMNS,
    RUN_COLUMNS,
    TELEMETRY_COLUMNS,
    stored_runs,
)
from generator.results.validate import normalise_batch, normalise_run
from generator.results.validated import Located, ValidatedRuns

OnConflict = Literal["refuse", "replace", "keep"]

_BOOLEAN_INDEXES = [list(RUN_COLUMNS).index(key) for key in BOOLEAN_KEYS]


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


def load_runs(sources: Iterable[str]) -> ValidatedRuns:
    """Parse and normalise every run of every file kept on disk; a runId seen twice must match."""
    validated = ValidatedRuns()
    try:
        for source in sources:
            for record in iter_records(source):
                validated.add(record.where, normalise_run(record.payload, record.where))
    except BaseException:
        validated.close()
        raise
    return validated


def record_files(
    db_path: str | os.PathLike[str], sources: Iterable[str], *, replace: bool = False
) -> RecordSummary:
    """``zebench record``: validate every run of *sources*, then write them in one go."""
    with load_runs(sources) as validated:
        return _record(db_path, validated.chunks(store.IDS_PER_QUERY), replace)


def record_runs(
    db_path: str | os.PathLike[str], runs: list[Located], *, replace: bool = False
) -> RecordSummary:
    """Write normalised runs in one transaction (refusing changed ones unless *replace*)."""
    return _record(db_path, store.id_slices(runs), replace)


def _record(
    db_path: str | os.PathLike[str], chunks: Iterable[list[Located]], replace: bool
) -> RecordSummary:
    with writing(db_path):
        conn = store.open_write(db_path)
        try:
            # Run ids are random, so a large write touches index pages all over the
            # file: a 64 MB page cache (default 2 MB) saves about a tenth of the time.
            conn.execute("PRAGMA cache_size = -65536")
            with store.transaction(conn):
                return write_run_chunks(conn, chunks, "replace" if replace else "refuse")
        finally:
            conn.close()


def write_runs(conn: sqlite3.Connection, runs: list[Located], on_conflict: OnConflict):
    """Insert new runs, skip identical ones, and refuse, replace or keep changed ones.

    Call inside a transaction. Returns a RecordSummary.
    """
    return write_run_chunks(conn, [runs], on_conflict)


def write_run_chunks(
    conn: sqlite3.Connection, chunks: Iterable[list[Located]], on_conflict: OnConflict
) -> RecordSummary:
    """write_runs() over runs arriving a chunk at a time, so memory stays flat.

    Call inside a transaction: a refusal is raised only after every chunk was
    compared (to count the conflicts), and the caller's rollback undoes the
    chunks already written.
    """
    summary = RecordSummary()
    refused: list[tuple[str, dict, dict]] = []  # the first changed run, with its stored copy
    refused_count = 0
    batches = _NewBatches()
    for runs in chunks:
        stored = stored_runs(conn, [run["runId"] for _, run in runs])
        fresh, changed = _sort_out(runs, stored, summary)
        if on_conflict == "refuse" and (changed or refused):
            if not refused:
                where, run = changed[0]
                refused.append((where, run, stored[run["runId"]]))
            refused_count += len(changed)
            continue  # nothing more is written; the transaction will be rolled back
        if on_conflict == "keep":
            summary.conflicts += [run["runId"] for _, run in changed]
            changed = []
        replacing = [run for _, run in changed]
        delete_runs(conn, [run["runId"] for run in replacing])
        batches.ensure(conn, fresh + replacing)
        _insert_rows(conn, fresh + replacing)
        summary.recorded += len(fresh)
        summary.replaced += len(replacing)
    if refused:
        raise ConflictError(_conflict_message(*refused[0], refused_count))
    batches.finish(conn)
    return summary


def _sort_out(
    runs: list[Located], stored: dict[str, dict], summary: RecordSummary
) -> tuple[list[dict], list[Located]]:
    """Split *runs* into new ones and changed ones, counting identical ones in *summary*."""
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
    return fresh, changed


def _conflict_message(where: str, run: dict, old: dict, count: int) -> str:
    fields = [key for key in run if run[key] != old.get(key)]
    more = f" (and {count - 1} more)" if count > 1 else ""
    return (
        f"{where}: run {run['runId']!r} is already stored with different content "
        f"(field '{fields[0] if fields else 'runId'}' differs){more}; "
        "use --replace to overwrite it, or give the new run its own runId"
    )


def insert_runs(conn: sqlite3.Connection, runs: list[dict]) -> None:
    """Insert whole runs (run row, evaluations, telemetry), creating unknown batches."""
    conn.executemany(
        "INSERT OR IGNORE INTO batch_runs (batchId, createdAt) VALUES (?, ?)",
        sorted(_earliest(runs).items()),
    )
    _insert_rows(conn, runs)


def _insert_rows(conn: sqlite3.Connection, runs: list[dict]) -> None:
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


def _earliest(runs: list[dict]) -> dict[str, int]:
    """batchId -> when its earliest run among *runs* started (epoch ms): an unknown
    batch starts then."""
    first: dict[str, int] = {}
    for run in runs:
        if run["batchId"] is not None:
            started = times.to_epoch_ms(run["startedAt"])
            first[run["batchId"]] = min(first.get(run["batchId"], started), started)
    return first


class _NewBatches:
    """The batches one write creates for its runs, each started by its earliest run.

    Runs arrive a chunk at a time, so a batch created for one chunk may meet an
    earlier run in a later chunk: finish() moves its start back.
    """

    def __init__(self) -> None:
        self.started: dict[str, int] = {}
        self.moved: set[str] = set()

    def ensure(self, conn: sqlite3.Connection, runs: list[dict]) -> None:
        """Create the batches of *runs* that do not exist yet."""
        first = _earliest(runs)
        unknown = sorted(batch for batch in first if batch not in self.started)
        known = set()
        for chunk in store.id_slices(unknown):
            sql = f"SELECT batchId FROM batch_runs WHERE batchId IN ({store.marks(chunk)})"
            known.update(row[0] for row in conn.execute(sql, chunk))
        new = [(batch, first[batch]) for batch in unknown if batch not in known]
        conn.executemany("INSERT INTO batch_runs (batchId, createdAt) VALUES (?, ?)", new)
        self.started.update(new)
        for batch, started in first.items():
            if batch in self.started and started < self.started[batch]:
                self.started[batch] = started
                self.moved.add(batch)

    def finish(self, conn: sqlite3.Connection) -> None:
        """Move back the start of batches that met an earlier run after being created."""
        conn.executemany(
            "UPDATE batch_runs SET createdAt = ? WHERE batchId = ?",
            [(self.started[batch], batch) for batch in sorted(self.moved)],
        )


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
