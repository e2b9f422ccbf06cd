"""Prune the results file: drop old runs and batches, or replace large patches by
their summary. Nothing is dropped that was not asked for.

``--before DATE`` drops the runs started before DATE; ``--keep-batches N`` keeps
the newest N batches (by createdAt) and drops the older ones with their runs.
Either way a run goes with its evaluations and telemetry, and a batch that the
prune leaves without runs goes too (runs without a batch stay unless they are
old enough). ``--text-over SIZE`` replaces each ``metadata.diffSummary[]`` patch
of a file matching one of the glob patterns (by path or file name) whose
``textPatch`` is over SIZE bytes of UTF-8 by a line saying what it was, and
records its size, lines added and removed and SHA-256 in ``textPatchRemoved``.

Without ``yes`` the file is only read and the report says what would go. With
it, the prune is one transaction. A run whose metadata changes gets a new
AUTOINCREMENT id, as a replaced run does, so an incremental build renders it
again (``build.changes`` treats run ids as version stamps). The file keeps its
size until ``zebench compact`` rewrites it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from generator import store, times
from generator.errors import ParameterError, StoreError

DEFAULT_FILES = ("pnpm-lock.yaml", "package-lock.json", "yarn.lock")
EXAMPLES = 3  # ids shown for each kind of thing removed
_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "KIB": 1024, "MIB": 1024**2}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*")


def parse_size(text: str) -> int:
    """``100KB``, ``1MB``, ``2.5MiB`` or a number of bytes, as bytes (KB = 1000 bytes)."""
    match = _SIZE.fullmatch(text)
    unit = match.group(2).upper() if match else ""
    if not match or unit not in _UNITS:
        raise ParameterError(f"{text!r} is not a size: use e.g. 100KB, 1MB or 250000 (bytes)")
    return int(float(match.group(1)) * _UNITS[unit])


def parse_date(text: str) -> datetime:
    """A date or ISO 8601 time (UTC unless it says otherwise)."""
    try:
        return times.parse(text)
    except ValueError:
        raise ParameterError(
            f"{text!r} is not a date: use e.g. 2025-06-01 or 2025-06-01T12:00:00Z"
        ) from None


@dataclass
class Plan:
    """What a prune removes; ``lines()`` is its report."""

    runs: dict[str, str | None] = field(default_factory=dict)  # runId -> batchId
    batches: list[str] = field(default_factory=list)
    evaluations: int = 0
    telemetry: int = 0
    bytes: int = 0  # the dropped rows' values, about as SQLite stores them
    patched: dict[str, str] = field(default_factory=dict)  # runId -> new metadata
    patches: int = 0
    patch_bytes: int = 0
    done: bool = False

    def lines(self) -> list[str]:
        """The report: what goes (counts, bytes, a few ids), then what happened."""
        verb = "dropped" if self.done else "would drop"
        lines = [
            f"runs: {verb} {len(self.runs):,} ({self.evaluations:,} evaluations, "
            f"{self.telemetry:,} telemetry rows, {_size(self.bytes)}){_examples(self.runs)}",
            f"batches: {verb} {len(self.batches):,}{_examples(self.batches)}",
        ]
        if self.patches or self.patched:
            verb = "replaced" if self.done else "would replace"
            lines.append(
                f"patches: {verb} {self.patches:,} in {len(self.patched):,} runs by their "
                f"summary ({_size(self.patch_bytes)} of text){_examples(self.patched)}"
            )
        if not self.done:
            lines.append("Nothing written: add --yes to do it.")
        elif self.runs or self.patched:
            lines.append("The file keeps its size until 'zebench compact' rewrites it.")
        return lines


def _examples(ids) -> str:
    shown = sorted(ids)[:EXAMPLES]
    return f", e.g. {', '.join(repr(i) for i in shown)}" if shown else ""


def _size(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1e3:,.1f} KB"


def prune(
    db: str | os.PathLike[str],
    *,
    before: datetime | None = None,
    keep_batches: int | None = None,
    text_over: int | None = None,
    files: tuple[str, ...] = DEFAULT_FILES,
    yes: bool = False,
) -> Plan:
    """Plan the prune of *db* and, with *yes*, carry it out in one transaction."""
    if before is None and keep_batches is None and text_over is None:
        raise ParameterError("nothing to prune: give --before, --keep-batches or --text-over")
    if keep_batches is not None and keep_batches < 0:
        raise ParameterError("--keep-batches: give a number of batches, 0 or more")
    if not Path(db).is_file():  # open_write would create it
        raise StoreError(f"no database at {db}")
    if not yes:
        conn = store.open_read(db)  # the file is not touched
        try:
            with store.reading(db):
                return _plan(conn, before, keep_batches, text_over, files)
        finally:
            conn.close()
    conn = store.open_write(db)
    try:
        with store.reading(db), store.transaction(conn):
            plan = _plan(conn, before, keep_batches, text_over, files)
            _apply(conn, plan)
    finally:
        conn.close()
    plan.done = True
    return plan


def _plan(
    conn: sqlite3.Connection,
    before: datetime | None,
    keep_batches: int | None,
    text_over: int | None,
    files: tuple[str, ...],
) -> Plan:
    plan = Plan()
    old_batches: list[str] = []
    if keep_batches is not None:
        old_batches = _batches_newest_first(conn)[keep_batches:]
        for chunk in store.id_slices(old_batches):
            where = f"batchId IN ({store.marks(chunk)})"
            sql = f"SELECT run_id, batchId FROM benchmark_runs WHERE {where}"
            plan.runs.update(conn.execute(sql, chunk).fetchall())
    if before is not None:
        plan.runs.update(_runs_before(conn, before))
    plan.batches = sorted(set(old_batches) | _emptied(conn, plan.runs))
    _measure(conn, plan)
    if text_over is not None:
        _plan_patches(conn, plan, text_over, files)
    return plan


def _batches_newest_first(conn: sqlite3.Connection) -> list[str]:
    def created(value: object) -> int:
        try:
            return times.to_epoch_ms(value) or -1
        except ValueError:
            return -1  # an unreadable time counts as the oldest

    rows = conn.execute("SELECT batchId, createdAt FROM batch_runs ORDER BY batchId").fetchall()
    rows.sort(key=lambda row: (created(row[1]), row[0]), reverse=True)
    return [row[0] for row in rows]


def _runs_before(conn: sqlite3.Connection, cutoff: datetime) -> dict[str, str | None]:
    found = {}
    for run_id, batch_id, started in conn.execute(
        "SELECT run_id, batchId, started_at FROM benchmark_runs ORDER BY run_id"
    ):
        try:
            if started is not None and times.parse(started) < cutoff:
                found[run_id] = batch_id
        except ValueError:
            continue  # a start time nobody can read: not known to be old
    return found


def _emptied(conn: sqlite3.Connection, runs: dict[str, str | None]) -> set[str]:
    """The batches that lose every run they have."""
    losing: dict[str, int] = {}
    for batch_id in runs.values():
        if batch_id is not None:
            losing[batch_id] = losing.get(batch_id, 0) + 1
    counts = conn.execute(
        "SELECT batchId, COUNT(*) FROM benchmark_runs WHERE batchId IS NOT NULL GROUP BY batchId"
    )
    return {batch for batch, count in counts if losing.get(batch) == count}


def _measure(conn: sqlite3.Connection, plan: Plan) -> None:
    """Count the evaluations and telemetry rows that go with the runs, and the bytes."""
    sizes = {table: _row_size(conn, table) for table in _TABLES}
    for chunk in store.id_slices(sorted(plan.runs)):
        for table in _TABLES:
            sql = f"SELECT COUNT(*), SUM({sizes[table]}) FROM {table} WHERE run_id IN "
            count, size = conn.execute(sql + f"({store.marks(chunk)})", chunk).fetchone()
            plan.bytes += size or 0
            if table == "evaluation_results":
                plan.evaluations += count
            elif table == "run_telemetry":
                plan.telemetry += count


_TABLES = ("benchmark_runs", "evaluation_results", "run_telemetry")


def _row_size(conn: sqlite3.Connection, table: str) -> str:
    """An SQL expression: the bytes of a row's values (numbers as their text)."""
    columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    return " + ".join(f'COALESCE(length(CAST("{c}" AS BLOB)), 0)' for c in columns)


def _plan_patches(conn: sqlite3.Connection, plan: Plan, over: int, files: tuple[str, ...]) -> None:
    # JSON text is never shorter than the text it holds: a run whose whole
    # metadata is at most *over* bytes cannot hold a patch over it.
    candidates = [
        row[0]
        for row in conn.execute(
            "SELECT run_id FROM benchmark_runs WHERE length(CAST(metadata AS BLOB)) > ? "
            "AND instr(metadata, 'textPatch') > 0 ORDER BY run_id",
            (over,),
        )
        if row[0] not in plan.runs
    ]
    for chunk in store.id_slices(candidates):
        sql = f"SELECT run_id, metadata FROM benchmark_runs WHERE run_id IN ({store.marks(chunk)})"
        for run_id, text in conn.execute(sql + " ORDER BY run_id", chunk):
            changed = _summarise(text, over, files)
            if changed is not None:
                metadata, count, size = changed
                plan.patched[run_id] = metadata
                plan.patches += count
                plan.patch_bytes += size


def _summarise(text: str, over: int, files: tuple[str, ...]) -> tuple[str, int, int] | None:
    """The metadata with its large matching patches summarised, how many and their
    bytes; None when nothing changes."""
    try:
        metadata = json.loads(text)
    except ValueError:
        return None  # not JSON: nothing of a known shape to replace
    entries = metadata.get("diffSummary") if isinstance(metadata, dict) else None
    if not isinstance(entries, list):
        return None
    count = size = 0
    for entry in entries:
        if not _matches(entry, over, files):
            continue
        patch = entry["textPatch"].encode("utf-8", "surrogatepass")
        summary = patch_summary(entry["textPatch"], patch)
        entry["textPatch"] = (
            f"(patch removed by zebench prune: {summary['bytes']:,} bytes, "
            f"{summary['linesAdded']:,} lines added, {summary['linesRemoved']:,} removed, "
            f"sha256 {summary['sha256']})"
        )
        entry["textPatchRemoved"] = summary
        count, size = count + 1, size + len(patch)
    if not count:
        return None
    new = json.dumps(metadata, ensure_ascii=False, separators=(",", ":"), allow_nan=True)
    return new, count, size


def _matches(entry: object, over: int, files: tuple[str, ...]) -> bool:
    if not isinstance(entry, dict) or "textPatchRemoved" in entry:
        return False
    name, patch = entry.get("file"), entry.get("textPatch")
    if not isinstance(name, str) or not isinstance(patch, str) or len(patch) * 4 <= over:
        return False  # a UTF-8 character is at most 4 bytes: too short to be over
    base = PurePosixPath(name).name
    if not any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(base, p) for p in files):
        return False
    return len(patch.encode("utf-8", "surrogatepass")) > over


def patch_summary(text: str, data: bytes) -> dict:
    """What a patch was: its bytes, lines added and removed, and SHA-256."""
    lines = text.split("\n")
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    return {
        "bytes": len(data),
        "linesAdded": added,
        "linesRemoved": removed,
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def _apply(conn: sqlite3.Connection, plan: Plan) -> None:
    """Carry out *plan*; call inside a transaction."""
    runs = [(run_id,) for run_id in sorted(plan.runs)]
    for table in ("evaluation_results", "run_telemetry", "benchmark_runs"):  # children first
        conn.executemany(f"DELETE FROM {table} WHERE run_id = ?", runs)
    conn.executemany("DELETE FROM batch_runs WHERE batchId = ?", [(b,) for b in plan.batches])
    if not plan.patched:
        return
    # A new id, never used before, for each changed run: what a replaced run gets.
    (last,) = conn.execute(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'benchmark_runs'), 0), "
        "COALESCE((SELECT MAX(id) FROM benchmark_runs), 0))"
    ).fetchone()
    rows = [(text, last + n, run_id) for n, (run_id, text) in enumerate(plan.patched.items(), 1)]
    conn.executemany("UPDATE benchmark_runs SET metadata = ?, id = ? WHERE run_id = ?", rows)
    conn.execute(
        "UPDATE sqlite_sequence SET seq = ? WHERE name = 'benchmark_runs'", (last + len(rows),)
    )
