"""The Jinja environment: templates, filters, and JSON that is safe inside a page.

Autoescaping is on for every HTML template and undefined names are errors, so a
result's text is always escaped and a missing context key fails the build.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

import generator
from generator import times
from generator.queries.encoding import script_json
from generator.site import paths
from generator.site.pages import Crumb, Page, Site


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


def size(value: int | None) -> str:
    """A number of bytes as ``812 bytes``, ``18.4 KB``, ``3.1 MB`` or ``1.20 GB``."""
    if value is None:
        return "—"
    if value < 1000:
        return f"{value:,} bytes"
    for unit, scale in (("KB", 1e3), ("MB", 1e6)):
        if value < scale * 1000:
            return f"{value / scale:.1f} {unit}"
    return f"{value / 1e9:,.2f} GB"


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
        bytes=size,
        duration=duration,
        when=when,
        iso=iso,
        seg=paths.segment,
        script_json=script_json,
        pretty=pretty,
    )
    return env


# Stand-ins for a page's own parts in its layout: NUL is in no template.
_MARKS = {"title": "\0title\0", "path": "\0path\0", "body": "\0body\0"}
_MARK = re.compile("\0(title|path|body)\0")
_LAYOUT = '{% extends "base.html" %}{% block content %}{{ body }}{% endblock %}'


@dataclass(frozen=True)
class _Shape:
    """A page as base.html sees it, with stand-ins for its title and path: pages
    of one template and shape share their layout."""

    template: str
    root: str
    section: str
    crumbs: tuple[Crumb, ...]
    charts: bool
    scripts: tuple[str, ...]
    title: str = _MARKS["title"]
    path: str = _MARKS["path"]


class PageRenderer:
    """Renders pages of one site, drawing their layout once for each shape of page.

    A run's or a batch's page differs from the next in its title, path and
    content block only, and base.html around them is most of a template's
    work. So base.html is rendered once per shape, with stand-ins for those
    three parts, and a page then renders its content block alone. The first
    page of each shape is also rendered in full and must come out the same;
    if not (a template that is more than base.html's content block), pages of
    that shape are always rendered in full.
    """

    def __init__(self, env: jinja2.Environment, site: Site) -> None:
        self._env = env
        self._site = site
        self._layout = env.from_string(_LAYOUT)
        self._frames: dict[_Shape, list[str] | None] = {}

    @property
    def site(self) -> Site:
        """The site every page is rendered for."""
        return self._site

    def render(self, page: Page) -> str:
        """The HTML of *page*, the same as its template renders it."""
        template = self._env.get_template(page.template)
        shape = _Shape(
            page.template, page.root, page.section, page.crumbs, bool(page.charts), page.scripts
        )
        if shape not in self._frames:
            return self._first(shape, template, page)
        frame = self._frames[shape]
        if frame is None:
            return self._full(template, page)
        return self._framed(frame, template, page)

    def _first(self, shape: _Shape, template: jinja2.Template, page: Page) -> str:
        full = self._full(template, page)
        frame = self._frame(shape, template)
        try:
            same = frame is not None and self._framed(frame, template, page) == full
        except jinja2.UndefinedError:  # the block needs a name set outside it
            same = False
        self._frames[shape] = frame if same else None
        return full

    def _full(self, template: jinja2.Template, page: Page) -> str:
        return template.render(site=self._site, page=page, ctx=page.ctx)

    def _frame(self, shape: _Shape, template: jinja2.Template) -> list[str] | None:
        """base.html around pages of *shape*: text and stand-in names, alternately."""
        if set(template.blocks) != {"content"}:
            return None
        try:
            html = self._layout.render(site=self._site, page=shape, body=Markup(_MARKS["body"]))
        except jinja2.UndefinedError:  # base.html reads more of a page than a shape holds
            return None
        parts = _MARK.split(html)
        if parts[1::2].count("body") != 1 or any("\0" in text for text in parts[::2]):
            return None
        return parts

    def _framed(self, frame: list[str], template: jinja2.Template, page: Page) -> str:
        context = template.new_context({"site": self._site, "page": page, "ctx": page.ctx})
        values = {
            "title": escape(page.title),
            "path": escape(page.path),
            "body": "".join(template.blocks["content"](context)),
        }
        return "".join([values[part] if i % 2 else part for i, part in enumerate(frame)])
