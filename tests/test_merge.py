from __future__ import annotations

import json
import sqlite3

import pytest

from generator.errors import StoreError, ValidationError
from generator.results import demo, ingest
from generator.results.merge import merge


def query(db, sql):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def record(db, tmp_path, *payloads, replace=False):
    path = tmp_path / f"p{len(list(tmp_path.iterdir()))}.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    return ingest.record_files(db, [str(path)], replace=replace)


def test_merging_an_old_schema_file_normalises_it_and_leaves_it_untouched(
    upstream_db, tmp_path, digest
):
    before = digest(upstream_db)
    target = tmp_path / "target.db"
    summary = merge(target, [str(upstream_db)])
    assert summary.runs.recorded == 56 and summary.batches.recorded == 37
    assert digest(upstream_db) == before
    assert query(target, "SELECT COUNT(*) FROM evaluation_results") == [(330,)]
    # 'YYYY-MM-DD HH:MM:SS' upstream times become ISO 8601 UTC in the target.
    assert query(target, "SELECT started_at FROM benchmark_runs ORDER BY id LIMIT 1") == [
        ("2025-10-23T19:42:11.000Z",)
    ]


def test_merging_twice_changes_nothing(tmp_path, digest):
    source, target = tmp_path / "s.db", tmp_path / "t.db"
    demo.write_demo(source, runs=60)
    merge(target, [str(source)])
    before = digest(target)
    again = merge(target, [str(source)])
    assert (again.runs.recorded, again.runs.unchanged, again.conflicts) == (0, 60, [])
    assert digest(target) == before


def test_conflicts_are_reported_and_target_kept_unless_prefer_source(tmp_path, make_run):
    source, target = tmp_path / "s.db", tmp_path / "t.db"
    (tmp_path / "in").mkdir()
    record(source, tmp_path / "in", make_run("same"), make_run("clash", tier="L3"))
    record(target, tmp_path / "in", make_run("same"), make_run("clash", tier="L0"))
    summary = merge(target, [str(source)])
    assert summary.conflicts == [(str(source), "clash")]
    assert summary.lines()[0].startswith(f"conflict: run 'clash' in {source} differs")
    assert "0 runs added, 1 unchanged, 0 replaced, 1 conflicts kept" in summary.lines()[-1]
    assert query(target, "SELECT tier FROM benchmark_runs WHERE run_id='clash'") == [("L0",)]
    preferred = merge(target, [str(source)], prefer_source=True)
    assert preferred.runs.replaced == 1
    assert query(target, "SELECT tier FROM benchmark_runs WHERE run_id='clash'") == [("L3",)]


def test_batches_keep_the_earliest_created_at(tmp_path):
    one, two, target = tmp_path / "1.db", tmp_path / "2.db", tmp_path / "t.db"
    for db, created in ((one, 1761300000000), (two, 1761200000000)):
        ingest.record_batches(db, [{"batchId": "b", "createdAt": created, "totalRuns": 3}])
    merge(target, [str(one), str(two)])
    assert query(target, "SELECT createdAt, totalRuns FROM batch_runs") == [(1761200000000, 3)]


def test_an_invalid_source_run_writes_nothing(tmp_path, make_run):
    source, target = tmp_path / "s.db", tmp_path / "t.db"
    (tmp_path / "in").mkdir()
    record(source, tmp_path / "in", make_run("ok"), make_run("bad"))
    conn = sqlite3.connect(source)
    conn.execute("UPDATE evaluation_results SET score = -1 WHERE run_id = 'bad'")
    conn.commit()
    conn.close()
    good = tmp_path / "good.db"
    demo.write_demo(good, runs=5)
    with pytest.raises(ValidationError, match=r"s.db run 'bad': field 'evaluations\[0\].score'"):
        merge(target, [str(good), str(source)])
    assert query(target, "SELECT COUNT(*) FROM benchmark_runs") == [(0,)]


def test_missing_source_or_target_as_source_are_refused(tmp_path):
    target = tmp_path / "t.db"
    demo.write_demo(target, runs=3)
    with pytest.raises(StoreError, match="no results file"):
        merge(target, [str(tmp_path / "absent.db")])
    with pytest.raises(StoreError, match="is the target itself"):
        merge(target, [str(target)])
