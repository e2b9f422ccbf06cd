"""Incremental builds: fingerprints, the manifest, and reuse of the previous site."""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import delete_run, tree
from hypothesis import given
from hypothesis import strategies as st

from generator import build, store
from generator.build import batch_listing, changes, per_run, run_listing
from generator.build import workers as workers_module
from generator.build.workers import Job, Workers
from generator.build.writer import Writer
from generator.errors import BuildError, StoreError
from generator.queries import comparison
from generator.queries.budget import NO_LIMIT
from generator.results import demo, ingest, merge
from generator.site import paths
from generator.site.pages import markdown
from generator.site.pages import runs as run_pages


@pytest.fixture
def demo_db(tmp_path):
    db = tmp_path / "demo.db"
    demo.write_demo(db, runs=40)
    return db


def fingerprints(db, context: str = "ctx") -> tuple[dict, dict]:
    conn = sqlite3.connect(db)
    try:
        runs = changes.run_fingerprints(conn, context)
        return runs, changes.batch_fingerprints(conn, context, runs)
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
    # Its batch, and the batch whose page compares with it (the next comparable one).
    assert {k for k in batches if batches[k] != after_batches[k]} == with_next(demo_db, batch_id)


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
    assert changes.run_fingerprints(conn, "ctx", chosen) == {k: runs[k] for k in chosen[:-1]}
    conn.close()


def changed_by(db, sql: str, params: tuple = ()) -> tuple[set, set]:
    """The runs and the batches whose fingerprints change when *sql* runs on *db*."""
    runs, batches = fingerprints(db)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(sql, params)
    conn.close()
    after_runs, after_batches = fingerprints(db)
    assert after_runs.keys() == runs.keys() and after_batches.keys() == batches.keys()
    return (
        {k for k in runs if runs[k] != after_runs[k]},
        {k for k in batches if batches[k] != after_batches[k]},
    )


def a_run(db) -> tuple[str, str, float]:
    conn = sqlite3.connect(db)
    row = conn.execute(
        "SELECT run_id, batchId, total_score FROM benchmark_runs ORDER BY run_id LIMIT 1 OFFSET 4"
    ).fetchone()
    conn.close()
    return row


def with_next(db, batch_id: str) -> set[str]:
    """*batch_id* and the batch whose page compares with it (the next comparable one)."""
    conn = sqlite3.connect(db)
    following = {b for b, p in comparison.previous_batches(conn).items() if p == batch_id}
    conn.close()
    return {batch_id} | following


def test_a_score_one_ulp_away_changes_its_run_and_its_batch_only(demo_db):
    run_id, batch_id, score = a_run(demo_db)
    batch_id = with_next(demo_db, batch_id)
    higher = math.nextafter(score, math.inf)
    sql = "UPDATE benchmark_runs SET total_score = ? WHERE run_id = ?"
    assert changed_by(demo_db, sql, (higher, run_id)) == ({run_id}, batch_id)
    assert changed_by(demo_db, sql, (score, run_id)) == ({run_id}, batch_id)  # and back
    assert changed_by(demo_db, sql, (score, run_id)) == (set(), set())  # the same value


def test_null_zero_and_empty_text_in_a_column_are_three_fingerprints(demo_db):
    run_id, batch_id, _ = a_run(demo_db)
    batches = with_next(demo_db, batch_id)
    sql = "UPDATE benchmark_runs SET success_metric = ? WHERE run_id = ?"
    for value in (None, 0, "", None):
        assert changed_by(demo_db, sql, (value, run_id)) == ({run_id}, batches), value


def test_a_change_to_a_batch_row_changes_that_batch_only(demo_db):
    _, batch_id, _ = a_run(demo_db)
    conn = sqlite3.connect(demo_db)
    average = conn.execute(
        "SELECT avgScore FROM batch_runs WHERE batchId = ?", (batch_id,)
    ).fetchone()[0]
    conn.close()
    sql = "UPDATE batch_runs SET avgScore = ? WHERE batchId = ?"
    higher = math.nextafter(average, math.inf)
    assert changed_by(demo_db, sql, (higher, batch_id)) == (set(), {batch_id})
    sql = "UPDATE batch_runs SET metadata = ? WHERE batchId = ?"
    assert changed_by(demo_db, sql, (None, batch_id)) == (set(), {batch_id})


# A results file written by another tool may declare no column types, so SQLite
# keeps every value as it was given: 1 stays an integer, 1.0 a real.
UNTYPED = """
CREATE TABLE benchmark_runs (id INTEGER PRIMARY KEY, run_id, batchId, status, completed_at,
    total_score, weighted_score, is_successful, success_metric, suite, scenario, tier, agent,
    model, started_at, specialist_enabled, specialist_name, specialist_version,
    package_manager, test_results, metadata);
CREATE TABLE evaluation_results (id INTEGER PRIMARY KEY, run_id);
CREATE TABLE run_telemetry (id INTEGER PRIMARY KEY, run_id);
INSERT INTO benchmark_runs (run_id) VALUES ('a'), ('b');
"""
COLUMNS = ["batchId", "status", "completed_at", "total_score", "weighted_score",
           "is_successful", "success_metric", "suite", "scenario", "tier", "agent", "model",
           "started_at", "specialist_enabled", "specialist_name", "specialist_version",
           "package_manager"]  # fmt: skip
DIFFERENT = [
    (1, 1.0),
    (None, 0),
    (None, ""),
    (0, ""),
    (0, 0.0),
    (b"", ""),
    ("1", 1),
    (0.1 + 0.2, 0.3),
    (1.0, math.nextafter(1.0, 2.0)),
    (123.456, math.nextafter(123.456, 0.0)),
    ("a\x00b", "a\x00c"),
    ("x,y", "x"),
]


@pytest.mark.parametrize("column", COLUMNS)
def test_every_two_different_values_in_a_column_give_different_fingerprints(tmp_path, column):
    conn = sqlite3.connect(tmp_path / "untyped.db")
    conn.executescript(UNTYPED)
    update = f"UPDATE benchmark_runs SET {column} = ? WHERE run_id = 'a'"
    stored = f"SELECT {column} FROM benchmark_runs WHERE run_id = 'a'"
    seen = set()
    for one, other in DIFFERENT:
        prints = []
        for value in (one, other):
            conn.execute(update, (value,))
            (back,) = conn.execute(stored).fetchone()
            assert (type(back), back) == (type(value), value)  # kept as given
            prints.append(changes.run_fingerprints(conn, "ctx"))
        assert prints[0]["a"] != prints[1]["a"], (one, other)
        assert prints[0]["b"] == prints[1]["b"]  # the other run keeps its fingerprint
        seen.update(p["a"] for p in prints)
    assert len(seen) == len({(type(v), v) for pair in DIFFERENT for v in pair})
    conn.close()


def test_manifest_round_trips_and_names_what_changed(tmp_path):
    runs = {"a": "1", "tab\there": "2", "line\nbreak": "3", "separator\u2028\x85\x0c": "6"}
    batches = {"b": "4"}
    (tmp_path / ".zebench").mkdir()
    (tmp_path / changes.MANIFEST).write_bytes(changes.manifest_text(runs, batches))
    previous = changes.read_manifest(tmp_path)
    assert len(previous) == 5
    assert changes.changed("run", runs, previous) == set()
    assert changes.changed("batch", batches, previous) == set()
    assert changes.changed("run", {**runs, "a": "9", "new": "5"}, previous) == {"a", "new"}
    assert changes.changed("batch", {"a": "1"}, previous) == {"a"}  # kinds do not mix
    assert changes.read_manifest(tmp_path / "missing") == {}


def test_a_new_sqlite_or_jinja_makes_a_new_code_digest(monkeypatch):
    # Either may change the bytes of a page or a kept file, which a build keeps
    # only under the same digest.
    before = changes.code_digest()
    assert changes.code_digest() == before
    monkeypatch.setattr(changes.sqlite3, "sqlite_version", "9.9.9")
    assert changes.code_digest() != before
    monkeypatch.undo()
    real = changes.metadata.version
    monkeypatch.setattr(
        changes.metadata, "version", lambda name: "0" if name == "jinja2" else real(name)
    )
    assert changes.code_digest() != before


def test_merge_tree_and_prune(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for path, text in {"old/keep.html": "k", "old/gone.html": "g", "old/d/x.json": "old",
                       "old/stale/y.json": "s", "new/d/x.json": "new", "new/e/z.json": "z",
                       "new/added.html": "a"}.items():  # fmt: skip
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)

    def files() -> dict[str, str]:
        return {str(p.relative_to(old)): p.read_text() for p in old.rglob("*") if p.is_file()}

    before = files()
    undo = changes.Undo(tmp_path / "aside")
    changes.merge_tree(new, old, undo)
    changes.prune(old, undo, {"keep.html", "d", "e", "added.html"})
    assert files() == {"keep.html": "k", "d/x.json": "new", "e/z.json": "z", "added.html": "a"}
    undo.undo()  # a build that fails later takes it all back
    assert files() == before


_IDS = st.text(alphabet="abcJ.-_/\n0123456789", min_size=1, max_size=12)


@given(runs=st.sets(_IDS, max_size=6), batches=st.sets(_IDS, max_size=6))
def test_no_file_about_all_runs_may_take_a_name_of_a_run_s_or_a_batch_s_files(
    tmp_path_factory, runs, batches
):
    writer = Writer(tmp_path_factory.mktemp("site"))
    for path in [p for r in runs for p in changes.run_paths(r)] + [
        p for b in batches for p in changes.batch_paths(b)
    ]:
        with pytest.raises(BuildError, match="two files of the site would both be written"):
            writer.write(path, b"about all runs")
    for path in ("runs/index.html", "batches/index.html", "batches/compare.html",
                 "data/batches/0001.js", "data/runs/0001.js", "api/runs.json"):  # fmt: skip
        writer.write(path, b"about all runs")


def test_prune_keeps_what_either_container_holds(tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    for name in ("r1.html", "r2.html", "new.html", "index.html"):
        (folder / name).write_text(name)
    changes.prune(folder, changes.Undo(tmp_path / "aside"), {"new.html"}, {"r1.html"})
    assert sorted(p.name for p in folder.iterdir()) == ["new.html", "r1.html"]


# Whole builds ---------------------------------------------------------------


def inode(path) -> int:
    return path.stat().st_ino


@pytest.fixture
def env_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1761955200")


def assert_same_as_full_build(db, site, tmp_path) -> None:
    full = tmp_path / "full"
    shutil.rmtree(full, ignore_errors=True)
    build.build(db, full)
    assert tree(site) == tree(full)


def record(db, tmp_path, payloads, *, replace=False) -> None:
    source = tmp_path / "new.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    ingest.record_files(db, [str(source)], replace=replace)


@pytest.mark.slow
def test_incremental_build_after_record_is_the_full_build(demo_db, tmp_path, env_epoch):
    site = tmp_path / "site"
    first = build.build(demo_db, site)
    assert first.kept == 0
    kept_page = site / "runs" / f"{paths.file_name(min(fingerprints(demo_db)[0]))}.html"
    before = inode(kept_page)
    record(demo_db, tmp_path, list(demo.iter_run_payloads(3, seed=11)))
    second = build.build(demo_db, site)
    assert second.kept > 0 and second.run_pages == 43
    assert inode(kept_page) == before  # kept, not rendered again
    assert_same_as_full_build(demo_db, site, tmp_path)


@pytest.mark.slow
def test_a_new_run_is_encoded_alone_and_the_listings_keep_the_others(
    demo_db, tmp_path, env_epoch, monkeypatch
):
    site = tmp_path / "site"
    build.build(demo_db, site)
    (payload,) = demo.iter_run_payloads(1, seed=12)  # a new run in a new batch
    record(demo_db, tmp_path, [payload])
    encoded = tmp_path / "encoded.json"  # written by the workers, which are forked
    for listing in (run_listing, batch_listing):
        real = listing.encode

        def spy(conn, keys, everything, *args, real=real, **kwargs):
            with encoded.open("a") as file:
                file.write(json.dumps(sorted(keys)) + "\n")
            return real(conn, keys, everything, *args, **kwargs)

        monkeypatch.setattr(listing, "encode", spy)
    build.build(demo_db, site)
    calls = sorted(json.loads(line) for line in encoded.read_text().splitlines())
    assert calls == sorted([[payload["runId"]], [payload["batchId"]]])
    assert_same_as_full_build(demo_db, site, tmp_path)


@pytest.mark.slow
def test_incremental_build_after_replace_and_merge_is_the_full_build(demo_db, tmp_path, env_epoch):
    site = tmp_path / "site"
    build.build(demo_db, site)
    payload = next(iter(demo.iter_run_payloads(40)))
    payload["weightedScore"] = 1.25
    record(demo_db, tmp_path, [payload], replace=True)
    page = site / "runs" / f"{paths.file_name(payload['runId'])}.html"
    old_page = page.read_bytes()
    build.build(demo_db, site)
    assert page.read_bytes() != old_page  # the replaced run was rendered again
    assert_same_as_full_build(demo_db, site, tmp_path)
    other = tmp_path / "other.db"
    demo.write_demo(other, runs=15, seed=5)
    merge.merge(demo_db, [str(other)])
    build.build(demo_db, site)
    assert_same_as_full_build(demo_db, site, tmp_path)


@pytest.mark.slow
def test_a_run_deleted_by_another_writer_leaves_no_files(demo_db, tmp_path, env_epoch):
    site = tmp_path / "site"
    build.build(demo_db, site)
    gone = sorted(fingerprints(demo_db)[0])[7]
    conn = sqlite3.connect(demo_db)
    with conn:
        for table in ("evaluation_results", "run_telemetry", "benchmark_runs"):
            conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (gone,))
    conn.close()
    build.build(demo_db, site)
    assert not (site / "runs" / f"{paths.file_name(gone)}.html").exists()
    assert_same_as_full_build(demo_db, site, tmp_path)


def test_a_failed_incremental_build_leaves_the_old_site(demo_db, tmp_path, env_epoch, monkeypatch):
    site = tmp_path / "site"
    build.build(demo_db, site)
    before = tree(site)
    record(demo_db, tmp_path, list(demo.iter_run_payloads(2, seed=12)))

    def broken(*args):
        raise RuntimeError("template bug")

    monkeypatch.setattr(run_pages, "run_page", broken)
    with pytest.raises(RuntimeError, match="template bug"):
        build.build(demo_db, site)
    assert tree(site) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_workers_render_their_share_of_runs_from_the_snapshot_copy(demo_db, tmp_path):
    conn = sqlite3.connect(demo_db)
    run_ids = [row[0] for row in conn.execute("SELECT run_id FROM benchmark_runs")]
    site = build.detail_site(build._site(conn, None, [], NO_LIMIT))
    conn.close()
    job = Job(str(demo_db), False, str(tmp_path / "out"), site, site)
    with Workers(job, processes=2) as workers:
        workers.render_runs(run_ids, per_task=7)
        written = workers.wait()
    assert written.run_pages == 40 and written.files == 160
    written_paths = {
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.*")
    }
    assert written_paths == {path for run_id in run_ids for path in changes.run_paths(run_id)}


def test_a_worker_that_dies_fails_with_an_error_saying_so(demo_db, tmp_path, monkeypatch):
    def killed(env, site, detail):
        os._exit(9)

    monkeypatch.setattr(per_run, "run_files", killed)  # workers are forked: they see it
    conn = sqlite3.connect(demo_db)
    run_ids = [row[0] for row in conn.execute("SELECT run_id FROM benchmark_runs")]
    site = build.detail_site(build._site(conn, None, [], NO_LIMIT))
    conn.close()
    job = Job(str(demo_db), False, str(tmp_path / "out"), site, site)
    with (
        Workers(job, processes=2) as workers,
        pytest.raises(
            build.BuildError, match="stopped before it finished .* while writing: run pages"
        ),
    ):
        workers.render_runs(run_ids, per_task=7)
        workers.wait()


def test_a_process_that_cannot_start_fails_the_build_at_once_saying_why(
    demo_db, tmp_path, monkeypatch
):
    opened = store.open_read
    parent = os.getpid()
    first = tmp_path / "first"

    def fails_in_one_process(path):
        if os.getpid() != parent:
            try:
                first.touch(exist_ok=False)  # the first process to get here fails…
            except FileExistsError:
                time.sleep(3)  # …while the others are slower to start, and are stopped
            else:
                raise StoreError(f"cannot read {path} (disk gone)")
        return opened(path)

    monkeypatch.setattr(store, "open_read", fails_in_one_process)
    monkeypatch.setattr(workers_module, "START_TIMEOUT", 30)
    out = tmp_path / "site"
    started = time.monotonic()
    with pytest.raises(build.BuildError, match=r"could not start: cannot read .*disk gone"):
        build.build(demo_db, out, options=build.Options(db_download="none"))
    assert time.monotonic() - started < 15  # it did not wait for START_TIMEOUT
    assert not out.exists()
    conn = sqlite3.connect(demo_db, timeout=0)
    conn.execute("BEGIN IMMEDIATE")  # the results file's lock is free again
    conn.rollback()
    conn.close()


def test_workers_write_the_same_batch_files_as_one_process(demo_db, tmp_path, monkeypatch):
    monkeypatch.setattr(workers_module, "BATCHES_PER_TASK", 3)  # several tasks
    conn = sqlite3.connect(demo_db)
    run_ids = [row[0] for row in conn.execute("SELECT run_id FROM benchmark_runs")]
    batch_ids = [row[0] for row in conn.execute("SELECT batchId FROM batch_runs")]
    site = build.detail_site(build._site(conn, None, [], NO_LIMIT))
    previous = comparison.previous_batches(conn)
    conn.close()
    trees = []
    for workers in (2, 1):
        out = tmp_path / f"out-{workers}"
        job = Job(str(demo_db), False, str(out), site, site)
        with Workers(job, processes=workers) as pool:
            pool.render_runs(run_ids, per_task=7)
            pool.render_batches(batch_ids, previous)
            written = pool.wait()
        assert written.batch_pages == len(batch_ids) > 3 and written.run_pages == 40
        trees.append(tree(out))
    assert trees[0] == trees[1]
    wanted = {path for batch_id in batch_ids for path in changes.batch_paths(batch_id)}
    assert wanted <= set(trees[0])


def test_a_failure_while_moving_kept_folders_puts_them_back(
    demo_db, tmp_path, env_epoch, monkeypatch
):
    site = tmp_path / "site"
    build.build(demo_db, site)
    before = set(tree(site))
    record(demo_db, tmp_path, list(demo.iter_run_payloads(1, seed=13)))
    real_replace = changes.os.replace

    def flaky_replace(source, target):
        target = Path(target)
        if target.name == "batches" and target.parent.name.startswith(".site.building"):
            raise OSError("disk gone")  # runs/ and api/runs/ have moved by now
        return real_replace(source, target)

    monkeypatch.setattr(changes.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="disk gone"):
        build.build(demo_db, site)
    assert before <= set(tree(site))  # every file of the old site is still there


@pytest.mark.slow
def test_new_code_renders_every_run_again_into_the_full_build(
    demo_db, tmp_path, env_epoch, monkeypatch
):
    site = tmp_path / "site"
    build.build(demo_db, site)
    page = site / "runs" / f"{paths.file_name(min(fingerprints(demo_db)[0]))}.html"
    before = inode(page)
    monkeypatch.setattr(changes, "code_digest", lambda: "the code of a later release")
    result = build.build(demo_db, site)
    assert result.kept == 0 and result.run_pages == 40
    assert inode(page) != before  # rendered again, not kept
    assert result.files == len(tree(site))
    assert_same_as_full_build(demo_db, site, tmp_path)


def plan_for(db, site) -> changes.Plan:
    """The plan a build of *db* into *site* would make now."""
    conn = sqlite3.connect(db)
    try:
        site_context = build._site(conn, None, markdown.load(None), build.Options().text_budget(db))
        context = build.detail_site(site_context)
        return changes.plan(conn, context, site, changes.read_manifest(site))
    finally:
        conn.close()


@pytest.mark.slow
def test_the_plan_says_whether_a_run_or_batch_is_gone(demo_db, tmp_path, env_epoch):
    site = tmp_path / "site"
    assert plan_for(demo_db, site).gone is False  # no previous site
    build.build(demo_db, site)
    unchanged = plan_for(demo_db, site)
    assert unchanged.reuse and unchanged.gone is False and unchanged.runs_todo == {}
    record(demo_db, tmp_path, list(demo.iter_run_payloads(2, seed=14)))
    added = plan_for(demo_db, site)
    assert added.reuse and added.gone is False and len(added.runs_todo) == 2
    result = build.build(demo_db, site)
    assert result.files == len(tree(site))  # kept files are counted too
    assert_same_as_full_build(demo_db, site, tmp_path)

    delete_run(demo_db, sorted(fingerprints(demo_db)[0])[3])
    assert plan_for(demo_db, site).gone is True
    build.build(demo_db, site)
    assert plan_for(demo_db, site).gone is False
    assert_same_as_full_build(demo_db, site, tmp_path)

    conn = sqlite3.connect(demo_db)
    with conn:
        batch_id = conn.execute("SELECT MIN(batchId) FROM batch_runs").fetchone()[0]
        conn.execute("DELETE FROM batch_runs WHERE batchId = ?", (batch_id,))
    conn.close()
    gone_batch = plan_for(demo_db, site)
    assert gone_batch.reuse and gone_batch.gone is True
    build.build(demo_db, site)
    assert not (site / "batches" / f"{paths.file_name(batch_id)}.html").exists()
    assert_same_as_full_build(demo_db, site, tmp_path)


@pytest.mark.parametrize("change", ["a new run", "a deleted run"])
def test_a_failure_after_the_kept_folders_moved_puts_them_back(
    demo_db, tmp_path, env_epoch, monkeypatch, change
):
    site = tmp_path / "site"
    build.build(demo_db, site)
    before = tree(site)
    if change == "a new run":
        record(demo_db, tmp_path, list(demo.iter_run_payloads(1, seed=17)))
    else:  # its files go from the folders: set aside, and put back
        delete_run(demo_db, sorted(plan_for(demo_db, site).runs)[0])

    def measuring_fails(*args, **kwargs):
        raise OSError("disk gone")  # runs/, api/runs/, batches/… are in the new tree now

    monkeypatch.setattr(build.sizes, "measure", measuring_fails)
    with pytest.raises(OSError, match="disk gone"):
        build.build(demo_db, site)
    after = tree(site)
    assert before.keys() <= after.keys()  # every file of the old site is still there
    assert after == before  # and none of them changed, nor any added
    assert not list(tmp_path.glob(".site.building-*"))


def test_a_failure_clearing_up_after_the_swap_leaves_the_new_site(
    demo_db, tmp_path, env_epoch, monkeypatch
):
    site = tmp_path / "site"
    build.build(demo_db, site)
    payload = next(demo.iter_run_payloads(1, seed=19))
    record(demo_db, tmp_path, [payload])

    def listing_fails(out):
        raise OSError("cannot list the folder")

    monkeypatch.setattr(build.swap, "_abandoned", listing_fails)
    with pytest.raises(OSError, match="cannot list the folder"):  # the cause, not a later one
        build.build(demo_db, site)
    new_page = site / changes.run_paths(payload["runId"])[0]
    assert new_page.is_file()  # the new site is in place, nothing moved back out of it
    assert (site / "runs" / "index.html").is_file() and not list(tmp_path.glob(".site.b*"))
