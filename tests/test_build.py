"""The build: what lands in site/, reproducibility, failure safety, the CLI."""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import build_site, hostile_run, tree

from generator import build, store
from generator.build import site_wide
from generator.cli import main
from generator.queries import api
from generator.site import paths
from generator.site.pages import batches as batch_pages
from generator.site.pages import catalog

TEXT_SUFFIXES = (".html", ".css", ".js")


def html_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def test_every_page_type_is_written(built_site: Path, site_db: Path) -> None:
    conn = store.open_read(site_db)
    run_ids = [r[0] for r in conn.execute("SELECT run_id FROM benchmark_runs")]
    batch_ids = [r[0] for r in conn.execute("SELECT batchId FROM batch_runs")]
    conn.close()
    for path in (
        "index.html",
        "runs/index.html",
        "batches/index.html",
        "batches/compare.html",
        "agents/index.html",
        "suites/index.html",
        "evaluators/index.html",
        "costs/index.html",
        "downloads/index.html",
        "downloads/benchmarks.db",
        "downloads/runs.csv",
        "static/plotly.min.js",
        "data/runs/index.js",
        "api/stats.json",
    ):
        assert (built_site / path).is_file(), path
    for run_id in run_ids:
        assert (built_site / "runs" / f"{paths.file_name(run_id)}.html").is_file()
    for batch_id in batch_ids:
        seg = paths.file_name(batch_id)
        for name in (f"batches/{seg}.html", f"batches/{seg}.csv", f"data/batches/{seg}.js"):
            assert (built_site / name).is_file(), name


def test_the_copied_database_holds_every_run(built_site: Path, site_db: Path) -> None:
    copy = sqlite3.connect(built_site / "downloads" / "benchmarks.db")
    original = sqlite3.connect(site_db)
    query = "SELECT run_id, weighted_score FROM benchmark_runs ORDER BY run_id"
    assert copy.execute(query).fetchall() == original.execute(query).fetchall()


def test_runs_csv_has_a_line_per_run(built_site: Path, site_db: Path) -> None:
    with open(built_site / "downloads" / "runs.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    ids = sqlite3.connect(site_db).execute("SELECT run_id FROM benchmark_runs").fetchall()
    assert rows[0][:3] == ["runId", "batchId", "suite"]
    assert sorted(r[0] for r in rows[1:]) == sorted(r[0] for r in ids)


def test_dashboard_figures_equal_the_json_api(built_site: Path) -> None:
    stats = json.loads((built_site / "api" / "stats.json").read_text())
    html = (built_site / "index.html").read_text()
    assert f">{stats['totalRuns']}</div>" in html
    # Each figure with the API's interval, linked to the methods page.
    from generator.site import formats

    rate = formats.interval(stats["successRateCI"])
    assert f'{stats["successRate"] * 100:.1f}% <a class="ci"' in html
    assert f'#wilson-interval" title="{formats.INTERVAL_TITLE}">({rate})</a>' in html
    score = formats.interval(stats["avgWeightedScoreCompletedCI"], "num")
    assert f'{stats["avgWeightedScoreCompleted"]:.2f} <a class="ci"' in html
    assert f'#cluster-robust-interval" title="{formats.INTERVAL_TITLE}">({score})</a> / 10' in html


@pytest.mark.slow
def test_two_builds_are_byte_identical(site_db: Path, tmp_path: Path) -> None:
    build_site(site_db, tmp_path / "a")
    build_site(site_db, tmp_path / "b")
    first, second = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_source_date_epoch_is_the_only_build_time(built_site: Path) -> None:
    assert "built 2025-11-01 00:00:00 UTC" in (built_site / "index.html").read_text()


def assert_a_broken_rebuild_leaves_the_site(
    site_db: Path,
    tmp_path: Path,
    break_build,
    raises: type[BaseException],
    match: str | None = None,
) -> None:
    """Build, break the build with *break_build*, build again: *raises* is raised,
    and the site and its folder are as the first build left them."""
    out = tmp_path / "site"
    build_site(site_db, out)
    before = tree(out)
    break_build()
    with pytest.raises(raises, match=match):
        build_site(site_db, out)
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging left behind


def test_a_failed_build_leaves_the_previous_site(
    site_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conn):
        raise RuntimeError("disk on fire")

    # The batch index is written by the main process itself, not by a part.
    def break_build():
        monkeypatch.setattr(batch_pages, "index_page", broken)

    assert_a_broken_rebuild_leaves_the_site(
        site_db, tmp_path, break_build, RuntimeError, "disk on fire"
    )


def test_refuses_to_replace_a_folder_it_did_not_build(site_db: Path, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(build.BuildError, match="did not make"):
        build.build(site_db, tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_base_url_gives_canonical_links_and_everything_else_stays_relative(
    site_db: Path, tmp_path: Path
) -> None:
    build_site(site_db, tmp_path / "s", base_url="https://bench.example.org/ze")
    html = (tmp_path / "s" / "runs" / "index.html").read_text()
    assert '<link rel="canonical" href="https://bench.example.org/ze/runs/index.html">' in html
    assert 'src="../static/site.js"' in html


def test_base_url_must_be_http(site_db: Path, tmp_path: Path) -> None:
    with pytest.raises(build.ParameterError, match="base-url"):
        build.build(site_db, tmp_path / "s", base_url="javascript:alert(1)")


def test_markdown_pages_are_in_the_nav_with_their_titles(built_site: Path) -> None:
    about = (built_site / "pages" / "about.html").read_text()
    assert "<h1>About these benchmarks</h1>" in about
    assert "<strong>weighted</strong>" in about
    home = (built_site / "index.html").read_text()
    assert '<a href="pages/about.html">About these benchmarks</a>' in home
    assert '<a href="pages/method.html">Method</a>' in home
    method = (built_site / "pages" / "method.html").read_text()
    assert method.count("<h1>Method</h1>") == 1


_RESOURCE = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*([a-z][a-z0-9+.-]*:)""", re.I)


def test_no_page_or_script_refers_to_another_host(built_site: Path) -> None:
    offenders = []
    for path in built_site.rglob("*"):
        # plotly.min.js and pagefind/ are vendored (their strings name websites, and
        # Pagefind parses URLs against example.com): they load nothing from them.
        vendored = (
            path.name == "plotly.min.js" or path.relative_to(built_site).parts[0] == "pagefind"
        )
        if path.suffix not in TEXT_SUFFIXES or vendored:
            continue
        text = path.read_text(encoding="utf-8")
        schemes = {m.lower() for m in _RESOURCE.findall(text)} - {"data:"}
        if schemes or re.search(r"url\(\s*['\"]?(https?:)?//", text):
            offenders.append((path.name, schemes))
        if path.parts[-2] != "data" and re.search(r"https?://", text):
            offenders.append((path.name, "http"))
    assert offenders == []


def test_hostile_text_is_escaped_everywhere(built_site: Path) -> None:
    run_page = built_site / "runs" / f"{paths.file_name(hostile_run()['runId'])}.html"
    assert run_page.is_file()
    for path in html_files(built_site):
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text, path
        assert 'href="javascript:' not in text.lower(), path
        # Inside <script type="application/json"> nothing can close the element early.
        for body in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', text, re.S):
            assert "<" not in body and "\u2028" not in body, path
    page = run_page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for data in (built_site / "data").rglob("*.js"):
        assert "</" not in data.read_text(encoding="utf-8"), data


def test_every_file_stays_inside_the_site(built_site: Path) -> None:
    root = built_site.resolve()
    assert all(p.resolve().is_relative_to(root) for p in built_site.rglob("*"))
    assert not (built_site.parent / "x").exists()


def test_page_weight_is_bounded(built_site: Path) -> None:
    # The runs table page holds no rows: they come from data files.
    runs_page = (built_site / "runs" / "index.html").read_text()
    assert runs_page.count("<tr>") == 1
    assert (built_site / "index.html").stat().st_size < 300_000


def test_api_and_pages_come_from_the_same_snapshot(built_site: Path, site_db: Path) -> None:
    conn = store.open_read(site_db)
    expected = api.dumps(api.get(conn, "/api/stats/agents"))
    conn.close()
    assert (built_site / "api" / "stats" / "agents.json").read_text() == expected


def test_cli_build_reports_what_it_wrote(site_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["build", "--db", str(site_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"Built .*site/ from .*: [\d,]+ pages \([\d,]+ runs\), [\d,]+ files", result.output
    )
    assert (out / "index.html").is_file()


def test_cli_build_without_a_database_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["build", "--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "s")]
    )
    assert result.exit_code == 1
    assert "Error: no database at" in result.output
    assert not (tmp_path / "s").exists()


def test_cli_build_with_a_missing_pages_folder_is_a_clear_error(
    site_db: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main, ["build", "--db", str(site_db), "--out", str(tmp_path / "s"), "--pages", "nope"]
    )
    assert result.exit_code == 1
    assert "Error: --pages nope: no such folder" in result.output


def test_serve_refuses_a_folder_without_a_site(site_db: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")  # a folder of the user's: never built into
    args = ["serve", "--db", str(site_db), "--out", str(tmp_path), "--port", "0"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "Error: no site in" in result.output


def test_an_empty_database_builds_a_site_that_says_so(empty_db: Path, tmp_path: Path) -> None:
    build_site(empty_db, tmp_path / "s")
    home = (tmp_path / "s" / "index.html").read_text()
    assert "No runs recorded yet." in home
    assert 'data-figure="' not in home  # no empty chart boxes
    assert "No data for this chart yet." in home


def test_build_counts_every_file_of_the_site(site_db: Path, tmp_path: Path) -> None:
    result = build_site(site_db, tmp_path / "s")
    assert result.files == len(tree(tmp_path / "s"))


# The parts written by child processes (site_files) ----------------------------


def test_a_failing_part_fails_the_build_and_leaves_the_previous_site(
    site_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conn, shared=None, judged=None):
        raise RuntimeError("evaluator pages on fire")

    def break_build():  # children are forked: they see it
        monkeypatch.setattr(catalog, "evaluator_pages", broken)

    assert_a_broken_rebuild_leaves_the_site(
        site_db, tmp_path, break_build, RuntimeError, "evaluator pages on fire"
    )


def test_a_part_whose_process_dies_fails_the_build_and_leaves_the_previous_site(
    site_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def killed(conn, inputs):
        os._exit(9)

    def break_build():
        monkeypatch.setitem(site_wide.PARTS, "runs table, CSV and API listing", killed)

    assert_a_broken_rebuild_leaves_the_site(
        site_db, tmp_path, break_build, build.BuildError, "stopped .* runs table, CSV and API"
    )


def test_the_downloadable_copy_opens_as_a_snapshot_without_side_files(
    site_db: Path, tmp_path: Path
) -> None:
    build_site(site_db, tmp_path / "s")
    downloads = tmp_path / "s" / "downloads"
    assert sorted(p.name for p in downloads.iterdir()) == [
        "benchmarks.db",
        "index.html",
        "runs.csv",
    ]
    query = "SELECT run_id, status, weighted_score FROM benchmark_runs ORDER BY run_id"
    conn = store.open_snapshot(downloads / "benchmarks.db")
    copied = conn.execute(query).fetchall()
    assert not list(downloads.glob("*-wal")) and not list(downloads.glob("*-shm"))
    conn.close()
    original = store.open_read(site_db)
    assert copied == original.execute(query).fetchall() and len(copied) == 41
    original.close()
    assert sorted(p.name for p in downloads.iterdir()) == [
        "benchmarks.db",
        "index.html",
        "runs.csv",
    ]


def test_a_results_file_named_like_a_site_file_is_refused_not_overwritten(
    site_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "runs.csv"  # its copy would be downloads/runs.csv, the runs as CSV
    db.write_bytes(site_db.read_bytes())
    result = CliRunner().invoke(main, ["build", "--db", str(db), "--out", str(tmp_path / "s")])
    assert result.exit_code == 1
    assert "two files of the site would both be written to downloads/runs.csv" in result.output
    assert not (tmp_path / "s").exists() and db.read_bytes() == site_db.read_bytes()


def old_trees(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".old-" in p.name)


def wait_for_old_trees(folder: Path, expected: list[str], seconds: float = 20) -> list[str]:
    """The old trees in *folder* once they are down to *expected* (or time is up)."""
    deadline = time.monotonic() + seconds
    while old_trees(folder) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return old_trees(folder)


@pytest.mark.slow
def test_replaced_sites_are_deleted_once_the_new_one_is_in_place(
    site_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    stale = tmp_path / ".site.old-99999999-2" / "runs"  # a build killed while deleting it
    busy = tmp_path / ".site.old-1-2"  # a process that is still running
    mine = tmp_path / ".site.old-backup"  # not a name a build gives
    busy.mkdir()
    mine.mkdir()
    stale.mkdir(parents=True)
    (stale / "x.html").write_text("old")
    for _ in range(3):  # back to back: each old tree gets a name of its own
        build_site(site_db, out)
    first = tree(out)
    left = sorted([busy.name, mine.name])  # neither is the old tree of a build that ended
    assert wait_for_old_trees(tmp_path, left) == left
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([busy.name, mine.name, "site"])
    assert tree(out) == first


def test_the_staging_tree_of_a_killed_build_is_deleted_by_the_next(
    site_db: Path, tmp_path: Path
) -> None:
    killed = tmp_path / ".site.building-99999999" / "runs"  # its process is gone
    running = tmp_path / ".site.building-1"  # a build that is still running
    killed.mkdir(parents=True)
    (killed / "x.html").write_text("half a site")
    running.mkdir()
    build_site(site_db, tmp_path / "site")
    deadline = time.monotonic() + 20
    while killed.parent.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == [running.name, "site"]


def test_costs_past_the_largest_float_build_with_totals_left_blank(empty_db, tmp_path, make_run):
    runs = [make_run(runId=f"r{n}", telemetry={"costUsd": 1e308}) for n in range(2)]
    source = tmp_path / "runs.jsonl"
    source.write_text("".join(json.dumps(run) + "\n" for run in runs))
    result = CliRunner().invoke(main, ["record", "--db", str(empty_db), str(source)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "site"
    build_site(empty_db, out)
    assert json.loads((out / "api" / "stats.json").read_text())["totalCostUsd"] is None
    assert "—" in (out / "costs" / "index.html").read_text()
