"""Plotly figures: rows from the queries in, ``go.Figure`` out.

Pure functions. Figures carry no template and no colours of their own: the
site's script gives them the page's light or dark colours when it draws them,
so one figure serves both themes. Every value is pre-aggregated, so a figure's
size does not grow with the number of runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from generator.site import formats

Row = Mapping[str, Any]


def label(agent: str, model: str | None) -> str:
    """How an agent + model pair is named on every chart and card."""
    return formats.pair(agent, model)


# Plotly reads <b>, <br>, <a href=…> and &entities; in chart text. Text from results
# (names in x, y, text and legend) is escaped so it shows exactly as written.
_PLOTLY_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def shown(text: str) -> str:
    """Chart text as the page should show it: the escaping for Plotly undone."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return value.translate(_PLOTLY_ESCAPES)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _figure(traces: Iterable[Any], **layout: Any) -> go.Figure:
    fig = go.Figure(list(traces))
    for trace in fig.data:
        for key in ("x", "y", "text", "name"):
            value = getattr(trace, key, None)
            if value is None:
                continue
            plain = _plain(value)
            # Setting validates the whole array again: only worth it when escaping changed it.
            if plain != (list(value) if isinstance(value, tuple) else value):
                setattr(trace, key, plain)
    fig.layout.template = None  # the page styles charts; a template would add ~10 KB each
    settings = {
        "margin": {"l": 56, "r": 16, "t": 16, "b": 48},
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "closest",
    }
    fig.update_layout(**{**settings, **layout})
    return fig


def score_distribution(bins: Sequence[Row], scale_max: float = 10) -> go.Figure:
    """Runs per score bin; ``bins`` have ``lo``, ``hi`` and ``runs`` (the last bin is closed)."""
    names = [f"{b['lo']:g}–{b['hi']:g}" for b in bins]
    bar = go.Bar(x=names, y=[b["runs"] for b in bins], name="runs", hovertemplate="%{x}: %{y}")
    return _figure(
        [bar],
        xaxis={"title": {"text": f"score (0–{scale_max:g})"}, "type": "category"},
        yaxis={"title": {"text": "runs"}},
        bargap=0.05,
    )


_OUTCOMES = (
    ("successful", "successful"),
    ("unsuccessful", "completed, not successful"),
    ("unknown", "completed, success unknown"),
    ("failed", "failed or incomplete"),
)


def runs_over_time(days: Sequence[Row]) -> go.Figure:
    """Runs per day stacked by outcome, with the day's success rate on a second axis."""
    x = [d["day"] for d in days]
    traces: list[Any] = [
        go.Bar(x=x, y=[d[key] for d in days], name=name) for key, name in _OUTCOMES
    ]
    traces.append(
        go.Scatter(
            x=x,
            y=[d["success_rate"] for d in days],
            name="success rate",
            mode="lines",
            yaxis="y2",
        )
    )
    return _figure(
        traces,
        margin={"l": 56, "r": 64, "t": 16, "b": 48},
        barmode="stack",
        xaxis={"type": "date"},
        yaxis={"title": {"text": "runs"}},
        yaxis2={
            "title": {"text": "success rate"},
            "overlaying": "y",
            "side": "right",
            "range": [0, 1],
            "tickformat": ".0%",
        },
    )


def intervals(rows: Sequence[Row], value: str, ci: str, runs: str | None = None) -> dict[str, Any]:
    """Error bars of the 95% intervals ``ci`` of ``value`` (for ``error_x``/``error_y``) and
    the ``customdata`` they come from: [low, high, "few runs" or ""] per row.

    The limits travel in customdata too, so the chart's data table shows the
    interval itself rather than the bar lengths (which lose the last bits).
    """
    plus, minus, data = [], [], []
    for r in rows:
        v, interval = r[value], r[ci]
        few = runs is not None and formats.few_runs(r[runs])
        note = formats.FEW_RUNS_MARK["label"] if few else ""
        if v is None or interval is None:
            plus.append(None)
            minus.append(None)
            data.append([None, None, note])
        else:
            plus.append(max(interval[1] - v, 0.0))
            minus.append(max(v - interval[0], 0.0))
            data.append([interval[0], interval[1], note])
    error = {"type": "data", "array": plus, "arrayminus": minus, "visible": True}
    return {"error": error, "customdata": data}


def bars(
    rows: Sequence[Row],
    value: str,
    axis_title: str,
    tickformat: str = "",
    ci: str | None = None,
    runs: str | None = None,
    name_key: str | None = None,
) -> go.Figure:
    """One horizontal bar per agent + model (or per ``name_key`` value) for the column
    ``value``; with ``ci``, its 95% interval as error bars (``runs``: the count behind
    each figure, for the "few runs" mark)."""
    ordered = sorted(rows, key=lambda r: (r[value] is None, r[value] or 0))
    names = [str(r[name_key]) if name_key else label(r["agent"], r["model"]) for r in ordered]
    extra: dict[str, Any] = {"hovertemplate": "%{y}: %{x}<extra></extra>"}
    if ci is not None:
        shown = intervals(ordered, value, ci, runs)
        extra = {
            "error_x": shown["error"],
            "customdata": shown["customdata"],
            "hovertemplate": "%{y}: %{x} (95% interval %{customdata[0]:.3g}–%{customdata[1]:.3g})"
            " %{customdata[2]}<extra></extra>",
        }
    bar = go.Bar(x=[r[value] for r in ordered], y=names, orientation="h", name=axis_title, **extra)
    return _figure(
        [bar],
        xaxis={"title": {"text": axis_title}, "tickformat": tickformat},
        yaxis={"type": "category", "automargin": True},
        height=max(240, 28 * len(names) + 90),
    )


def grouped_bars(
    rows: Sequence[Row],
    category: str,
    series: Sequence[tuple[str, ...]],
    axis_title: str,
) -> go.Figure:
    """Bars per ``category`` value, one series per (column, name) pair; a third item,
    (column, name, interval column), draws that column's 95% intervals as error bars."""
    x = [str(r[category]) for r in rows]
    traces = []
    for col, name, *ci in series:
        extra: dict[str, Any] = {}
        if ci:
            shown = intervals(rows, col, ci[0])
            extra = {"error_y": shown["error"], "customdata": shown["customdata"]}
        traces.append(go.Bar(x=x, y=[r[col] for r in rows], name=name, **extra))
    return _figure(
        traces,
        barmode="group",
        xaxis={"type": "category", "automargin": True},
        yaxis={"title": {"text": axis_title}},
    )


def heatmap(rows: Sequence[Row], value: str = "avgWeightedScoreCompleted") -> go.Figure:
    """Agents down, models across, coloured by ``value`` (mean weighted score by default)."""
    agents = sorted({r["agent"] for r in rows})
    models = sorted({r["model"] or formats.NO_MODEL for r in rows})
    cells = {(r["agent"], r["model"] or formats.NO_MODEL): r for r in rows}
    z = [[_cell(cells.get((a, m)), value) for m in models] for a in agents]
    text = [["" if v is None else formats.number(float(v)) for v in line] for line in z]
    trace = go.Heatmap(
        z=z,
        x=models,
        y=agents,
        text=text,
        texttemplate="%{text}",
        colorscale="Viridis",
        zmin=0,
        zmax=10,
        hoverongaps=False,
        colorbar={"title": {"text": "score"}},
    )
    return _figure(
        [trace],
        xaxis={"type": "category", "automargin": True},
        yaxis={"type": "category", "automargin": True},
        height=max(260, 40 * len(agents) + 140),
    )


def _cell(row: Row | None, value: str) -> float | None:
    return None if row is None else row[value]


def pareto_frontier(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points no other point beats on both lower cost (x) and higher score (y), by cost."""
    frontier: list[tuple[float, float]] = []
    for x, y in sorted(points, key=lambda p: (p[0], -p[1])):
        if not frontier or y > frontier[-1][1]:
            frontier.append((x, y))
    return frontier


def cost_vs_score(rows: Sequence[Row]) -> go.Figure:
    """Mean cost per run against mean weighted score per agent + model, with the frontier."""
    priced = [
        r
        for r in rows
        if r["avgCostUsd"] is not None and r["avgWeightedScoreCompleted"] is not None
    ]
    names = [label(r["agent"], r["model"]) for r in priced]
    points = go.Scatter(
        x=[r["avgCostUsd"] for r in priced],
        y=[r["avgWeightedScoreCompleted"] for r in priced],
        text=names,
        mode="markers",
        name="agent · model",
        marker={"size": 11},
        hovertemplate="%{text}<br>$%{x:.4f} per run<br>score %{y:.2f}<extra></extra>",
    )
    front = pareto_frontier([(r["avgCostUsd"], r["avgWeightedScoreCompleted"]) for r in priced])
    line = go.Scatter(
        x=[p[0] for p in front],
        y=[p[1] for p in front],
        mode="lines",
        name="Pareto frontier",
        line={"dash": "dot"},
        hoverinfo="skip",
    )
    return _figure(
        [points, line],
        xaxis={"title": {"text": "mean cost per run (USD)"}, "tickprefix": "$"},
        yaxis={"title": {"text": "mean weighted score (0–10)"}, "range": [0, 10.2]},
    )


def over_time(
    days: Sequence[Row], value: str, axis_title: str, series: str | None = None, x: str = "day"
) -> go.Figure:
    """``value`` per day (the ``x`` key), one line per distinct ``series`` value (or one line)."""
    groups: dict[str, list[Row]] = {}
    for d in days:
        groups.setdefault(str(d[series]) if series else axis_title, []).append(d)
    traces = [
        go.Scatter(
            x=[d[x] for d in group],
            y=[d[value] for d in group],
            mode="lines+markers",
            name=name,
        )
        for name, group in sorted(groups.items())
    ]
    return _figure(traces, xaxis={"type": "date"}, yaxis={"title": {"text": axis_title}})


def daily_bars(days: Sequence[Row], value: str, axis_title: str, tickprefix: str = "") -> go.Figure:
    """One bar per day for ``value``."""
    bar = go.Bar(x=[d["day"] for d in days], y=[d[value] for d in days], name=axis_title)
    return _figure(
        [bar],
        xaxis={"type": "date"},
        yaxis={"title": {"text": axis_title}, "tickprefix": tickprefix},
    )


def fraction_histogram(bins: Sequence[Row]) -> go.Figure:
    """Evaluations per bin of score / max score (0–1)."""
    names = [f"{b['lo']:.1f}–{b['hi']:.1f}" for b in bins]
    bar = go.Bar(x=names, y=[b["count"] for b in bins], name="evaluations")
    return _figure(
        [bar],
        xaxis={"title": {"text": "score / max score"}, "type": "category"},
        yaxis={"title": {"text": "evaluations"}},
        bargap=0.05,
    )


def category_heatmap(rows: Sequence[Row]) -> go.Figure:
    """LLM-judge categories across, agent + model down, coloured by mean category score."""
    categories = sorted({r["category"] for r in rows})
    pairs = sorted({(r["agent"], r["model"] or "") for r in rows})
    cells = {(r["agent"], r["model"] or "", r["category"]): r["mean_score"] for r in rows}
    z = [[cells.get((a, m, c)) for c in categories] for a, m in pairs]
    trace = go.Heatmap(
        z=z,
        x=categories,
        y=[label(a, m or None) for a, m in pairs],
        text=[["" if v is None else formats.number(float(v)) for v in line] for line in z],
        texttemplate="%{text}",
        colorscale="Viridis",
        hoverongaps=False,
    )
    return _figure(
        [trace],
        xaxis={"type": "category", "automargin": True},
        yaxis={"type": "category", "automargin": True},
        height=max(260, 40 * len(pairs) + 160),
    )


def pass_curves(rows: Sequence[Row]) -> go.Figure:
    """pass^k against k, one line per agent + model; ``rows`` have ``agent``, ``model`` and
    ``curves`` (``statistics.paired.pass_curves``). Points over no cell are left out."""
    traces = []
    for r in rows:
        points = [c for c in r["curves"] if c["passHatK"] is not None]
        traces.append(
            go.Scatter(
                x=[c["k"] for c in points],
                y=[c["passHatK"] for c in points],
                customdata=[c["cells"] for c in points],
                mode="lines+markers",
                name=label(r["agent"], r["model"]),
                hovertemplate="pass^%{x}: %{y:.1%} over %{customdata} cells",
            )
        )
    return _figure(
        traces,
        xaxis={"title": {"text": "k (runs of a cell)"}, "dtick": 1},
        yaxis={
            "title": {"text": "pass^k: all k runs succeed"},
            "range": [0, 1],
            "tickformat": ".0%",
        },
    )
