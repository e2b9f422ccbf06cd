"""The site owner's own pages: ``*.md`` files rendered with python-markdown.

These are the owner's text, so their HTML is kept; results text never passes
through here. The title comes from front matter (``title: …`` between ``---``
lines) or else the first heading, else the file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import markdown as md
from markupsafe import Markup

from generator.errors import PagesError
from generator.site import paths
from generator.site.pages import NavItem, Page

DEFAULT_DIR = "data/pages"
_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)


@dataclass(frozen=True)
class MarkdownPage:
    """One rendered markdown file."""

    slug: str
    title: str
    html: Markup
    show_title: bool  # False when the text already opens with its title as a heading


def load(folder: str | Path | None) -> list[MarkdownPage]:
    """Every ``*.md`` in *folder*, by file name; None means the default folder, if present."""
    if folder is None:
        base = Path(DEFAULT_DIR)
        if not base.is_dir():
            return []
    else:
        base = Path(folder)
        if not base.is_dir():
            raise PagesError(f"--pages {folder}: no such folder of markdown pages")
    return [_page(path) for path in sorted(base.glob("*.md"))]


def _page(path: Path) -> MarkdownPage:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PagesError(f"cannot read markdown page {path} ({exc})") from None
    meta, body = _front_matter(text)
    heading = _HEADING.search(body)
    title = meta.get("title") or (heading.group(1) if heading else path.stem)
    html = md.markdown(body, extensions=["extra", "sane_lists"], output_format="html")
    opens_with_title = bool(heading) and not body[: heading.start()].strip()
    return MarkdownPage(
        slug=paths.file_name(path.stem),
        title=title,
        html=Markup(html),
        show_title=not (opens_with_title and heading.group(1) == title),
    )


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = _FRONT.match(text)
    if not match:
        return {}, text
    meta = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[match.end() :]


def nav_items(found: list[MarkdownPage]) -> tuple[NavItem, ...]:
    """Navigation entries for the markdown pages."""
    return tuple(NavItem(p.title, f"pages/{p.slug}.html", f"page:{p.slug}") for p in found)


def pages(found: list[MarkdownPage]) -> list[Page]:
    """One site page per markdown file."""
    return [
        Page(
            path=f"pages/{p.slug}.html",
            template="markdown.html",
            title=p.title,
            section=f"page:{p.slug}",
            ctx={"html": p.html, "show_title": p.show_title},
        )
        for p in found
    ]
