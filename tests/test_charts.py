"""Charts: the figures' data, not their HTML."""

from __future__ import annotations

from generator.site import charts


def pair(agent, model, score, cost=None, **more):
    return {"agent": agent, "model": model, "avgWeightedScoreCompleted": score,
            "avgCostUsd": cost, **more}  # fmt: skip


def test_score_distribution_plots_every_bin_including_the_closed_last_one() -> None:
    bins = [{"lo": i * 0.5, "hi": (i + 1) * 0.5, "runs": 0} for i in range(20)]
    bins[-1]["runs"] = 3
    fig = charts.score_distribution(bins)
    (bar,) = fig.data
    assert list(bar.y) == [0] * 19 + [3]
    assert bar.x[-1] == "9.5–10"


def test_figures_carry_no_template() -> None:
    fig = charts.bars([pair("a", "m", 5.0)], "avgWeightedScoreCompleted", "score")
    assert "template" not in fig.to_plotly_json()["layout"]


def test_pareto_frontier_keeps_only_undominated_points() -> None:
    points = [(0.10, 8.0), (0.01, 2.0), (0.05, 7.0), (0.06, 6.0), (0.20, 7.5), (0.05, 3.0)]
    assert charts.pareto_frontier(points) == [(0.01, 2.0), (0.05, 7.0), (0.10, 8.0)]


def test_cost_vs_score_draws_points_and_frontier() -> None:
    rows = [pair("a", "m1", 8.0, 0.10), pair("a", "m2", 7.0, 0.05), pair("b", None, 6.0, 0.06),
            pair("c", "x", None, 0.01)]  # fmt: skip
    points, frontier = charts.cost_vs_score(rows).data
    assert list(points.text) == ["a · m1", "a · m2", "b (no model)"]
    assert list(frontier.x) == [0.05, 0.10] and list(frontier.y) == [7.0, 8.0]


def test_heatmap_places_each_pair_and_leaves_gaps_empty() -> None:
    fig = charts.heatmap([pair("a", "m1", 8.0), pair("b", "m2", 4.0), pair("b", None, 2.0)])
    (cells,) = fig.data
    assert list(cells.y) == ["a", "b"]
    assert list(cells.x) == ["(no model)", "m1", "m2"]
    assert [list(row) for row in cells.z] == [[None, 8.0, None], [2.0, None, 4.0]]


def test_runs_over_time_stacks_outcomes_and_plots_the_rate() -> None:
    days = [{"day": "2025-10-23", "successful": 2, "unsuccessful": 1, "unknown": 0, "failed": 1,
             "success_rate": 0.5}]  # fmt: skip
    fig = charts.runs_over_time(days)
    assert [t.name for t in fig.data][:4] == [
        "successful", "completed, not successful", "completed, success unknown",
        "failed or incomplete",
    ]  # fmt: skip
    assert fig.data[-1].yaxis == "y2" and list(fig.data[-1].y) == [0.5]
    assert fig.layout.barmode == "stack"


def test_bars_sort_by_value_with_missing_values_first() -> None:
    fig = charts.bars([pair("a", "m", 9.0), pair("b", "m", None), pair("c", "m", 3.0)],
                      "avgWeightedScoreCompleted", "score")  # fmt: skip
    assert list(fig.data[0].y) == ["c · m", "a · m", "b · m"]


def test_over_time_draws_one_line_per_series() -> None:
    days = [{"day": "2025-10-01", "v": 1, "s": "x"}, {"day": "2025-10-02", "v": 2, "s": "x"},
            {"day": "2025-10-01", "v": 3, "s": "y"}]  # fmt: skip
    fig = charts.over_time(days, "v", "value", "s")
    assert [(t.name, list(t.y)) for t in fig.data] == [("x", [1, 2]), ("y", [3])]


def test_category_heatmap_rows_are_agent_model_pairs() -> None:
    rows = [{"agent": "a", "model": "m", "category": "safety", "mean_score": 4.0},
            {"agent": "a", "model": "m", "category": "quality", "mean_score": 3.0}]  # fmt: skip
    (cells,) = charts.category_heatmap(rows).data
    assert list(cells.x) == ["quality", "safety"] and [list(r) for r in cells.z] == [[3.0, 4.0]]


def test_names_from_results_are_escaped_for_plotly_markup() -> None:
    # Plotly draws <b>, <br> and <a href> in chart text; a name must show as written.
    fig = charts.cost_vs_score([pair("<b>a</b> & co", "<br>", 5.0, cost=0.1)])
    scatter = fig.data[0]
    assert list(scatter.text) == ["&lt;b&gt;a&lt;/b&gt; &amp; co · &lt;br&gt;"]
    assert scatter.hovertemplate.startswith("%{text}<br>")  # the chart's own markup stays


def test_bars_draw_each_interval_as_error_bars_around_the_value() -> None:
    rows = [
        {"agent": "a", "model": "m", "rate": 0.8, "ci": [0.6, 0.9], "n": 20},
        {"agent": "b", "model": None, "rate": 0.5, "ci": [0.1, 0.9], "n": 2},
        {"agent": "c", "model": "x", "rate": 0.3, "ci": None, "n": 0},
    ]
    (bar,) = charts.bars(rows, "rate", "success rate", ".0%", "ci", "n").data
    assert list(bar.y) == ["c · x", "b (no model)", "a · m"]  # lowest first
    error = bar.error_x
    assert error.type == "data" and error.visible
    assert list(error.array) == [None, 0.4, 0.09999999999999998]
    assert list(error.arrayminus) == [None, 0.4, 0.20000000000000007]
    assert [list(row) for row in bar.customdata] == [
        [None, None, ""],
        [0.1, 0.9, "few runs"],
        [0.6, 0.9, ""],
    ]


def test_grouped_bars_take_error_bars_for_series_with_an_interval_column() -> None:
    rows = [{"tier": "L0", "s": 6.0, "ci": [5.0, 7.5]}, {"tier": "L1", "s": 4.0, "ci": None}]
    (bar,) = charts.grouped_bars(rows, "tier", (("s", "score", "ci"),), "score").data
    assert list(bar.error_y.array) == [1.5, None] and list(bar.error_y.arrayminus) == [1.0, None]
    (plain,) = charts.grouped_bars(rows, "tier", (("s", "score"),), "score").data
    assert plain.error_y.array is None


def test_pass_curves_draw_pass_hat_k_per_pair_leaving_out_k_without_cells() -> None:
    curve = [
        {"k": 1, "passAtK": 0.6, "passHatK": 0.6, "cells": 3},
        {"k": 2, "passAtK": 0.9, "passHatK": 0.3, "cells": 2},
        {"k": 3, "passAtK": None, "passHatK": None, "cells": 0},
    ]
    rows = [{"agent": "a", "model": "m", "curves": curve}, {"agent": "<b>", "model": None,
            "curves": curve[:1]}]  # fmt: skip
    first, second = charts.pass_curves(rows).data
    assert first.name == "a · m" and list(first.x) == [1, 2] and list(first.y) == [0.6, 0.3]
    assert list(first.customdata) == [3, 2]
    assert second.name == "&lt;b&gt; (no model)" and list(second.y) == [0.6]
