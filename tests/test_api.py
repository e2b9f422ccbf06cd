"""Routing, parameters, `zebench api`, and the static JSON API (fixture: conftest.READ_API_SQL)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import queries, store
from generator.cli import main
from generator.errors import NotFoundError, ParameterError
from generator.queries import api
from generator.queries.budget import Budget
from generator.site.api_files import static_entries, static_files
from generator.site.paths import file_name

NOW = datetime(2025, 10, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def conn(read_db: Path):
    connection = store.open_read(read_db)
    yield connection
    connection.close()


def cli(db: Path, *args: str):
    return CliRunner().invoke(main, ["api", "--db", str(db), *args])


# --- routing ------------------------------------------------------------------


def test_health(conn):
    assert api.get(conn, "/health") == {"status": "ok"}
    assert api.get(conn, "/api/health") == {"status": "ok"}


def test_every_endpoint_routes_to_its_query(conn):
    assert api.get(conn, "/api/runs") == queries.list_runs(conn)
    assert api.get(conn, "/api/runs/run-1") == queries.get_run(conn, "run-1")
    assert api.get(conn, "/api/runs/run-5/evaluations") == queries.run_evaluations(conn, "run-5")
    assert api.get(conn, "/api/runs/run-1/telemetry") == queries.run_telemetry(conn, "run-1")
    assert api.get(conn, "/api/batches") == queries.list_batches(conn)
    assert api.get(conn, "/api/batches/batch-one") == queries.get_batch(conn, "batch-one")
    assert api.get(conn, "/api/batches/batch-one/analytics") == queries.batch_analytics(
        conn, "batch-one"
    )
    assert api.get(conn, "/api/stats") == queries.global_stats(conn)
    assert api.get(conn, "/api/stats/agents") == queries.agent_stats(conn)
    assert api.get(conn, "/api/stats/models") == queries.model_stats(conn)
    assert api.get(conn, "/api/stats/suites/update-deps") == queries.suite_stats(
        conn, "update-deps"
    )
    assert api.get(conn, "/api/stats/scenarios/update-deps/sc-a") == queries.scenario_stats(
        conn, "update-deps", "sc-a"
    )
    assert api.get(conn, "/api/stats/evaluators/TestEvaluator/trends") == (
        queries.evaluator_trends(conn, "TestEvaluator")
    )


def test_defaults_and_parameters(conn):
    # 8 runs < 50 and 3 batches < 20: the defaults return everything.
    assert len(api.get(conn, "/api/runs")) == 8
    assert len(api.get(conn, "/api/batches")) == 3
    runs = api.get(conn, "/api/runs?agent=echo&limit=2")
    assert [r["runId"] for r in runs] == ["run-7", "run-4"]
    assert [r["runId"] for r in api.get(conn, "/api/runs?suite=other+suite")] == ["run/6 <x>"]
    assert [r["runId"] for r in api.get(conn, "/api/runs?status=failed&agent=")] == ["run-3"]
    by_score = api.get(conn, "/api/batches?sortBy=score&limit=2")
    assert [b["batchId"] for b in by_score] == ["batch/two", "batch-one"]
    running = api.get(conn, "/api/batches?status=running")
    assert [b["batchId"] for b in running] == ["batch/two"]


def test_days_is_measured_back_from_now(conn):
    stats = api.get(conn, "/api/stats?days=5", now=NOW)
    assert (stats["since"], stats["totalRuns"]) == ("2025-10-21T12:00:00.000Z", 5)
    assert api.get(conn, "/api/stats")["totalRuns"] == 8  # no days: all time
    trends = api.get(conn, "/api/stats/evaluators/TestEvaluator/trends?days=5", now=NOW)
    assert [t["date"] for t in trends] == ["2025-10-21", "2025-10-22", "2025-10-25"]
    # Without now, the current time: every fixture run is less than 100000 days old.
    assert api.get(conn, "/api/stats?days=100000")["totalRuns"] == 8


def test_ids_are_url_decoded_segments(conn):
    assert api.get(conn, "/api/runs/run%2F6%20%3Cx%3E")["run"]["runId"] == "run/6 <x>"
    assert api.get(conn, "/api/batches/batch%2Ftwo")["batchId"] == "batch/two"
    assert api.get(conn, "/api/stats/suites/other%20suite")["totalRuns"] == 1
    assert api.get(conn, "/api/stats/scenarios/other%20suite/sc%20c")["totalRuns"] == 1
    # An unencoded '/' is a path separator, so this is no route.
    with pytest.raises(NotFoundError):
        api.get(conn, "/api/batches/batch/two")


def test_compare(conn):
    result = api.get(conn, "/api/batches/compare?ids=batch-one,batch%2Ftwo")
    assert [b["batchId"] for b in result["batches"]] == ["batch-one", "batch/two"]
    assert result == queries.compare_batches(conn, ["batch-one", "batch/two"])


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/api",
        "/api/nope",
        "/api/runs/nope",
        "/api/runs/run-1/nope",
        "/api/runs/nope/telemetry",
        "/api/batches/nope",
        "/api/batches/nope/analytics",
        "/api/batches/compare?ids=batch-one,nope",
        "/api/stats/suites/nope",
        "/api/stats/scenarios/update-deps/nope",
        "/api/stats/evaluators/nope/trends",
        "/api/stats/evaluators/TestEvaluator",
        "/api/all/runs/2",
        "/api/all/runs/0",
        "/api/all/nope",
    ],
)
def test_unknown_paths_are_not_found(conn, path):
    with pytest.raises(NotFoundError):
        api.get(conn, path)


@pytest.mark.parametrize(
    "path, message",
    [
        ("/api/runs?limit=abc", "limit must be a positive integer"),
        ("/api/runs?limit=0", "limit must be a positive integer"),
        ("/api/runs?limit=-1", "limit must be a positive integer"),
        ("/api/runs?limit=1.5", "limit must be a positive integer"),
        ("/api/runs?status=done", "status must be one of"),
        ("/api/runs?agnet=echo", "unknown parameter 'agnet'"),
        ("/api/runs?limit=1&limit=2", "given more than once"),
        ("/api/batches?sortBy=name", "sortBy must be one of date, score"),
        ("/api/batches?status=failed", "status must be one of completed, running"),
        ("/api/batches/compare", "compare takes 2 to 5 batch ids, got 0"),
        ("/api/batches/compare?ids=batch-one", "compare takes 2 to 5 batch ids, got 1"),
        ("/api/batches/compare?ids=a,b,c,d,e,f", "compare takes 2 to 5 batch ids, got 6"),
        ("/api/batches/compare?ids=batch-one,,batch%2Ftwo", "none empty"),
        ("/api/batches/compare?ids=batch-one,batch-one", "distinct"),
        ("/api/stats?days=abc", "days must be a positive number"),
        ("/api/stats?days=0", "days must be a positive number"),
        ("/api/stats?days=nan", "days must be a positive number"),
        ("/api/stats/evaluators/TestEvaluator/trends?days=-3", "days must be a positive"),
        ("/api/stats/agents?days=3", "unknown parameter 'days'"),
        ("/api/runs/run-1?x=1", "unknown parameter 'x'"),
    ],
)
def test_bad_parameters(conn, path, message):
    with pytest.raises(ParameterError, match=message):
        api.get(conn, path)


# --- complete listings ----------------------------------------------------------


def test_listing_pages_cover_every_run_and_batch(conn, monkeypatch):
    monkeypatch.setattr(api, "PAGE_SIZE", 3)
    index = api.get(conn, "/api/all/runs")
    assert index == {
        "total": 8,
        "pageSize": 3,
        "pages": 3,  # 3 + 3 + 2
        "files": ["runs/1.json", "runs/2.json", "runs/3.json"],
    }
    pages = [api.get(conn, f"/api/all/runs/{n}") for n in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [3, 3, 2]
    assert [r for p in pages for r in p["items"]] == queries.list_runs(conn, limit=None)
    assert (pages[1]["page"], pages[1]["pages"], pages[1]["total"]) == (2, 3, 8)
    batches = api.get(conn, "/api/all/batches/1")
    assert [b["batchId"] for b in batches["items"]] == ["batch-one", "batch/two", "batch-empty"]
    with pytest.raises(NotFoundError):
        api.get(conn, "/api/all/runs/4")


def test_empty_file_still_has_page_one(empty_db):
    conn = store.open_read(empty_db)
    assert api.get(conn, "/api/all/runs")["pages"] == 1
    assert api.get(conn, "/api/all/runs/1")["items"] == []
    assert dict(static_files(conn))["api/all/batches/1.json"].startswith(b"{")


# --- zebench api ----------------------------------------------------------------


def test_cli_prints_the_json(read_db):
    result = cli(read_db, "/api/runs?agent=echo&limit=1")
    assert result.exit_code == 0, result.output
    assert [r["runId"] for r in json.loads(result.output)] == ["run-7"]
    assert result.output.startswith('[{"runId":"run-7",') and result.output.endswith("}]\n")
    assert cli(read_db, "/api/runs/run-3/telemetry").output == "null\n"


@pytest.mark.parametrize(
    "path, message",
    [
        ("/api/nope", "Error: no API path '/api/nope'"),
        ("/api/runs/nope", "Error: no run with id 'nope'"),
        ("/api/batches/nope", "Error: no batch with id 'nope'"),
        ("/api/stats/suites/nope", "Error: no suite named 'nope'"),
        ("/api/stats/scenarios/update-deps/nope", "Error: no scenario 'nope' in suite"),
        ("/api/stats/evaluators/nope/trends", "Error: no evaluator named 'nope'"),
        ("/api/runs?limit=abc", "Error: limit must be a positive integer, not 'abc'"),
        ("/api/batches/compare?ids=batch-one", "Error: compare takes 2 to 5 batch ids, got 1"),
        ("/api/batches/compare?ids=a,b,c,d,e,f", "Error: compare takes 2 to 5 batch ids, got 6"),
        ("/api/stats?days=soon", "Error: days must be a positive number"),
    ],
)
def test_cli_errors_exit_1_without_traceback(read_db, path, message):
    result = cli(read_db, path)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_missing_database(tmp_path):
    result = cli(tmp_path / "missing.db", "/api/stats")
    assert result.exit_code == 1
    assert "Error: no database at" in result.output


# --- static JSON API --------------------------------------------------------------


def test_static_paths_are_safe_relative_and_unique(conn):
    paths = [path for path, _ in static_files(conn)]
    assert len(paths) == len(set(paths))
    for path in paths:
        assert path.startswith("api/") and path.endswith(".json")
        assert not path.startswith("/") and "\\" not in path
        assert ".." not in path.split("/") and "" not in path.split("/")


def test_static_layout(conn):
    paths = {path for path, _ in static_files(conn)}
    odd_run, two = file_name("run/6 <x>"), file_name("batch/two")
    expected = {
        "api/health.json",
        "api/stats.json",
        "api/stats/agents.json",
        "api/stats/models.json",
        "api/runs.json",
        "api/batches.json",
        "api/all/runs.json",
        "api/all/runs/1.json",
        "api/all/batches.json",
        "api/all/batches/1.json",
        "api/runs/run-1.json",
        "api/runs/run-1/evaluations.json",
        "api/runs/run-1/telemetry.json",
        f"api/runs/{odd_run}.json",
        f"api/runs/{odd_run}/telemetry.json",
        "api/batches/batch-one.json",
        f"api/batches/{two}/analytics.json",
        "api/batches/batch-empty/analytics.json",
        "api/stats/suites/update-deps.json",
        f"api/stats/suites/{file_name('other suite')}.json",
        "api/stats/scenarios/update-deps/sc-a.json",
        f"api/stats/scenarios/{file_name('other suite')}/{file_name('sc c')}.json",
        "api/stats/evaluators/TestEvaluator/trends.json".replace(
            "TestEvaluator", file_name("TestEvaluator")
        ),
    }
    assert expected <= paths
    # 10 fixed files + 3 per run (8) + 2 per batch (3) + 2 suites + 3 scenarios + 2 evaluators.
    assert len(paths) == 10 + 24 + 6 + 2 + 3 + 2


@pytest.mark.parametrize("max_text_bytes", [None, 3])
def test_every_static_file_equals_zebench_api_output(read_db, max_text_bytes):
    conn = store.open_read(read_db)
    entries = list(static_entries(conn))
    text_budget = Budget(max_text_bytes or 0, read_db.name)
    files = dict(static_files(conn, text_budget))
    conn.close()
    assert [e[0] for e in entries] == list(files)
    options = [] if max_text_bytes is None else ["--max-text-bytes", str(max_text_bytes)]
    for file_path, get_path, _ in entries:
        result = cli(read_db, *options, get_path)
        assert result.exit_code == 0, (get_path, result.output)
        assert result.stdout_bytes == files[file_path], file_path
    cut = [path for path, data in files.items() if "… cut: ".encode() in data]
    # A budget of 3 bytes cuts the error "boom", details "all passed", the batch's note.
    assert bool(cut) == bool(max_text_bytes)


def test_static_files_on_upstream_leave_it_unchanged(upstream_db):
    before = hashlib.sha256(upstream_db.read_bytes()).hexdigest()
    conn = store.open_read(upstream_db)
    files = dict(static_files(conn))
    # 56 runs x 3 + 37 batches x 2 + 10 fixed + 1 suite + 1 scenario + 6 evaluators.
    assert len(files) == 168 + 74 + 10 + 1 + 1 + 6
    for file_path, get_path, _ in static_entries(conn):
        assert api.dumps(api.get(conn, get_path)).encode() == files[file_path], file_path
    conn.close()
    assert hashlib.sha256(upstream_db.read_bytes()).hexdigest() == before


# --- intervals ------------------------------------------------------------------


def _with_rates(value, found: list) -> None:
    """Every dict inside *value* that has a successRate (collected into *found*)."""
    if isinstance(value, dict):
        if "successRate" in value and "baselineBatchId" not in value:  # not a delta
            found.append(value)
        for item in value.values():
            _with_rates(item, found)
    elif isinstance(value, list):
        for item in value:
            _with_rates(item, found)


@pytest.mark.parametrize(
    "path",
    [
        "/api/stats",
        "/api/stats/agents",
        "/api/stats/models",
        "/api/stats/suites/update-deps",
        "/api/batches",
        "/api/batches/batch-one",
        "/api/batches/compare?ids=batch-one,batch%2Ftwo",
        "/api/stats/scenarios/update-deps/sc-a",
    ],
)
def test_every_success_rate_has_its_wilson_interval(conn, path):
    from generator import statistics as st

    found: list = []
    _with_rates(api.get(conn, path, now=NOW), found)
    assert found, path
    for figures in found:
        known = figures["runsWithKnownSuccess"]
        # Breakdown rows name their successful runs "runs", as the plan does.
        successes = figures.get("successfulRuns", figures.get("runs"))
        wilson = st.wilson(successes, known) if known else None
        expected = None if wilson is None else pytest.approx(list(wilson))
        assert figures["successRateCI"] == expected, path


def test_mean_scores_have_intervals_null_below_two_values(conn):
    stats = api.get(conn, "/api/stats")
    low, high = stats["avgWeightedScoreCompletedCI"]
    assert low < stats["avgWeightedScoreCompleted"] < high
    for agent in api.get(conn, "/api/stats/agents"):
        assert ("avgScoreCI" in agent) and ("avgWeightedScoreCompletedCI" in agent)
        if agent["runs"] < 2:
            assert agent["avgScoreCI"] is None
    one = api.get(conn, "/api/batches/batch-one")
    assert one["avgWeightedScoreCI"] is None  # one successful run
