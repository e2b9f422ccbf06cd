"""The parts of the site that child processes write: what each part yields, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SITE_EPOCH, SITE_PAGES, build_site, tree

from generator import build, store
from generator.build import changes, site_wide
from generator.site import render
from generator.site.pages import markdown


def parts_in_one_process(db: Path, folder: Path) -> dict[str, dict[str, bytes]]:
    """Each part of site_wide.PARTS written in this process through a Writer of its own."""
    conn = store.open_read(db)
    try:
        text_budget = build.Options().text_budget(db)
        site = build._site(conn, None, markdown.load(SITE_PAGES), text_budget)  # as build_site
        plan = changes.plan(conn, build.detail_site(site), folder, {})
        fingerprints = {"runs": plan.runs, "batches": plan.batches, None: {}}  # as the build
        written = {}
        for number, (name, part) in enumerate(site_wide.PARTS.items()):
            writer = build.Writer(folder / str(number))
            planned = site_wide.PLANNED.get(part)
            inputs = site_wide.Inputs(fingerprints[planned], None, writer.create, text_budget)
            render.render_all(render.environment(), site, part(conn, inputs), writer)
            written[name] = tree(folder / str(number))
            assert sorted(writer.paths) == sorted(written[name])
        return written
    finally:
        conn.close()


def test_the_parts_write_exactly_what_they_yield(
    site_db: Path, built_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SITE_EPOCH)
    parts = parts_in_one_process(site_db, tmp_path / "parts")
    expected: dict[str, bytes] = {}
    for name, files in parts.items():
        assert files, name
        assert not files.keys() & expected.keys(), name  # no two parts write one file
        expected.update(files)
    site = tree(built_site)
    assert {path: site.get(path) for path in expected} == expected
    # Without the parts the build writes the same site less exactly their files.
    monkeypatch.setattr(site_wide, "PARTS", {})
    build_site(site_db, tmp_path / "rest")
    rest = tree(tmp_path / "rest")
    assert site.keys() - rest.keys() == expected.keys()
    assert rest == {path: data for path, data in site.items() if path not in expected}


def test_each_part_writes_its_own_kind_of_file(site_db: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SITE_EPOCH)
    parts = parts_in_one_process(site_db, tmp_path)
    listing = parts["runs table, CSV and API listing"]
    assert {"downloads/runs.csv", "data/runs/index.js", "api/runs.json"} <= listing.keys()
    assert "evaluators/index.html" in parts["evaluator pages"]
    assert any(p.startswith("api/stats/evaluators/") for p in parts["evaluator pages"])
    overview = parts["dashboard, suites, agents, costs and statistics"]
    assert {
        "index.html",
        "suites/index.html",
        "agents/index.html",
        "costs/index.html",
    } <= overview.keys()
    assert "api/stats.json" in overview
    batches = parts["batch list and API listing"]
    assert {"api/batches.json", "api/all/batches.json", "data/batches/index.js"} <= batches.keys()
    assert ".zebench/batch-listing.db" in batches
    assert any(p.startswith("scenarios/") for p in overview)
    assert any(p.startswith("api/stats/suites/") for p in overview)
