"""The listings of every batch, joined from each batch's entries, and the entries kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import keep_listing, read_listing

from generator import store
from generator.build import batch_listing
from generator.queries import api, batches
from generator.site import paths
from generator.site.api_files import static_files
from generator.site.pages import batches as batch_pages


@pytest.fixture
def conn(site_db: Path):
    conn = store.open_read(site_db)
    yield conn
    conn.close()


def listing(conn, fingerprints=None, last=None):
    made, rows = batch_listing.files(conn, fingerprints or {}, last or {})
    return dict(made), rows


def fingerprints_of(conn, mark: str = "f") -> dict[str, str]:
    return {b: f"{mark}-{b}" for (b,) in conn.execute("SELECT batchId FROM batch_runs")}


def data(script: bytes) -> dict:
    """The value a ``data/*.js`` file hands to ``ZB.data``."""
    text = script.decode("utf-8")
    assert text.startswith("ZB.data(") and text.endswith(");\n")
    return json.loads(text[text.index(",") + 1 : -3])


def test_the_api_listing_files_are_the_answers_of_the_query_functions(conn, monkeypatch):
    monkeypatch.setattr(api, "PAGE_SIZE", 2)  # several pages, the last one short
    made, _ = listing(conn)
    expected = {
        path: content
        for path, content in static_files(conn)
        if path in ("api/batches.json", "api/all/batches.json")
        or path.startswith("api/all/batches/")
    }
    assert len(expected) > 3
    assert {path: made[path] for path in expected} == expected


def test_the_table_lists_every_batch_newest_first_with_its_figures(conn, monkeypatch):
    monkeypatch.setattr(batch_listing, "CHUNK_ROWS", 2)  # several chunks
    made, _ = listing(conn)
    every = batches.list_batches(conn, limit=None)
    index = data(made["data/batches/index.js"])
    assert index["total"] == len(every) > 2 and index["chunks"] == -(-len(every) // 2)
    assert index["fields"] == list(batch_pages.LIST_FIELDS)
    assert index["options"] == {"status": sorted({batch_pages.status(b) for b in every})}
    rows = [
        row
        for number in range(1, index["chunks"] + 1)
        for row in data(made[f"data/batches/{number:04d}.js"])["rows"]
    ]
    assert rows == [
        [paths.file_name(b["batchId"])]
        + [batch_pages.list_value(b, field) for field in batch_pages.LIST_FIELDS[1:]]
        for b in every
    ]


def test_an_empty_file_lists_no_batch(empty_db):
    conn = store.open_read(empty_db)
    made, rows = listing(conn)
    assert rows == [] and made["api/batches.json"] == b"[]\n"
    assert made["api/all/batches/1.json"].endswith(b'"items":[]}\n')
    assert not any(path.startswith("data/batches/0") for path in made)
    assert data(made["data/batches/index.js"])["total"] == 0


def test_kept_entries_round_trip_through_the_site_and_give_the_same_bytes(conn, tmp_path):
    fingerprints = fingerprints_of(conn)
    made, rows = listing(conn, fingerprints)
    keep_listing(tmp_path, batch_listing.CACHE, rows, batch_listing.CACHE_WIDTH)
    last = read_listing(tmp_path, batch_listing.CACHE, batch_listing.CACHE_WIDTH, texts=True)
    assert last == {row[0]: tuple(row[1:]) for row in rows}
    again, _ = listing(conn, fingerprints, last)
    assert again == made
