"""SIGKILL at random moments: the file stays sound and holds only whole runs."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from generator import store
from generator.results import demo, ingest

pytestmark = pytest.mark.slow  # every test here takes more than a few seconds

# Records runs forever, one transaction per start and one per completion.
RECORDER_LOOP = """
import sys
from generator.results.recorder import Recorder

rec = Recorder(sys.argv[1])
n = 0
while True:
    with rec.run(suite="update-deps", scenario="crash", tier="L1", agent="echo") as run:
        for name in ("A", "B", "C", "D", "E", "F"):
            run.log_evaluation(name, 0.5, details="x" * 2000)
        run.log_telemetry(tokens_in=6, tokens_out=1, prompt_sent="p" * 5000)
        run.complete(total_score=0.5, weighted_score=5.0)
    n += 1
    if n == 1:
        print("ready", flush=True)
"""


def kill_after(proc: subprocess.Popen, delay: float) -> None:
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def check_sound(db) -> sqlite3.Connection:
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    return conn


def test_recorder_killed_twenty_times_leaves_only_whole_runs(tmp_path):
    db = tmp_path / "crash.db"
    store.init(db)
    rng = random.Random(5)
    for _ in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-c", RECORDER_LOOP, str(db)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout.readline() == "ready\n"
        kill_after(proc, rng.uniform(0, 0.3))
    conn = check_sound(db)
    shapes = conn.execute(
        "SELECT r.status, "
        "(SELECT COUNT(*) FROM evaluation_results e WHERE e.run_id = r.run_id), "
        "(SELECT COUNT(*) FROM run_telemetry t WHERE t.run_id = r.run_id AND t.tokens_in = 6) "
        "FROM benchmark_runs r"
    ).fetchall()
    # A run is either the 'running' trace of a killed harness, or complete and whole.
    assert set(shapes) <= {("running", 0, 0), ("completed", 6, 1)}
    assert sum(1 for s in shapes if s[0] == "completed") >= 20


def test_merge_killed_at_random_moments_leaves_target_whole(tmp_path):
    source, base = tmp_path / "source.db", tmp_path / "base.db"
    demo.write_demo(source, runs=1500, seed=11)
    demo.write_demo(base, runs=10, seed=12)
    src = store.open_read(source)
    ids = [r[0] for r in src.execute("SELECT run_id FROM benchmark_runs")]
    expected = ingest.stored_runs(src, ids)
    rng = random.Random(6)
    for trial in range(20):
        target = tmp_path / f"target{trial}.db"
        shutil.copyfile(base, target)
        proc = subprocess.Popen(
            [sys.executable, "-m", "generator", "merge", "--db", str(target), str(source)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        kill_after(proc, rng.uniform(0.05, 0.5))
        conn = check_sound(target)
        merged = [r[0] for r in conn.execute("SELECT run_id FROM benchmark_runs")]
        conn.close()
        assert len(merged) in (10, 10 + len(ids))  # all of the source, or none of it
        present = set(merged) & set(ids)
        stored = ingest.stored_runs(store.open_read(target), sorted(present))
        assert stored == {run_id: expected[run_id] for run_id in present}
