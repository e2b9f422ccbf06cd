"""The Jinja environment: templates, filters, and JSON that is safe inside a page.

Autoescaping is on for every HTML template and undefined names are errors, so a
result's text is always escaped and a missing context key fails the build.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jinja2

import generator
from generator import paths, times
from generator.jsontext import script_json


def templates_dir() -> Path:
    """Templates inside the installed package, else the source checkout's ``templates/``."""
    package = Path(generator.__file__).resolve().parent
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


def number(value: float | int | None, digits: int = 2) -> str:
    """A number with thousands separators; a dash when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def percent(value: float | None, digits: int = 1) -> str:
    """A 0–1 fraction as a percentage."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value * 100:.{digits}f}%"


def width(fraction: float | None) -> str:
    """A 0–1 fraction as a CSS width percentage, clamped to the bar (the label shows the value)."""
    if fraction is None or not math.isfinite(fraction):
        return "0"
    return f"{min(max(fraction, 0.0), 1.0) * 100:.1f}"


def cost(value: float | None) -> str:
    """US dollars: four decimals below a dollar, where agent runs usually are."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"${value:,.4f}" if abs(value) < 1 else f"${value:,.2f}"


def duration(ms: float | None) -> str:
    """Milliseconds as ``850 ms``, ``12.3 s``, ``4m 05s`` or ``2h 03m``."""
    if ms is None or not math.isfinite(ms):
        return "—"
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def when(value: object) -> str:
    """Any stored timestamp as ``YYYY-MM-DD HH:MM:SS UTC``; a dash when missing or unreadable."""
    if value is None:
        return "—"
    try:
        iso = times.to_iso(value)
    except ValueError:
        return str(value)
    return f"{iso[:10]} {iso[11:19]} UTC"


def iso(value: object) -> str:
    """Any stored timestamp as ISO 8601 UTC (for ``<time datetime>``); empty when unreadable."""
    try:
        return times.to_iso(value) or ""
    except ValueError:
        return ""


def pretty(value: Any) -> str:
    """Any JSON value as indented text (for metadata shown in a ``<pre>``)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja's environment, with ``value.name`` of a dict looked up by key at once.

    Jinja tries the attribute first and falls back to the key, so every lookup in
    a page's many dicts raised and caught an AttributeError: a large share of a
    page's cost. The answer is the same: a dict's own attributes (its methods)
    still win over its keys.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def environment() -> jinja2.Environment:
    """The one Jinja environment every page is rendered with."""
    env = _Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(
        number=number,
        percent=percent,
        width=width,
        cost=cost,
        duration=duration,
        when=when,
        iso=iso,
        seg=paths.segment,
        script_json=script_json,
        pretty=pretty,
    )
    return env
