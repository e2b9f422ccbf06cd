from __future__ import annotations

import hashlib
import sqlite3

import pytest
from click.testing import CliRunner

from generator import store
from generator.cli import main
from generator.errors import StoreError

PLAN_INDEXES = {
    "idx_runs_suite_scenario",
    "idx_runs_agent",
    "idx_runs_status",
    "idx_runs_batchId",
    "idx_runs_is_successful",
    "idx_evals_run_id",
}


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def columns(conn, table):
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_new_file_has_plan_tables_columns_indexes_and_foreign_keys(empty_db):
    conn = sqlite3.connect(empty_db)
    assert columns(conn, "batch_runs") == [
        "batchId", "createdAt", "completedAt", "totalRuns", "successfulRuns",
        "avgScore", "avgWeightedScore", "metadata",
    ]  # fmt: skip
    runs = columns(conn, "benchmark_runs")
    for name in ["run_id", "batchId", "suite", "scenario", "tier", "agent", "model", "status",
                 "started_at", "completed_at", "total_score", "weighted_score", "is_successful",
                 "success_metric", "metadata", "specialist_enabled", "specialist_name",
                 "specialist_version", "package_manager", "test_results"]:  # fmt: skip
        assert name in runs
    assert columns(conn, "evaluation_results")[1:6] == [
        "run_id", "evaluator_name", "score", "max_score", "details",
    ]  # fmt: skip
    assert "prompt_sent" in columns(conn, "run_telemetry")
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert indexes >= PLAN_INDEXES
    fks = {(t, r[2], r[3]) for t in ("benchmark_runs", "evaluation_results", "run_telemetry")
           for r in conn.execute(f"PRAGMA foreign_key_list({t})")}  # fmt: skip
    assert ("benchmark_runs", "batch_runs", "batchId") in fks
    assert ("evaluation_results", "benchmark_runs", "run_id") in fks
    assert ("run_telemetry", "benchmark_runs", "run_id") in fks


def test_migrations_are_recorded_in_order(empty_db):
    conn = sqlite3.connect(empty_db)
    versions = [r[0] for r in conn.execute("SELECT version FROM zebench_migrations ORDER BY 1")]
    assert versions == list(range(1, store.SCHEMA_VERSION + 1))


def test_upgrade_of_upstream_file_keeps_every_row(upstream_db):
    before = sqlite3.connect(upstream_db)
    tables = ["batch_runs", "benchmark_runs", "evaluation_results", "run_telemetry"]
    old = {t: before.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    old_cols = {t: columns(before, t) for t in tables}
    before.close()

    result = CliRunner().invoke(main, ["init", "--db", str(upstream_db)])
    assert result.exit_code == 0, result.output
    assert f"applied {store.SCHEMA_VERSION} migration" in result.output

    after = sqlite3.connect(upstream_db)
    for t in tables:
        cols = ", ".join(f'"{c}"' for c in old_cols[t])
        assert after.execute(f"SELECT {cols} FROM {t} ORDER BY rowid").fetchall() == old[t]
    # Unknown success stays unknown rather than becoming "failed".
    assert after.execute("SELECT COUNT(*) FROM benchmark_runs WHERE is_successful IS NOT NULL")\
        .fetchone()[0] == 0  # fmt: skip


def test_init_twice_is_a_no_op(empty_db):
    result = CliRunner().invoke(main, ["init", "--db", str(empty_db)])
    assert result.exit_code == 0
    assert "up to date" in result.output


def test_reading_an_old_file_never_changes_its_bytes(upstream_db):
    before = digest(upstream_db)
    conn = store.open_read(upstream_db)
    assert "is_successful" in columns(conn, "benchmark_runs")  # migrated view, in memory
    assert conn.execute("SELECT COUNT(*) FROM benchmark_runs").fetchone()[0] == 56
    conn.close()
    assert digest(upstream_db) == before


def test_open_read_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no database at"):
        store.open_read(tmp_path / "absent.db")


def test_not_sqlite_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not a database at all" * 200)
    result = CliRunner().invoke(main, ["init", "--db", str(bogus)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "not a readable SQLite database" in result.output
    assert "Traceback" not in result.output


def test_db_defaults_to_environment_variable(tmp_path, monkeypatch):
    target = tmp_path / "from-env.db"
    monkeypatch.setenv("ZE_BENCHMARKS_DB", str(target))
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert target.exists()
