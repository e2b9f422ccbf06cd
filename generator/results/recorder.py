"""The Python recorder for harnesses: the upstream logger's lifecycle, Pythonic names.

    rec = Recorder("data/benchmarks.db")
    batch = rec.start_batch()
    with rec.run(suite="update-deps", scenario="nx-pnpm-monorepo", tier="L1",
                 agent="anthropic", model="claude-sonnet-4", batch_id=batch) as run:
        run.log_evaluation("InstallEvaluator", 1.0, details="Install succeeded")
        run.log_telemetry(tokens_in=1200, tokens_out=300, cost_usd=0.01)
        run.complete(total_score=0.9, weighted_score=8.7, is_successful=True)
    rec.complete_batch(batch)

A run is stored as ``running`` the moment it starts, so a crashed harness leaves
a trace. Evaluations and telemetry are validated as they are logged and kept in
memory; completing or failing the run writes the whole run in one transaction
through the same path as ``zebench record``. Every problem raises.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from generator import store, times
from generator.errors import NotFoundError
from generator.results import ingest
from generator.results.validate import normalise_batch, normalise_run


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _now() -> str:
    return times.iso(datetime.now(UTC))


class Recorder:
    """Records batches and runs into one results file; one transaction per write."""

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
        self.db_path = db_path
        with ingest.writing(db_path):
            self._conn = store.open_write(db_path)
        self._open: dict[str, dict] = {}  # runId -> payload of runs not yet finished

    def close(self) -> None:
        """Close the file; runs still open stay ``running`` in it."""
        self._conn.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with ingest.writing(self.db_path), store.transaction(self._conn):
            yield

    def start_batch(
        self,
        batch_id: str | None = None,
        *,
        created_at: object = None,
        metadata: dict | None = None,
    ) -> str:
        """Store a new batch (or keep a known one) and return its id."""
        batch_id = batch_id or str(uuid.uuid4())
        payload = {"batchId": batch_id, "createdAt": created_at or _now()}
        if metadata is not None:
            payload["metadata"] = metadata
        batch = normalise_batch(payload, f"batch {batch_id!r}")
        with self._transaction():
            ingest.write_batches(self._conn, [batch], overwrite=True)
        return batch_id

    def start_run(
        self,
        *,
        suite: str,
        scenario: str,
        tier: str,
        agent: str,
        model: str | None = None,
        batch_id: str | None = None,
        run_id: str | None = None,
        started_at: object = None,
        **fields: object,
    ) -> str:
        """Store a run as ``running`` right away and return its id.

        Extra keyword arguments are payload fields in snake_case
        (``specialist_enabled``, ``package_manager``, ``metadata``…).
        """
        run_id = run_id or str(uuid.uuid4())
        payload = {
            "runId": run_id, "batchId": batch_id, "suite": suite, "scenario": scenario,
            "tier": tier, "agent": agent, "model": model, "status": "running",
            "startedAt": started_at or _now(), "evaluations": [], "telemetry": None,
        }  # fmt: skip
        payload.update({_camel(key): value for key, value in fields.items()})
        where = f"run {run_id!r}"
        run = normalise_run(payload, where)
        with self._transaction():
            ingest.write_runs(self._conn, [(where, run)], "refuse")
        self._open[run_id] = payload
        return run_id

    def _payload(self, run_id: str) -> dict:
        try:
            return self._open[run_id]
        except KeyError:
            raise NotFoundError(
                f"run {run_id!r} was not started by this recorder or is already finished"
            ) from None

    def _checked(self, run_id: str, payload: dict) -> dict:
        return normalise_run(payload, f"run {run_id!r}")

    def log_evaluation(
        self,
        run_id: str,
        evaluator_name: str,
        score: float,
        max_score: float = 1.0,
        details: object = None,
    ) -> None:
        """Add one evaluator's result; written when the run completes or fails."""
        payload = self._payload(run_id)
        entry = {"evaluatorName": evaluator_name, "score": score, "maxScore": max_score}
        if details is not None:
            entry["details"] = details
        self._checked(run_id, {**payload, "evaluations": [*payload["evaluations"], entry]})
        payload["evaluations"].append(entry)

    def log_telemetry(self, run_id: str, **fields: object) -> None:
        """Set telemetry fields (``tokens_in``, ``cost_usd``, ``prompt_sent``…); calls add up."""
        payload = self._payload(run_id)
        telemetry = {**(payload["telemetry"] or {}), **{_camel(k): v for k, v in fields.items()}}
        self._checked(run_id, {**payload, "telemetry": telemetry})
        payload["telemetry"] = telemetry

    def complete_run(self, run_id: str, *, completed_at: object = None, **fields: object) -> None:
        """Mark the run completed and write it whole (scores given in snake_case)."""
        changes = {_camel(key): value for key, value in fields.items()}
        self._finish(run_id, {"status": "completed", **changes}, completed_at)

    def fail_run(
        self,
        run_id: str,
        error: BaseException | str,
        *,
        error_type: str | None = None,
        completed_at: object = None,
        metadata: dict | None = None,
    ) -> None:
        """Mark the run failed with ``{error, errorType}`` metadata and write it whole."""
        if error_type is None:
            error_type = type(error).__name__ if isinstance(error, BaseException) else "Error"
        merged = {**(metadata or {}), "error": str(error) or error_type, "errorType": error_type}
        self._finish(run_id, {"status": "failed", "metadata": merged}, completed_at)

    def _finish(self, run_id: str, changes: dict, completed_at: object) -> None:
        payload = {**self._payload(run_id), **changes, "completedAt": completed_at or _now()}
        where = f"run {run_id!r}"
        run = normalise_run(payload, where)
        with self._transaction():
            ingest.delete_runs(self._conn, [run_id])
            ingest.insert_runs(self._conn, [run])
        del self._open[run_id]

    def complete_batch(self, batch_id: str, *, completed_at: object = None) -> None:
        """Close a batch, storing totals computed from its runs."""
        with self._transaction():
            row = self._conn.execute(
                "SELECT createdAt FROM batch_runs WHERE batchId = ?", (batch_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no batch {batch_id!r}; start it with start_batch()")
            totals = self._conn.execute(
                "SELECT COUNT(*), "
                "COALESCE(SUM(status = 'completed' AND is_successful = 1), 0), "
                "AVG(total_score), AVG(weighted_score) FROM benchmark_runs WHERE batchId = ?",
                (batch_id,),
            ).fetchone()
            payload = {
                "batchId": batch_id, "createdAt": row[0], "completedAt": completed_at or _now(),
                "totalRuns": totals[0], "successfulRuns": totals[1],
                "avgScore": totals[2], "avgWeightedScore": totals[3],
            }  # fmt: skip
            batch = normalise_batch(payload, f"batch {batch_id!r}")
            ingest.write_batches(self._conn, [batch], overwrite=True)

    @contextmanager
    def run(self, **start: object) -> Iterator[RunHandle]:
        """Start a run; complete it when the block ends, fail it if the block raises.

        On an exception the run is stored as failed with ``{error, errorType}``
        and the exception propagates.
        """
        handle = RunHandle(self, self.start_run(**start))  # type: ignore[arg-type]
        try:
            yield handle
        except BaseException as exc:
            if handle.run_id in self._open:
                self.fail_run(handle.run_id, exc)
            raise
        if handle.run_id in self._open:
            self.complete_run(handle.run_id)


class RunHandle:
    """One open run inside ``Recorder.run``; methods mirror the recorder's."""

    def __init__(self, recorder: Recorder, run_id: str) -> None:
        self.recorder = recorder
        self.run_id = run_id

    def log_evaluation(self, evaluator_name: str, score: float, max_score: float = 1.0,
                       details: object = None) -> None:  # fmt: skip
        self.recorder.log_evaluation(self.run_id, evaluator_name, score, max_score, details)

    def log_telemetry(self, **fields: object) -> None:
        self.recorder.log_telemetry(self.run_id, **fields)

    def complete(self, **fields: object) -> None:
        self.recorder.complete_run(self.run_id, **fields)

    def fail(self, error: BaseException | str, **options: object) -> None:
        self.recorder.fail_run(self.run_id, error, **options)  # type: ignore[arg-type]
