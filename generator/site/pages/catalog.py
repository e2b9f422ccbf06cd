"""Agents and models, suites and scenarios, evaluators: overview pages and one per entity.

Every breakdown comes from one read of all runs for all entities at once (the
tallies of ``Summary``), handed out per page, so the number of queries does not
grow with the number of suites or scenarios.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from generator.queries import judge, repeats, stats
from generator.queries.summary import Summary
from generator.site import charts, paths
from generator.site.pages import Page, figure

SUITES_CRUMB = (("Suites", "suites/index.html"),)
EVALUATORS_CRUMB = (("Evaluators", "evaluators/index.html"),)
_BY_SCORE = "avgWeightedScoreCompleted"


def agents(
    conn: sqlite3.Connection, by_pair: list[dict[str, Any]], summary: Summary | None = None
) -> Page:
    """A card per agent + model, their success rates, pass@k and pass^k over repeated
    cells, the agent × model heatmap, cost against score (*summary* shared as in
    ``suite_pages``)."""
    summary = summary or Summary(conn)
    curves = summary.pass_curves
    repeated = [r for r in curves if r["curves"][1]["cells"]]  # some cell has 2 runs
    scored = [r for r in by_pair if r[_BY_SCORE] is not None]
    cards = sorted(by_pair, key=lambda r: (r[_BY_SCORE] is None, -(r[_BY_SCORE] or 0)))
    return Page(
        path="agents/index.html",
        template="agents.html",
        title="Agents and models",
        section="agents",
        ctx={"cards": cards, "curves": curves, "kmax": repeats.KMAX},
        charts={
            "success-rate": figure(
                [r for r in by_pair if r["successRate"] is not None],
                charts.bars,
                "successRate",
                "success rate",
                ".0%",
                "successRateCI",
                "runsWithKnownSuccess",
            ),
            "pass-curves": figure(repeated, charts.pass_curves),
            "heatmap": figure(scored, charts.heatmap),
            "cost-vs-score": figure(
                [r for r in scored if r["avgCostUsd"] is not None], charts.cost_vs_score
            ),
        },
    )


def _by(rows: list[dict[str, Any]], *keys: str) -> dict[Any, list[dict[str, Any]]]:
    """Rows grouped by their leading ``keys`` values, each group in its original order."""
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[k] for k in keys)].append(row)
    return groups


def _labelled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "series": charts.label(r["agent"], r["model"])} for r in rows]


def suite_pages(conn: sqlite3.Connection, summary: Summary | None = None) -> Iterator[Page]:
    """The suites index, then a page per suite and per scenario (*summary* shared with
    other pages and the static API)."""
    summary = summary or Summary(conn)
    rows, suites, scenarios = summary.rows, summary.suites, summary.scenarios
    yield Page(
        path="suites/index.html",
        template="suites.html",
        title="Suites and scenarios",
        section="suites",
        ctx={
            "suites": list(suites.values()),
            "scenarios": list(scenarios.values()),
            "flakiest": repeats.flakiest(summary.flaky),
        },
    )
    # Every breakdown below sums the same tallies and daily scores, not the runs again.
    tallies, daily = summary.tallies, stats.daily_scores(rows)
    keys = ("suite",)
    pairs = _by(stats.tally_breakdown(tallies, ("suite", "agent", "model")), *keys)
    tiers = _by(stats.tally_breakdown(tallies, ("suite", "tier")), *keys)
    days = _by(stats.scores_of(daily, ("suite", "day", "agent", "model")), *keys)
    for suite, data in suites.items():
        key = (suite,)
        yield _entity_page(
            path=f"suites/{paths.file_name(suite)}.html",
            title=f"Suite {suite}",
            crumbs=SUITES_CRUMB,
            ctx={"kind": "suite", "stats": data, "suite": suite, "scenario": None, "flaky": None},
            parts=(pairs.get(key, []), tiers.get(key, []), days.get(key, [])),
        )
    keys = ("suite", "scenario")
    pairs = _by(stats.tally_breakdown(tallies, ("suite", "scenario", "agent", "model")), *keys)
    tiers = _by(stats.tally_breakdown(tallies, ("suite", "scenario", "tier")), *keys)
    days = _by(stats.scores_of(daily, ("suite", "scenario", "day", "agent", "model")), *keys)
    for (suite, scenario), data in scenarios.items():
        key = (suite, scenario)
        yield _entity_page(
            path=f"scenarios/{paths.file_name(suite)}/{paths.file_name(scenario)}.html",
            title=f"Scenario {scenario}",
            crumbs=SUITES_CRUMB + ((f"Suite {suite}", f"suites/{paths.file_name(suite)}.html"),),
            ctx={
                "kind": "scenario",
                "stats": data,
                "suite": suite,
                "scenario": scenario,
                "flaky": summary.flaky.get(key),
            },
            parts=(pairs.get(key, []), tiers.get(key, []), days.get(key, [])),
        )


def _entity_page(path: str, title: str, crumbs: tuple, ctx: dict[str, Any], parts: tuple) -> Page:
    """A suite or scenario page. ctx: kind, stats (queries.suite_stats / scenario_stats),
    suite, scenario, flaky (a scenario's ``repeats.flaky_by_scenario`` entry, or None);
    plus pairs (agent + model breakdown) and tiers (tier breakdown)."""
    pairs, tiers, days = parts
    scored = [r for r in pairs if r[_BY_SCORE] is not None]
    tier_series = ((_BY_SCORE, "mean weighted score", f"{_BY_SCORE}CI"),)
    return Page(
        path=path,
        template="entity.html",
        title=title,
        section="suites",
        crumbs=crumbs,
        ctx={**ctx, "pairs": pairs, "tiers": tiers},
        charts={
            "agents": figure(
                scored,
                charts.bars,
                _BY_SCORE,
                "mean weighted score (0–10)",
                "",
                f"{_BY_SCORE}CI",
                "completedRuns",
            ),
            "tiers": figure(
                [t for t in tiers if t[_BY_SCORE] is not None],
                charts.grouped_bars,
                "tier",
                tier_series,
                "score (0–10)",
            ),
            "over-time": figure(
                _labelled(days),
                charts.over_time,
                _BY_SCORE,
                "mean weighted score (0–10)",
                "series",
            ),
        },
    )


def evaluator_pages(
    conn: sqlite3.Connection,
    shared: Summary | None = None,
    judged: list[dict[str, Any]] | None = None,
) -> Iterator[Page]:
    """The evaluators index with the LLM judge's categories, then a page per evaluator
    (*shared* as the summary of ``suite_pages``; *judged*: ``judge.judge_categories``)."""
    shared = shared or Summary(conn)
    summary = shared.evaluator_summary
    judged = judge.judge_categories(conn) if judged is None else judged
    yield Page(
        path="evaluators/index.html",
        template="evaluators.html",
        title="Evaluators",
        section="evaluators",
        ctx={"evaluators": summary, "categories": judge.category_totals(judged)},
        charts={
            "pass-rates": figure(
                [r for r in summary if r["pass_rate"] is not None],
                charts.bars,
                "pass_rate",
                "pass rate",
                ".0%",
                "pass_rate_ci",
                None,
                "evaluator",
            ),
            "categories": figure(judged, charts.category_heatmap),
        },
    )
    bins, trends = shared.evaluator_bins, shared.trends
    for row in summary:
        name = row["evaluator"]
        yield Page(
            path=f"evaluators/{paths.file_name(name)}.html",
            title=f"Evaluator {name}",
            template="evaluator.html",
            section="evaluators",
            crumbs=EVALUATORS_CRUMB,
            ctx={"evaluator": row, "trend": trends.get(name, [])},
            charts={
                "distribution": figure(bins.get(name, []), charts.fraction_histogram),
                "trend": figure(
                    trends.get(name, []), charts.over_time, "avgScore", "mean score", None, "date"
                ),
            },
        )
