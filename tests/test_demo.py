from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import statistics

from generator.results import demo

EVALUATORS = {
    "InstallEvaluator", "TestEvaluator", "PackageManagerEvaluator",
    "DependencyTargetsEvaluator", "IntegrityGuardEvaluator", "LLMJudgeEvaluator",
}  # fmt: skip


def test_same_seed_same_payloads_other_seed_other_payloads():
    assert demo.demo_payloads(50, seed=3) == demo.demo_payloads(50, seed=3)
    assert demo.demo_payloads(50, seed=3) != demo.demo_payloads(50, seed=4)


def test_default_demo_is_realistic(tmp_path, digest):
    db = tmp_path / "demo.db"
    summary = demo.write_demo(db)
    assert summary.runs.recorded == demo.DEFAULT_RUNS
    conn = sqlite3.connect(db)
    one = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
    assert len(one("SELECT DISTINCT suite FROM benchmark_runs")) >= 3
    assert {r[0] for r in one("SELECT DISTINCT tier FROM benchmark_runs")} == set(demo.TIERS)
    assert {r[0] for r in one("SELECT DISTINCT agent FROM benchmark_runs")} == {
        "anthropic", "openrouter", "claude-code", "echo",
    }  # fmt: skip
    statuses = dict(one("SELECT status, COUNT(*) FROM benchmark_runs GROUP BY 1"))
    assert statuses["running"] == 2 and statuses["failed"] > 0 and statuses["incomplete"] > 0
    assert {r[0] for r in one("SELECT DISTINCT evaluator_name FROM evaluation_results")} == (
        EVALUATORS
    )
    judge = json.loads(one("SELECT details FROM evaluation_results "
                           "WHERE evaluator_name = 'LLMJudgeEvaluator' LIMIT 1")[0][0])  # fmt: skip
    assert {"category", "score", "reasoning"} <= set(judge["scores"][0])
    assert all(1 <= s["score"] <= 5 for s in judge["scores"]) and judge["overall_assessment"]
    failed = json.loads(one("SELECT metadata FROM benchmark_runs WHERE status='failed'")[0][0])
    assert set(failed) == {"error", "errorType"}
    completed = json.loads(
        one("SELECT metadata FROM benchmark_runs WHERE status='completed'")[0][0]
    )
    assert {"file", "changeType", "textPatch"} <= set(completed["diffSummary"][0])
    assert {"packagePath", "section", "name", "from", "to"} <= set(completed["depsDelta"][0])
    first, last = one("SELECT MIN(started_at), MAX(started_at) FROM benchmark_runs")[0]
    assert first < "2025-06-01" and last < "2025-11-01"  # months, ending at a fixed date
    assert one("SELECT MAX(weighted_score) > 1, MAX(total_score) <= 1 FROM benchmark_runs") == [
        (1, 1)
    ]
    conn.close()
    before = digest(db)
    assert demo.write_demo(db).runs.unchanged == demo.DEFAULT_RUNS  # idempotent
    assert digest(db) == before


def test_jsonl_output_records_through_the_cli_path(tmp_path):
    from generator.results import ingest

    out = io.StringIO()
    demo.write_jsonl(out, runs=30, seed=2)
    lines = out.getvalue().splitlines()
    assert len(lines) == 30
    path = tmp_path / "demo.jsonl"
    path.write_text(out.getvalue())
    summary = ingest.record_files(tmp_path / "d.db", [str(path)])
    assert summary.recorded == 30


def test_full_payloads_are_the_same_runs_each_finished_with_six_evaluations(tmp_path):
    from generator.results import ingest
    from generator.results.validate import normalise_run

    plain = list(demo.iter_run_payloads(120, seed=6))
    full = list(demo.iter_run_payloads(120, seed=6, full=True))
    assert [run["runId"] for run in full] == [run["runId"] for run in plain]
    assert [run["status"] for run in full[:-2]] == [run["status"] for run in plain[:-2]]
    assert [run["status"] for run in plain[-2:]] == ["running", "running"]
    assert {run["status"] for run in full} == {"completed", "failed", "incomplete"}
    for run in full:
        assert sorted(e["evaluatorName"] for e in run["evaluations"]) == sorted(EVALUATORS)
        assert run["telemetry"]["tokensIn"] > 0 and run["completedAt"]
    # Recorded the way ``zebench bench`` records them: six evaluation rows a run.
    db = tmp_path / "full.db"
    located = [(f"run {i}", normalise_run(p, f"run {i}")) for i, p in enumerate(full)]
    assert ingest.record_runs(db, located).recorded == 120
    conn = sqlite3.connect(db)
    counts = conn.execute(
        "SELECT COUNT(*), COUNT(DISTINCT run_id) FROM evaluation_results"
    ).fetchone()
    telemetry = conn.execute("SELECT COUNT(DISTINCT run_id) FROM run_telemetry").fetchone()[0]
    running = conn.execute("SELECT COUNT(*) FROM benchmark_runs WHERE status = 'running'")
    assert counts == (720, 120) and telemetry == 120 and running.fetchone()[0] == 0
    conn.close()


def test_full_jsonl_is_the_full_payloads():
    out = io.StringIO()
    demo.write_jsonl(out, runs=20, seed=2, full=True)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines == list(demo.iter_run_payloads(20, seed=2, full=True))
    assert all(len(run["evaluations"]) == 6 for run in lines)


# The real profile ------------------------------------------------------------------


def test_the_small_profile_is_the_demo_as_it_always_was():
    # Digests of the small profile's payloads (with the weekly sweeps): the real profile
    # leaves every byte of it alone.
    batches, runs = demo.demo_payloads(60, seed=5)
    assert _sha(json.dumps([batches, runs])) == (
        "4ed10e603c86c36cb885704fc2cab14ac9893b53ef925fccbbcdf45d16bafc90"
    )
    out = io.StringIO()
    demo.write_jsonl(out, 40, seed=2, full=True)
    assert _sha(out.getvalue()) == (
        "6280ea724d7657e0603538788a9101a859f53923560583dcea2dbbe2ea1809c2"
    )
    assert demo.demo_payloads(20, seed=5, profile="small") == demo.demo_payloads(20, seed=5)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_real_profile_is_deterministic_and_the_same_runs():
    real = demo.demo_payloads(30, seed=8, profile="real")
    assert real == demo.demo_payloads(30, seed=8, profile="real")
    assert real != demo.demo_payloads(30, seed=9, profile="real")
    small = demo.demo_payloads(30, seed=8)
    assert real[0] == small[0]  # the same batches
    figures = ("runId", "status", "totalScore", "weightedScore", "isSuccessful", "startedAt")
    for big, little in zip(real[1], small[1], strict=True):
        assert [big.get(k) for k in figures] == [little.get(k) for k in figures]
        assert [(e["evaluatorName"], e["score"]) for e in big["evaluations"]] == [
            (e["evaluatorName"], e["score"]) for e in little["evaluations"]
        ]
    streamed = io.StringIO()
    demo.write_jsonl(streamed, 30, seed=8, full=True, profile="real")
    assert [json.loads(line) for line in streamed.getvalue().splitlines()] == list(
        demo.iter_run_payloads(30, seed=8, full=True, profile="real")
    )


def test_real_runs_are_sized_like_real_ones():
    runs = list(demo.iter_run_payloads(50, seed=1, full=True, profile="real"))
    metadata = sorted(len(json.dumps(run["metadata"]).encode()) for run in runs)
    assert 80_000 <= statistics.median(metadata) <= 130_000
    patches = [d for run in runs for d in run["metadata"].get("diffSummary", [])]
    locks = [len(d["textPatch"]) for d in patches if d["file"] == "pnpm-lock.yaml"]
    assert len(locks) >= 40 and all(50_000 <= size <= 300_000 for size in locks)
    lock = next(d["textPatch"] for d in patches if d["file"] == "pnpm-lock.yaml")
    assert lock.startswith("--- a/pnpm-lock.yaml\n+++ b/pnpm-lock.yaml\n@@ ")
    assert "resolution: {integrity: sha512-" in lock
    sources = [d for d in patches if d["file"].endswith((".ts", ".tsx", ".json", ".mjs"))]
    assert len(sources) >= 2 * len(locks)  # several source files a run
    for run in runs:
        judge = next(e for e in run["evaluations"] if e["evaluatorName"] == "LLMJudgeEvaluator")
        assert 500 <= len(judge["details"]) <= 3000
        assert json.loads(judge["details"])["scores"]
        assert 1000 <= len(run["telemetry"]["promptSent"]) <= 6000
    tests = [
        json.loads(r["metadata"]["testResults"]) for r in runs if "diffSummary" in r["metadata"]
    ]
    assert all(len(t["output"]) > 500 for t in tests)


def test_zebench_demo_profile_real_records_real_sized_runs(tmp_path):
    from click.testing import CliRunner

    from generator.cli import main

    db = tmp_path / "real.db"
    result = CliRunner().invoke(main, ["demo", "--db", str(db), "--runs", "8", "--profile", "real"])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db)
    (size,) = conn.execute("SELECT MAX(length(metadata)) FROM benchmark_runs").fetchone()
    conn.close()
    assert size > 50_000
