"""Merge result files (of any schema version) into one target file.

Each source is opened read-only (``store.open_read`` migrates an in-memory copy
of older files, so the source is never touched), its batches and runs are read
back into payloads and pass the same validation as ``zebench record``, then go
through the same write path. Identical runs collapse; a run whose runId holds
different content in the target is reported and the target's copy kept, unless
the caller prefers the source. The whole merge is one transaction, so a failed
or interrupted merge leaves the target as it was, and merging a source a second
time finds nothing to change.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from generator import store
from generator.errors import StoreError
from generator.results import ingest, stored_runs
from generator.results.payloads import loads
from generator.results.validate import normalise_batch

_BATCH_COLUMNS = (
    "batchId", "createdAt", "completedAt", "totalRuns", "successfulRuns",
    "avgScore", "avgWeightedScore", "metadata",
)  # fmt: skip
_CONFLICTS_SHOWN = 20


@dataclass
class MergeSummary:
    """Counts and conflicts of one merge, printed by the CLI."""

    sources: int = 0
    runs: ingest.RecordSummary = field(default_factory=ingest.RecordSummary)
    batches: ingest.BatchSummary = field(default_factory=ingest.BatchSummary)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (source, runId)

    def lines(self) -> list[str]:
        """One line per conflict (the first few), then the summary line."""
        shown = [
            f"conflict: run {run_id!r} in {source} differs from the target's copy; "
            "kept the target's (use --prefer-source to take the source's)"
            for source, run_id in self.conflicts[:_CONFLICTS_SHOWN]
        ]
        if len(self.conflicts) > _CONFLICTS_SHOWN:
            shown.append(f"… and {len(self.conflicts) - _CONFLICTS_SHOWN} more conflicts")
        runs = self.runs
        noun = "source" if self.sources == 1 else "sources"
        shown.append(
            f"merged {self.sources} {noun}: {runs.recorded} runs added, "
            f"{runs.unchanged} unchanged, {runs.replaced} replaced, "
            f"{len(self.conflicts)} conflicts kept; batches: {self.batches.recorded} added, "
            f"{self.batches.updated} updated, {self.batches.unchanged} unchanged"
        )
        return shown


def merge(
    target: str | os.PathLike[str], sources: list[str], *, prefer_source: bool = False
) -> MergeSummary:
    """Merge every source into *target* in one transaction (see module docstring)."""
    _check_sources(Path(target), sources)
    summary = MergeSummary()
    with ingest.writing(target):
        conn = store.open_write(target)
        try:
            with store.transaction(conn):
                for source in sources:
                    _merge_one(conn, source, prefer_source, summary)
        finally:
            conn.close()
    return summary


def _check_sources(target: Path, sources: list[str]) -> None:
    for source in sources:
        path = Path(source)
        if not path.is_file():
            raise StoreError(f"no results file at {source}")
        if target.exists() and path.samefile(target):
            raise StoreError(f"{source} is the target itself; merge other files into it")


def _merge_one(
    conn: sqlite3.Connection, source: str, prefer_source: bool, summary: MergeSummary
) -> None:
    with store.reading(source):
        src = store.open_read(source)
    try:
        with store.reading(source):
            batches = _source_batches(src, source)
            run_ids = [
                row[0] for row in src.execute("SELECT run_id FROM benchmark_runs ORDER BY id")
            ]
        done = ingest.write_batches(conn, batches, overwrite=prefer_source)
        for key in ("recorded", "updated", "unchanged"):
            setattr(summary.batches, key, getattr(summary.batches, key) + getattr(done, key))
        policy = "replace" if prefer_source else "keep"
        for ids in store.id_slices(run_ids):  # bounded memory for large sources
            with store.reading(source):
                located = _source_runs(src, source, ids)
            written = ingest.write_runs(conn, located, policy)
            summary.runs.recorded += written.recorded
            summary.runs.unchanged += written.unchanged
            summary.runs.replaced += written.replaced
            summary.conflicts += [(source, run_id) for run_id in written.conflicts]
    finally:
        src.close()
    summary.sources += 1


def _source_batches(src: sqlite3.Connection, source: str) -> list[dict]:
    rows = src.execute(f"SELECT {', '.join(_BATCH_COLUMNS)} FROM batch_runs ORDER BY batchId")
    batches = []
    for row in rows:
        # Absent values must not overwrite the target's under --prefer-source.
        payload = {
            key: value
            for key, value in zip(_BATCH_COLUMNS, tuple(row), strict=True)
            if value is not None
        }
        if isinstance(payload.get("metadata"), str):
            payload["metadata"] = _json_or_text(payload["metadata"])
        batches.append(normalise_batch(payload, f"{source} batch {row[0]!r}"))
    return batches


def _json_or_text(text: str) -> object:
    try:
        return loads(text)
    except ValueError:
        return text  # validation then names the batch and the field


def _source_runs(src: sqlite3.Connection, source: str, run_ids: list[str]) -> list:
    payloads = stored_runs.stored_payloads(src, run_ids)
    located = []
    for run_id in run_ids:
        where = f"{source} run {run_id!r}"
        located.append((where, stored_runs.normalise_stored(payloads[run_id], where)))
    return located
