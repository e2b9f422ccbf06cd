"""A chart's data as a table: the text alternative shown under every chart.

Read from the Plotly figure itself (as ``pages.figure`` gives it), so the table
holds exactly what the chart draws. Values are written by ``formats``, as a
percentage or in dollars where the chart's axis says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from generator.site import formats
from generator.site.charts import shown

Figure = dict[str, Any]
Format = Callable[[Any], str]


def table(figure: Figure) -> dict[str, list]:
    """``{columns: [...], rows: [[...]]}`` of *figure*, every cell as text; a row's first
    cell names it."""
    layout = figure.get("layout", {})
    # A trace that skips hovering is drawn for the eye (the cost chart's frontier line).
    traces = [t for t in figure["data"] if t.get("hoverinfo") != "skip"]
    heat = [t for t in traces if t.get("type") == "heatmap"]
    if heat:
        return _grid(heat[0], layout)
    labelled = [t for t in traces if t.get("mode") == "markers" and t.get("text")]
    if labelled:
        return _points(labelled[0], layout)
    return _series(traces, layout)


def _axis(layout: dict[str, Any], name: str) -> dict[str, Any]:
    """Layout of axis ``x``, ``y``, ``y2``, …"""
    return layout.get(f"{name[0]}axis{name[1:]}", {})


def _title(layout: dict[str, Any], name: str) -> str:
    """The axis title; "day" on an unnamed date axis."""
    axis = _axis(layout, name)
    title = axis.get("title") or {}
    text = title.get("text", "") if isinstance(title, dict) else str(title)
    return shown(text) if text else "day" if axis.get("type") == "date" else ""


def _format(layout: dict[str, Any], name: str) -> Format:
    """How values on axis *name* are written: as the axis ticks show them."""
    axis = _axis(layout, name)
    if str(axis.get("tickformat", "")).endswith("%"):
        return formats.percent
    if axis.get("tickprefix") == "$" or str(axis.get("tickformat", "")).startswith("$"):
        return formats.cost
    return _plain_number


def _plain_number(value: Any) -> str:
    if isinstance(value, str):
        return shown(value)
    return formats.number(value)


def _grid(trace: Figure, layout: dict[str, Any]) -> dict[str, list]:
    """A heatmap: its rows down, its columns across."""
    columns = [_title(layout, "y"), *(shown(str(x)) for x in trace["x"])]
    rows = [
        [shown(str(y)), *(_plain_number(v) for v in line)]
        for y, line in zip(trace["y"], trace["z"], strict=True)
    ]
    return {"columns": columns, "rows": rows}


def _points(trace: Figure, layout: dict[str, Any]) -> dict[str, list]:
    """Labelled points: one row per point, its label, x and y."""
    x_text, y_text = _format(layout, "x"), _format(layout, "y")
    columns = [shown(trace.get("name") or ""), _title(layout, "x"), _title(layout, "y")]
    rows = [
        [shown(str(label)), x_text(x), y_text(y)]
        for label, x, y in zip(trace["text"], trace["x"], trace["y"], strict=True)
    ]
    return {"columns": columns, "rows": rows}


def _series(traces: Sequence[Figure], layout: dict[str, Any]) -> dict[str, list]:
    """Bars and lines: a row per category or day, a column per trace."""
    across = all(t.get("orientation") == "h" for t in traces)  # horizontal bars
    key, value = ("y", "x") if across else ("x", "y")
    keys: dict[Any, None] = {}
    for t in traces:
        keys.update(dict.fromkeys(t[key]))
    texts = [_format(layout, t.get(f"{value}axis", value)) for t in traces]
    cells = [
        dict(zip(t[key], _with_intervals(t, value, text), strict=True))
        for t, text in zip(traces, texts, strict=True)
    ]
    key_text = _format(layout, key)
    columns = [_title(layout, key), *(shown(t.get("name") or "") for t in traces)]
    missing = formats.DASH
    rows = [[key_text(k), *(c.get(k, missing) for c in cells)] for k in keys]
    return {"columns": columns, "rows": rows}


def _with_intervals(trace: Figure, value: str, text: Format) -> list[str]:
    """The trace's values as text; with error bars (``charts.intervals``), each followed by
    its 95% interval and the "few runs" mark, as the pages write them."""
    values = [text(v) for v in trace[value]]
    if not trace.get(f"error_{value}") or not trace.get("customdata"):
        return values
    kind = "pct" if text is formats.percent else "num"
    out = []
    for written, (low, high, note) in zip(values, trace["customdata"], strict=True):
        interval = formats.interval(None if low is None else [low, high], kind)
        out.append(" ".join(part for part in (written, interval and f"({interval})", note) if part))
    return out
