"""Each run's and each batch's own files: its page and its static API answers.

A run's files depend on that run alone, and a batch's on the batch and its runs,
so they are rendered apart from the pages about all runs, in ``workers``, and
kept from one build to the next while their fingerprint holds (``changes``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import jinja2

from generator.queries import budget
from generator.site import api_files, render
from generator.site.pages import Page, Site
from generator.site.pages import batches as batch_pages
from generator.site.pages import runs as run_pages

File = tuple[str, bytes]


def run_files(env: jinja2.Environment, site: Site, detail: dict) -> Iterator[File]:
    """(path, content) of one run's files, from ``runs.get_run`` for it."""
    # One cut of the long texts, shared by the page and the API files; the page's
    # patch sizes are those of the whole patches.
    shown = budget.cut(detail, site.budget)
    page = run_pages.run_page(shown, budget.patch_sizes(detail))
    yield page.path, render.page_html(env, site, page).encode("utf-8")
    yield from api_files.encoded(api_files.run_entries(shown))


def batch_files(
    env: jinja2.Environment,
    site: Site,
    batch: dict,
    analytics: dict,
    compared: dict | None = None,
) -> Iterator[File]:
    """(path, content) of one batch's files: page, CSV, comparison data, API answers;
    *compared*: its comparison with the previous comparable batch, if it has one."""
    batch, analytics = (
        budget.cut(batch, site.budget),
        budget.cut(analytics, site.budget),
    )
    for item in batch_pages.batch_files(batch, analytics, compared):
        if isinstance(item, Page):
            yield item.path, render.page_html(env, site, item).encode("utf-8")
        else:
            yield item
    yield from api_files.encoded(api_files.batch_entries(batch, analytics))


_made: set[str] = set()  # folders this process has created
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def forget_folders() -> None:
    """Forget the folders made so far: a new build writes into a new staging folder."""
    _made.clear()


def write(root: str, relative: str, data: bytes) -> None:
    """Write *data* at *relative* under *root*, making its folder if need be."""
    # No Writer here: a run's paths come from its id's file name, which no file about
    # all runs can take (see Writer). Plain strings and os calls: a large site has
    # half a million of these files, and pathlib and a buffered file object cost
    # half as much again as the write itself.
    path = f"{root}/{relative}"
    folder = path.rpartition("/")[0]
    if folder not in _made:
        os.makedirs(folder, exist_ok=True)
        _made.add(folder)
    fd = os.open(path, _CREATE, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
