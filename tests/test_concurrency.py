"""A build while writers append: every figure of one build comes from one snapshot."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import build_site

from generator import build
from generator.results import demo

pytestmark = pytest.mark.slow  # every test here takes more than a few seconds

# Appends runs for ever: each transaction a new batch of three runs, as a harness would.
WRITER = """
import itertools, sys, time
from generator.results import ingest
from generator.results.validate import normalise_run

db = sys.argv[1]
for n in itertools.count():
    runs = []
    for i in range(3):
        payload = {"runId": f"w{n}-{i}", "batchId": f"wb{n}", "suite": "update-deps",
                   "scenario": f"sc{i}", "tier": "L1", "agent": "echo", "status": "completed",
                   "startedAt": "2025-10-30T10:00:00Z", "completedAt": "2025-10-30T10:01:00Z",
                   "weightedScore": 5.0, "isSuccessful": True,
                   "evaluations": [{"evaluatorName": "TestEvaluator", "score": 1, "maxScore": 1}],
                   "telemetry": {"costUsd": 0.01}}
        runs.append((f"w{n}", normalise_run(payload, f"w{n}")))
    ingest.record_runs(db, runs)
    if n == 0:
        print("ready", flush=True)
    time.sleep(0.01)
"""


def data_total(out: Path) -> tuple[int, int]:
    """(the total the runs table announces, the rows its data files hold)."""

    def value(path: Path) -> dict:
        text = path.read_text()
        return json.loads(text[text.index(",") + 1 : text.rindex(");")])

    index = value(out / "data" / "runs" / "index.js")
    rows = sum(len(value(p)["rows"]) for p in (out / "data" / "runs").glob("[0-9]*.js"))
    return index["total"], rows


def _number(pattern: str, html: str) -> int:
    return int(re.search(pattern, html)[1].replace(",", ""))


def figures(out: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Every count of runs and batches the built site states, by where it states it."""
    stats = json.loads((out / "api" / "stats.json").read_text())
    dashboard = (out / "index.html").read_text()
    download = out / "downloads" / "benchmarks.db"
    copy = sqlite3.connect(download if download.exists() else ":memory:")
    with open(out / "downloads" / "runs.csv", newline="", encoding="utf-8") as f:
        csv_rows = len(list(csv.reader(f))) - 1
    table_total, table_rows = data_total(out)
    batch_listing = json.loads((out / "api" / "all" / "batches.json").read_text())
    counts = {
        "api/stats.json totalRuns": stats["totalRuns"],
        "dashboard total runs": _number(
            r'stat-value">([\d,]+)</div><div class="stat-label">runs<', dashboard
        ),
        "footer of every page": _number(r"<p>([\d,]+) runs", dashboard),
        "run pages": len(list((out / "runs").glob("*.html"))) - 1,  # less runs/index.html
        "api/runs/*.json": len(list((out / "api" / "runs").glob("*.json"))),
        "runs table total": table_total,
        "runs table rows": table_rows,
        "runs.csv rows": csv_rows,
    }
    if download.exists():
        counts["runs in the .db download"] = copy.execute(
            "SELECT COUNT(*) FROM benchmark_runs"
        ).fetchone()[0]
    batches = {
        "batch pages": len(list((out / "batches").glob("*.html"))) - 2,  # index, compare
        "api/all/batches.json total": batch_listing["total"],
    }
    if download.exists():
        batches["batches in the .db download"] = copy.execute(
            "SELECT COUNT(*) FROM batch_runs"
        ).fetchone()[0]
    copy.close()
    return counts, batches


@pytest.mark.parametrize("download", ["copy", "none"])  # copied, or the file itself read
def test_builds_while_writers_append_each_see_one_snapshot(tmp_path: Path, download: str) -> None:
    db = tmp_path / "benchmarks.db"
    demo.write_demo(db, runs=150, seed=5)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline() == "ready\n"
        totals = []
        for n in range(4):
            out = tmp_path / f"site{n}"
            build_site(db, out, options=build.Options(db_download=download))
            assert (out / "downloads" / "benchmarks.db").exists() == (download == "copy")
            runs, batches = figures(out)
            assert len(set(runs.values())) == 1, runs
            assert len(set(batches.values())) == 1, batches
            totals.append(runs["run pages"])
    finally:
        writer.kill()
        writer.wait()
    assert len(set(totals)) == len(totals)  # the writer really added runs between and during builds
