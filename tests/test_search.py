"""Search: the build indexes the run pages with Pagefind, in shards, and indexes again
only the shards whose runs changed; in a browser, a word found in one run's error
leads to that run's page; from file:// the box says to serve."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import build_site, delete_run, serving, tree

from generator import build
from generator.build import search
from generator.cli import main
from generator.errors import BuildError
from generator.results import demo, ingest
from generator.results.validate import normalise_run
from generator.site import paths

WORD = "quokkafrobnication"  # in the error of one run, nowhere else
NEEDLE_RUN = "run-with-the-odd-error"


@pytest.fixture(scope="module", autouse=True)
def many_shards():
    """A shard for every run or so: this module's sites are small, its tests are about shards."""
    saved, search.RUNS_PER_SHARD = search.RUNS_PER_SHARD, 1
    yield
    search.RUNS_PER_SHARD = saved


def test_a_site_has_a_shard_for_every_few_hundred_runs_as_a_power_of_two(monkeypatch):
    monkeypatch.setattr(search, "RUNS_PER_SHARD", 100)  # as shipped
    counts = {runs: search.shard_count(runs) for runs in (0, 400, 1_000, 10_000, 100_000, 10**7)}
    assert counts == {0: 1, 400: 4, 1_000: 8, 10_000: 64, 100_000: 256, 10**7: 256}


@pytest.fixture(scope="module")
def search_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import hostile_run

    path = tmp_path_factory.mktemp("search") / "benchmarks.db"
    demo.write_demo(path, runs=12, seed=8)
    needle = hostile_run() | {"runId": NEEDLE_RUN, "batchId": None}
    needle["metadata"] = {"error": f"install failed: {WORD} in step 3", "errorType": "Boom"}
    ingest.record_runs(path, [("needle", normalise_run(needle, "needle"))])
    return path


@pytest.fixture(scope="module")
def search_site(search_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("search-site") / "site"
    build_site(search_db, out)
    return out


def shards(site: Path) -> list[str]:
    return json.loads((site / "pagefind" / "shards.json").read_text())["shards"]


def run_ids(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT run_id FROM benchmark_runs")]
    finally:
        conn.close()


def test_every_run_page_and_only_those_are_indexed(search_site: Path, search_db: Path):
    bundle = search_site / "pagefind"
    ids = run_ids(search_db)
    assert shards(search_site) == sorted({search.shard(run_id, len(ids)) for run_id in ids})
    assert sorted(p.name for p in bundle.iterdir() if p.is_dir()) == shards(search_site)
    counts = []
    for name in shards(search_site):
        entry = json.loads((bundle / name / "pagefind-entry.json").read_text())
        (language,) = entry["languages"].values()
        counts.append(language["page_count"])
    run_pages = [p for p in (search_site / "runs").glob("*.html") if p.name != "index.html"]
    assert sum(counts) == len(run_pages) == 13
    assert (bundle / "pagefind.js").is_file()  # from the package, no CDN
    page = (search_site / "runs" / f"{paths.file_name(NEEDLE_RUN)}.html").read_text()
    assert "data-pagefind-body" in page
    assert "data-pagefind-body" not in (search_site / "runs" / "index.html").read_text()


def indexed_text(site: Path) -> dict[str, str]:
    """{page url: the text Pagefind indexed of it}, from the shards' fragments."""
    texts = {}
    for fragment in (site / "pagefind").glob("*/fragment/*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        record = json.loads(data[data.index(b"{") :])  # after Pagefind's marker
        texts[record["url"]] = record["content"]
    return texts


def test_the_index_holds_each_value_as_a_word_and_leaves_out_labels_and_figures(
    search_site: Path, search_db: Path
):
    texts = indexed_text(search_site)
    conn = sqlite3.connect(search_db)
    try:
        rows = conn.execute(
            "SELECT run_id, suite, scenario, tier, agent, model FROM benchmark_runs"
            " WHERE run_id != ?",
            [NEEDLE_RUN],
        ).fetchall()
    finally:
        conn.close()
    for run_id, *values in rows:
        text = texts[f"/runs/{paths.file_name(run_id)}.html"]
        for value in [run_id, *filter(None, values)]:
            # A word of its own: not run together with a label or the next value.
            assert re.search(rf"(?<!\S){re.escape(value)}(?![^\s.])", text), (value, text)
        for label in ("Identity and timing", "Tokens in", "weighted score", "Evaluator scores"):
            assert label not in text
    needle = texts[f"/runs/{paths.file_name(NEEDLE_RUN)}.html"]
    assert WORD in needle and "Error: Boom" in needle  # the error's heading names its type


def test_the_index_holds_the_texts_of_a_run_that_are_searched_for(search_site: Path):
    """Errors are above; here evaluator details, judge reasoning, dependency changes,
    test results and the prompt, as the run's static API file gives them."""
    texts = {url: " ".join(text.split()) for url, text in indexed_text(search_site).items()}
    checked = set()
    for answer in (search_site / "api" / "runs").glob("*.json"):
        run = json.loads(answer.read_text())
        text = texts[f"/runs/{answer.stem}.html"]
        wanted = [str(name) for name in _values(run["run"]["metadata"], "depsDelta", "name")]
        for evaluation in run["evaluations"]:
            try:
                judge = json.loads(evaluation["details"])
            except (TypeError, ValueError):
                wanted.append(evaluation["details"] or "")
                continue
            wanted += [c["reasoning"] for c in judge.get("scores", []) if isinstance(c, dict)]
        if isinstance(run["run"]["testResults"], dict):
            wanted += list(run["run"]["testResults"])
        wanted.append((run["telemetry"] or {}).get("promptSent") or "")
        for value in filter(None, (" ".join(v.split()) for v in wanted)):
            assert value in text, (answer.stem, value)
            checked.add(value)
    assert len(checked) > 20  # the demo's runs have all of these


def _values(metadata: object, key: str, field: str) -> list[object]:
    items = metadata.get(key) if isinstance(metadata, dict) else None
    return [item[field] for item in items or [] if isinstance(item, dict) and field in item]


def test_the_worker_and_webassembly_are_beside_the_first_shard_only(search_site: Path):
    bundle = search_site / "pagefind"
    first, *others = shards(search_site)
    for name in search.BESIDE_FIRST:
        assert (bundle / name).read_bytes() == (bundle / first / name).read_bytes()
        assert not any((bundle / other / name).exists() for other in others)
    for other in others:  # an index only: Pagefind's UI files are left out
        assert {p.name for p in (bundle / other).iterdir()} - {"index", "fragment"} == {
            "pagefind-entry.json",
            *(p.name for p in (bundle / other).glob("*.pf_meta")),
        }


def test_the_same_pages_give_the_same_index(search_db: Path, search_site: Path, tmp_path: Path):
    again = tmp_path / "site"
    build_site(search_db, again)
    for folder in ("pagefind", ".zebench"):
        bundle = search_site / folder
        for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
            assert path.read_bytes() == (again / folder / path.relative_to(bundle)).read_bytes()


@pytest.fixture
def spy(tmp_path: Path, monkeypatch) -> Path:
    """A file naming each shard Pagefind indexes, one a line."""
    calls = tmp_path / "indexed.txt"
    real = search.command

    def command(site: Path, output: Path) -> list[str]:
        return ["sh", "-c", f'echo "$0" >> {calls}; exec "$@"', output.name, *real(site, output)]

    monkeypatch.setattr(search, "command", command)
    return calls


def indexed(spy: Path) -> list[str]:
    text = spy.read_text() if spy.exists() else ""
    spy.unlink(missing_ok=True)
    return sorted(text.split())


def copy_of(db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy.db"
    shutil.copyfile(db, copy)
    return copy


def test_after_one_new_run_only_its_shard_is_indexed_again(
    search_db: Path, tmp_path: Path, spy: Path
):
    db, site = copy_of(search_db, tmp_path), tmp_path / "site"
    build_site(db, site)
    assert indexed(spy) == shards(site)
    (payload,) = demo.iter_run_payloads(1, seed=31)
    ingest.record_runs(db, [("new", normalise_run(payload, "new"))])
    said: list[str] = []
    build_site(db, site, log=said.append)
    assert indexed(spy) == [search.shard(payload["runId"], len(run_ids(db)))]
    assert any(line.startswith("search index: 1 of ") for line in said)
    build_site(db, tmp_path / "full")
    assert tree(site) == tree(tmp_path / "full")
    indexed(spy)
    build_site(db, site)  # nothing changed: nothing indexed
    assert indexed(spy) == [] and tree(site) == tree(tmp_path / "full")


def test_when_the_first_shard_goes_the_next_one_carries_the_worker(
    search_db: Path, tmp_path: Path, spy: Path
):
    db, site = copy_of(search_db, tmp_path), tmp_path / "site"
    build_site(db, site)
    first, second = shards(site)[:2]
    runs = len(run_ids(db))
    for run_id in run_ids(db):
        if search.shard(run_id, runs) == first:
            delete_run(db, run_id)
    indexed(spy)
    build_site(db, site)
    assert indexed(spy) == [] and shards(site)[0] == second
    assert not (site / "pagefind" / first).exists()
    build_site(db, tmp_path / "full")
    assert tree(site) == tree(tmp_path / "full")


def test_no_search_skips_the_index(search_db: Path, tmp_path: Path):
    out = tmp_path / "site"
    args = ["build", "--db", str(search_db), "--out", str(out), "--no-search"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and not (out / "pagefind").exists()


def test_without_pagefind_the_build_fails_and_says_how_to_go_on(
    search_db: Path, tmp_path: Path, monkeypatch
):
    out = tmp_path / "site"
    build_site(search_db, out, options=build.Options(search=False))
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    monkeypatch.setattr(search, "find_spec", lambda name: None)
    with pytest.raises(
        BuildError, match=r"pip install 'pagefind\[bin\]', or build with --no-search"
    ):
        build_site(search_db, out)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # left as it was


def test_a_failed_index_leaves_the_previous_site_whole(
    search_db: Path, tmp_path: Path, monkeypatch
):
    db, out = copy_of(search_db, tmp_path), tmp_path / "site"
    build_site(db, out)
    before = tree(out)
    ingest.record_runs(db, [("new", normalise_run(next(demo.iter_run_payloads(1, 32)), "new"))])
    monkeypatch.setattr(search, "command", lambda site, output: ["false"])  # Pagefind fails
    with pytest.raises(BuildError, match="Pagefind could not index the site"):
        build_site(db, out)  # after the kept run pages moved into the new tree
    after = tree(out)
    assert set(before) <= set(after)  # the files of runs and batches went back (+ new ones)
    index = [path for path in before if path.startswith(("pagefind/", ".zebench/search"))]
    assert [after[path] for path in index] == [before[path] for path in index]


@pytest.mark.parametrize("failing", ["measure", "swap"])
def test_a_failure_after_the_shards_moved_leaves_the_previous_site_whole(
    search_db: Path, tmp_path: Path, monkeypatch, failing: str
):
    db, out = copy_of(search_db, tmp_path), tmp_path / "site"
    build_site(db, out)
    before = tree(out)
    assert len(shards(out)) > 2  # shards kept from it, one indexed again
    ingest.record_runs(db, [("new", normalise_run(next(demo.iter_run_payloads(1, 33)), "new"))])
    real_replace = build.swap.os.replace

    def measuring_fails(*args, **kwargs):
        raise OSError("disk gone")

    def swapping_fails(source, target):
        if Path(source).name.startswith(".site.building"):
            raise OSError("disk gone")  # the old site has moved aside: swap puts it back
        return real_replace(source, target)

    if failing == "measure":
        monkeypatch.setattr(build.sizes, "measure", measuring_fails)
    else:
        monkeypatch.setattr(build.swap.os, "replace", swapping_fails)
    with pytest.raises(OSError, match="disk gone"):
        build_site(db, out)
    monkeypatch.undo()
    after = tree(out)
    assert before.keys() <= after.keys()  # runs, batches and every shard went back
    assert after == before  # as they were: no page of the new run, no listing updated
    index = [path for path in before if path.startswith(("pagefind/", ".zebench/search"))]
    assert [after[path] for path in index] == [before[path] for path in index]


@pytest.mark.browser
def test_a_word_from_one_runs_error_leads_to_that_run(search_site: Path, search_db: Path, page):
    with serving(search_site, search_db) as url:
        page.goto(url + "agents/index.html")
        page.fill("form[data-search] input", WORD)
        link = page.locator("form[data-search] .search-results a")
        link.first.wait_for(timeout=15_000)
        assert link.count() == 1
        assert WORD in page.locator("form[data-search] .search-results mark").first.inner_text()
        link.first.click()
        page.wait_for_url(f"**/runs/{paths.file_name(NEEDLE_RUN)}.html")
        assert NEEDLE_RUN in page.locator("h1").inner_text()
    assert page.problems == []


@pytest.mark.browser
def test_from_file_urls_the_box_says_to_serve_the_site(search_site: Path, page):
    page.goto((search_site / "index.html").as_uri())
    box = page.locator("form[data-search] input")
    assert "zebench serve" in box.get_attribute("placeholder")
    box.focus()
    assert "zebench serve" in page.locator("form[data-search] .search-results").inner_text()
