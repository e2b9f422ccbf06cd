"""The Jinja environment: templates, filters, and JSON that is safe inside a page.

Autoescaping is on for every HTML template and undefined names are errors, so a
result's text is always escaped and a missing context key fails the build.
How figures, statuses and names read is ``formats``' business; its functions
are the filters here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import jinja2

import generator
from generator import times
from generator.queries.encoding import script_json
from generator.site import chart_data, formats, paths
from generator.site.formats import cost, duration, number, percent, when
from generator.site.pages import Page, Site, methods


def templates_dir() -> Path:
    """Templates inside the installed package, else the source checkout's ``templates/``."""
    package = Path(generator.__file__).resolve().parent
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


def width(fraction: float | None) -> str:
    """A 0–1 fraction as a CSS width percentage, clamped to the bar (the label shows the value)."""
    if fraction is None or not math.isfinite(fraction):
        return "0"
    return f"{min(max(fraction, 0.0), 1.0) * 100:.1f}"


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
        count=formats.count,
        percent=percent,
        width=width,
        cost=cost,
        bytes=formats.size,
        duration=duration,
        when=when,
        text=formats.text,
        short_id=formats.short_id,
        status_class=formats.status_class,
        iso=iso,
        file_name=paths.file_name,
        script_json=script_json,
        pretty=pretty,
        chart_table=chart_data.table,
        interval=formats.interval,
        few_runs=formats.few_runs,
    )
    env.globals.update(
        NO_MODEL=formats.NO_MODEL,
        success=formats.success,
        RULES=formats.RULES,
        FEW_RUNS_MARK=formats.FEW_RUNS_MARK,
        INTERVAL_TITLE=formats.INTERVAL_TITLE,
        methods=methods,  # methods.href(page.root, methods.WILSON): where an interval links
    )
    return env


def page_html(env: jinja2.Environment, site: Site, page: Page) -> str:
    """The HTML of *page* in the layout of *site*."""
    return env.get_template(page.template).render(site=site, page=page, ctx=page.ctx)


class _Writer(Protocol):
    def write(self, relative: str, data: bytes) -> None: ...


def render_all(
    env: jinja2.Environment, site: Site, items: Iterable[Page | tuple[str, bytes]], writer: _Writer
) -> int:
    """Render every page (and write any ready-made file) among *items*; count the pages."""
    count = 0
    for item in items:
        if isinstance(item, Page):
            writer.write(item.path, page_html(env, site, item).encode("utf-8"))
            count += 1
        else:
            writer.write(*item)
    return count
