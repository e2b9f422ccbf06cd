"""zebench prune: dry runs write nothing; each prune drops exactly what was asked, in
one transaction; a replaced patch leaves its summary, and a build renders it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import READ_API_SQL, build_site

from generator import store
from generator.cli import main
from generator.errors import ParameterError
from generator.results import demo, ingest
from generator.results.validate import normalise_run
from generator.store import prune


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    """The hand-built read fixture (8 runs, 3 batches) and run-9, a file of this test's own."""
    path = tmp_path / "small.db"
    store.init(path)
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(READ_API_SQL)
        conn.execute(LOCKFILE_RUN, (json.dumps({"diffSummary": [LOCK_ENTRY]}),))
    conn.close()
    return path


LOCK_ENTRY = {"file": "pnpm-lock.yaml", "changeType": "modified", "textPatch": "+a: 1\n" * 100}
# A newer run without a batch, whose lockfile patch is 600 bytes.
LOCKFILE_RUN = (
    "INSERT INTO benchmark_runs (run_id, suite, scenario, tier, agent, status, started_at, "
    "metadata) VALUES ('run-9', 'update-deps', 'sc-a', 'L0', 'echo', 'completed', "
    "'2025-11-01T00:00:00.000Z', ?)"
)


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def run_ids(path: Path) -> list[str]:
    return [r[0] for r in rows(path, "SELECT run_id FROM benchmark_runs ORDER BY run_id")]


def batch_ids(path: Path) -> list[str]:
    return [r[0] for r in rows(path, "SELECT batchId FROM batch_runs ORDER BY batchId")]


def check_integrity(path: Path) -> None:
    assert rows(path, "PRAGMA integrity_check") == [("ok",)]
    assert rows(path, "PRAGMA foreign_key_check") == []


@pytest.mark.parametrize(
    "options",
    [
        {"before": "2025-10-23"},
        {"keep_batches": 1},
        {"text_over": 500, "files": ("*.yaml",)},
        {"before": "2030-01-01", "keep_batches": 0, "text_over": 0, "files": ("*",)},
    ],
)
def test_a_dry_run_writes_nothing(small_db, options):
    stat, data = small_db.stat(), small_db.read_bytes()
    if "before" in options:
        options = {**options, "before": prune.parse_date(options["before"])}
    plan = prune.prune(small_db, **options)
    assert plan.runs or plan.batches or plan.patched  # there was something to drop
    assert small_db.read_bytes() == data
    assert small_db.stat().st_mtime_ns == stat.st_mtime_ns
    assert plan.lines()[-1] == "Nothing written: add --yes to do it."


def test_before_drops_old_runs_with_their_rows_and_the_batches_they_empty(small_db):
    plan = prune.prune(small_db, before=prune.parse_date("2025-10-23"), yes=True)
    gone = ["run-1", "run-2", "run-3", "run-4", "run-8"]
    assert sorted(plan.runs) == gone
    assert run_ids(small_db) == ["run-5", "run-7", "run-9", "run/6 <x>"]
    # batch-one lost all its runs; batch-empty had none to lose and was not asked about.
    assert batch_ids(small_db) == ["batch-empty", "batch/two"]
    assert plan.batches == ["batch-one"]
    marks = ", ".join("?" * len(gone))
    for table in ("evaluation_results", "run_telemetry"):
        conn = sqlite3.connect(small_db)
        left = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE run_id IN ({marks})", gone)
        assert left.fetchone() == (0,)
        conn.close()
    assert (plan.evaluations, plan.telemetry) == (7, 5)  # run-1 has two telemetry rows
    check_integrity(small_db)


def test_keep_batches_keeps_the_newest_and_runs_without_a_batch(small_db):
    plan = prune.prune(small_db, keep_batches=1, yes=True)
    assert batch_ids(small_db) == ["batch-one"]  # the newest createdAt
    assert sorted(plan.batches) == ["batch-empty", "batch/two"]
    assert run_ids(small_db) == ["run-1", "run-2", "run-3", "run-4", "run-8", "run-9"]
    check_integrity(small_db)


def test_the_report_lists_counts_bytes_and_a_few_ids(small_db):
    lines = prune.prune(small_db, keep_batches=0).lines()
    assert lines[0].startswith("runs: would drop 7 (8 evaluations, 5 telemetry rows, ")
    assert "e.g. 'run-1', 'run-2', 'run-3'" in lines[0]
    assert lines[1].startswith("batches: would drop 3, e.g. 'batch-empty', 'batch-one'")


def big_run(make_run, run_id: str, lock: str, other: str = "small") -> dict:
    metadata = {
        "diffSummary": [
            {"file": "pnpm-lock.yaml", "changeType": "modified", "textPatch": lock},
            {"file": "packages/a/package-lock.json", "changeType": "modified", "textPatch": lock},
            {"file": "src/app.ts", "changeType": "modified", "textPatch": other},
        ],
        "depsDelta": [],
    }
    return normalise_run(make_run(run_id, metadata=metadata), run_id)


def test_text_over_replaces_large_matching_patches_by_their_summary(empty_db, make_run):
    lock = "--- a\n+++ b\n" + "+added é\n" * 3000 + "-removed\n" * 1000 + " same"
    big_code = "+x\n" * 20000
    runs = [big_run(make_run, "heavy", lock, big_code), big_run(make_run, "light", "+a\n-b")]
    ingest.record_runs(empty_db, [(r["runId"], r) for r in runs])
    ids_before = dict(rows(empty_db, "SELECT run_id, id FROM benchmark_runs"))
    evaluations = rows(empty_db, "SELECT * FROM evaluation_results ORDER BY id")

    plan = prune.prune(empty_db, text_over=prune.parse_size("10KB"), yes=True)

    assert (plan.patches, list(plan.patched)) == (2, ["heavy"])
    assert plan.patch_bytes == 2 * len(lock.encode())
    (text,) = rows(empty_db, "SELECT metadata FROM benchmark_runs WHERE run_id = 'heavy'")[0]
    entries = json.loads(text)["diffSummary"]
    for entry in entries[:2]:  # by file name and by a path ending in a matching name
        assert entry["textPatchRemoved"] == {
            "bytes": len(lock.encode()),
            "linesAdded": 3000,
            "linesRemoved": 1000,
            "sha256": hashlib.sha256(lock.encode()).hexdigest(),
        }
        size = f"{len(lock.encode()):,}"
        assert entry["textPatch"].startswith(f"(patch removed by zebench prune: {size} bytes, ")
    assert entries[2]["textPatch"] == big_code  # not a lockfile: kept whole
    ids_after = dict(rows(empty_db, "SELECT run_id, id FROM benchmark_runs"))
    assert ids_after["light"] == ids_before["light"]
    assert ids_after["heavy"] > max(ids_before.values())  # a new version stamp
    assert rows(empty_db, "SELECT * FROM evaluation_results ORDER BY id") == evaluations
    # A summary is never summarised again, even under a tiny threshold.
    again = prune.prune(empty_db, text_over=1, files=("pnpm-lock.yaml",))
    assert (again.patches, list(again.patched)) == (1, ["light"])
    check_integrity(empty_db)


def test_a_prune_is_one_transaction(small_db, monkeypatch):
    before = rows(small_db, "SELECT * FROM benchmark_runs ORDER BY id")
    apply = prune._apply

    def fail_after(conn, plan):
        apply(conn, plan)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(prune, "_apply", fail_after)
    with pytest.raises(RuntimeError):
        prune.prune(small_db, keep_batches=0, yes=True)
    assert rows(small_db, "SELECT * FROM benchmark_runs ORDER BY id") == before
    assert len(batch_ids(small_db)) == 3


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("100KB", 100_000),
        ("1MB", 1_000_000),
        ("250000", 250_000),
        ("2 KiB", 2048),
        ("1.5mb", 1_500_000),
    ],
)
def test_sizes(text, size):
    assert prune.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "KB", "-1KB", "10 XB", "1e3"])
def test_bad_sizes(text):
    with pytest.raises(ParameterError, match="is not a size"):
        prune.parse_size(text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "nothing to prune"),
        (["--files", "*.lock", "--before", "2025-01-01"], "--files only applies with --text-over"),
        (["--before", "last tuesday"], "is not a date"),
        (["--text-over", "big"], "is not a size"),
        (["--keep-batches", "-1"], "-1"),
    ],
)
def test_cli_usage_errors(small_db, args, message):
    result = CliRunner().invoke(main, ["prune", "--db", str(small_db), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_dry_run_then_yes(small_db, digest):
    first = digest(small_db)
    result = CliRunner().invoke(main, ["prune", "--db", str(small_db), "--before", "2025-10-23"])
    assert result.exit_code == 0, result.output
    assert "runs: would drop 5 " in result.output and "add --yes" in result.output
    assert digest(small_db) == first
    args = ["prune", "--db", str(small_db), "--before", "2025-10-23", "--yes"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "runs: dropped 5 " in result.output and "zebench compact" in result.output
    assert len(run_ids(small_db)) == 4


def test_cli_missing_file(tmp_path):
    result = CliRunner().invoke(main, ["prune", "--db", str(tmp_path / "no.db"), "--yes",
                                       "--keep-batches", "1"])  # fmt: skip
    assert result.exit_code == 1
    assert "Error: no database at" in result.output


@pytest.mark.slow
def test_a_build_after_text_over_renders_the_changed_runs_again(tmp_path):
    db = demo.write_demo(tmp_path / "b.db", runs=30, seed=5) and tmp_path / "b.db"
    site = tmp_path / "site"
    build_site(db, site)
    plan = prune.prune(db, text_over=20, files=("pnpm-lock.yaml",), yes=True)
    assert plan.patched
    result = build_site(db, site)
    assert result.kept  # the other runs were kept ...
    for run_id in plan.patched:  # ... and these rendered again, with the summary
        page = (site / "runs" / f"{run_id}.html").read_text(encoding="utf-8")
        assert "patch removed by zebench prune" in page
        assert "lockfileVersion" not in page
