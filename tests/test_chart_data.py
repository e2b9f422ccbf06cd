"""A chart's data as a table: read from the figure, written by formats."""

from __future__ import annotations

from generator.site import chart_data, charts


def _table(figure) -> dict[str, list]:
    return chart_data.table(figure.to_plotly_json())


def test_bars_give_a_row_per_category_in_the_axis_format() -> None:
    rows = [
        {"agent": "b", "model": "m", "totalCostUsd": 2.5},
        {"agent": "<a>&", "model": None, "totalCostUsd": 0.125},
    ]
    table = _table(charts.bars(rows, "totalCostUsd", "total cost (USD)", "$"))
    assert table["columns"] == ["", "total cost (USD)"]
    # Plotly's escaping is undone: the page escapes the text itself.
    assert table["rows"] == [["<a>& (no model)", "$0.1250"], ["b · m", "$2.50"]]


def test_time_series_share_one_row_per_day_and_a_rate_reads_as_a_percentage() -> None:
    days = [
        {"day": "2025-10-20", "successful": 1, "unsuccessful": 0, "unknown": 2, "failed": 1,
         "success_rate": 0.5},
        {"day": "2025-10-21", "successful": 3, "unsuccessful": 1, "unknown": 0, "failed": 0,
         "success_rate": 0.755},
    ]  # fmt: skip
    table = _table(charts.runs_over_time(days))
    assert table["columns"][0] == "day" and table["columns"][-1] == "success rate"
    assert table["rows"] == [
        ["2025-10-20", "1", "0", "2", "1", "50.0%"],
        ["2025-10-21", "3", "1", "0", "0", "75.5%"],
    ]


def test_series_missing_on_a_day_show_a_dash() -> None:
    days = [
        {"day": "2025-10-20", "series": "a", "score": 7.0},
        {"day": "2025-10-21", "series": "b", "score": 8.25},
    ]
    table = _table(charts.over_time(days, "score", "mean score", "series"))
    assert table["columns"] == ["day", "a", "b"]
    assert table["rows"] == [["2025-10-20", "7.00", "—"], ["2025-10-21", "—", "8.25"]]


def test_a_heatmap_keeps_its_grid_with_gaps_as_dashes() -> None:
    rows = [
        {"agent": "a", "model": "m1", "avgWeightedScoreCompleted": 7.5},
        {"agent": "b", "model": None, "avgWeightedScoreCompleted": 3},
    ]
    table = _table(charts.heatmap(rows))
    assert table["columns"] == ["", "(no model)", "m1"]
    assert table["rows"] == [["a", "—", "7.50"], ["b", "3", "—"]]


def test_labelled_points_give_a_row_each_and_the_frontier_line_is_left_out() -> None:
    rows = [
        {"agent": "a", "model": "m", "avgCostUsd": 0.5, "avgWeightedScoreCompleted": 7.0},
        {"agent": "b", "model": "m", "avgCostUsd": 1.25, "avgWeightedScoreCompleted": 8.0},
    ]
    table = _table(charts.cost_vs_score(rows))
    assert table["columns"] == [
        "agent · model",
        "mean cost per run (USD)",
        "mean weighted score (0–10)",
    ]
    assert table["rows"] == [["a · m", "$0.5000", "7.00"], ["b · m", "$1.25", "8.00"]]


def test_histogram_bins_count_whole_numbers() -> None:
    table = _table(charts.fraction_histogram([{"lo": 0.0, "hi": 0.1, "count": 4}]))
    assert table == {"columns": ["score / max score", "evaluations"], "rows": [["0.0–0.1", "4"]]}


def test_error_bars_read_as_the_interval_and_the_few_runs_mark() -> None:
    rows = [
        {"agent": "a", "model": "m", "rate": 0.825, "ci": [0.7125, 0.9049], "n": 40},
        {"agent": "b", "model": "m", "rate": 0.5, "ci": [0.0945, 0.9055], "n": 2},
        {"agent": "c", "model": "m", "rate": 0.25, "ci": None, "n": 0},
    ]
    table = _table(charts.bars(rows, "rate", "success rate", ".0%", "ci", "n"))
    assert table["rows"] == [
        ["c · m", "25.0%"],
        ["b · m", "50.0% (9–91) few runs"],
        ["a · m", "82.5% (71–90)"],
    ]
    tiers = [{"tier": "L0", "s": 6.0, "ci": [5.0, 7.5]}]
    table = _table(charts.grouped_bars(tiers, "tier", (("s", "score", "ci"),), "score"))
    assert table["rows"] == [["L0", "6.00 (5.00–7.50)"]]


def test_pass_curves_give_a_row_per_k_and_a_column_per_pair() -> None:
    def curve(*values):
        return [{"k": k, "passHatK": v, "cells": 1} for k, v in enumerate(values, 1)]

    rows = [{"agent": "a", "model": "m", "curves": curve(0.5, 0.25)},
            {"agent": "b", "model": "m", "curves": curve(1.0)}]  # fmt: skip
    table = _table(charts.pass_curves(rows))
    assert table["columns"] == ["k (runs of a cell)", "a · m", "b · m"]
    assert table["rows"] == [["1", "50.0%", "100.0%"], ["2", "25.0%", "—"]]
