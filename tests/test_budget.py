"""The text budget: cut texts, markers, UTF-8 boundaries, valid JSON, lockfile summaries,
and a site whose static API equals ``zebench api --max-text-bytes``."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import build_site
from hypothesis import given
from hypothesis import strategies as st

from generator import build, store
from generator.cli import main
from generator.queries import api, budget, encoding
from generator.results import demo
from generator.site.api_files import static_entries

SOURCE = "the whole value is in x.db (somewhere)"
CUT = "… cut: ".encode()  # the marker, as it reads in JSON (its newline escaped) or a page


def test_a_text_within_the_budget_is_the_same_object():
    text = "a" * 100
    assert budget.cut_text(text, 100, SOURCE) is text
    assert budget.cut_text("é" * 50, 100, SOURCE) == "é" * 50  # 100 bytes exactly


def test_a_long_text_keeps_its_first_bytes_and_names_its_size_and_place():
    text = "x" * 182_311
    out = budget.cut_text(text, 1000, SOURCE)
    kept, _, marker = out.partition(budget.MARKER)
    assert kept == "x" * 1000
    assert marker == f"182,311 bytes in all; {SOURCE}"


def test_the_size_in_the_marker_is_in_bytes_of_utf8():
    out = budget.cut_text("€" * 1000, 10, SOURCE)  # three bytes a character
    assert out.startswith("€€€" + budget.MARKER)  # 9 bytes: a fourth would need 12
    assert "3,000 bytes in all" in out


@given(st.text(min_size=0, max_size=300), st.integers(min_value=1, max_value=400))
def test_a_cut_never_splits_a_character_and_keeps_all_that_fits(text, limit):
    out = budget.cut_text(text, limit, SOURCE)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= limit:
        assert out == text
        return
    kept, _, _ = out.partition(budget.MARKER)
    assert text.startswith(kept)
    assert len(kept.encode("utf-8", "surrogatepass")) <= limit
    following = text[len(kept)]
    assert len((kept + following).encode("utf-8", "surrogatepass")) > limit  # the most that fits
    assert f"{size:,} bytes in all" in out


@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=200))
def test_cut_answers_are_valid_json_whatever_the_text(text):
    detail = run_detail(metadata={"diffSummary": [{"file": "a.ts", "textPatch": text * 3}]})
    out = budget.cut(detail, budget.Budget(7, "b.db"))
    encoded = encoding.dumps(out)
    assert json.loads(encoded) == out


def run_detail(metadata=None, details="x" * 500, prompt="p" * 500, run_id="run-1") -> dict:
    """A ``get_run`` answer with long texts in every free text field."""
    return {
        "run": {
            "runId": run_id,
            "suite": "s" * 500,  # a name: never cut
            "testResults": "t" * 500,
            "metadata": metadata if metadata is not None else {"error": "e" * 500},
        },
        "evaluations": [
            {"runId": run_id, "evaluatorName": "LLMJudgeEvaluator", "details": details}
        ],
        "telemetry": {"runId": run_id, "promptSent": prompt, "workspaceDir": "/w"},
    }


def test_every_free_text_is_cut_with_its_column_and_run_named():
    detail = run_detail(metadata={"diffSummary": [{"file": "src/a.ts", "textPatch": "+" * 500}]})
    before = copy.deepcopy(detail)
    out = budget.cut(detail, budget.Budget(100, "benchmarks.db"))
    assert detail == before  # pure: the input is left as it was
    run = out["run"]
    assert run["suite"] == "s" * 500
    patch = run["metadata"]["diffSummary"][0]["textPatch"]
    assert patch == "+" * 100 + budget.MARKER + (
        "500 bytes in all; the whole value is in benchmarks.db "
        "(benchmark_runs.metadata of run run-1)"
    )
    assert run["testResults"].endswith("(benchmark_runs.test_results of run run-1)")
    (evaluation,) = out["evaluations"]
    assert evaluation["details"].endswith(
        "(evaluation_results.details of run run-1, evaluator LLMJudgeEvaluator)"
    )
    assert out["telemetry"]["promptSent"].endswith("(run_telemetry.prompt_sent of run run-1)")
    assert out["telemetry"]["workspaceDir"] == "/w"
    assert out["telemetry"] is not detail["telemetry"]


def test_no_limit_and_short_texts_give_back_the_same_objects():
    detail = run_detail()
    assert budget.cut(detail, budget.NO_LIMIT) is detail
    assert budget.cut(detail, budget.Budget(10_000)) is detail
    short = run_detail(details="ok", prompt="go")
    out = budget.cut(short, budget.Budget(600))
    assert out["evaluations"] is short["evaluations"] and out["telemetry"] is short["telemetry"]


def test_failures_listings_and_batch_metadata_are_cut_too():
    analytics = {"failures": [{"runId": "r", "error": "E" * 300, "errorType": "Timeout"}]}
    listing = [{"runId": "r", "testResults": "T" * 300, "metadata": None}]
    batch = {"batchId": "b", "metadata": {"note": "N" * 300}, "runs": listing}
    assert (
        "benchmark_runs.metadata of run r"
        in budget.cut(analytics, budget.Budget(50))["failures"][0]["error"]
    )
    assert "test_results of run r" in budget.cut(listing, budget.Budget(50))[0]["testResults"]
    cut_batch = budget.cut(batch, budget.Budget(50))
    assert "batch_runs.metadata of batch b" in cut_batch["metadata"]["note"]
    assert "test_results of run r" in cut_batch["runs"][0]["testResults"]


@pytest.mark.parametrize(
    "path",
    ["pnpm-lock.yaml", "apps/web/package-lock.json", "yarn.lock", "Cargo.lock", "poetry.lock",
     "tsconfig.tsbuildinfo", "public/vendor.min.js", "dist/index.js", "go.sum"],
)  # fmt: skip
def test_lockfiles_and_generated_files_are_recognised(path):
    assert budget.is_generated(path)


@pytest.mark.parametrize("path", ["package.json", "src/lock.ts", "yarn.lock.md", None, 3])
def test_source_files_are_not_generated(path):
    assert not budget.is_generated(path)


def test_a_generated_files_patch_gets_a_share_of_the_budget():
    patch = "+line\n" * 2000
    meta = {
        "diffSummary": [
            {"file": "pnpm-lock.yaml", "textPatch": patch},
            {"file": "src/app.ts", "textPatch": patch},
        ]
    }
    out = budget.cut(run_detail(metadata=meta), budget.Budget(1600))["run"]["metadata"]
    lock, source = (entry["textPatch"].partition(budget.MARKER)[0] for entry in out["diffSummary"])
    assert len(lock) == 1600 // budget.GENERATED_SHARE and len(source) == 1600


def test_patch_size_counts_changed_lines_not_headers():
    patch = "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n same\n-old\n+new\n+more\n"
    assert budget.patch_size(patch) == budget.PatchSize(added=2, removed=1, bytes=len(patch))
    assert budget.patch_size("+é") == budget.PatchSize(1, 0, 3)


# The site --------------------------------------------------------------------------

LIMIT = 2048


@pytest.fixture(scope="module")
def real_db(tmp_path_factory) -> Path:
    """Twelve runs of the demo's real profile: lockfile patches of 50 KB and more."""
    path = tmp_path_factory.mktemp("real") / "benchmarks.db"
    demo.write_demo(path, runs=12, seed=4, profile="real")
    return path


@pytest.fixture(scope="module")
def real_site(real_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("real-site") / "site"
    build_site(real_db, out, options=build.Options(max_text_bytes=LIMIT))
    return out


def test_every_static_api_file_equals_zebench_api_at_the_builds_budget(real_db, real_site):
    conn = store.open_read(real_db)
    try:
        entries = [(file_path, get_path) for file_path, get_path, _ in static_entries(conn)]
        locked = [
            run_id
            for (run_id,) in conn.execute(
                "SELECT run_id FROM benchmark_runs WHERE metadata LIKE '%pnpm-lock.yaml%'"
            )
        ]
    finally:
        conn.close()
    runner = CliRunner()
    cut_files = set()
    for file_path, get_path in entries:
        args = ["api", "--db", str(real_db), "--max-text-bytes", str(LIMIT), get_path]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        data = (real_site / file_path).read_bytes()
        assert result.stdout_bytes == data, file_path
        if CUT in data:
            cut_files.add(file_path)
    assert len(locked) >= 8
    assert {f"api/runs/{run_id}.json" for run_id in locked} <= cut_files  # their lockfiles


def test_zebench_api_is_complete_by_default(real_db):
    conn = store.open_read(real_db)
    run_id = conn.execute("SELECT run_id FROM benchmark_runs ORDER BY run_id").fetchone()[0]
    expected = api.dumps(api.get(conn, f"/api/runs/{run_id}")).encode()
    conn.close()
    result = CliRunner().invoke(main, ["api", "--db", str(real_db), f"/api/runs/{run_id}"])
    assert result.stdout_bytes == expected and CUT not in expected


def test_the_run_page_shows_a_lockfile_as_a_summary_with_its_patch_collapsed(real_db, real_site):
    conn = sqlite3.connect(real_db)
    run_id, meta = conn.execute(
        "SELECT run_id, metadata FROM benchmark_runs WHERE status = 'completed' LIMIT 1"
    ).fetchone()
    conn.close()
    lock = next(d for d in json.loads(meta)["diffSummary"] if d["file"] == "pnpm-lock.yaml")
    size = budget.patch_size(lock["textPatch"])
    html = (real_site / "runs" / f"{run_id}.html").read_text(encoding="utf-8")
    start = html.index('<span class="mono">pnpm-lock.yaml</span>')
    summary = html[html.rindex("<details", 0, start) : html.index("</summary>", start)]
    assert "open" not in summary.split(">")[0]  # collapsed
    assert f"+{size.added:,} −{size.removed:,} lines" in summary  # of the whole patch
    assert "generated file, patch collapsed" in summary
    assert f"{size.bytes:,} bytes in all" in html
    assert '<span class="cut">… cut: ' in html
    assert len(html.encode()) < 60_000


def test_a_changed_budget_renders_every_run_again(real_db, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1761955200")
    site = tmp_path / "site"
    build.build(real_db, site, options=build.Options(max_text_bytes=LIMIT))
    same = build.build(real_db, site, options=build.Options(max_text_bytes=LIMIT))
    assert same.kept > 0
    other = build.build(real_db, site, options=build.Options(max_text_bytes=LIMIT * 2))
    assert other.kept == 0
    page = next((site / "runs").glob("*-*.html")).read_text(encoding="utf-8")
    assert "… cut: " in page
    unlimited = build.build(real_db, site, options=build.Options(max_text_bytes=0))
    assert unlimited.kept == 0
    assert "… cut: " not in next((site / "runs").glob("*-*.html")).read_text(encoding="utf-8")
