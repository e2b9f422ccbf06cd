"""The build's copy of its snapshot: written in a thread only when it is that snapshot."""

from __future__ import annotations

import json
import os
import sqlite3
import time
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


def _copy(
    db: Path, target: Path, between=lambda: None, before_open=lambda: None
) -> tuple[snapshot.Copy, list[Path]]:
    """Copy *db*'s snapshot as the build does; *before_open* runs once the second
    reader is open, before the file is opened for the snapshot; *between* once the
    snapshot began, before the second reader begins."""
    twin = snapshot.Twin(db)
    before_open()
    conn = store.open_read(db)
    then: list[Path] = []
    try:
        with snapshot.held(conn):
            between()
            copying = snapshot.Copy(conn, twin, target, then.append)
            copying.wait()
    finally:
        twin.close()
        conn.close()
    return copying, then


def _record_one(db: Path, run_id: str) -> None:
    payload = demo.demo_payloads(1, seed=11)[1][0] | {"runId": run_id, "batchId": None}
    ingest.record_runs(db, [(run_id, normalise_run(payload, run_id))])


def test_the_copy_is_written_in_a_thread_when_nothing_commits_meanwhile(tmp_path):
    db = make_site_db(tmp_path / "benchmarks.db", runs=12)
    copying, then = _copy(db, tmp_path / "copy.db")
    assert copying.background
    assert then == [tmp_path / "copy.db"]
    assert _runs(tmp_path / "copy.db") == _runs(db) == 13


def test_a_commit_between_the_two_readers_makes_the_copy_come_from_the_snapshot(tmp_path):
    db = make_site_db(tmp_path / "benchmarks.db", runs=12)
    copying, then = _copy(db, tmp_path / "copy.db", lambda: _record_one(db, "late"))
    assert not copying.background
    assert then == [tmp_path / "copy.db"]
    assert _runs(db) == 14 and _runs(tmp_path / "copy.db") == 13  # as the snapshot saw it


def test_a_file_upgraded_in_memory_is_copied_from_the_upgraded_snapshot(upstream_db, tmp_path):
    copying, _ = _copy(upstream_db, tmp_path / "copy.db")
    assert not copying.background
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert store.schema_version(copy) == store.SCHEMA_VERSION
    assert copy.execute("SELECT COUNT(*) FROM benchmark_runs").fetchone()[0] == 56
    copy.close()


def test_a_build_during_a_commit_shows_the_snapshot_everywhere(tmp_path, monkeypatch):
    db = make_site_db(tmp_path / "benchmarks.db", runs=12)
    same_snapshot = snapshot.Twin.same_snapshot

    def late_commit(twin, conn):
        _record_one(db, "late")  # after the build's snapshot began, before the copy's
        return same_snapshot(twin, conn)

    monkeypatch.setattr(snapshot.Twin, "same_snapshot", late_commit)
    out = tmp_path / "site"
    result = build_site(db, out)
    assert result.run_pages == 13 and _runs(db) == 14
    assert _runs(out / "downloads" / "benchmarks.db") == 13
    listing = json.loads((out / "api" / "all" / "runs.json").read_text())
    assert listing["total"] == 13
    assert not (out / "runs" / "late.html").exists()


def _rollback_journal(db: Path) -> Path:
    """*db* without write-ahead log files beside it."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    return db


def test_a_file_replaced_by_another_is_copied_from_the_one_the_build_reads(tmp_path):
    db = _rollback_journal(make_site_db(tmp_path / "benchmarks.db", runs=12))
    other = _rollback_journal(make_site_db(tmp_path / "other.db", runs=5))
    copying, _ = _copy(db, tmp_path / "copy.db", before_open=lambda: os.replace(other, db))
    assert not copying.background
    assert _runs(tmp_path / "copy.db") == _runs(db) == 6


def test_a_second_reader_that_cannot_read_leaves_the_copy_to_the_build(tmp_path):
    db = make_site_db(tmp_path / "benchmarks.db", runs=12)
    twin = snapshot.Twin(db)
    assert twin.conn is not None
    twin.conn.close()  # any error of its own, such as a lock it may not wait for
    conn = store.open_read(db)
    with snapshot.held(conn):
        copying = snapshot.Copy(conn, twin, tmp_path / "copy.db", lambda path: None)
        copying.wait()
    conn.close()
    assert not copying.background and _runs(tmp_path / "copy.db") == 13


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


def _spy_on_copies(monkeypatch) -> list[bool]:
    """Whether each copy the build makes is written in a thread."""
    made: list[bool] = []

    class Recorded(snapshot.Copy):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self.background)

    monkeypatch.setattr(snapshot, "Copy", Recorded)
    return made


def test_the_parts_wait_for_the_copy_written_in_a_thread(
    site_db, built_site, tmp_path, monkeypatch
):
    write = snapshot.write

    def slow(source, target):
        time.sleep(1)  # the parts, started before, would find no copy to read yet
        write(source, target)

    monkeypatch.setattr(snapshot, "write", slow)
    made = _spy_on_copies(monkeypatch)
    build_site(site_db, tmp_path / "site")
    assert made == [True]
    assert _tree(tmp_path / "site") == _tree(built_site)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_failing_copy_fails_the_build_and_leaves_the_previous_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = make_site_db(tmp_path / "db" / "benchmarks.db", runs=12)
    folder = tmp_path / "out"
    folder.mkdir()

    def broken(source, target):
        raise RuntimeError("copy on fire")

    spied: list[list[bool]] = []

    def break_build():  # in the copy's thread; the parts wait for the copy meanwhile
        monkeypatch.setattr(snapshot, "write", broken)
        spied.append(_spy_on_copies(monkeypatch))

    assert_a_broken_rebuild_leaves_the_site(db, folder, break_build, RuntimeError, "copy on fire")
    assert spied == [[True]]
