"""The benchmark at a tiny size: every figure is there and makes sense (no timings asserted)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from generator import bench, demo
from generator.cli import main
from generator.recorder import Recorder

RUNS = 50


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bench")
    result = CliRunner().invoke(main, ["bench", "--sizes", str(RUNS), "--workdir", str(workdir)])
    assert result.exit_code == 0, result.output
    saved = json.loads((workdir / "results.json").read_text())
    return saved, result.output, workdir


def test_every_figure_is_measured(report):
    saved, _, _ = report
    (size,) = saved["sizes"]
    assert size["runs"] == RUNS
    assert 0 < size["evaluations_per_run"] <= 6
    assert size["record"]["runs_per_s"] > 0 and size["recorder"]["runs_per_s"] > 0
    assert size["recorder"]["runs"] == RUNS
    for key in ("record", "floor", "full_build", "build_after_1", "build_after_100"):
        assert size[key]["seconds"] > 0
        assert size[key]["peak_mb"] > 10  # a Python process, measured, not a placeholder
    for key in ("full_build", "build_after_1", "build_after_100"):
        assert size[key]["x_floor"] > 0 and size[key]["pct_of_full"] > 0
    assert size["full_build"]["pct_of_full"] == 100
    assert size["site"]["files"] > RUNS and size["site"]["mb"] > 0
    assert size["dashboard_kb"] > 1 and size["runs_page_kb"] > 1
    assert set(saved["machine"]) == {"cpus", "cpu", "memory_gb", "python", "sqlite"}


def test_the_table_shows_every_row_and_the_machine(report):
    _, output, _ = report
    for label in ("runs/s", "Floor", "Full build", "after recording 1 run", "100 runs",
                  "peak memory", "Site size", "Dashboard weight", "Runs page weight"):  # fmt: skip
        assert label in output
    assert "× floor" in output and "Measured on" in output


def test_the_incremental_steps_really_added_runs(report):
    _, _, workdir = report
    conn = sqlite3.connect(workdir / str(RUNS) / "bench.db")
    assert conn.execute("SELECT COUNT(*) FROM benchmark_runs").fetchone()[0] == RUNS + 101
    conn.close()


def test_floor_writes_one_page_per_run(tmp_path):
    db = tmp_path / "f.db"
    demo.write_demo(db, runs=30)
    assert bench.floor(str(db), str(tmp_path / "out")) == 30
    pages = sorted((tmp_path / "out").iterdir())
    assert len(pages) == 30
    conn = sqlite3.connect(db)
    first_id = conn.execute("SELECT MIN(run_id) FROM benchmark_runs").fetchone()[0]
    assert first_id in (tmp_path / "out" / "1.html").read_text()


def test_page_weight_counts_html_css_scripts_and_table_data_but_not_plotly(tmp_path):
    site = tmp_path / "site"
    (site / "runs").mkdir(parents=True)
    (site / "static").mkdir()
    (site / "data" / "runs").mkdir(parents=True)
    html = (
        '<link rel="stylesheet" href="../static/site.css">'
        '<script src="../static/plotly.min.js"></script><script src="../static/table.js"></script>'
        '<script type="application/json" id="table-config">{"dataset":"runs"}</script>'
    )
    (site / "runs" / "index.html").write_text(html)
    for name, size in {"static/site.css": 100, "static/plotly.min.js": 5000,
                       "static/table.js": 200, "data/runs/index.js": 30,
                       "data/runs/0001.js": 400, "data/runs/0002.js": 800}.items():  # fmt: skip
        (site / name).write_bytes(b"x" * size)
    assert bench.page_weight(site, "runs/index.html") == len(html) + 100 + 200 + 30 + 400


def test_recorder_step_records_whole_runs(tmp_path):
    db = tmp_path / "r.db"
    payloads = list(demo.iter_run_payloads(5, seed=9))
    with Recorder(db) as recorder:
        for payload in payloads:
            bench.record_one(recorder, payload)
    conn = sqlite3.connect(db)
    stored = conn.execute("SELECT COUNT(*) FROM evaluation_results").fetchone()[0]
    assert stored == sum(len(p["evaluations"]) for p in payloads)
    assert conn.execute("SELECT COUNT(*) FROM run_telemetry").fetchone()[0] == 5


def test_bad_sizes_are_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["bench", "--sizes", "ten", "--workdir", str(tmp_path)])
    assert result.exit_code == 2 and "use numbers" in result.output
    result = CliRunner().invoke(main, ["bench", "--sizes", "0", "--workdir", str(tmp_path)])
    assert result.exit_code == 1 and "positive numbers" in result.output
