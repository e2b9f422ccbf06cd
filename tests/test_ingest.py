from __future__ import annotations

import json
import sqlite3

import pytest

from generator import store
from generator.errors import ConflictError, ValidationError
from generator.results import ingest
from generator.results.payloads import iter_records


def rows(db, sql, *params):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def write_jsonl(path, payloads):
    path.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    return str(path)


def test_three_file_forms_give_located_records(payloads_dir):
    single = list(iter_records(str(payloads_dir / "run.json")))
    array = list(iter_records(str(payloads_dir / "runs.json")))
    lines = list(iter_records(str(payloads_dir / "runs.jsonl")))
    assert [r.where.rsplit("/", 1)[1] for r in single] == ["run.json"]
    assert [r.where.rsplit("/", 1)[1] for r in array] == ["runs.json index 0", "runs.json index 1"]
    assert [r.where.rsplit("/", 1)[1] for r in lines] == [
        "runs.jsonl line 1", "runs.jsonl line 2", "runs.jsonl line 3",
    ]  # fmt: skip


def test_fixture_files_record_every_run_whole(empty_db, payloads_dir):
    files = [str(payloads_dir / name) for name in ("run.json", "runs.json", "runs.jsonl")]
    summary = ingest.record_files(empty_db, files)
    assert str(summary) == "recorded 6 runs, 0 unchanged, 0 replaced"
    assert rows(empty_db, "SELECT COUNT(*) FROM evaluation_results") == [(10,)]
    assert rows(empty_db, "SELECT COUNT(*) FROM run_telemetry") == [(6,)]


def test_timestamps_in_every_form_are_stored_as_iso_utc(empty_db, make_run, tmp_path):
    runs = [
        make_run("iso", startedAt="2025-10-23T21:42:11+02:00", completedAt=None),
        make_run("sqlite", startedAt="2025-10-23 19:42:11", completedAt=None),
        make_run("epoch", startedAt=1761248531000, completedAt=None),
    ]
    ingest.record_files(empty_db, [write_jsonl(tmp_path / "t.jsonl", runs)])
    stored = rows(empty_db, "SELECT run_id, started_at FROM benchmark_runs ORDER BY run_id")
    assert stored == [
        ("epoch", "2025-10-23T19:42:11.000Z"),
        ("iso", "2025-10-23T19:42:11.000Z"),
        ("sqlite", "2025-10-23T19:42:11.000Z"),
    ]
    # An evaluation without its own time is stamped with the run's end (or start).
    created = rows(empty_db, "SELECT DISTINCT created_at FROM evaluation_results")
    assert created == [("2025-10-23T19:42:11.000Z",)]


def test_values_are_stored_in_their_upstream_form(empty_db, payloads_dir):
    ingest.record_files(empty_db, [str(payloads_dir / "run.json")])
    run = rows(
        empty_db,
        "SELECT completed_at, total_score, weighted_score, is_successful, specialist_enabled, "
        "metadata FROM benchmark_runs",
    )[0]
    assert run[:5] == ("2025-10-23T19:43:09.000Z", 0.843, 7.99, 1, 0)  # scales not clamped
    assert json.loads(run[5])["depsDelta"][0]["to"] == "19.2.0"
    details = rows(
        empty_db, "SELECT details FROM evaluation_results WHERE evaluator_name='LLMJudgeEvaluator'"
    )[0][0]
    assert json.loads(details)["scores"][0]["category"] == "dependency_quality"
    telemetry = rows(empty_db, "SELECT tokens_in, cost_usd, prompt_sent FROM run_telemetry")
    assert telemetry == [(18030, 0.064695, "Update the dependencies.")]


def test_recording_the_same_run_again_is_unchanged(empty_db, payloads_dir, digest):
    source = [str(payloads_dir / "runs.jsonl")]
    ingest.record_files(empty_db, source)
    before = digest(empty_db)
    assert str(ingest.record_files(empty_db, source)) == "recorded 0 runs, 3 unchanged, 0 replaced"
    assert digest(empty_db) == before
    assert rows(empty_db, "SELECT COUNT(*) FROM evaluation_results") == [(6,)]


def test_a_different_payload_for_a_stored_run_is_refused(empty_db, make_run, tmp_path):
    ingest.record_files(empty_db, [write_jsonl(tmp_path / "a.jsonl", [make_run()])])
    changed = write_jsonl(tmp_path / "b.jsonl", [make_run("run-0"), make_run(totalScore=0.1)])
    with pytest.raises(ConflictError, match=r"b.jsonl line 2: run 'run-1' .*'totalScore' differs"):
        ingest.record_files(empty_db, [changed])
    assert rows(empty_db, "SELECT run_id, total_score FROM benchmark_runs") == [("run-1", 0.84)]


def test_replace_swaps_run_evaluations_and_telemetry(empty_db, make_run, tmp_path):
    ingest.record_files(empty_db, [write_jsonl(tmp_path / "a.jsonl", [make_run()])])
    new = make_run(
        totalScore=0.2,
        evaluations=[{"evaluatorName": "LLMJudgeEvaluator", "score": 0.2, "maxScore": 1}],
        telemetry=None,
    )
    summary = ingest.record_files(
        empty_db, [write_jsonl(tmp_path / "b.jsonl", [new])], replace=True
    )
    assert str(summary) == "recorded 0 runs, 0 unchanged, 1 replaced"
    assert rows(empty_db, "SELECT total_score FROM benchmark_runs") == [(0.2,)]
    assert rows(empty_db, "SELECT evaluator_name FROM evaluation_results") == [
        ("LLMJudgeEvaluator",)
    ]
    assert rows(empty_db, "SELECT COUNT(*) FROM run_telemetry") == [(0,)]


def test_unknown_batch_is_created_from_the_earliest_run(empty_db, make_run, tmp_path):
    runs = [
        make_run("a", batchId="new", startedAt="2025-10-23T19:42:11.000Z"),
        make_run("b", batchId="new", startedAt="2025-10-23T19:40:00.000Z"),
    ]
    ingest.record_files(empty_db, [write_jsonl(tmp_path / "r.jsonl", runs)])
    assert rows(empty_db, "SELECT batchId, createdAt FROM batch_runs") == [("new", 1761248400000)]


def test_same_run_twice_in_one_invocation(empty_db, make_run, tmp_path):
    same = write_jsonl(tmp_path / "same.jsonl", [make_run(), make_run()])
    assert ingest.record_files(empty_db, [same]).recorded == 1
    clash = write_jsonl(tmp_path / "clash.jsonl", [make_run("x"), make_run("x", tier="L3")])
    with pytest.raises(ValidationError, match=r"clash.jsonl line 2: field 'runId'.*line 1"):
        ingest.record_files(empty_db, [clash])


def test_stored_runs_read_back_in_normalised_form(empty_db, payloads_dir):
    from generator.results.validate import normalise_run

    payload = json.loads((payloads_dir / "run.json").read_text())
    ingest.record_files(empty_db, [str(payloads_dir / "run.json")])
    conn = store.open_read(empty_db)
    stored = ingest.stored_runs(conn, ["fixture-run-1", "absent"])
    assert stored == {"fixture-run-1": normalise_run(payload, "x")}


def test_batches_insert_then_update_keeping_the_earliest_created_at(empty_db, tmp_path):
    first = {"batchId": "b", "createdAt": "2025-10-23T19:40:00Z", "totalRuns": 0}
    later = {"batchId": "b", "createdAt": 1761300000000, "completedAt": 1761300060000,
             "totalRuns": 4, "avgScore": 0.5}  # fmt: skip
    path = tmp_path / "b.json"
    path.write_text(json.dumps(first))
    assert str(ingest.record_batch_files(empty_db, [str(path)])) == (
        "recorded 1 batch, 0 updated, 0 unchanged"
    )
    path.write_text(json.dumps(later))
    assert ingest.record_batch_files(empty_db, [str(path)]).updated == 1
    assert ingest.record_batch_files(empty_db, [str(path)]).unchanged == 1
    assert rows(empty_db, "SELECT createdAt, completedAt, totalRuns, avgScore FROM batch_runs") == [
        (1761248400000, 1761300060000, 4, 0.5)
    ]


def test_batch_validation_names_file_and_field(empty_db, tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_text('{"batchId": "b", "createdAt": 1}\n{"batchId": "c", "createdAt": true}\n')
    with pytest.raises(ValidationError, match=r"b.jsonl line 2: field 'createdAt'"):
        ingest.record_batch_files(empty_db, [str(path)])
    assert rows(empty_db, "SELECT COUNT(*) FROM batch_runs") == [(0,)]


def test_stdin_is_read_for_dash(empty_db, make_run, monkeypatch):
    import io

    data = io.BytesIO(json.dumps(make_run()).encode())
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(data))
    assert ingest.record_files(empty_db, ["-"]).recorded == 1
