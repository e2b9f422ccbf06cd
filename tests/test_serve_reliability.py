"""``zebench serve`` as a process under load and signals: 8 clients at once,
SIGTERM and SIGKILL in the middle of writes. Every run lands whole or not at all."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from generator.results import demo

pytestmark = pytest.mark.slow

KEY = "reliability-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
EVALUATIONS = 6  # every demo run made with full=True


@contextmanager
def serving(tmp_path: Path, *options: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """``zebench serve`` in a child process on a free port; yields it and its URL."""
    command = [sys.executable, "-m", "generator", "serve", "--port", "0", *options]
    command += ["--db", str(tmp_path / "results.db"), "--out", str(tmp_path / "site")]
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ZE_BENCHMARKS_API_KEY": KEY},
    )
    try:
        line = child.stdout.readline()
        assert line.startswith("Serving "), child.stderr.read()
        yield child, line.split(" at ")[1].split()[0]
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=60)
        child.stdout.close()
        child.stderr.close()


def post_all(url: str, payloads: list[dict], accepted: list[str], stop: threading.Event) -> None:
    """Post *payloads* one after another on one keep-alive connection; note each runId
    answered 201 in *accepted*; stop at the first failure (the server went away)."""
    with httpx.Client(base_url=url, headers=AUTH, timeout=60) as client:
        for payload in payloads:
            if stop.is_set():
                return
            try:
                response = client.post("/api/results", json=payload)
            except httpx.TransportError:
                return
            if response.status_code != 201:
                return
            accepted.append(payload["runId"])


def clients(url: str, groups: list[list[dict]]) -> tuple[list[threading.Thread], list[str]]:
    """One thread per group of payloads, started; and the list of runIds accepted."""
    accepted: list[str] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=post_all, args=(url, group, accepted, stop)) for group in groups
    ]
    for thread in threads:
        thread.start()
    return threads, accepted


def payload_groups(clients: int, each: int, seed: int) -> list[list[dict]]:
    runs = list(demo.iter_run_payloads(clients * each, seed=seed, full=True))
    return [runs[i * each : (i + 1) * each] for i in range(clients)]


def stored(db: Path) -> dict[str, tuple[int, int]]:
    """runId -> (evaluations, telemetry rows) of every stored run."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT r.run_id, "
            "(SELECT COUNT(*) FROM evaluation_results e WHERE e.run_id = r.run_id), "
            "(SELECT COUNT(*) FROM run_telemetry t WHERE t.run_id = r.run_id) "
            "FROM benchmark_runs r ORDER BY r.run_id"
        ).fetchall()
    finally:
        conn.close()
    return {run_id: (evaluations, telemetry) for run_id, evaluations, telemetry in rows}


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def wait_for(accepted: list[str], count: int, child: subprocess.Popen) -> None:
    """Block until *count* runs were accepted (the server must stay up meanwhile)."""
    while len(accepted) < count:
        assert child.poll() is None, child.stderr.read()
        threading.Event().wait(0.02)


def test_eight_clients_posting_200_runs_each_store_all_1600_whole(tmp_path: Path) -> None:
    groups = payload_groups(8, 200, seed=11)
    with serving(tmp_path, "--no-live") as (child, url):
        threads, accepted = clients(url, groups)
        for thread in threads:
            thread.join()
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=60)
        errors = child.stderr.read()
    assert len(accepted) == 1600, errors
    runs = stored(tmp_path / "results.db")
    assert set(runs) == {payload["runId"] for group in groups for payload in group}
    assert set(runs.values()) == {(EVALUATIONS, 1)}
    assert "locked" not in errors
    assert integrity(tmp_path / "results.db") == "ok"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_mid_writes_finishes_them_and_exits(tmp_path: Path, stop: int) -> None:
    with serving(tmp_path, "--no-live") as (child, url):
        threads, accepted = clients(url, payload_groups(4, 400, seed=12))
        wait_for(accepted, 100, child)
        child.send_signal(stop)
        code = child.wait(timeout=60)
        for thread in threads:
            thread.join()
        errors = child.stderr.read()
    # uvicorn raises SIGTERM again once it has shut down, so that is the exit cause.
    assert code in (0, -signal.SIGTERM), errors
    assert "stopped: every request in flight was answered" in errors
    assert "Traceback" not in errors
    runs = stored(tmp_path / "results.db")
    assert set(accepted) <= set(runs)  # every run answered 201 is stored
    assert set(runs.values()) == {(EVALUATIONS, 1)}  # and every stored run is whole
    assert integrity(tmp_path / "results.db") == "ok"


def test_sigkill_mid_writes_leaves_only_whole_runs(tmp_path: Path) -> None:
    with serving(tmp_path, "--no-live") as (child, url):
        threads, accepted = clients(url, payload_groups(4, 400, seed=13))
        wait_for(accepted, 150, child)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        for thread in threads:
            thread.join()
    db = tmp_path / "results.db"
    assert integrity(db) == "ok"
    runs = stored(db)
    assert set(accepted) <= set(runs)
    assert set(runs.values()) == {(EVALUATIONS, 1)}
