from __future__ import annotations

import json
import sqlite3

import pytest

from generator.errors import ConflictError, NotFoundError, ValidationError
from generator.results.recorder import Recorder

RUN = {"suite": "update-deps", "scenario": "nx-pnpm-monorepo", "tier": "L1", "agent": "echo"}


def query(db, sql, *params):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_a_run_is_stored_as_running_as_soon_as_it_starts(empty_db):
    with Recorder(empty_db) as rec:
        run_id = rec.start_run(**RUN, model="m", specialist_enabled=True)
        assert query(empty_db, "SELECT status, specialist_enabled FROM benchmark_runs") == [
            ("running", 1)
        ]
        rec.log_evaluation(run_id, "InstallEvaluator", 1.0, details="Install succeeded")
        assert query(empty_db, "SELECT COUNT(*) FROM evaluation_results") == [(0,)]


def test_complete_run_writes_everything_and_batch_totals_come_from_runs(empty_db):
    with Recorder(empty_db) as rec:
        batch = rec.start_batch(created_at=1761248400000, metadata={"iterations": 2})
        for score in (0.9, 0.5):
            run_id = rec.start_run(**RUN, batch_id=batch)
            rec.log_evaluation(run_id, "LLMJudgeEvaluator", score, details={"scores": []})
            rec.log_telemetry(run_id, tokens_in=100, cost_usd=0.5)
            rec.log_telemetry(run_id, tokens_out=20)
            rec.complete_run(run_id, total_score=score, weighted_score=score * 10,
                             is_successful=score > 0.7)  # fmt: skip
        rec.complete_batch(batch)
    assert query(empty_db, "SELECT COUNT(*), SUM(status='completed') FROM benchmark_runs") == [
        (2, 2)
    ]
    assert query(
        empty_db, "SELECT DISTINCT tokens_in, tokens_out, cost_usd FROM run_telemetry"
    ) == [(100, 20, 0.5)]
    assert query(
        empty_db, "SELECT createdAt, totalRuns, successfulRuns, avgScore FROM batch_runs"
    ) == [(1761248400000, 2, 1, 0.7)]


def test_context_manager_marks_the_run_failed_and_reraises(empty_db):
    rec = Recorder(empty_db)
    with pytest.raises(TimeoutError, match="agent took too long"), rec.run(**RUN) as run:
        run.log_evaluation("InstallEvaluator", 1.0)
        raise TimeoutError("agent took too long")
    rec.close()
    status, metadata = query(empty_db, "SELECT status, metadata FROM benchmark_runs")[0]
    assert status == "failed"
    assert json.loads(metadata) == {"error": "agent took too long", "errorType": "TimeoutError"}
    assert query(empty_db, "SELECT evaluator_name FROM evaluation_results") == [
        ("InstallEvaluator",)
    ]


def test_context_manager_completes_when_the_block_ends(empty_db):
    with Recorder(empty_db) as rec, rec.run(**RUN, run_id="fixed") as run:
        run.complete(total_score=1.0, weighted_score=10.0)
    assert query(empty_db, "SELECT run_id, status, weighted_score FROM benchmark_runs") == [
        ("fixed", "completed", 10.0)
    ]


def test_errors_raise_and_leave_the_stored_run_alone(empty_db):
    with Recorder(empty_db) as rec:
        run_id = rec.start_run(**RUN)
        with pytest.raises(ValidationError, match=r"field 'evaluations\[0\].score'"):
            rec.log_evaluation(run_id, "TestEvaluator", -1)
        with pytest.raises(ValidationError, match="field 'telemetry.tokensIn'"):
            rec.log_telemetry(run_id, tokens_in="many")
        with pytest.raises(ValidationError, match="field 'unknownThing': unknown field"):
            rec.start_run(**RUN, unknown_thing=1)
        rec.complete_run(run_id)
        with pytest.raises(NotFoundError, match="already finished"):
            rec.complete_run(run_id)
        with pytest.raises(ConflictError):
            rec.start_run(**{**RUN, "tier": "L3"}, run_id=run_id)
        with pytest.raises(NotFoundError, match="no batch"):
            rec.complete_batch("absent")
    assert query(empty_db, "SELECT COUNT(*), MIN(status) FROM benchmark_runs") == [(1, "completed")]
