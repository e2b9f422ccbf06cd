"""zebench compare and queries.comparison: sides, verdicts, formats, exit codes.

The markdown of one comparison of the default demo is kept in
tests/golden-compare/compare.md; after an intended change refresh it with

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_comparison.py

and review the diff.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.queries import common, comparison
from generator.results import demo
from generator.site import comparison_text

GOLDEN = Path(__file__).resolve().parent / "golden-compare" / "compare.md"
CLAUDE = ("update-deps", "claude-code", "claude-sonnet-4-5-20250929")
GPT = ("update-deps", "openrouter", "openai/gpt-5-codex")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("compare") / "demo.db"
    demo.write_demo(db)
    return db


@pytest.fixture(scope="module")
def sweeps(demo_db: Path) -> dict[tuple[str, ...], list[str]]:
    conn = sqlite3.connect(demo_db)
    try:
        return comparison.series(conn)
    finally:
        conn.close()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_success_mapping():
    assert comparison.success("completed", 1) is True
    assert comparison.success("completed", 0) is False
    assert comparison.success("failed", None) is False
    assert comparison.success("incomplete", 1) is False
    assert comparison.success("running", None) is None
    assert comparison.success("completed", None) is None
    assert comparison.success("completed", 2) is False  # successful means 1, as in figures
    assert comparison.success("running", 0) is False  # recorded: known
    # the rules of every other figure: known when recorded, successful only when 1
    for status in ("completed", "failed", "incomplete", "running"):
        for recorded in (None, 0, 1, 2):
            row = (status, recorded)
            expected = common.is_success(row) if common.is_known(row) else None
            assert comparison.success(status, recorded) == expected


def test_demo_series_regress_and_stay(sweeps):
    assert len(sweeps[CLAUDE]) == 5 and len(sweeps[GPT]) == 3


def test_regression_exits_3_with_the_verdict_first(demo_db, sweeps):
    base, cand = sweeps[CLAUDE][-2:]
    code, out, _ = run("compare", "--db", str(demo_db), base, cand)
    assert code == 3
    assert out.startswith("Regression: success rate down")
    code, _, _ = run("compare", "--db", str(demo_db), base, cand, "--fail-on", "never")
    assert code == 0


def test_inconclusive_passes_unless_asked(demo_db, sweeps):
    base, cand = sweeps[GPT][-2:]
    code, out, _ = run("compare", "--db", str(demo_db), base, cand)
    assert code == 0 and out.startswith("Inconclusive")
    code, _, _ = run("compare", "--db", str(demo_db), base, cand, "--fail-on", "inconclusive")
    assert code == 3


def test_errors_exit_1_and_usage_exits_2(demo_db, sweeps):
    code, _, err = run("compare", "--db", str(demo_db), "no-such-batch", "latest")
    assert code == 1 and err.startswith("Error: no batch 'no-such-batch'")
    other = next(ids[0] for key, ids in sweeps.items() if key[0] != "update-deps")
    code, _, err = run("compare", "--db", str(demo_db), sweeps[CLAUDE][0], other)
    assert code == 1 and "no cell" in err
    code, _, err = run("compare", "--db", str(demo_db), "colour=blue", "latest")
    assert code == 2 and "filters are key=value" in err
    code, _, err = run("compare", "--db", str(demo_db), "latest")
    assert code == 2
    code, _, err = run("compare", "--db", str(demo_db), "a", "b", "--tolerance", "-1")
    assert code == 2


def test_filters_select_runs_by_agent_and_time(demo_db):
    code, out, _ = run(
        "compare", "--db", str(demo_db), "--format", "json",
        "agent=claude-code,suite=update-deps,until=2025-10-20",
        "agent=claude-code,suite=update-deps,since=2025-10-21",
    )  # fmt: skip
    result = json.loads(out)
    assert code == 3 and result["verdict"] == "regression"
    assert result["candidate"]["runs"] == 24


def test_json_holds_the_documented_fields(demo_db, sweeps):
    base, cand = sweeps[CLAUDE][-2:]
    _, out, _ = run("compare", "--db", str(demo_db), "--format", "json", base, cand)
    result = json.loads(out)
    for side, label in (("base", base), ("candidate", cand)):
        assert result[side]["label"] == label
        for key in ("runs", "successfulRuns", "runsWithKnownSuccess", "successRate"):
            assert isinstance(result[side][key], (int, float))
        low, high = result[side]["successRateCI"]
        assert low <= result[side]["successRate"] <= high
    for key in ("method", "pairedCells", "successRateDelta", "successRateDeltaCI", "pValue"):
        assert result[key] is not None
    assert result["verdict"] == "regression" and result["pairedCells"] == 12
    cell = result["cells"][0]
    assert {"suite", "scenario", "tier", "pValue", "qValue"} <= set(cell)
    assert {"runs", "successfulRuns"} <= set(cell["base"]) & set(cell["candidate"])
    assert set(result["flaky"]) == {"base", "candidate"}


def test_latest_and_previous_name_batches(demo_db):
    conn = sqlite3.connect(demo_db)
    try:
        latest = comparison.resolve(conn, "latest")[0]
        previous = comparison.resolve(conn, "previous")[0]
        assert comparison.previous_batches(conn)[latest] == previous
    finally:
        conn.close()


def test_markdown_matches_the_golden_copy(demo_db, sweeps):
    base, cand = sweeps[CLAUDE][-2:]
    _, out, _ = run("compare", "--db", str(demo_db), "--format", "markdown", base, cand)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(out, encoding="utf-8")
    assert out == GOLDEN.read_text(encoding="utf-8"), "UPDATE_GOLDEN=1 to refresh"
    # The marker first: a CI job finds its pull-request comment by it.
    assert out.startswith("<!-- zebench-compare -->\n### 🔴 Regression")
    assert "<details><summary>Per cell" in out and "<details><summary>Method" in out


def test_markdown_escapes_names_from_results():
    assert comparison_text.md("a|b<script>`x`") == "a\\|b&lt;script&gt;\\`x\\`"
    assert comparison_text.md("two\nlines") == "two lines"
