"""The benchmark at a tiny size: every figure is there and makes sense (no timings asserted)."""

from __future__ import annotations

import json
import os
import sqlite3
import sys

import pytest
from click.testing import CliRunner
from conftest import in_fork

from generator import bench
from generator.bench import floor, process_memory, server
from generator.bench import real as real_sized
from generator.cli import main
from generator.results import demo
from generator.results.recorder import Recorder

pytestmark = pytest.mark.slow  # every test here takes more than a few seconds

RUNS = 50
REAL = 12


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bench")
    args = ["bench", "--sizes", str(RUNS), "--real", str(REAL), "--workdir", str(workdir)]
    result = CliRunner().invoke(main, args)
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
    statistics = size["statistics"]
    assert set(statistics) == {"regressions", "batch_comparisons", "repeats"}
    assert all(part["seconds"] > 0 for part in statistics.values())
    assert statistics["repeats"]["cells"] > 0
    for key in ("record", "floor", "full_build", "build_after_1", "build_after_100"):
        assert size[key]["seconds"] > 0
        assert size[key]["peak_mb"] > 10  # a Python process, measured, not a placeholder
        # Summed resident sizes count pages shared with forked workers once per process.
        assert size[key]["peak_rss_mb"] >= size[key]["peak_mb"]
        assert size[key]["user_s"] > 0 and size[key]["kernel_s"] >= 0
    for key in ("full_build", "build_after_1", "build_after_100"):
        assert size[key]["x_floor"] > 0 and size[key]["pct_of_full"] > 0
        assert 0 <= size[key]["search_s"] < size[key]["seconds"]  # said by the build
    assert size["full_build"]["pct_of_full"] == 100
    assert size["site"]["files"] > RUNS and size["site"]["mb"] > 0
    assert size["dashboard_kb"] > 1 and size["runs_page_kb"] > 1
    assert set(saved["machine"]) == {"cpus", "cpu", "memory_gb", "python", "sqlite"}
    served = size["server"]
    assert served["posts_per_s"] > 0 and served["post_to_page_s"] > 0
    assert len(served["post_to_page_samples_s"]) == server.PAGE_REPEATS
    for path in server.GET_PATHS:
        assert 0 < served[path]["p50_ms"] <= served[path]["p99_ms"]


def test_the_table_shows_every_row_and_the_machine(report):
    _, output, _ = report
    for label in ("runs/s", "Floor", "Full build", "after recording 1 run", "100 runs",
                  "peak memory", "CPU, user + kernel", "Site size", "Dashboard weight",
                  "Runs page weight", "the search index, alongside the rest",
                  "Statistics: regressions over time", "pass@k, pass^k"):  # fmt: skip
        assert label in output
    assert "× floor" in output and "Measured on" in output


def test_the_incremental_steps_really_added_runs(report):
    _, _, workdir = report
    conn = sqlite3.connect(workdir / str(RUNS) / "bench.db")
    added = bench.REPEATS * sum(bench.EXTRA_SEEDS)  # each batch of new runs recorded 3 times
    posted = server.PAGE_REPEATS + server.POSTS  # then the server section posts its own
    count = conn.execute("SELECT COUNT(*) FROM benchmark_runs").fetchone()[0]
    assert count == RUNS + added + posted == 1356
    conn.close()


def test_an_incremental_step_reports_the_median_of_its_samples(report):
    saved, output, _ = report
    for key in ("build_after_1", "build_after_100"):
        step = saved["sizes"][0][key]
        samples = step["samples_s"]
        assert len(samples) == bench.REPEATS == 3
        assert step["seconds"] == sorted(samples)[1]
    assert "median of 3" in output


def test_median_step_keeps_the_middle_sample_whole():
    steps = [bench.Step(s, 100 + s, 200, s / 2, 0.1) for s in (5.0, 3.0, 4.0)]
    middle = bench.median_step(steps)
    assert middle == {"seconds": 4.0, "peak_mb": 104.0, "peak_rss_mb": 200, "user_s": 2.0,
                      "kernel_s": 0.1, "search_s": None, "samples_s": [5.0, 3.0, 4.0]}  # fmt: skip


def test_cpu_time_of_a_step_includes_the_workers_it_started():
    # The parent only waits; a worker it starts and waits for burns 0.4 s of CPU.
    code = (
        "import multiprocessing, time\n"
        "def burn():\n"
        "    while time.process_time() < 0.4: pass\n"
        "if __name__ == '__main__':\n"
        "    worker = multiprocessing.get_context('fork').Process(target=burn)\n"
        "    worker.start(); worker.join()\n"
    )
    step = bench.measure([sys.executable, "-c", code], log=lambda line: None)
    assert step.user_s + step.kernel_s >= 0.4
    assert step.seconds >= 0.4


def test_peak_memory_of_a_step_is_the_sum_over_its_workers():
    # The parent stays small; two workers hold 150 MB each at once, for two seconds:
    # several samples. The largest process alone (what the kernel reports) is 150 MB.
    code = (
        "import multiprocessing, os, time\n"
        "def hold():\n"
        "    ballast = os.urandom(150 << 20)\n"
        "    time.sleep(2)\n"
        "if __name__ == '__main__':\n"
        "    fork = multiprocessing.get_context('fork')\n"
        "    workers = [fork.Process(target=hold) for _ in range(2)]\n"
        "    for worker in workers: worker.start()\n"
        "    for worker in workers: worker.join()\n"
    )
    step = bench.measure([sys.executable, "-c", code], log=lambda line: None)
    assert step.peak_mb >= 300 and step.peak_rss_mb >= 300


def test_floor_writes_one_page_per_run(tmp_path):
    db = tmp_path / "f.db"
    demo.write_demo(db, runs=30)
    assert floor.floor(str(db), str(tmp_path / "out")) == 30
    pages = sorted((tmp_path / "out").iterdir())
    assert len(pages) == 30
    conn = sqlite3.connect(db)
    first_id, created = conn.execute(
        "SELECT r.run_id, b.createdAt FROM benchmark_runs r LEFT JOIN batch_runs b "
        "USING (batchId) ORDER BY r.run_id LIMIT 1"
    ).fetchone()
    page = (tmp_path / "out" / "1.html").read_text()
    assert created is not None  # the demo's runs are in batches
    assert first_id in page and f": {created} –" in page  # its batch's row was read too


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


def test_the_measured_runs_carry_six_evaluations_each(report):
    saved, _, _ = report
    assert saved["sizes"][0]["evaluations_per_run"] == 6


def test_only_the_results_and_each_sizes_database_and_inputs_remain(report):
    _, _, workdir = report
    left = {p.relative_to(workdir).as_posix() for p in workdir.rglob("*") if p.is_file()}
    assert left == {
        "results.json",
        f"{RUNS}/bench.db",
        f"{RUNS}/runs.jsonl",
        f"real-{REAL}/bench.db",
        f"real-{REAL}/runs.jsonl",
    } | {f"{RUNS}/new-{extra}-{repeat}.jsonl" for extra in (1, 100) for repeat in (1, 2, 3)} | {
        f"real-{REAL}/new-{repeat}.jsonl" for repeat in (1, 2, 3)
    }


def test_the_real_sized_step_measures_real_sized_runs(report):
    saved, output, workdir = report
    real = saved["real"]
    assert real["runs"] == REAL and real["record"]["runs_per_s"] > 0
    # About 100 KB of metadata a run: the results file holds well over 50 KB a run.
    assert real["db"]["kb_per_run"] > 50 and real["jsonl_mb"] > REAL * 0.05
    for key in ("record", "full_build", "build_after_1"):
        assert real[key]["seconds"] > 0 and real[key]["peak_mb"] > 10
    assert len(real["build_after_1"]["samples_s"]) == bench.REPEATS
    assert real["site"]["files"] > REAL and real["site"]["kb_per_run"] > 0
    conn = sqlite3.connect(workdir / f"real-{REAL}" / "bench.db")
    assert conn.execute("SELECT COUNT(*) FROM benchmark_runs").fetchone()[0] == REAL + 3
    conn.close()
    for label in ("Real-sized step", "KB a run without the results file", "Results file"):
        assert label in output


def test_site_figures_leave_the_results_file_out(tmp_path):
    site = tmp_path / "site"
    (site / "downloads").mkdir(parents=True)
    (site / "index.html").write_bytes(b"x" * 3000)
    (site / "downloads" / "bench.db").write_bytes(b"d" * 5000)
    figures = real_sized.site_figures(site, 2, "bench.db")
    assert figures == {"mb": 0.0, "files": 2, "kb_per_run": 1.5, "db_copied": True}


def test_a_size_given_twice_is_measured_once(tmp_path, monkeypatch):
    measured = []

    def fake_size(runs, workdir, log):
        (workdir / str(runs)).mkdir(parents=True)  # as bench_size does: fails if it exists
        measured.append(runs)
        return {"runs": runs}

    monkeypatch.setattr(bench, "bench_size", fake_size)
    report = bench.run([5, 7, 5], tmp_path, log=lambda line: None)
    assert measured == [5, 7] and [s["runs"] for s in report["sizes"]] == [5, 7]


def test_outputs_are_deleted_only_after_every_size_is_measured(tmp_path, monkeypatch):
    stale = tmp_path / "5"
    (stale / "site").mkdir(parents=True)
    (stale / "site" / "old.html").write_text("from an earlier bench")
    (stale / "leftover.jsonl").write_text("{}\n")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("not a size")
    measured = []

    def fake_size(runs, workdir, log):
        folder = workdir / str(runs)
        folder.mkdir(parents=True)  # as bench_size does: the size's folder starts empty
        for name in ("bench.db", "runs.jsonl", "new-1.jsonl", "new-100.jsonl",
                     "site/index.html", "site/runs/r.html", "floor/1.html"):  # fmt: skip
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(name)
        # Nothing measured so far has been deleted yet.
        assert all((workdir / str(n) / "site" / "runs" / "r.html").is_file() for n in measured)
        assert all((workdir / str(n) / "floor" / "1.html").is_file() for n in measured)
        measured.append(runs)
        return {"runs": runs}

    monkeypatch.setattr(bench, "bench_size", fake_size)
    report = bench.run([5, 7], tmp_path, log=lambda line: None)
    assert measured == [5, 7] and [s["runs"] for s in report["sizes"]] == [5, 7]
    assert json.loads((tmp_path / "results.json").read_text()) == report
    left = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    inputs = ("bench.db", "runs.jsonl", "new-1.jsonl", "new-100.jsonl")
    assert left == {"results.json", "notes/mine.txt"} | {
        f"{size}/{name}" for size in (5, 7) for name in inputs
    }
    assert sorted(p.name for p in (tmp_path / "5").iterdir()) == sorted(inputs)


def _statm_resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_tree_memory_of_a_process_is_at_most_its_resident_size():
    # In a fork: this test process may have children (a browser) of its own.
    memory, resident = in_fork(lambda: [process_memory.tree_memory(os.getpid()), _statm_resident()])
    assert 0 < memory <= resident


def test_tree_memory_counts_a_forked_worker_once_not_twice():
    def measure() -> list:
        ballast = bytearray(os.urandom(64 << 20))  # 64 MB the worker shares, unchanged
        resident = _statm_resident()
        go, ready = os.pipe()
        worker = os.fork()
        if worker == 0:  # the worker: holds the shared pages until the pipe closes
            os.close(ready)
            os.read(go, 1)
            os._exit(0)
        os.close(go)
        with open(f"/proc/{worker}/statm") as statm:
            worker_resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        tree, alone = process_memory.tree_memory(os.getpid()), process_memory.tree_memory(worker)
        os.close(ready)
        os.waitpid(worker, 0)
        del ballast
        return [resident, worker_resident, tree, alone]

    resident, worker_resident, tree, alone = in_fork(measure)
    assert worker_resident > 64 << 20  # resident sizes count the shared pages in each
    assert 0 < alone < tree < resident + (16 << 20)  # the tree counts them once


def test_tree_memory_of_a_process_that_is_gone_is_zero():
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os._exit(0)
    os.waitpid(pid, 0)
    assert process_memory.tree_memory(pid) == 0
    with open("/proc/sys/kernel/pid_max") as pid_max:
        assert process_memory.tree_memory(int(pid_max.read()) + 1) == 0  # no pid is that large
