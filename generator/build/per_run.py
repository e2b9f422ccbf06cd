"""Each run's and each batch's own files: its page and its static API answers.

A run's files depend on that run alone, and a batch's on the batch and its runs,
so they are rendered apart from the pages about all runs, in ``workers``, and
kept from one build to the next while their fingerprint holds (``changes``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from generator.site import api_files, render
from generator.site.pages import Page
from generator.site.pages import batches as batch_pages
from generator.site.pages import runs as run_pages

File = tuple[str, bytes]


def run_files(pages: render.PageRenderer, detail: dict) -> Iterator[File]:
    """(path, content) of one run's files, from ``runs.get_run`` for it."""
    page = run_pages.run_page(detail)
    yield page.path, pages.render(page).encode("utf-8")
    yield from api_files.encoded(api_files.run_entries(detail))


def batch_files(
    pages: render.PageRenderer, batch: dict, analytics: dict, compared: dict | None = None
) -> Iterator[File]:
    """(path, content) of one batch's files: page, CSV, comparison data, API answers."""
    for item in batch_pages.batch_files(batch, analytics, compared):
        if isinstance(item, Page):
            yield item.path, pages.render(item).encode("utf-8")
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
    # No Writer here: a run's paths come from its id's segment, which no file about
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
