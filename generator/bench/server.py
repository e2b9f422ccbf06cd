"""The ``server`` section of ``zebench bench``: ``zebench serve`` over a size's file.

start ``zebench serve`` (a child process, live reload on) over the size's file
and site → three times: post one new run, then ask for its page until it is
served (the write, a debounced incremental build, the swap) → 200 GETs each of
/api/stats and /api/runs?limit=50 (p50, p99) → 1,000 runs posted one after
another by one keep-alive client (six evaluations each), while the site
rebuilds behind them.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import ParameterError
from generator.results import demo
from generator.site import paths

if TYPE_CHECKING:
    import httpx

Log = Callable[[str], None]
KEY = "bench-key"
POSTS = 1000
GETS = 200
PAGE_REPEATS = 3
GET_PATHS = ("/api/stats", "/api/runs?limit=50")


def measure(db: Path, site: Path, log: Log) -> dict:
    """Post rate, GET latencies and POST-to-page time of a server over *db* and *site*."""
    try:
        import httpx  # a client of the server, as the tests have: not needed to run zebench
    except ImportError:
        raise ParameterError(
            "the server's figures need an HTTP client: pip install httpx (make bench has it)"
        ) from None
    command = [sys.executable, "-m", "generator", "serve", "--db", str(db), "--out", str(site)]
    child = subprocess.Popen(
        [*command, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "ZE_BENCHMARKS_API_KEY": KEY},
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().split(" at ")[1].split()[0]
        headers = {"Authorization": f"Bearer {KEY}"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            log("      server: POST, then wait for the run's page")
            pages = [_post_to_page(client, seed) for seed in range(50, 50 + PAGE_REPEATS)]
            log("      server: GET latencies")
            result = {
                "post_to_page_s": sorted(pages)[len(pages) // 2],
                "post_to_page_samples_s": pages,
            }
            for path in GET_PATHS:
                result[path] = _latencies(client, path)
            log(f"      server: {POSTS:,} runs posted by one client")
            result["posts_per_s"] = _post_rate(client)
    finally:
        child.terminate()
        child.wait(timeout=120)
        if child.stdout is not None:
            child.stdout.close()
    return result


def _post_to_page(client: httpx.Client, seed: int) -> float:
    """Seconds from posting one new run to its page being served."""
    payload = next(demo.iter_run_payloads(1, seed=seed, full=True))
    page = f"/runs/{paths.file_name(payload['runId'])}.html"
    started = time.perf_counter()
    client.post("/api/results", json=payload).raise_for_status()
    while client.get(page).status_code != 200:
        if time.perf_counter() - started > 120:
            raise TimeoutError(f"{page} was not served within 120 s of the POST")
        time.sleep(0.02)
    return round(time.perf_counter() - started, 3)


def _latencies(client: httpx.Client, path: str) -> dict:
    samples = []
    for _ in range(GETS):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 2),
    }


def _post_rate(client: httpx.Client) -> int:
    payloads = list(demo.iter_run_payloads(POSTS, seed=60, full=True))
    started = time.perf_counter()
    for payload in payloads:
        client.post("/api/results", json=payload).raise_for_status()
    return round(POSTS / (time.perf_counter() - started))


def rows() -> list[tuple[str, Callable[[dict], str]]]:
    """The bench table's rows for this section."""

    def latency(path: str) -> Callable[[dict], str]:
        return lambda r: (
            f"p50 {r['server'][path]['p50_ms']:.1f} ms, p99 {r['server'][path]['p99_ms']:.1f} ms"
        )

    return [
        (
            "`zebench serve`: runs posted, one client",
            lambda r: f"{r['server']['posts_per_s']:,} runs/s",
        ),
        ("… GET /api/stats", latency("/api/stats")),
        ("… GET /api/runs?limit=50", latency("/api/runs?limit=50")),
        ("… POST to the run's page served", lambda r: f"{r['server']['post_to_page_s']:.2f} s"),
    ]
