"""Batches: the list (client-side over a data file), a page per batch, the side-by-side view.

The side-by-side view of 2–5 batches is drawn in the browser from one small data
file per batch, so any batches can be set side by side on a static host; it
follows ``queries.side_by_side`` (differences against the first batch, higher or
lower, never a verdict). A batch page's verdict against the previous comparable
batch comes from ``queries.comparison``.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from typing import Any

from generator.queries import batches
from generator.site import paths
from generator.site.pages import Page, comparison
from generator.site.pages.runs import csv_row, data_script

BATCHES_CRUMB = (("Batches", "batches/index.html"),)
RUNS_SHOWN = 500  # a batch page lists this many runs; the runs table has them all
File = tuple[str, bytes]

LIST_FIELDS = (
    "href",
    "batchId",
    "createdAt",
    "completedAt",
    "status",
    "totalRuns",
    "successRate",
    "avgWeightedScoreCompleted",
    "totalCostUsd",
    "successRateCI",
    "runsWithKnownSuccess",
)
SUMMARY_KEYS = (
    "totalRuns",
    "successfulRuns",
    "runsWithKnownSuccess",
    "successRate",
    "completedRuns",
    "failedRuns",
    "avgWeightedScoreCompleted",
    "avgScoreCompleted",
    "totalCostUsd",
)
SCENARIO_KEYS = ("suite", "scenario", "runs", "successRate", "avgWeightedScoreCompleted")
CSV_FIELDS = (
    "runId",
    "suite",
    "scenario",
    "tier",
    "agent",
    "model",
    "status",
    "isSuccessful",
    "startedAt",
    "completedAt",
    "totalScore",
    "weightedScore",
    "successMetric",
)


def status(batch: dict[str, Any]) -> str:
    """A batch is completed once it has a completion time."""
    return "completed" if batch["completedAt"] else "running"


def index_page(conn: sqlite3.Connection) -> Page:
    """The batch list; its rows come from ``data/batches/`` files."""
    config = {"dataset": "batches", "pageSize": 50, "filters": ["status"]}
    return Page(
        path="batches/index.html",
        template="batches.html",
        title="Batches",
        section="batches",
        ctx={"total": batches.count_batches(conn), "config": config},
        scripts=("format.js", "table.js", "pick.js"),
    )


def compare_page() -> Page:
    """The comparison of the batches named in the URL; drawn by compare.js."""
    return Page(
        path="batches/compare.html",
        template="compare.html",
        title="Compare batches",
        section="batches",
        crumbs=BATCHES_CRUMB,
        ctx={},
        scripts=("format.js", "compare.js"),
    )


def list_value(batch: dict[str, Any], field: str) -> Any:
    """The value of a batch's column *field* (of LIST_FIELDS) in the batch list."""
    return status(batch) if field == "status" else batch[field]


def batch_files(
    batch: dict[str, Any], analytics: dict[str, Any], compared: dict[str, Any] | None = None
) -> Iterator[Page | File]:
    """One batch's page, CSV and comparison data file, from ``iter_batch_details``;
    *compared*: its comparison with the previous comparable batch
    (``comparison.batch_comparisons``), if it has one."""
    seg = paths.file_name(batch["batchId"])
    yield Page(
        path=f"batches/{seg}.html",
        template="batch.html",
        title=f"Batch {batch['batchId']}",
        section="batches",
        crumbs=BATCHES_CRUMB,
        ctx=_context(batch, analytics, seg, compared),
    )
    yield f"batches/{seg}.csv", _csv(batch["runs"])
    yield (
        f"data/batches/{seg}.js",
        data_script(f"batches/{seg}", _compare_data(batch, analytics)),
    )


def _context(
    batch: dict[str, Any], analytics: dict[str, Any], seg: str, compared: dict[str, Any] | None
) -> dict[str, Any]:
    """Batch page context: batch (queries.get_batch), analytics (queries.batch_analytics),
    status, seg (file name), runs (the first RUNS_SHOWN), tier_max (largest tier count),
    comparison (pages.comparison.view with the previous comparable batch, or None)."""
    tiers = analytics["tierDistribution"]
    view = None
    if compared is not None:
        view = comparison.view(compared["result"], compared["base"], batch["batchId"])
    return {
        "comparison": view,
        "batch": batch,
        "analytics": analytics,
        "status": status(batch),
        "seg": seg,
        "runs": batch["runs"][:RUNS_SHOWN],
        "tier_max": max((t["runs"] for t in tiers), default=0),
    }


def _compare_data(batch: dict[str, Any], analytics: dict[str, Any]) -> dict[str, Any]:
    return {
        "batchId": batch["batchId"],
        "createdAt": batch["createdAt"],
        "status": status(batch),
        **{key: batch[key] for key in SUMMARY_KEYS},
        "scenarios": [
            {key: row[key] for key in SCENARIO_KEYS} for row in analytics["suiteBreakdown"]
        ],
    }


def _csv(runs: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180; and a CR in a cell gets quoted
    writer.writerow(CSV_FIELDS)
    for run in runs:
        writer.writerow(csv_row(run, CSV_FIELDS))
    return out.getvalue().encode("utf-8")
