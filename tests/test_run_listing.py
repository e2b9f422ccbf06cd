"""The listings of every run, joined from each run's entries, and the entries kept."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest
from conftest import keep_listing, read_listing

from generator import store
from generator.build import cache, run_listing
from generator.queries import api
from generator.site.api_files import static_files
from generator.site.pages import runs as run_pages

LISTING_FILES = ("api/runs.json", "api/all/runs.json")


@pytest.fixture
def conn(site_db: Path):
    conn = store.open_read(site_db)
    yield conn
    conn.close()


def listing(conn, fingerprints=None, last=None):
    made, rows = run_listing.files(conn, fingerprints or {}, last or {})
    return dict(made), rows


def fingerprints_of(conn, mark: str = "f") -> dict[str, str]:
    return {
        run_id: f"{mark}-{run_id}"
        for (run_id,) in conn.execute("SELECT run_id FROM benchmark_runs")
    }


def test_the_api_listing_files_are_the_answers_of_the_query_functions(conn, monkeypatch):
    monkeypatch.setattr(api, "PAGE_SIZE", 7)  # several pages, the last one short
    made, _ = listing(conn)
    expected = {
        path: data
        for path, data in static_files(conn)
        if path in LISTING_FILES or path.startswith("api/all/runs/")
    }
    assert len(expected) > 4
    assert {path: made[path] for path in expected} == expected


def test_the_csv_lists_every_run_newest_first_as_the_table_does(conn):
    made, _ = listing(conn)
    rows = list(csv.reader(io.StringIO(made["downloads/runs.csv"].decode("utf-8"), newline="")))
    assert rows[0] == list(run_pages.CSV_FIELDS)
    runs = [run for _, run in run_pages.table_rows(conn)]
    assert [row[0] for row in rows[1:]] == [run["runId"] for run in runs]
    expected = [
        ["" if value is None else str(value) for value in run_pages.csv_values(
            [run[key] for key in run_pages.CSV_FIELDS])]
        for run in runs
    ]  # fmt: skip
    assert rows[1:] == expected


def test_an_empty_file_has_one_empty_page_and_no_table_chunks(empty_db):
    conn = store.open_read(empty_db)
    made, rows = listing(conn)
    assert rows == [] and made["api/runs.json"] == b"[]\n"
    assert made["api/all/runs/1.json"].endswith(b'"items":[]}\n')
    assert not any(path.startswith("data/runs/0") for path in made)
    assert made["downloads/runs.csv"].count(b"\r\n") == 1  # the header alone


def shares(site: Path, rows, width: int = run_listing.CACHE_WIDTH) -> Path:
    return keep_listing(site, run_listing.CACHE, rows, width)


def read_kept(site: Path | None, width: int = run_listing.CACHE_WIDTH, texts: bool = False):
    return read_listing(site, run_listing.CACHE, width, texts)


def test_kept_entries_round_trip_through_the_site_and_give_the_same_bytes(conn, tmp_path):
    fingerprints = fingerprints_of(conn)
    made, rows = listing(conn, fingerprints)
    folder = shares(tmp_path / "site", rows)
    last = read_kept(tmp_path / "site")
    assert last == {row[0]: tuple(row[1:]) for row in rows}
    again, _ = listing(conn, fingerprints, last)
    assert again == made
    copy = shares(tmp_path / "copy", rows)
    assert copy.read_bytes() == folder.read_bytes()
    assert read_kept(tmp_path / "site", run_listing.CACHE_WIDTH + 1) == {}


@pytest.mark.parametrize("content", [b"", b"not a database at all", None])
def test_unreadable_kept_entries_are_ignored(tmp_path, content):
    target = tmp_path / cache.path(run_listing.CACHE)
    target.parent.mkdir(parents=True)
    if content is None:  # a database of another shape
        sqlite3.connect(target).execute("CREATE TABLE runs (x)").connection.close()
    else:
        target.write_bytes(content)
    assert read_kept(tmp_path) == {}
    assert read_kept(None) == {}
    assert read_kept(tmp_path / "nothing here") == {}


def test_kept_entries_that_are_not_text_are_not_used(conn, tmp_path):
    fingerprints = fingerprints_of(conn)
    made, rows = listing(conn, fingerprints)
    damaged = [(*rows[0][:2], None, *rows[0][3:]), *rows[1:]]  # one entry made NULL
    shares(tmp_path, damaged)
    last = read_kept(tmp_path, texts=True)
    assert rows[0][0] not in last and len(last) == len(rows) - 1
    again, _ = listing(conn, fingerprints, last)
    assert again == made  # that run encoded again
