"""scripts/publish-from-artifacts.sh, with files standing in for CI's downloads: the
previous results file (or none), and the .db files the harness jobs uploaded."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SITE_EPOCH

from generator.results import demo
from generator.site import paths

SCRIPT = REPO / "scripts" / "publish-from-artifacts.sh"
pytestmark = pytest.mark.slow  # each case builds a site


def run_ids(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {row[0] for row in conn.execute("SELECT run_id FROM benchmark_runs")}
    finally:
        conn.close()


@pytest.fixture
def downloads(tmp_path: Path) -> tuple[Path, Path]:
    """previous.db (20 runs) and artifacts/job-*/results.db (8 and 5 runs)."""
    previous = (
        demo.write_demo(tmp_path / "previous.db", runs=20, seed=1) and tmp_path / "previous.db"
    )
    for job, (runs, seed) in {"job-a": (8, 2), "job-b": (5, 3)}.items():
        (tmp_path / "artifacts" / job).mkdir(parents=True)
        demo.write_demo(tmp_path / "artifacts" / job / "results.db", runs=runs, seed=seed)
    return previous, tmp_path / "artifacts"


def publish(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ZEBENCH": f"{sys.executable} -m generator",
        "SOURCE_DATE_EPOCH": SITE_EPOCH,
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *args], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_the_previous_file_and_every_artifact_end_up_in_the_site(tmp_path, downloads, digest):
    previous, artifacts = downloads
    untouched = digest(previous)
    wanted = run_ids(previous) | run_ids(artifacts / "job-a" / "results.db")
    wanted |= run_ids(artifacts / "job-b" / "results.db")
    assert len(wanted) == 33  # three disjoint sets of runs
    done = publish(tmp_path, str(previous), str(artifacts), "out/benchmarks.db", "site")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "starting from" in done.stdout and "merged 2 sources: 13 runs added" in done.stdout
    assert run_ids(tmp_path / "out" / "benchmarks.db") == wanted
    assert digest(previous) == untouched
    site = tmp_path / "site"
    for run_id in wanted:
        assert (site / "runs" / f"{paths.file_name(run_id)}.html").is_file()
    assert (site / "downloads" / "benchmarks.db").is_file()
    assert (site / "pagefind" / "pagefind.js").is_file()


def test_a_first_run_has_no_previous_file(tmp_path, downloads):
    _, artifacts = downloads
    done = publish(tmp_path, str(tmp_path / "missing.db"), str(artifacts))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no previous results file" in done.stdout
    assert len(run_ids(tmp_path / "data" / "benchmarks.db")) == 13
    assert (tmp_path / "site" / "index.html").is_file()


def test_no_artifacts_publishes_the_previous_file_as_it_is(tmp_path, downloads):
    previous, _ = downloads
    done = publish(tmp_path, str(previous), str(tmp_path / "none"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing to merge" in done.stdout
    assert run_ids(tmp_path / "data" / "benchmarks.db") == run_ids(previous)


def test_a_broken_artifact_fails_the_publish(tmp_path, downloads):
    previous, artifacts = downloads
    (artifacts / "job-c").mkdir()
    (artifacts / "job-c" / "results.db").write_text("not a database")
    done = publish(tmp_path, str(previous), str(artifacts))
    assert done.returncode == 1
    assert "Error:" in done.stderr and not (tmp_path / "site").exists()


def test_wrong_arguments_print_the_usage(tmp_path):
    done = publish(tmp_path, "only-one")
    assert done.returncode == 2 and "PREVIOUS_DB ARTIFACTS_DIR" in done.stderr
