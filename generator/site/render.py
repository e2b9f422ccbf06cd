"""The Jinja environment: templates, filters, and JSON that is safe inside a page.

Autoescaping is on for every HTML template and undefined names are errors, so a
result's text is always escaped and a missing context key fails the build.
How figures, statuses and names read is ``formats``' business; its functions
are the filters here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jinja2
from markupsafe import Markup, escape

import generator
from generator import times
from generator.queries.encoding import script_json
from generator.site import chart_data, formats, paths
from generator.site.formats import cost, duration, number, percent, when
from generator.site.pages import Crumb, Page, Site


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
    )
    env.globals.update(NO_MODEL=formats.NO_MODEL, success=formats.success, RULES=formats.RULES)
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


class _Writer(Protocol):
    def write(self, relative: str, data: bytes) -> None: ...


def render_all(
    env: jinja2.Environment, site: Site, items: Iterable[Page | tuple[str, bytes]], writer: _Writer
) -> int:
    """Render every page (and write any ready-made file) among *items*; count the pages."""
    count = 0
    for item in items:
        if isinstance(item, Page):
            html = env.get_template(item.template).render(site=site, page=item, ctx=item.ctx)
            writer.write(item.path, html.encode("utf-8"))
            count += 1
        else:
            writer.write(*item)
    return count
