"""The results file in the site (copy, link, none) and the size limits of GitHub."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import build_site, delete_run

from generator import build
from generator.build import search, sizes
from generator.cli import main
from generator.errors import ParameterError, SizeError, ZebenchError
from generator.results import demo
from generator.site import paths

URL = "https://github.com/org/repo/releases/latest/download/benchmarks.db"


@pytest.fixture
def db(site_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "benchmarks.db"
    shutil.copyfile(site_db, copy)
    return copy


def test_a_small_file_is_copied_a_large_one_linked_or_left_out(db: Path):
    size = db.stat().st_size
    assert sizes.choose_download(db) == sizes.Download("copy", "benchmarks.db", size)
    linked = sizes.choose_download(db, url=URL, copy_limit=size - 1)
    assert (linked.mode, linked.url, linked.copied) == ("link", URL, False)
    assert "over" in linked.reason
    left_out = sizes.choose_download(db, copy_limit=size - 1)
    assert (left_out.mode, left_out.url) == ("none", None)
    assert "pass --db-url" in left_out.describe()


def test_an_explicit_mode_wins_over_the_size(db: Path):
    assert sizes.choose_download(db, "none").mode == "none"
    assert sizes.choose_download(db, "copy", copy_limit=0).mode == "copy"
    assert sizes.choose_download(db, "link", URL).url == URL


@pytest.mark.parametrize(
    ("mode", "url", "message"),
    [
        ("link", None, "--db-download link needs --db-url"),
        ("mirror", None, "use one of copy, link, none"),
        ("link", "ftp://host/file.db", "use an http:// or https:// URL"),
    ],
)
def test_bad_download_options_are_user_errors(db: Path, mode, url, message):
    with pytest.raises(ParameterError, match=message):
        sizes.choose_download(db, mode, url)


def test_link_without_a_url_is_a_usage_error(db: Path, tmp_path: Path):
    args = ["build", "--db", str(db), "--out", str(tmp_path / "site"), "--db-download", "link"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "--db-download link needs --db-url" in result.output
    assert not (tmp_path / "site").exists()


def test_a_linked_file_is_not_in_the_published_tree(db: Path, tmp_path: Path):
    site, lines = tmp_path / "site", []
    options = build.Options(db_download="link", db_url=URL)
    build_site(db, site, options=options, log=lines.append)
    assert not (site / "downloads" / "benchmarks.db").exists()
    assert [p for p in site.rglob("*") if p.name in ("benchmarks.db", "snapshot.db")] == []
    page = (site / "downloads" / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{URL}">benchmarks.db</a>' in page and "published outside this site" in page
    assert any(f"the downloads page links to {URL}" in line for line in lines)
    # Built again: the incremental build reads its snapshot from the same place.
    again = build_site(db, site, options=options)
    assert again.kept > 0 and not (site / ".zebench" / "snapshot.db").exists()


def test_a_file_left_out_is_named_without_a_link_and_a_copy_comes_back(db: Path, tmp_path: Path):
    site = tmp_path / "site"
    build_site(db, site, options=build.Options(db_download="none"))
    page = (site / "downloads" / "index.html").read_text(encoding="utf-8")
    assert '<span class="mono">benchmarks.db</span>' in page and "too large" in page
    assert not (site / "downloads" / "benchmarks.db").exists()
    build_site(db, site, options=build.Options(db_download="copy"))
    assert (site / "downloads" / "benchmarks.db").read_bytes()[:15] == b"SQLite format 3"
    page = (site / "downloads" / "index.html").read_text(encoding="utf-8")
    assert '<a href="../downloads/benchmarks.db">benchmarks.db</a>' in page


def walked(site: Path) -> tuple[int, int]:
    """Bytes and files under *site*, every file read."""
    files = [p for p in site.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def test_the_build_ends_with_the_sites_size_and_no_warning_when_small(db: Path, tmp_path: Path):
    lines: list[str] = []
    result = build_site(db, tmp_path / "site", log=lines.append)
    size, files = walked(tmp_path / "site")
    assert (result.site_bytes, result.site_files) == (size, files)
    assert files == result.files  # every file the build wrote, nothing else
    assert lines[-1] == f"site: {size / 1e6:,.1f} MB in {files:,} files"
    assert not any(line.startswith("warning") for line in lines)


def test_after_new_runs_the_size_counts_kept_files_from_the_record(
    db: Path, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(search, "RUNS_PER_SHARD", 1)  # search shards kept too
    site = tmp_path / "site"
    build_site(db, site)
    payloads = list(demo.iter_run_payloads(2, seed=31))
    payloads[1]["metadata"] = {"error": "x" * 300_000}  # a page over the lowered limit
    source = tmp_path / "new.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    assert CliRunner().invoke(main, ["record", "--db", str(db), str(source)]).exit_code == 0
    monkeypatch.setattr(sizes, "FILE_LIMIT", 200_000)
    lines: list[str] = []
    result = build_site(db, site, log=lines.append, options=build.Options(max_text_bytes=0))
    assert (result.site_bytes, result.site_files) == walked(site)
    page = f"runs/{paths.file_name(payloads[1]['runId'])}.html"
    assert any(line.startswith(f"warning: {page} is ") for line in lines)
    again = build_site(db, site)  # the budget back: every page rendered again, smaller
    assert (again.site_bytes, again.site_files) == walked(site)


def test_after_runs_go_the_size_still_counts_every_file_once(db: Path, tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    build_site(db, site)
    with sqlite3.connect(db) as conn:  # a run goes: its files go from the kept folders
        (run_id,) = conn.execute("SELECT run_id FROM benchmark_runs LIMIT 1").fetchone()
    conn.close()
    delete_run(db, run_id)
    monkeypatch.setattr(sizes, "FILE_LIMIT", (site / "runs" / "index.html").stat().st_size // 2)
    lines: list[str] = []
    result = build_site(db, site, log=lines.append)
    assert result.kept > 0
    assert (result.site_bytes, result.site_files) == walked(site)
    # a file about all runs among the runs' own files is measured, and named when large
    assert any(line.startswith("warning: runs/index.html is ") for line in lines)


def test_each_limit_warns_naming_what_to_do(db: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(sizes, "PAGES_SITE_LIMIT", 1_000_000)
    monkeypatch.setattr(sizes, "FILE_LIMIT", db.stat().st_size - 1)
    monkeypatch.setattr(sizes, "COMMIT_LIMIT", 1000)
    lines: list[str] = []
    build_site(db, tmp_path / "site", log=lines.append)
    warnings = [line for line in lines if line.startswith("warning: ")]
    site, copy, committed = (
        next(line for line in warnings if line.startswith(start))
        for start in ("warning: the site", "warning: downloads/", "warning: the results file")
    )
    assert "over GitHub Pages' 1.0 MB for a site: lower --max-text-bytes" in site
    assert copy.startswith("warning: downloads/benchmarks.db is ")
    assert "use --db-download link --db-url URL" in copy
    assert "for a committed file: do not commit it; publish it as a release asset" in committed


def test_strict_size_makes_a_warning_an_error_after_writing_the_site(
    db: Path, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(sizes, "COMMIT_LIMIT", 1000)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1761955200")
    out = tmp_path / "site"
    args = ["build", "--db", str(db), "--out", str(out), "--strict-size"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "Error: over a size limit (--strict-size): the results file is" in result.output
    assert "Traceback" not in result.output and (out / "index.html").is_file()
    assert issubclass(SizeError, ZebenchError)
    result = CliRunner().invoke(main, args[:-1])  # without --strict-size: a warning only
    assert result.exit_code == 0 and "warning: the results file is" in result.output


def test_a_large_results_file_is_linked_by_default(db: Path, tmp_path: Path):
    args = ["build", "--db", str(db), "--out", str(tmp_path / "site"), "--db-copy-limit", "0.001"]
    result = CliRunner().invoke(main, [*args, "--db-url", URL])
    assert result.exit_code == 0, result.output
    assert f"results file not copied ({db.stat().st_size / 1e6:,.1f} MB)" in result.output
    assert "links to" in result.output and "over 0.0 MB" in result.output
    assert not (tmp_path / "site" / "downloads" / "benchmarks.db").exists()


def test_the_build_command_s_defaults_are_the_library_s() -> None:
    from generator.queries import budget

    params = {p.name: p for p in main.commands["build"].params}
    assert tuple(params["db_download"].type.choices) == sizes.MODES
    assert params["db_copy_limit"].default * 1_000_000 == sizes.COPY_LIMIT
    assert params["max_text_bytes"].default == budget.DEFAULT_MAX_TEXT_BYTES
