"""The build's snapshot: every part of one build, and its copy, see the file as it was."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import build_site, make_site_db
from test_build import assert_a_broken_rebuild_leaves_the_site

from generator import store
from generator.results import demo, ingest
from generator.results.validate import normalise_run
from generator.store import snapshot


def _runs(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM benchmark_runs").fetchone()[0]
    finally:
        conn.close()


def _copy(db: Path, target: Path, between=lambda: None) -> None:
    """Copy *db*'s snapshot as the build does; *between* runs once the snapshot began."""
    conn = store.open_read(db)
    try:
        with snapshot.held(conn):
            between()
            snapshot.write(conn, target)
    finally:
        conn.close()


def _record_one(db: Path, run_id: str) -> None:
    payload = demo.demo_payloads(1, seed=11)[1][0] | {"runId": run_id, "batchId": None}
    ingest.record_runs(db, [(run_id, normalise_run(payload, run_id))])


def test_a_commit_after_the_snapshot_began_is_not_in_the_copy(tmp_path):
    db = make_site_db(tmp_path / "benchmarks.db", runs=12)
    _copy(db, tmp_path / "copy.db", lambda: _record_one(db, "late"))
    assert _runs(db) == 14 and _runs(tmp_path / "copy.db") == 13  # as the snapshot saw it


def test_a_file_upgraded_in_memory_is_copied_from_the_upgraded_snapshot(upstream_db, tmp_path):
    _copy(upstream_db, tmp_path / "copy.db")
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert store.schema_version(copy) == store.SCHEMA_VERSION
    assert copy.execute("SELECT COUNT(*) FROM benchmark_runs").fetchone()[0] == 56
    copy.close()


def test_a_build_during_a_commit_shows_the_snapshot_everywhere(tmp_path, monkeypatch):
    db = make_site_db(tmp_path / "benchmarks.db", runs=12)
    write = snapshot.write

    def late_commit(source, target):
        _record_one(db, "late")  # after the build's snapshot began, before the copy
        write(source, target)

    monkeypatch.setattr(snapshot, "write", late_commit)
    out = tmp_path / "site"
    result = build_site(db, out)
    assert result.run_pages == 13 and _runs(db) == 14
    assert _runs(out / "downloads" / "benchmarks.db") == 13
    listing = json.loads((out / "api" / "all" / "runs.json").read_text())
    assert listing["total"] == 13
    assert not (out / "runs" / "late.html").exists()


def test_a_file_upgraded_meanwhile_is_copied_as_the_build_read_it(
    upstream_db, tmp_path, monkeypatch
):
    open_read = store.open_read

    def then_upgraded(path):
        conn = open_read(path)  # the older schema, upgraded in memory
        _record_one(upstream_db, "late")  # a writer upgrades the file and adds a run
        return conn

    monkeypatch.setattr(store, "open_read", then_upgraded)
    result = build_site(upstream_db, tmp_path / "site")
    assert result.run_pages == 56 and _runs(upstream_db) == 57
    assert _runs(tmp_path / "site" / "downloads" / "upstream.db") == 56


def test_a_failing_copy_fails_the_build_and_leaves_the_previous_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = make_site_db(tmp_path / "db" / "benchmarks.db", runs=12)
    folder = tmp_path / "out"
    folder.mkdir()

    def broken(source, target):
        raise RuntimeError("copy on fire")

    def break_build():
        monkeypatch.setattr(snapshot, "write", broken)

    assert_a_broken_rebuild_leaves_the_site(db, folder, break_build, RuntimeError, "copy on fire")
