"""Post one batch with one run to ``zebench serve``, the way the original harness does.

    ZE_BENCHMARKS_API_KEY=secret zebench serve          # in one terminal
    ZE_BENCHMARKS_API_KEY=secret python examples/post_results.py

Reads ZE_BENCHMARKS_WORKER_URL (default http://127.0.0.1:8787) and
ZE_BENCHMARKS_API_KEY, like the harness's client. Needs httpx.
"""

from __future__ import annotations

import os
import sys
import uuid
from datetime import UTC, datetime

import httpx


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def main() -> int:
    url = os.environ.get("ZE_BENCHMARKS_WORKER_URL", "http://127.0.0.1:8787")
    key = os.environ.get("ZE_BENCHMARKS_API_KEY", "")
    headers = {"Authorization": f"Bearer {key}"}
    batch_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
    started = now()
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        # The batch when it starts...
        created = int(datetime.now(UTC).timestamp() * 1000)
        answer = client.post("/api/results/batch", json={"batchId": batch_id, "createdAt": created})
        answer.raise_for_status()
        # ...each run once, whole, when it ends...
        run = {
            "runId": run_id, "batchId": batch_id, "suite": "update-deps",
            "scenario": "nx-pnpm-monorepo", "tier": "L1", "agent": "anthropic",
            "model": "claude-sonnet-4", "status": "completed",
            "startedAt": started, "completedAt": now(),
            "totalScore": 0.9, "weightedScore": 8.7, "isSuccessful": True,
            "metadata": {"diffSummary": []},
            "evaluations": [
                {"evaluatorName": "InstallEvaluator", "score": 1, "maxScore": 1,
                 "details": "Install succeeded"},
            ],
            "telemetry": {"toolCalls": 4, "tokensIn": 1200, "tokensOut": 300,
                          "costUsd": 0.01, "durationMs": 42000},
        }  # fmt: skip
        answer = client.post("/api/results", json=run)
        if answer.status_code >= 400:
            print(f"run refused ({answer.status_code}): {answer.json()['error']}", file=sys.stderr)
            return 1
        # ...and the batch again when it completes.
        done = {"batchId": batch_id, "createdAt": created, "completedAt": now(), "totalRuns": 1}
        client.post("/api/results/batch", json=done).raise_for_status()
        stored = client.get(f"/api/runs/{run_id}").json()
    print(f"stored run {stored['run']['runId']} in batch {batch_id}: see {url}/runs/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
