"""Query functions against the hand-built fixture (conftest.READ_API_SQL) and upstream.

Fixture runs (status, is_successful, total_score, weighted_score, cost):
  run-1 batch-one  update-deps/sc-a L0 anthropic claude   completed 1  0.8  8.0  0.5
  run-2 batch-one  update-deps/sc-a L1 anthropic claude   completed 0  0.4  4.0  0.25
  run-3 batch-one  update-deps/sc-b L0 echo      default  failed    0  -    -    -
  run-4 batch-one  update-deps/sc-b L1 echo      NULL     completed ?  0.6  6.0  NULL
  run-5 batch/two  update-deps/sc-a L0 anthropic claude   completed 1  1.0  10.0 1.0
  run/6 batch/two  other suite/sc c L2 openrouter gpt     incomplete ? -    -    -
  run-7 batch/two  update-deps/sc-b L0 echo      default  running   ?  -    -    -
  run-8 (none)     update-deps/sc-a L2 anthropic claude-2 completed 1  0.7  7.0  0.05
Successful = completed and 1: run-1, run-5, run-8. Known success: is_successful
stored (1,2,3,5,8) or failed/incomplete (6) = 6 runs; run-4 and run-7 are unknown.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import queries, store, times
from generator.errors import NotFoundError, ParameterError
from generator.queries import common, reports, stats, tally, trends
from generator.queries.common import sql_sorted, ts_sql
from generator.queries.summary import Summary
from generator.queries.tally import Tally, figures

NOW = datetime(2025, 10, 26, 12, 0, tzinfo=UTC)
approx = pytest.approx


@pytest.fixture
def conn(read_db: Path):
    connection = store.open_read(read_db)
    yield connection
    connection.close()


def ids(items: list[dict]) -> list[str]:
    return [item["runId"] for item in items]


# --- runs ---------------------------------------------------------------------


def test_runs_are_newest_first_across_timestamp_forms(conn):
    # run-5 '2025-10-25T10:00:00.000Z' and run/6 '2025-10-25 10:00:00' are the same
    # instant: the tie goes to run id order ('-' < '/').
    assert ids(queries.list_runs(conn)) == [
        "run-7",
        "run-5",
        "run/6 <x>",
        "run-4",
        "run-3",
        "run-2",
        "run-1",
        "run-8",
    ]


def test_run_filters_and_limit(conn):
    assert ids(queries.list_runs(conn, agent="echo")) == ["run-7", "run-4", "run-3"]
    assert ids(queries.list_runs(conn, status="failed")) == ["run-3"]
    assert ids(queries.list_runs(conn, suite="other suite")) == ["run/6 <x>"]
    assert ids(queries.list_runs(conn, scenario="sc-b", agent="echo", limit=2)) == [
        "run-7",
        "run-4",
    ]
    assert ids(queries.list_runs(conn, limit=2, offset=1)) == ["run-5", "run/6 <x>"]
    assert queries.list_runs(conn, agent="nobody") == []


def test_run_list_items_are_summaries_in_iso_utc(conn):
    run = queries.list_runs(conn, limit=None)[-2]  # run-1
    assert run == {
        "runId": "run-1",
        "batchId": "batch-one",
        "suite": "update-deps",
        "scenario": "sc-a",
        "tier": "L0",
        "agent": "anthropic",
        "model": "claude",
        "status": "completed",
        "startedAt": "2025-10-20T10:00:00.000Z",
        "completedAt": "2025-10-20T10:05:00.000Z",
        "totalScore": 0.8,
        "weightedScore": 8.0,
        "isSuccessful": True,
        "successMetric": 0.9,
        "specialistEnabled": None,
        "specialistName": None,
        "specialistVersion": None,
        "packageManager": None,
        "testResults": None,
    }


def test_get_run_has_parsed_metadata_evaluations_and_first_telemetry(conn):
    detail = queries.get_run(conn, "run-1")
    assert detail["run"]["metadata"] == {"diffSummary": []}
    assert [(e["evaluatorName"], e["createdAt"]) for e in detail["evaluations"]] == [
        ("TestEvaluator", "2025-10-20T10:05:00.000Z"),
        ("LLMJudgeEvaluator", "2025-10-20T10:05:00.000Z"),
    ]
    # Two telemetry rows for run-1: the first recorded one is the run's telemetry.
    assert detail["telemetry"] == {
        "runId": "run-1",
        "toolCalls": 5,
        "tokensIn": 1000,
        "tokensOut": 100,
        "costUsd": 0.5,
        "durationMs": 60000,
        "workspaceDir": "/w/1",
        "promptSent": "fix it",
    }


def test_run_details_nulls_and_unparseable_metadata(conn):
    run4 = queries.get_run(conn, "run-4")["run"]
    assert run4["isSuccessful"] is None  # unknown, not False
    assert run4["metadata"] == "not json"
    assert queries.get_run(conn, "run-2")["run"]["isSuccessful"] is False
    assert queries.run_telemetry(conn, "run-3") is None
    assert queries.run_evaluations(conn, "run-7") == []


def test_evaluations_are_in_time_order_not_insertion_order(conn):
    # run-5: LLMJudge inserted first at 10:20 (SQLite form), Test second at 10:10 (ISO).
    assert [e["evaluatorName"] for e in queries.run_evaluations(conn, "run-5")] == [
        "TestEvaluator",
        "LLMJudgeEvaluator",
    ]


def test_unknown_run_is_not_found(conn):
    for call in (queries.get_run, queries.run_evaluations, queries.run_telemetry):
        with pytest.raises(NotFoundError, match="no run with id 'nope'"):
            call(conn, "nope")


def test_iter_run_details_equals_get_run(conn):
    details = list(queries.iter_run_details(conn))
    assert [d["run"]["runId"] for d in details] == sorted(ids(queries.list_runs(conn)))
    for detail in details:
        assert detail == queries.get_run(conn, detail["run"]["runId"])


# --- batches ------------------------------------------------------------------


def test_batch_figures_come_from_runs_not_stored_totals(conn):
    batch = queries.batch_summary(conn, "batch-one")
    assert batch == {
        "batchId": "batch-one",
        "createdAt": "2025-10-25T13:46:40.000Z",  # 1761400000000 ms
        "completedAt": "2025-10-25T13:56:40.000Z",  # 1761400600000 ms
        "metadata": {"note": "totals wrong"},
        "totalRuns": 4,  # stored: 99
        "successfulRuns": 1,  # run-1 (stored: 42)
        "runsWithKnownSuccess": 3,  # run-1, run-2, run-3; run-4 unknown
        "successRate": approx(1 / 3),
        "successRateCI": approx([0.0614919, 0.7923404]),  # Wilson 1/3
        "avgScore": approx(0.8),  # run-1 only (stored: 0.0)
        "avgScoreCI": None,  # one value
        "avgWeightedScore": approx(8.0),
        "avgWeightedScoreCI": None,
        "completedRuns": 3,
        "failedRuns": 1,
        "incompleteRuns": 0,
        "runningRuns": 0,
        "avgScoreCompleted": approx(0.6),  # (0.8 + 0.4 + 0.6) / 3
        # Three cells of one run each: the plain t interval, 0.6 ± t(2)·0.2/√3.
        "avgScoreCompletedCI": approx([0.6 - 0.4968275, 0.6 + 0.4968275]),
        "avgWeightedScoreCompleted": approx(6.0),  # (8 + 4 + 6) / 3
        "avgWeightedScoreCompletedCI": approx([6 - 4.968275, 6 + 4.968275]),
        "totalCostUsd": approx(0.75),  # 0.5 + 0.25; run-4 has no cost
        "avgCostUsd": approx(0.375),  # 0.75 / 2 runs with a cost
        "totalTokensIn": 1700,  # 1000 + 500 + 200
        "totalTokensOut": 170,
        "avgDurationMs": approx(100000 / 3),  # (60000 + 30000 + 10000) / 3
    }


def test_batch_without_runs_has_zero_counts_and_null_means(conn):
    batch = queries.batch_summary(conn, "batch-empty")
    assert batch["metadata"] == "not json"
    assert (batch["totalRuns"], batch["successfulRuns"], batch["runsWithKnownSuccess"]) == (
        0,
        0,
        0,
    )
    assert batch["successRate"] is None and batch["avgWeightedScore"] is None
    assert batch["totalCostUsd"] is None


def test_batch_list_orders(conn):
    by_date = [b["batchId"] for b in queries.list_batches(conn)]
    assert by_date == ["batch-one", "batch/two", "batch-empty"]  # createdAt desc
    # avgWeightedScore: batch/two 10.0 (run-5), batch-one 8.0 (run-1), batch-empty null.
    by_score = [b["batchId"] for b in queries.list_batches(conn, sort_by="score")]
    assert by_score == ["batch/two", "batch-one", "batch-empty"]
    assert [b["batchId"] for b in queries.list_batches(conn, limit=1)] == ["batch-one"]
    done = [b["batchId"] for b in queries.list_batches(conn, status="completed")]
    assert done == ["batch-one", "batch-empty"]
    assert [b["batchId"] for b in queries.list_batches(conn, status="running")] == ["batch/two"]


def test_get_batch_lists_its_runs_oldest_first(conn):
    batch = queries.get_batch(conn, "batch/two")
    assert batch["createdAt"] == "2025-10-24T10:00:00.000Z"  # 1761300000000 ms
    assert batch["completedAt"] is None
    assert ids(batch["runs"]) == ["run-5", "run/6 <x>", "run-7"]
    assert "metadata" not in batch["runs"][0]
    # run-5, run/6, run-7: 1 success; known: run-5 and run/6 (incomplete) -> 1/2.
    assert (batch["totalRuns"], batch["successfulRuns"], batch["successRate"]) == (3, 1, 0.5)
    with pytest.raises(NotFoundError, match="no batch with id 'nope'"):
        queries.get_batch(conn, "nope")


def test_batch_analytics(conn):
    a = queries.batch_analytics(conn, "batch-one")
    suites = [
        (s["suite"], s["scenario"], s["runs"], s["successfulRuns"]) for s in a["suiteBreakdown"]
    ]
    assert suites == [("update-deps", "sc-a", 2, 1), ("update-deps", "sc-b", 2, 0)]
    sc_a, sc_b = a["suiteBreakdown"]
    assert sc_a["avgScore"] == approx(0.8) and sc_a["avgWeightedScore"] == approx(8.0)
    assert sc_a["successRate"] == 0.5  # 1 of run-1, run-2
    assert sc_b["avgScore"] is None
    assert sc_b["successRate"] == 0.0  # run-3 failed is known; run-4 unknown is not counted
    assert sc_b["avgWeightedScoreCompleted"] == approx(6.0)  # run-4

    # anthropic/claude 8.0 first; then by completed mean: echo/None 6.0, echo/default none.
    agents = [
        (g["agent"], g["model"], g["runs"], g["successfulRuns"]) for g in a["agentPerformance"]
    ]
    assert agents == [
        ("anthropic", "claude", 2, 1),
        ("echo", None, 1, 0),
        ("echo", "default", 1, 0),
    ]
    top = a["agentPerformance"][0]
    assert (top["avgWeightedScore"], top["minScore"], top["maxScore"]) == (8.0, 8.0, 8.0)

    test, judge = a["evaluatorBreakdown"]
    assert test["evaluatorName"] == "TestEvaluator"
    assert (test["avgScore"], test["maxScore"], test["count"]) == (1.0, 1.0, 1)  # run-1
    assert test["avgScoreCompleted"] == approx(0.75)  # (1.0 + 0.5 + 0.75) / 3
    assert test["countCompleted"] == 3
    assert test["avgScoreAll"] == approx(0.5625)  # (1.0 + 0.5 + 0.75 + 0.0) / 4
    assert test["countAll"] == 4
    assert (judge["evaluatorName"], judge["avgScore"], judge["count"]) == (
        "LLMJudgeEvaluator",
        0.8,
        1,
    )
    assert judge["avgScoreCompleted"] == approx(0.55)  # (0.8 + 0.3) / 2

    tiers = [
        (t["tier"], t["runs"], t["successfulRuns"], t["successRate"]) for t in a["tierDistribution"]
    ]
    assert tiers == [("L0", 2, 1, 0.5), ("L1", 2, 0, 0.0)]  # L1: run-2 known, run-4 not

    assert a["failures"] == [
        {
            "runId": "run-3",
            "suite": "update-deps",
            "scenario": "sc-b",
            "tier": "L0",
            "agent": "echo",
            "model": "default",
            "status": "failed",
            "startedAt": "2025-10-21T12:00:00.000Z",
            "error": "boom",
            "errorType": "TimeoutError",
        }
    ]


def test_analytics_of_other_batches(conn):
    failures = queries.batch_analytics(conn, "batch/two")["failures"]
    # run/6 is incomplete; run-7 is running, not a failure.
    assert [(f["runId"], f["status"], f["error"], f["errorType"]) for f in failures] == [
        ("run/6 <x>", "incomplete", "cut off", None)
    ]
    empty = queries.batch_analytics(conn, "batch-empty")
    assert all(value == [] for value in empty.values())
    with pytest.raises(NotFoundError):
        queries.batch_analytics(conn, "nope")


def test_iter_batch_details_equals_per_batch_functions(conn):
    seen = []
    for batch, analytics in queries.iter_batch_details(conn):
        seen.append(batch["batchId"])
        assert batch == queries.get_batch(conn, batch["batchId"])
        assert analytics == queries.batch_analytics(conn, batch["batchId"])
    assert seen == ["batch-empty", "batch-one", "batch/two"]


def test_compare_batches(conn):
    result = queries.compare_batches(conn, ["batch-one", "batch/two"])
    assert [b["batchId"] for b in result["batches"]] == ["batch-one", "batch/two"]
    (d,) = result["deltas"]
    assert (d["batchId"], d["baselineBatchId"]) == ("batch/two", "batch-one")
    assert d["totalRuns"] == -1  # 3 - 4
    assert d["successfulRuns"] == 0  # 1 - 1
    assert d["successRate"] == approx(0.5 - 1 / 3)
    assert d["avgWeightedScore"] == approx(2.0)  # 10 - 8
    assert d["avgWeightedScoreCompleted"] == approx(4.0)  # 10 - 6
    assert d["totalCostUsd"] == approx(0.25)  # 1.0 - 0.75
    scenarios = {(s["suite"], s["scenario"]): s for s in result["scenarios"]}
    assert list(scenarios) == [
        ("other suite", "sc c"),
        ("update-deps", "sc-a"),
        ("update-deps", "sc-b"),
    ]
    # Only in batch/two.
    assert scenarios[("other suite", "sc c")]["changes"][0]["change"] == "absent"
    # sc-a: completed mean 6.0 (run-1, run-2) -> 10.0 (run-5).
    sc_a = scenarios[("update-deps", "sc-a")]["changes"][0]
    assert (sc_a["weightedScoreDelta"], sc_a["change"]) == (approx(4.0), "better")
    # sc-b in batch/two: only run-7, running: no score and no known success.
    sc_b = scenarios[("update-deps", "sc-b")]["changes"][0]
    assert (sc_b["weightedScoreDelta"], sc_b["successRateDelta"], sc_b["change"]) == (
        None,
        None,
        "unknown",
    )
    reverse = queries.compare_batches(conn, ["batch/two", "batch-one"])
    by_key = {(s["suite"], s["scenario"]): s for s in reverse["scenarios"]}
    assert by_key[("update-deps", "sc-a")]["changes"][0]["change"] == "worse"


def test_compare_batches_rejects_bad_id_lists(conn):
    for bad in (["batch-one"], ["batch-one"] * 6, ["batch-one", "batch-one"]):
        with pytest.raises(ParameterError):
            queries.compare_batches(conn, bad)
    with pytest.raises(NotFoundError, match="nope"):
        queries.compare_batches(conn, ["batch-one", "nope"])


# --- statistics ---------------------------------------------------------------


def test_global_stats_all_time(conn):
    stats = queries.global_stats(conn)
    assert stats == {
        "days": None,
        "since": None,
        "totalRuns": 8,
        "successfulRuns": 3,  # run-1, run-5, run-8
        "runsWithKnownSuccess": 6,  # all but run-4 and run-7
        "successRate": 0.5,  # 3 / 6
        "avgScore": approx(2.5 / 3),  # (0.8 + 1.0 + 0.7) / 3
        "avgWeightedScore": approx(25 / 3),  # (8 + 10 + 7) / 3
        "completedRuns": 5,
        "failedRuns": 1,
        "incompleteRuns": 1,
        "runningRuns": 1,
        "avgScoreCompleted": approx(0.7),  # (0.8 + 0.4 + 0.6 + 1.0 + 0.7) / 5
        "avgWeightedScoreCompleted": approx(7.0),  # (8 + 4 + 6 + 10 + 7) / 5
        "totalCostUsd": approx(1.8),  # 0.5 + 0.25 + 1.0 + 0.05
        "avgCostUsd": approx(0.45),  # 1.8 / 4
        "totalTokensIn": 4000,  # 1000 + 500 + 200 + 2000 + 300
        "totalTokensOut": 400,
        "avgDurationMs": approx(42000),  # 210000 / 5
        **_mean_intervals(conn),
        "successRateCI": approx([0.1876163, 0.8123837]),  # Wilson 3/6
    }


def _mean_intervals(conn) -> dict:
    """Each mean's interval worked out from the values, grouped by cell, by statistics."""
    from generator import statistics as st

    cell = "suite, scenario, tier, agent, model"
    out = {}
    for key, column, only_ok in (
        ("avgScoreCI", "total_score", True),
        ("avgWeightedScoreCI", "weighted_score", True),
        ("avgScoreCompletedCI", "total_score", False),
        ("avgWeightedScoreCompletedCI", "weighted_score", False),
    ):
        where = "status = 'completed'" + (" AND is_successful = 1" if only_ok else "")
        groups: dict = {}
        sql = f"SELECT {cell}, {column} FROM benchmark_runs WHERE {where} AND {column} IS NOT NULL"
        for *cell_key, value in conn.execute(sql):
            groups.setdefault(tuple(cell_key), []).append(value)
        found = st.cluster_mean_interval(groups.values())
        out[key] = approx(list(found[1]) if found else st.t_interval(*groups.values()))
    return out


def test_global_stats_window_uses_the_given_now(conn):
    # 5 days before 2025-10-26T12:00Z is 2025-10-21T12:00Z: run-3 started exactly then
    # ('…T12:00:00Z'), so it counts; run-1, run-2 and run-8 are older.
    stats = queries.global_stats(conn, days=5, now=NOW)
    assert (stats["days"], stats["since"]) == (5, "2025-10-21T12:00:00.000Z")
    assert stats["totalRuns"] == 5  # run-3, run-4, run-5, run/6, run-7
    assert stats["successfulRuns"] == 1  # run-5
    assert stats["successRate"] == approx(1 / 3)  # known: run-3, run-5, run/6
    assert stats["avgWeightedScoreCompleted"] == approx(8.0)  # (6 + 10) / 2
    assert queries.global_stats(conn, days=60, now=NOW)["totalRuns"] == 8
    assert queries.global_stats(conn, days=0.01, now=NOW)["totalRuns"] == 0


def test_agent_stats(conn):
    rows = queries.agent_stats(conn)
    assert [r["agent"] for r in rows] == ["anthropic", "echo", "openrouter"]
    anthropic, echo, openrouter = rows
    # Plan fields over successful runs with a weighted score: 8, 10, 7.
    assert anthropic["runs"] == 3
    assert anthropic["avgScore"] == approx(25 / 3)
    assert (anthropic["minScore"], anthropic["maxScore"]) == (7.0, 10.0)
    assert anthropic["totalRuns"] == 4 and anthropic["successRate"] == 0.75  # 3 of 4 known
    assert anthropic["avgWeightedScoreCompleted"] == approx(7.25)  # (8 + 4 + 10 + 7) / 4
    assert anthropic["totalCostUsd"] == approx(1.8)
    # echo: run-3 failed (known), run-4 unknown, run-7 running (unknown).
    assert (echo["runs"], echo["avgScore"], echo["totalRuns"]) == (0, None, 3)
    assert (echo["runsWithKnownSuccess"], echo["successRate"]) == (1, 0.0)
    assert echo["avgWeightedScoreCompleted"] == approx(6.0)
    assert echo["totalCostUsd"] is None  # run-4's cost is unknown, not 0
    assert (openrouter["incompleteRuns"], openrouter["avgWeightedScoreCompleted"]) == (1, None)


def test_model_stats_leave_out_null_and_default(conn):
    rows = queries.model_stats(conn)
    assert [r["model"] for r in rows] == ["claude", "claude-2", "gpt"]
    claude = rows[0]
    assert (claude["runs"], claude["avgScore"]) == (2, approx(9.0))  # (8 + 10) / 2
    assert (claude["totalRuns"], claude["successRate"]) == (3, approx(2 / 3))
    assert (rows[1]["runs"], rows[1]["avgScore"]) == (1, 7.0)
    assert (rows[2]["runs"], rows[2]["avgScore"]) == (0, None)


def test_suite_stats(conn):
    suite = queries.suite_stats(conn, "update-deps")
    # All runs but run/6: 7 runs, successes run-1, run-5, run-8; known 5 (not 4, 7).
    assert (suite["totalRuns"], suite["successfulRuns"], suite["runsWithKnownSuccess"]) == (7, 3, 5)
    assert suite["successRate"] == approx(0.6)
    assert suite["avgWeightedScore"] == approx(25 / 3)
    sc_a, sc_b = suite["scenarioBreakdown"]
    assert sc_a["scenario"] == "sc-a"
    assert (sc_a["runs"], sc_a["totalRuns"]) == (3, 4)  # plan's runs = successful runs
    assert sc_a["avgScore"] == approx(2.5 / 3)  # (0.8 + 1.0 + 0.7) / 3
    assert sc_a["avgScoreCompleted"] == approx(0.725)  # (0.8 + 0.4 + 1.0 + 0.7) / 4
    assert (sc_b["scenario"], sc_b["runs"], sc_b["avgScore"], sc_b["totalRuns"]) == (
        "sc-b",
        0,
        None,
        3,
    )
    assert queries.suite_stats(conn, "other suite")["totalRuns"] == 1
    with pytest.raises(NotFoundError, match="no suite named 'nope'"):
        queries.suite_stats(conn, "nope")


def test_scenario_stats(conn):
    sc_a = queries.scenario_stats(conn, "update-deps", "sc-a")
    assert (sc_a["totalRuns"], sc_a["successfulRuns"]) == (4, 3)
    assert (sc_a["minScore"], sc_a["maxScore"]) == (4.0, 10.0)  # weighted, all runs
    (agent,) = sc_a["agentComparison"]
    assert (agent["agent"], agent["runs"], agent["totalRuns"]) == ("anthropic", 3, 4)
    assert agent["avgScore"] == approx(2.5 / 3)
    sc_b = queries.scenario_stats(conn, "update-deps", "sc-b")
    assert (sc_b["minScore"], sc_b["maxScore"]) == (6.0, 6.0)  # only run-4 has a score
    assert [(a["agent"], a["runs"], a["avgScore"]) for a in sc_b["agentComparison"]] == [
        ("echo", 0, None)
    ]
    with pytest.raises(NotFoundError):
        queries.scenario_stats(conn, "other suite", "sc-a")


def test_all_stats_twins_equal_the_single_functions(conn):
    suites = queries.all_suite_stats(conn)
    assert list(suites) == queries.list_suites(conn) == ["other suite", "update-deps"]
    for name, data in suites.items():
        assert data == queries.suite_stats(conn, name)
    scenarios = queries.all_scenario_stats(conn)
    assert list(scenarios) == queries.list_scenarios(conn)
    for (suite, scenario), data in scenarios.items():
        assert data == queries.scenario_stats(conn, suite, scenario)
    trends = queries.all_evaluator_trends(conn)
    assert list(trends) == queries.list_evaluators(conn)
    for name, data in trends.items():
        assert data == queries.evaluator_trends(conn, name)


def test_evaluator_trends_bucket_utc_days_across_forms(conn):
    assert queries.evaluator_trends(conn, "TestEvaluator") == [
        {"date": "2025-09-01", "avgScore": 1.0, "count": 1},  # run-8
        {"date": "2025-10-20", "avgScore": 1.0, "count": 1},  # run-1
        {"date": "2025-10-21", "avgScore": 0.25, "count": 2},  # (0.5 + 0.0) / 2
        {"date": "2025-10-22", "avgScore": 0.75, "count": 1},  # run-4
        {"date": "2025-10-25", "avgScore": 1.0, "count": 1},  # run-5
    ]
    # Since 2025-10-21T12:00Z: run-2's 09:10 result drops out, run-3's 12:05 stays.
    assert queries.evaluator_trends(conn, "TestEvaluator", days=5, now=NOW) == [
        {"date": "2025-10-21", "avgScore": 0.0, "count": 1},
        {"date": "2025-10-22", "avgScore": 0.75, "count": 1},
        {"date": "2025-10-25", "avgScore": 1.0, "count": 1},
    ]
    assert queries.evaluator_trends(conn, "LLMJudgeEvaluator", days=0.1, now=NOW) == []
    with pytest.raises(NotFoundError, match="no evaluator named 'nope'"):
        queries.evaluator_trends(conn, "nope")


def test_empty_file(empty_db):
    conn = store.open_read(empty_db)
    assert queries.list_runs(conn) == [] and queries.list_batches(conn) == []
    stats = queries.global_stats(conn)
    assert (stats["totalRuns"], stats["successRate"], stats["avgScore"]) == (0, None, None)
    assert queries.agent_stats(conn) == [] and queries.model_stats(conn) == []


# --- the real upstream file ---------------------------------------------------


def test_upstream_file_counts_and_unknown_success(upstream_db):
    before = hashlib.sha256(upstream_db.read_bytes()).hexdigest()
    conn = store.open_read(upstream_db)
    stats = queries.global_stats(conn)
    assert (stats["totalRuns"], stats["completedRuns"], stats["runningRuns"]) == (56, 55, 1)
    # No is_successful column: success is unknown everywhere, never a failure.
    assert (stats["successfulRuns"], stats["runsWithKnownSuccess"]) == (0, 0)
    assert stats["successRate"] is None and stats["avgWeightedScore"] is None
    assert 7.5 < stats["avgWeightedScoreCompleted"] < 8.2  # its weighted scores are ~7.5-8.1
    assert all(r["isSuccessful"] is None for r in queries.list_runs(conn, limit=None))
    assert len(queries.list_batches(conn, limit=None)) == 37
    assert [a["agent"] for a in queries.agent_stats(conn)] == ["anthropic", "echo", "openrouter"]
    assert all(a["successRate"] is None for a in queries.agent_stats(conn))
    assert len(queries.list_evaluators(conn)) == 6
    biggest = queries.get_batch(conn, "0a60643e-db20-46da-834c-4725b956a0ea")
    assert biggest["totalRuns"] == 15 and len(biggest["runs"]) == 15
    conn.close()
    assert hashlib.sha256(upstream_db.read_bytes()).hexdigest() == before


def test_summary_gives_the_answers_of_the_query_functions(site_db: Path) -> None:
    conn = store.open_read(site_db)
    summary = Summary(conn)
    assert summary.totals == queries.global_stats(conn)
    assert summary.suites == queries.all_suite_stats(conn)
    assert summary.scenarios == queries.all_scenario_stats(conn)
    assert summary.trends == queries.all_evaluator_trends(conn)
    assert summary.evaluator_bins == reports.evaluator_bins(conn)
    assert summary.batches == queries.list_batches(conn, limit=None)
    assert summary.by_pair == reports.breakdown(conn, ("agent", "model"))
    assert summary.rows is summary.rows  # read once


_FINE_BREAKDOWNS = [
    ("suite",),
    ("suite", "agent", "model"),
    ("suite", "tier"),
    ("suite", "scenario", "agent", "model"),
    ("suite", "scenario", "tier"),
    ("agent", "model"),
]
_DAILY = [("suite", "day", "agent", "model"), ("suite", "scenario", "day", "agent", "model")]


@pytest.mark.parametrize("db", ["read_db", "site_db"])
def test_tallies_sum_to_the_breakdowns_of_the_runs(db: str, request) -> None:
    conn = store.open_read(request.getfixturevalue(db))
    summary = Summary(conn)
    for by in _FINE_BREAKDOWNS:
        expected = reports.breakdown(conn, by)
        assert stats.tally_breakdown(summary.tallies, by) == expected
        assert stats.tally_breakdown(stats.tallies(summary.rows, by), by) == expected
    for by in [("day",), ("agent", "model"), ("model", "day")]:
        expected = reports.breakdown(conn, by)
        assert stats.tally_breakdown(stats.tallies(summary.rows, by), by) == expected
    by_day = reports.breakdown(conn, ("day",))
    assert stats.daily_costs(summary.rows) == [
        {"day": d["day"], "totalCostUsd": d["totalCostUsd"]}
        for d in by_day
        if d["totalCostUsd"] is not None
    ]
    assert summary.totals == queries.global_stats(conn)
    daily = stats.daily_scores(summary.rows)
    for by in _DAILY:
        assert stats.scores_of(daily, by) == reports.scores_by(summary.rows, by)
    halves = [Tally(summary.rows[1::2]), Tally(summary.rows[::2])]
    assert Tally.merged(halves).figures() == figures(summary.rows)
    conn.close()


@pytest.mark.parametrize("db", ["read_db", "site_db"])
def test_summary_dashboard_figures_equal_their_sql(db: str, request, tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    path.write_bytes(request.getfixturevalue(db).read_bytes())
    conn = store.open_write(path)
    odd = [(10.0, "completed", 1), (0.0, "completed", 0), ("x", "completed", None)]
    odd += [(-1.0, "completed", 1), (10.5, "failed", None), (9.99, "running", None)]
    ids = [r[0] for r in conn.execute("SELECT run_id FROM benchmark_runs ORDER BY run_id")]
    for run_id, (weighted, status, successful) in zip(ids, odd, strict=False):
        conn.execute(
            "UPDATE benchmark_runs SET weighted_score = ?, status = ?, is_successful = ? "
            "WHERE run_id = ?",
            (weighted, status, successful, run_id),
        )
    conn.execute("UPDATE benchmark_runs SET started_at = NULL WHERE run_id = ?", (ids[-1],))
    conn.commit()
    summary = Summary(conn)
    assert summary.score_bins == reports.score_bins(conn)
    assert summary.outcomes_by_day == reports.outcomes_by_day(conn)
    conn.close()


def test_sql_sorted_orders_like_sqlite() -> None:
    keys = [("b", 2), (None, "x"), ("a", None), ("a", 1.5), ("a", "z"), ("a", b"y"), ("a", 1)]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a, b)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", keys)
    expected = [tuple(row) for row in conn.execute("SELECT a, b FROM t ORDER BY a, b")]
    conn.close()
    assert sql_sorted(keys) == expected


# --- timestamps in SQL --------------------------------------------------------


def ts(value: object) -> object:
    """common.ts_sql applied to one stored value."""
    conn = sqlite3.connect(":memory:")
    try:
        return conn.execute(f"SELECT {ts_sql('x')} FROM (SELECT ? AS x)", (value,)).fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize(
    "stored",
    ["2025-10-21T09:00:00.000Z", "2025-10-21T23:59:59.999Z", "1999-12-31T00:00:00.123Z"],
)
def test_ts_sql_takes_zebench_iso_text_as_it_is(stored):
    assert ts(stored) == stored


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (1761400000000, "2025-10-25T13:46:40.000Z"),  # epoch milliseconds
        (1761400000123, "2025-10-25T13:46:40.123Z"),
        (1761400000123.0, "2025-10-25T13:46:40.123Z"),
        ("2025-10-20 10:00:00", "2025-10-20T10:00:00.000Z"),
        ("2025-10-21T12:00:00Z", "2025-10-21T12:00:00.000Z"),
        ("2025-10-21T12:00:00.5Z", "2025-10-21T12:00:00.500Z"),
        ("2025-10-21T12:00:00.000+02:00", "2025-10-21T10:00:00.000Z"),
        ("2025-10-21T00:30:00+02:00", "2025-10-20T22:30:00.000Z"),  # the day before in UTC
        ("2025-10-21T22:30:00.250-05:00", "2025-10-22T03:30:00.250Z"),
        (None, None),
    ],
)
def test_ts_sql_converts_other_forms_to_iso_utc(stored, expected):
    assert ts(stored) == expected


_MOMENTS = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31))


@given(_MOMENTS)
@settings(max_examples=300)
def test_ts_sql_iso_fast_path_agrees_with_strftime(moment):
    text = f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    conn = sqlite3.connect(":memory:")
    fast, slow = conn.execute(
        f"SELECT {ts_sql('x')}, strftime('%Y-%m-%dT%H:%M:%fZ', x) FROM (SELECT ? AS x)", (text,)
    ).fetchone()
    conn.close()
    assert fast == slow == text


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9000, 12, 31)))
@settings(max_examples=300)
def test_ts_sql_gives_one_text_for_one_moment_in_every_form(moment):
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    iso = f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    millis = int(moment.replace(tzinfo=UTC).timestamp()) * 1000
    millis += moment.microsecond // 1000
    plus_two = (moment + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    assert ts(iso) == iso
    assert ts(millis) == iso
    assert ts(f"{moment:%Y-%m-%d %H:%M:%S}") == iso[:19] + ".000Z"
    assert ts(f"{plus_two}.{moment.microsecond // 1000:03d}+02:00") == iso


@given(st.integers(min_value=0, max_value=common._EXACT_MS - 1))
@settings(max_examples=500)
def test_iso_of_epoch_ms_agrees_with_times(millis):
    assert common.iso(millis) == times.to_iso(millis)


def test_evaluator_trends_days_equal_ts_sql_days(tmp_path: Path, site_db: Path) -> None:
    path = tmp_path / "odd.db"
    path.write_bytes(site_db.read_bytes())
    conn = store.open_write(path)
    odd = [
        "2025-10-21T23:59:59.999Z",
        "2025-10-21T23:59:59.999+02",  # 24 characters, not the ISO form
        "2025-10-21 23:59:59",
        1761091199999,
        "2025-10-21T23:59:59.999Z\x00junk",
        "not a time at all, sorry",
        None,
    ]
    ids = [r[0] for r in conn.execute("SELECT id FROM evaluation_results ORDER BY id LIMIT 7")]
    for row_id, created in zip(ids, odd, strict=True):
        conn.execute("UPDATE evaluation_results SET created_at = ? WHERE id = ?", (created, row_id))
    scores = [(1.0, 0.0), (2.0, 1.0), (-0.5, 1.0), (0.999999, 1.0), (3.0, 3.0), (0.05, 0.5)]
    for row_id, (score, max_score) in zip(ids, scores, strict=False):
        conn.execute(
            "UPDATE evaluation_results SET score = ?, max_score = ? WHERE id = ?",
            (score, max_score, row_id),
        )
    conn.commit()
    day = f"substr({ts_sql('created_at')}, 1, 10)"
    sql = f"SELECT evaluator_name, {day}, score FROM evaluation_results"
    expected: dict = {}
    for name, date, score in conn.execute(sql):
        expected.setdefault(name, {}).setdefault(date, []).append(score)
    by_day, bins = trends.trends_and_bins(conn)
    assert by_day == queries.all_evaluator_trends(conn)
    assert bins == reports.evaluator_bins(conn)
    assert {name: {d["date"]: d["count"] for d in days} for name, days in by_day.items()} == {
        name: {day: len(scores) for day, scores in days.items()} for name, days in expected.items()
    }
    for name, days in by_day.items():
        for d in days:
            assert d["avgScore"] == common.mean(expected[name][d["date"]])
    conn.close()


_FLOATS = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)
_FIGURE_ROW = st.tuples(
    st.sampled_from(["completed", "failed", "running", "incomplete"]),
    st.sampled_from([None, 0, 1]),
    st.none() | _FLOATS,
    st.none() | _FLOATS,
    st.none() | _FLOATS,
    st.none() | st.integers(0, 2**62),
    st.none() | st.integers(0, 2**62),
    st.none() | st.integers(0, 2**62),
)


@given(st.lists(st.lists(_FIGURE_ROW, max_size=12), max_size=6))
@settings(max_examples=300)
def test_merged_tallies_give_the_figures_of_all_their_runs(groups):
    union = [row for group in groups for row in group]
    merged = Tally.merged(Tally(group) for group in groups)
    assert merged.figures() == figures(union)
    whole = Tally(union)  # the successful runs' weighted scores: their count and extremes
    assert (merged.count("ok_weighted"), merged.worst, merged.best) == (
        len(whole.ok_weighted),
        min(whole.ok_weighted, default=None),
        max(whole.ok_weighted, default=None),
    )


@given(st.lists(st.lists(_FLOATS | st.sampled_from([5e-324, 1e-300, 2.0**-60]), max_size=20)))
@settings(max_examples=300)
def test_exact_parts_sum_like_all_the_values(lists):
    parts = [p for values in lists for p in tally.exact_parts(values)]
    assert math.fsum(parts) == math.fsum(v for values in lists for v in values)


_BIN_VALUES = [0.0, 1.0, 0.3, 0.7, 1e-300, 2.5, -1.0, float("inf"), 3, "abc", "0.5", None, b"x"]


def test_evaluation_bin_in_python_equals_sql() -> None:
    conn = sqlite3.connect(":memory:")
    sql = f"SELECT {trends._BIN_SQL} FROM (SELECT ? AS score, ? AS max_score)"
    for score in _BIN_VALUES:
        for max_score in _BIN_VALUES:
            expected = conn.execute(sql, (score, max_score)).fetchone()[0]
            assert trends._bin(conn, score, max_score) == expected, (score, max_score)
    conn.close()


def _close(a: dict, b: dict) -> bool:
    """Rows equal, their means to the last bits (SQLite's AVG adds up in another order)."""
    return a.keys() == b.keys() and all(
        math.isclose(a[k], b[k], rel_tol=1e-12) if isinstance(a[k], float) else a[k] == b[k]
        for k in a
    )


@pytest.mark.parametrize(
    "odd",
    [
        [],  # numbers only: summed in Python
        [(0.5, 0), (1, 0.0), (7, 10), (-0.5, 1.0), (2, 1)],  # zero maxima, ints, out of range
        [(b"\x01", 1.0), (1.0, b"\x02")],  # blobs: a maximum that is one goes to SQL
    ],
)
def test_evaluator_totals_from_grouped_evaluations_are_evaluator_summary(
    site_db: Path, tmp_path: Path, odd: list
) -> None:
    db = tmp_path / "odd.db"
    shutil.copyfile(site_db, db)
    conn = sqlite3.connect(db)
    ids = [r[0] for r in conn.execute("SELECT id FROM evaluation_results ORDER BY id LIMIT 9")]
    for row_id, (score, max_score) in zip(ids, odd, strict=False):
        conn.execute(
            "UPDATE evaluation_results SET score = ?, max_score = ? WHERE id = ?",
            (score, max_score, row_id),
        )
    conn.commit()
    conn.close()
    conn = store.open_read(db)
    summary = Summary(conn)
    got, expected = summary.evaluator_summary, reports.evaluator_summary(conn)
    assert [r["evaluator"] for r in got] == [r["evaluator"] for r in expected]
    assert all(_close(a, b) for a, b in zip(got, expected, strict=True))
    assert (
        sum(r["count"] for r in got)
        == conn.execute("SELECT COUNT(*) FROM evaluation_results").fetchone()[0]
    )


def test_evaluator_figures_of_scores_near_the_largest_float(site_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "big.db"
    shutil.copyfile(site_db, db)
    conn = sqlite3.connect(db)
    name = conn.execute("SELECT MIN(evaluator_name) FROM evaluation_results").fetchone()[0]
    conn.execute(
        "UPDATE evaluation_results SET score = 1e308, max_score = 1e308 WHERE evaluator_name = ?",
        (name,),
    )
    conn.commit()
    conn.close()
    conn = store.open_read(db)
    summary = Summary(conn)
    row = next(r for r in summary.evaluator_summary if r["evaluator"] == name)
    assert row["mean_score"] == 1e308 and row["mean_fraction"] == 1.0 and row["pass_rate"] == 1.0
    assert all(day["avgScore"] == 1e308 for day in summary.trends[name])


def test_mean_cost_past_the_largest_float_total_is_exact(site_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "costly.db"
    shutil.copyfile(site_db, db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE run_telemetry SET cost_usd = 1e308, duration_ms = 1e308")
    conn.commit()
    conn.close()
    conn = store.open_read(db)
    stats = queries.global_stats(conn)
    assert stats["totalCostUsd"] == math.inf  # the total is past the largest float
    assert stats["avgCostUsd"] == 1e308 == stats["avgDurationMs"]  # the means are not


def test_sums_past_the_largest_float_are_infinite_not_an_error() -> None:
    assert common.exact_sum([1e308, 1e308]) == math.inf
    assert common.exact_sum([-1e308, -1e308]) == -math.inf
    assert math.isnan(common.exact_sum([math.inf, -math.inf]))
    assert common.exact_sum([1e308, 1e308, -1e308]) == 1e308  # exact, whatever the order
    assert common.mean_of_sum([1e308, 1e308], 2) == 1e308
    assert common.mean_of_sum([math.inf, -math.inf], 2) is None
