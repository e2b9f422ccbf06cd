"""Incremental builds: fingerprints, the manifest, and reuse of the previous site."""

from __future__ import annotations

import json
import sqlite3

import pytest

from generator import demo, incremental, ingest


@pytest.fixture
def demo_db(tmp_path):
    db = tmp_path / "demo.db"
    demo.write_demo(db, runs=40)
    return db


def fingerprints(db, context: str = "ctx") -> tuple[dict, dict]:
    conn = sqlite3.connect(db)
    try:
        runs = incremental.run_fingerprints(conn, context)
        return runs, incremental.batch_fingerprints(conn, context, runs)
    finally:
        conn.close()


def test_fingerprints_follow_replacement_and_nothing_else(demo_db, tmp_path, make_run):
    runs, batches = fingerprints(demo_db)
    assert len(runs) == 40 and len(set(runs.values())) == 40
    assert fingerprints(demo_db) == (runs, batches)  # a function of the file
    run_id = sorted(runs)[5]
    payload = next(p for p in demo.iter_run_payloads(40) if p["runId"] == run_id)
    payload["totalScore"] = 0.123
    source = tmp_path / "one.json"
    source.write_text(json.dumps(payload))
    ingest.record_files(demo_db, [str(source)], replace=True)
    after_runs, after_batches = fingerprints(demo_db)
    assert {k for k in runs if runs[k] != after_runs[k]} == {run_id}
    batch_id = payload["batchId"]
    assert {k for k in batches if batches[k] != after_batches[k]} == {batch_id}


def test_an_update_in_place_by_another_writer_changes_the_fingerprint(demo_db):
    runs, _ = fingerprints(demo_db)
    run_id = sorted(runs)[0]
    conn = sqlite3.connect(demo_db)
    conn.execute(
        "UPDATE benchmark_runs SET status = 'completed', weighted_score = 1 WHERE run_id = ?",
        (run_id,),
    )
    conn.commit()
    conn.close()
    assert fingerprints(demo_db)[0][run_id] != runs[run_id]


def test_the_context_is_part_of_every_fingerprint(demo_db):
    one, two = fingerprints(demo_db, "a"), fingerprints(demo_db, "b")
    assert not set(one[0].values()) & set(two[0].values())
    assert not set(one[1].values()) & set(two[1].values())


def test_fingerprints_of_chosen_runs_match_the_full_scan(demo_db):
    runs, _ = fingerprints(demo_db)
    chosen = sorted(runs)[3:9] + ["absent"]
    conn = sqlite3.connect(demo_db)
    assert incremental.run_fingerprints(conn, "ctx", chosen) == {k: runs[k] for k in chosen[:-1]}
    conn.close()


def test_manifest_round_trips_and_names_what_changed(tmp_path):
    runs = {"a": "1", "tab\there": "2", "line\nbreak": "3"}
    batches = {"b": "4"}
    (tmp_path / ".zebench").mkdir()
    (tmp_path / incremental.MANIFEST).write_bytes(incremental.manifest_text(runs, batches))
    previous = incremental.read_manifest(tmp_path)
    assert len(previous) == 4
    assert incremental.changed("run", runs, previous) == set()
    assert incremental.changed("batch", batches, previous) == set()
    assert incremental.changed("run", {**runs, "a": "9", "new": "5"}, previous) == {"a", "new"}
    assert incremental.changed("batch", {"a": "1"}, previous) == {"a"}  # kinds do not mix
    assert incremental.read_manifest(tmp_path / "missing") == {}


def test_merge_tree_and_prune(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for path, text in {"old/keep.html": "k", "old/gone.html": "g", "old/d/x.json": "old",
                       "old/stale/y.json": "s", "new/d/x.json": "new", "new/e/z.json": "z",
                       "new/added.html": "a"}.items():  # fmt: skip
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    incremental.merge_tree(new, old)
    incremental.prune(old, {"keep.html", "d", "e", "added.html"})
    found = {str(p.relative_to(old)): p.read_text() for p in old.rglob("*") if p.is_file()}
    assert found == {"keep.html": "k", "d/x.json": "new", "e/z.json": "z", "added.html": "a"}
