"""What a build keeps for the next one: buckets of runs and the LLM judge's sums."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import keep_listing, read_listing

from generator import store
from generator.build import batch_listing, cache, run_listing, site_wide


@pytest.fixture
def conn(site_db: Path):
    conn = store.open_read(site_db)
    yield conn
    conn.close()


def fingerprints_of(conn, mark: str = "f") -> dict[str, str]:
    rows = conn.execute("SELECT run_id FROM benchmark_runs")
    return {run_id: f"{mark}-{run_id}" for (run_id,) in rows}


def judged(conn, fingerprints, last_site=None):
    """site_files' judge categories and the rows it would keep."""
    inputs = site_wide.Inputs(fingerprints, last_site, lambda relative: Path(relative))
    return site_wide._judge_categories(conn, inputs)


def keep(site: Path, rows) -> Path:
    target = site / cache.path(site_wide.JUDGE)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    cache.write(target, rows, site_wide.JUDGE_WIDTH)
    return site


def test_a_changed_run_changes_the_stamp_of_its_bucket_alone():
    fingerprints = {f"run-{n}": f"f{n}" for n in range(2000)}
    stamps, members = cache.buckets(fingerprints)
    assert sum(len(ids) for ids in members.values()) == 2000
    assert all(cache.bucket(r) == n for n, ids in members.items() for r in ids)
    changed = dict(fingerprints, **{"run-7": "other"})
    after, _ = cache.buckets(changed)
    assert {n for n in stamps if after[n] != stamps[n]} == {cache.bucket("run-7")}
    added, _ = cache.buckets(dict(fingerprints, **{"run-new": "f"}))
    assert {n for n in added if added.get(n) != stamps.get(n)} == {cache.bucket("run-new")}


# Listings: entries kept per run or batch ------------------------------------------


@pytest.mark.parametrize(
    ("listing", "ids", "api_file", "last_entry"),
    [
        (run_listing, "SELECT run_id AS runId FROM benchmark_runs", "api/runs.json", "kept\r\n"),
        (batch_listing, "SELECT batchId FROM batch_runs", "api/batches.json", "running"),
    ],
)
def test_kept_entries_are_taken_only_under_the_same_fingerprint(
    conn, monkeypatch, listing, ids, api_file, last_entry
):
    key_field = conn.execute(ids).description[0][0]
    fingerprints = {key: f"f-{key}" for (key,) in conn.execute(ids)}
    _, rows = listing.files(conn, fingerprints, {})
    last = {row[0]: tuple(row[1:]) for row in rows}
    first, second = rows[0][0], rows[1][0]
    # A marker in place of two entries shows which kept entries are used.
    last[first] = (fingerprints[first], '{"kept":1}', '["kept"]', last_entry)
    last[second] = ("stale", '{"kept":2}', '["kept"]', last_entry)
    encoded: list[str] = []
    real_encode = listing.encode

    def spy(conn, keys, everything, **options):
        encoded.extend(keys)
        return real_encode(conn, keys, everything, **options)

    monkeypatch.setattr(listing, "encode", spy)
    made, new_rows = listing.files(conn, fingerprints, last)
    made = dict(made)
    assert encoded == [second]  # only the one whose fingerprint differs
    assert made[api_file].startswith(b'[{"kept":1},{"' + key_field.encode() + b'":')
    assert b'{"kept":2}' not in made[api_file]
    assert [row[0] for row in new_rows] == [row[0] for row in rows]


# Listings ------------------------------------------------------------------------

LISTING = [(f"run-{n}", f"fp-{n}", f"entry {n}") for n in range(60)]


def test_a_listing_keeps_every_row_in_order_and_the_same_rows_give_the_same_bytes(tmp_path):
    first = keep_listing(tmp_path / "first", "listing", LISTING, 3)
    assert read_listing(tmp_path / "first", "listing", 3) == {r[0]: r[1:] for r in LISTING}
    assert cache.read_rows(tmp_path / "first", "listing", 3) == LISTING
    again = keep_listing(tmp_path / "again", "listing", LISTING, 3)
    assert again.read_bytes() == first.read_bytes()


@pytest.mark.parametrize("harm", ["damaged", "another shape", "missing"])
def test_a_listing_that_cannot_be_read_is_not_used(tmp_path, harm):
    kept = keep_listing(tmp_path, "listing", LISTING, 3)
    if harm == "damaged":
        kept.write_bytes(b"not a database")
    elif harm == "another shape":
        kept.unlink()
        sqlite3.connect(kept).execute("CREATE TABLE runs (x)").connection.close()
    else:
        kept.unlink()
    assert read_listing(tmp_path, "listing", 3) == {}
    assert read_listing(None, "listing", 3) == {}
