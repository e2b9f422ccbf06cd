"""Page contexts and the site-only aggregates they use."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from generator import store
from generator.build import run_listing
from generator.queries import judge, reports, stats
from generator.queries.common import wide_rows
from generator.results import ingest
from generator.results.validate import normalise_run
from generator.site.pages import catalog, markdown, overview, top
from generator.site.pages import runs as run_pages


def record(db: Path, *payloads: dict) -> None:
    ingest.record_runs(
        db, [(f"run {i}", normalise_run(p, f"run {i}")) for i, p in enumerate(payloads)]
    )


def test_score_bins_count_a_ten_in_the_last_bin(empty_db: Path, make_run) -> None:
    record(
        empty_db,
        make_run("a", weightedScore=10.0),
        make_run("b", weightedScore=9.5),
        make_run("c", weightedScore=0.0),
        make_run("d", weightedScore=4.99),
        make_run("e", weightedScore=7.0, status="failed", isSuccessful=False),
    )
    bins = reports.score_bins(store.open_read(empty_db))
    assert len(bins) == 20 and bins[-1] == {"lo": 9.5, "hi": 10.0, "runs": 2}
    assert bins[0]["runs"] == 1 and bins[9]["runs"] == 1
    assert sum(b["runs"] for b in bins) == 4  # the failed run is not a completed score


def test_breakdown_uses_the_api_figures(site_db: Path) -> None:
    conn = store.open_read(site_db)
    (everything,) = reports.breakdown(conn, ())
    api = stats.global_stats(conn)
    assert {k: everything[k] for k in everything} == {k: api[k] for k in everything}
    by_agent = {r["agent"]: r for r in stats.agent_stats(conn)}
    for row in reports.breakdown(conn, ("agent",)):
        assert row["totalRuns"] == by_agent[row["agent"]]["totalRuns"]


@pytest.mark.parametrize(
    "by",
    [(), ("day",), ("suite", "tier"), ("suite", "scenario", "day", "agent", "model"), ("status",)],
)
def test_breakdown_of_shared_rows_is_the_scan(site_db: Path, empty_db: Path, by: tuple) -> None:
    for db in (site_db, empty_db):
        conn = store.open_read(db)
        rows = wide_rows(conn)
        assert reports.breakdown(conn, by, rows) == reports.breakdown(conn, by)


def test_outcomes_by_day_add_up(site_db: Path) -> None:
    conn = store.open_read(site_db)
    days = reports.outcomes_by_day(conn)
    assert [d["day"] for d in days] == sorted(d["day"] for d in days)
    for d in days:
        assert d["successful"] + d["unsuccessful"] + d["unknown"] + d["failed"] == d["runs"]
    assert sum(d["runs"] for d in days) == stats.global_stats(conn)["totalRuns"]


def test_judge_categories_read_only_well_formed_judgements(empty_db: Path, make_run) -> None:
    details = {"scores": [{"category": "safety", "score": 4, "reasoning": "ok"},
                        {"category": "safety", "score": "high"}, "junk"],
             "overall_assessment": "fine"}  # fmt: skip
    evaluations = [
        {"evaluatorName": "LLMJudgeEvaluator", "score": 0.8, "maxScore": 1,
         "details": json.dumps(details)},
        {"evaluatorName": "Other", "score": 1, "maxScore": 1, "details": "not json {"},
    ]  # fmt: skip
    record(empty_db, make_run("a", evaluations=evaluations))
    rows = judge.judge_categories(store.open_read(empty_db))
    assert [(r["category"], r["mean_score"], r["count"]) for r in rows] == [("safety", 4, 1)]


def test_evaluator_summary_pass_rate_is_half_marks(empty_db: Path, make_run) -> None:
    def run(run_id: str, score: float) -> dict:
        return make_run(run_id, evaluations=[{"evaluatorName": "E", "score": score, "maxScore": 2}])

    record(empty_db, run("a", 2), run("b", 1), run("c", 0.5))
    (row,) = reports.evaluator_summary(store.open_read(empty_db))
    assert row["count"] == 3 and row["pass_rate"] == pytest.approx(2 / 3)


def detail(metadata: object, details: object = "Install succeeded", tests: object = None) -> dict:
    return {
        "run": {"runId": "r", "metadata": metadata, "testResults": tests},
        "evaluations": [{"evaluatorName": "E", "score": 0.5, "maxScore": 1, "details": details}],
        "telemetry": None,
    }


def test_run_view_unpacks_metadata() -> None:
    meta = {
        "error": "boom", "errorType": "Timeout",
        "diffSummary": [{"file": "a.json", "changeType": "modified",
                         "textPatch": "--- a\n+++ b\n@@\n-old\n+new\n same"}],
        "depsDelta": [{"packagePath": "p", "section": "deps", "name": "nx",
                       "from": "1", "to": "2"}],
        "oracleQuestions": [{"question": "Upgrade?", "answer": "Yes"}],
        "somethingElse": {"k": 1},
    }  # fmt: skip
    view = run_pages.run_view(detail(meta, tests='{"passed": 3}'))
    assert view.error == {"error": "boom", "errorType": "Timeout"}
    assert [cls for cls, _ in view.diffs[0]["lines"]] == ["dh", "dh", "dh", "dd", "da", "dc"]
    assert view.deps[0]["to"] == "2" and view.oracle == [{"question": "Upgrade?", "answer": "Yes"}]
    assert json.loads(view.tests) == {"passed": 3}
    assert json.loads(view.other) == {"somethingElse": {"k": 1}}
    assert (
        view.evaluations[0]["text"] == "Install succeeded" and view.evaluations[0]["judge"] is None
    )


def test_run_view_reads_the_llm_judge_as_a_table() -> None:
    judge = json.dumps({"scores": [{"category": "safety", "score": 4, "reasoning": "<b>"}],
                        "overall_assessment": "fine"})  # fmt: skip
    (evaluation,) = run_pages.run_view(detail({}, judge)).evaluations
    assert evaluation["judge"] == {
        "categories": [{"category": "safety", "score": "4", "reasoning": "<b>"}],
        "overall": "fine",
    }
    assert evaluation["fraction"] == 0.5


def test_run_view_keeps_odd_metadata_as_text() -> None:
    view = run_pages.run_view(detail({"diffSummary": "not a list"}, tests="3 passed"))
    assert view.diffs == [] and json.loads(view.other) == {"diffSummary": "not a list"}
    assert view.tests == "3 passed"
    assert run_pages.run_view(detail("plain text")).other is not None


def test_runs_data_files_page_every_run_newest_first(site_db: Path, monkeypatch) -> None:
    monkeypatch.setattr(run_pages, "CHUNK_ROWS", 16)
    conn = store.open_read(site_db)
    files = dict(run_listing.files(conn, {}, {})[0])
    index = _data(files["data/runs/index.js"])
    total = stats.global_stats(conn)["totalRuns"]
    assert index["total"] == total and index["chunks"] == -(-total // 16)
    rows = [row for n in range(1, index["chunks"] + 1)
            for row in _data(files[f"data/runs/{n:04d}.js"])["rows"]]  # fmt: skip
    started = [r[index["fields"].index("startedAt")] for r in rows]
    assert len(rows) == total and started == sorted(started, reverse=True)
    assert "update-deps" in index["options"]["suite"]
    # The page's own weight must not grow with the number of batches.
    assert "batchId" not in index["options"]


def _data(blob: bytes) -> dict:
    text = blob.decode()
    assert text.startswith("ZB.data(") and text.endswith(");\n")
    return json.loads(text[text.index(",") + 1 : -3])


def test_dashboard_lists_stay_short(site_db: Path) -> None:
    conn = store.open_read(site_db)
    page = overview.dashboard(conn, reports.breakdown(conn, ("agent", "model")))
    assert page.ctx["totals"] == stats.global_stats(conn)
    assert len(page.ctx["recent_runs"]) == overview.RECENT
    assert len(page.ctx["top"]) <= overview.TOP_PERFORMERS
    assert set(page.charts) == {"score-distribution", "runs-over-time"}


def test_top_puts_missing_values_last() -> None:
    rows = [{"v": None}, {"v": 2}, {"v": 5}]
    assert top(rows, "v", 2) == [{"v": 5}, {"v": 2}]


def test_a_page_per_suite_and_scenario_with_unique_paths(site_db: Path) -> None:
    pages = list(catalog.suite_pages(store.open_read(site_db)))
    paths = [p.path for p in pages]
    assert len(paths) == len(set(paths)) and paths[0] == "suites/index.html"
    assert any(p.startswith("scenarios/update-deps/") for p in paths)


def test_markdown_titles(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: From front matter\n---\n# Heading\n")
    (tmp_path / "b.md").write_text("Intro\n\n## Second-level heading\n")
    (tmp_path / "c.md").write_text("no heading at all")
    found = markdown.load(tmp_path)
    assert [(p.slug, p.title, p.show_title) for p in found] == [
        ("a", "From front matter", True),
        ("b", "Second-level heading", True),
        ("c", "c", True),
    ]
    (tmp_path / "d.md").write_text("# Own title\n\ntext")
    assert markdown.load(tmp_path)[-1].show_title is False


# Details as another writer may have stored them: only well-formed judge entries count.
JUDGE_DETAILS = {
    "b-1": [
        '{"scores": [{"category": "style", "score": 4}, {"category": "safety", "score": 2.5},'
        ' {"category": "Beta", "score": 1}]}',
    ],
    "a-null": [
        '{"scores": [{"category": "zeta", "score": 5}]}',
        '{"scores": [{"category": "alpha", "score": 1}], "overall_assessment": "meh"}',
    ],
    "a-1": [
        '{"scores": [{"category": "style", "score": 2}, {"category": "style", "score": 3},'
        ' {"category": 7, "score": 5}, {"category": null, "score": 5},'
        ' {"category": ["style"], "score": 5}, {"score": 5},'
        ' {"category": "style", "score": "5"}, {"category": "style", "score": true},'
        ' {"category": "style", "score": false}, {"category": "style", "score": null},'
        ' {"category": "style", "score": [5]}, {"category": "style"},'
        ' "style", 5, null, ["style", 5]]}',
    ],
    "a-2": [
        '{"scores": [{"category": "style", "score": 1}]}',
        '{"scores": [{"category": "style", "score": 5}]',  # cut short
        '{"scores": [{"category": "style", "score": NaN}]}',
        '{"scores": [{"category": "style", "score": Infinity}]}',
        '{"scores": [{"category": "style", "score": -Infinity}]}',
        '{"scores": [{"category": "style", "score": 5}], "spread": NaN}',
        '{"scores": {"category": "style", "score": 5}}',
        '{"scores": "style: 5"}',
        '{"scores": null}',
        '[{"scores": [{"category": "style", "score": 5}]}]',
        '"scores"',
        '{"scores": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "scores: style 5",
    ],
}
JUDGE_RUNS = {"b-1": ("b-agent", "m1"), "a-null": ("a-agent", None), "a-1": ("a-agent", "m1"),
              "a-2": ("a-agent", "m1")}  # fmt: skip


def judged_db(path: Path, details: dict[str, list[str]], runs: dict[str, tuple]) -> Path:
    """*path* initialised, with *runs* (id -> agent, model) and their judge *details*."""
    store.init(path)
    conn = sqlite3.connect(path)
    with conn:
        for run_id, (agent, model) in runs.items():
            conn.execute(
                "INSERT INTO benchmark_runs (run_id, suite, scenario, tier, agent, model, status) "
                "VALUES (?, 's', 'sc', 'L0', ?, ?, 'completed')",
                (run_id, agent, model),
            )
            for text in details.get(run_id, []):
                conn.execute(
                    "INSERT INTO evaluation_results (run_id, evaluator_name, score, max_score, "
                    "details) VALUES (?, 'LLMJudgeEvaluator', 0.5, 1, ?)",
                    (run_id, text),
                )
    conn.close()
    return path


def test_judge_categories_skip_every_malformed_judgement(tmp_path: Path) -> None:
    db = judged_db(tmp_path / "judged.db", JUDGE_DETAILS, JUDGE_RUNS)
    rows = judge.judge_categories(store.open_read(db))
    # Per (agent, model, category) in SQLite's order: NULL model first, "Beta" < "safety".
    assert [(r["agent"], r["model"], r["category"], r["mean_score"], r["count"]) for r in rows] == [
        ("a-agent", None, "alpha", 1, 1),
        ("a-agent", None, "zeta", 5, 1),
        ("a-agent", "m1", "style", 2, 3),  # (2 + 3 + 1) / 3 from two runs
        ("b-agent", "m1", "Beta", 1, 1),
        ("b-agent", "m1", "safety", 2.5, 1),
        ("b-agent", "m1", "style", 4, 1),
    ]


def test_judge_categories_are_in_the_order_sqlite_sorts_them(tmp_path: Path) -> None:
    categories = ["b", "B", "a", "ä", "Z", "_", "10", "9", "\U0001f600", "\uffef"]
    text = json.dumps({"scores": [{"category": c, "score": 1} for c in categories]})
    runs = {"r1": ("zed", "m"), "r2": ("zed", None), "r3": ("Ant", "m"), "r4": ("ant", "")}
    db = judged_db(tmp_path / "order.db", {r: [text] for r in runs}, runs)
    keys = sqlite3.connect(":memory:")
    keys.execute("CREATE TABLE k (agent TEXT, model TEXT, category TEXT)")
    keys.executemany(
        "INSERT INTO k VALUES (?, ?, ?)", [(*runs[r], c) for r in runs for c in categories]
    )
    expected = keys.execute("SELECT * FROM k ORDER BY agent, model, category").fetchall()
    rows = judge.judge_categories(store.open_read(db))
    assert [(r["agent"], r["model"], r["category"]) for r in rows] == expected


def test_judge_categories_survive_a_score_too_large_for_a_float(tmp_path: Path) -> None:
    huge = '{"scores": [{"category": "style", "score": 1' + "0" * 400 + "},"
    huge += ' {"category": "style", "score": 1e400}, {"category": "style", "score": 3}]}'
    db = judged_db(tmp_path / "huge.db", {"r": [huge]}, {"r": ("a", "m")})
    rows = judge.judge_categories(store.open_read(db))
    assert [(r["category"], r["mean_score"], r["count"]) for r in rows] == [("style", 3, 1)]
