"""Parallel writers: WAL plus BEGIN IMMEDIATE and a busy timeout means nobody is refused."""

from __future__ import annotations

import multiprocessing
import sqlite3

from generator.results.recorder import Recorder

WRITERS, RUNS_EACH = 8, 200
EVALUATORS = (
    "InstallEvaluator", "TestEvaluator", "PackageManagerEvaluator",
    "DependencyTargetsEvaluator", "IntegrityGuardEvaluator", "LLMJudgeEvaluator",
)  # fmt: skip


def _writer(db: str, writer: int, start: multiprocessing.synchronize.Barrier) -> None:
    start.wait()  # every process begins writing at the same moment
    with Recorder(db) as rec:
        for n in range(RUNS_EACH):
            with rec.run(suite="update-deps", scenario=f"w{writer}", tier="L1", agent="echo",
                         run_id=f"w{writer}-{n}", batch_id=f"batch-{writer}") as run:  # fmt: skip
                for name in EVALUATORS:
                    run.log_evaluation(name, 1.0, details="ok")
                run.log_telemetry(tokens_in=n, tokens_out=1, cost_usd=0.01)
                run.complete(total_score=1.0, weighted_score=10.0, is_successful=True)


def test_eight_processes_recording_at_once_lose_nothing(tmp_path):
    db = str(tmp_path / "shared.db")  # created by whichever writer opens it first
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(WRITERS)
    procs = [ctx.Process(target=_writer, args=(db, w, start)) for w in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    # A "database is locked" error would raise in a writer and give it a non-zero exit code.
    assert [proc.exitcode for proc in procs] == [0] * WRITERS
    conn = sqlite3.connect(db)
    total = WRITERS * RUNS_EACH
    assert conn.execute("SELECT COUNT(DISTINCT run_id) FROM benchmark_runs "
                        "WHERE status = 'completed'").fetchone() == (total,)  # fmt: skip
    assert conn.execute("SELECT COUNT(*) FROM evaluation_results").fetchone() == (total * 6,)
    assert conn.execute("SELECT COUNT(*) FROM run_telemetry").fetchone() == (total,)
    assert conn.execute("SELECT COUNT(*) FROM batch_runs").fetchone() == (WRITERS,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
