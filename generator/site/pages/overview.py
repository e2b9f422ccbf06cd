"""Site-wide pages: the dashboard, costs and downloads."""

from __future__ import annotations

import sqlite3

from generator.queries import batches, regressions, runs, stats
from generator.queries.summary import Summary
from generator.site import charts
from generator.site.pages import Page, figure, top
from generator.site.pages import regressions as regression_pages

TOP_PERFORMERS = 10
RECENT = 10


def dashboard(
    conn: sqlite3.Connection,
    by_pair: list[dict],
    summary: Summary | None = None,
    checks: list[dict] | None = None,
) -> Page:
    """The home page; every list on it is a fixed-size top-N, whatever the number of runs.

    ``by_pair`` is the answer of ``reports.breakdown(conn, ("agent", "model"))``;
    it and *summary* are shared with other pages, and so is *checks*
    (``regressions.regressions``).
    """
    summary = summary or Summary(conn)
    bins, days = summary.score_bins, summary.outcomes_by_day
    flagged = regression_pages.rows(regressions.regressions(conn) if checks is None else checks)
    ctx = {
        "regressions": [r for r in flagged if r["status"] == "regression"],
        "over": [r for r in flagged if r["status"] == "over tolerance"],
        "totals": summary.totals,
        "top": top(
            [r for r in by_pair if r["completedRuns"]], "avgWeightedScoreCompleted", TOP_PERFORMERS
        ),
        "recent_runs": runs.list_runs(conn, limit=RECENT),
        "recent_batches": summary.newest_batches(RECENT),
    }
    return Page(
        path="index.html",
        template="dashboard.html",
        title="Dashboard",
        section="dashboard",
        ctx=ctx,
        charts={
            "score-distribution": figure(
                bins if any(b["runs"] for b in bins) else [], charts.score_distribution
            ),
            "runs-over-time": figure(days, charts.runs_over_time),
        },
    )


def costs(conn: sqlite3.Connection, by_pair: list[dict], summary: Summary | None = None) -> Page:
    """Cost and tokens by agent + model and over time, and score per dollar (*summary* as
    in ``dashboard``)."""
    summary = summary or Summary(conn)
    priced = [r for r in by_pair if r["totalCostUsd"] is not None]
    per_dollar = [
        {**r, "scorePerDollar": r["avgWeightedScoreCompleted"] / r["avgCostUsd"]}
        for r in priced
        if r["avgWeightedScoreCompleted"] is not None and r["avgCostUsd"]
    ]
    tokens = [
        {**r, "label": charts.label(r["agent"], r["model"])}
        for r in by_pair
        if r["totalTokensIn"] is not None or r["totalTokensOut"] is not None
    ]
    days = stats.daily_costs(summary.rows)
    token_series = (("totalTokensIn", "tokens in"), ("totalTokensOut", "tokens out"))
    return Page(
        path="costs/index.html",
        template="costs.html",
        title="Costs",
        section="costs",
        ctx={
            "totals": summary.totals,
            "pairs": priced,
            "per_dollar": per_dollar,
        },
        charts={
            "cost-by-pair": figure(priced, charts.bars, "totalCostUsd", "total cost (USD)", "$"),
            "tokens": figure(tokens, charts.grouped_bars, "label", token_series, "tokens"),
            "cost-over-time": figure(days, charts.daily_bars, "totalCostUsd", "cost (USD)", "$"),
            "score-per-dollar": figure(
                per_dollar, charts.bars, "scorePerDollar", "mean score per dollar"
            ),
        },
    )


def downloads(conn: sqlite3.Connection, db_name: str, db_bytes: int, db_link: str | None) -> Page:
    """Links to the results file, the runs CSV and the JSON API. *db_link*: the
    results file's path in the site, its URL elsewhere, or None when not offered."""
    external = db_link is not None and db_link.startswith(("https://", "http://"))
    ctx = {
        "db_name": db_name,
        "db_bytes": db_bytes,
        "db_link": db_link,
        "db_external": external,
        "runs": runs.count_runs(conn),
        "batches": batches.count_batches(conn),
    }
    return Page(
        path="downloads/index.html",
        template="downloads.html",
        title="Downloads",
        section="downloads",
        ctx=ctx,
    )
