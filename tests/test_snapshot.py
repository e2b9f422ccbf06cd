"""The build's snapshot: every part of one build, and its copy, see the file as it was."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import build_site, make_site_db
from test_build import assert_a_broken_rebuild_leaves_the_site

from generator import build, store
from generator.build.workers import Workers
from generator.errors import BuildError
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
        snapshot.begin(conn)
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


# When the site does not carry the results file, the build's processes read the file
# itself, each in a transaction begun under the build's write lock: no copy.

NOT_COPIED = build.Options(db_download="none")


def _listed(out: Path) -> int:
    return json.loads((out / "api" / "all" / "runs.json").read_text())["total"]


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Where the build writes copies of its snapshot, each written as usual."""
    written: list[Path] = []
    write = snapshot.write

    def counted(source: sqlite3.Connection, target: Path) -> None:
        written.append(target)
        write(source, target)

    monkeypatch.setattr(snapshot, "write", counted)
    return written


def test_a_commit_once_the_lock_is_released_is_not_in_the_site(tmp_path, monkeypatch, copies):
    db = make_site_db(tmp_path / "benchmarks.db", runs=12)
    release = snapshot.Snapshot.release

    def then_a_commit(self):
        assert self.shared
        release(self)
        _record_one(db, "late")  # every process of the build has begun reading

    monkeypatch.setattr(snapshot.Snapshot, "release", then_a_commit)
    out = tmp_path / "site"
    result = build_site(db, out, options=NOT_COPIED)
    assert copies == []  # nothing copied: they read the file itself
    assert result.run_pages == 13 and _runs(db) == 14 and _listed(out) == 13
    assert not (out / "runs" / "late.html").exists()


def test_a_writer_waits_for_the_lock_until_every_process_reads(tmp_path, monkeypatch):
    db = make_site_db(tmp_path / "benchmarks.db", runs=12)
    begun = Workers.begun
    committed: list[bool] = []

    def a_writer_tries_meanwhile(self):
        conn = sqlite3.connect(db, timeout=0.1)
        try:
            conn.execute("BEGIN IMMEDIATE")
            committed.append(True)
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
            committed.append(False)
        finally:
            conn.close()
        begun(self)

    monkeypatch.setattr(Workers, "begun", a_writer_tries_meanwhile)
    build_site(db, tmp_path / "site", options=NOT_COPIED)
    assert committed == [False]
    _record_one(db, "after")  # and once the build is done, writers go on
    assert _runs(db) == 14


def test_a_writer_holding_the_lock_makes_the_build_copy_instead(tmp_path, monkeypatch, copies):
    db = make_site_db(tmp_path / "benchmarks.db", runs=12)
    monkeypatch.setattr(snapshot, "LOCK_WAIT", 0.05)
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a long transaction of a writer
    try:
        result = build_site(db, tmp_path / "site", options=NOT_COPIED)
    finally:
        writer.rollback()
        writer.close()
    assert [p.name for p in copies] == ["snapshot.db"] and result.run_pages == 13
    assert not (tmp_path / "site" / ".zebench" / "snapshot.db").exists()


def test_an_older_schema_upgraded_in_memory_is_copied_for_the_processes(
    upstream_db, tmp_path, copies
):
    result = build_site(upstream_db, tmp_path / "site", options=NOT_COPIED)
    assert [p.name for p in copies] == ["snapshot.db"] and result.run_pages == 56
    conn = sqlite3.connect(upstream_db)
    assert store.schema_version(conn) < store.SCHEMA_VERSION  # the file itself untouched
    conn.close()


def test_a_file_swapped_in_as_the_build_begins_fails_it(tmp_path, monkeypatch):
    db = make_site_db(tmp_path / "benchmarks.db", runs=12)
    other = make_site_db(tmp_path / "other.db", runs=3)
    begun = Workers.begun

    def compacted_meanwhile(self):
        begun(self)
        os.replace(other, db)  # as 'zebench compact' swaps in its new file

    monkeypatch.setattr(Workers, "begun", compacted_meanwhile)
    with pytest.raises(BuildError, match="was replaced as the build began"):
        build_site(db, tmp_path / "site", options=NOT_COPIED)
    assert not (tmp_path / "site").exists()
