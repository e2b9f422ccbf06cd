"""The ``zebench`` command line: thin Click commands over the library.

Each command parses its options and calls one library function. Problems the
user can fix arrive as ZebenchError and leave as ``Error: …`` with exit 1, in
one place (``ZebenchGroup``). The commands are in this package's modules, by
what they do; importing them puts them in the group.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from generator import __version__, store
from generator.errors import ZebenchError

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = "Results file. Default: $ZE_BENCHMARKS_DB, else data/benchmarks.db."


def default_db() -> str:
    return os.environ.get("ZE_BENCHMARKS_DB") or store.DEFAULT_DB


def db_option(func):
    """The shared ``--db`` option; read at call time so the env var is honoured."""
    return click.option(
        "--db",
        "db_path",
        # readable=False: an unreadable file is the store's "cannot read" (exit 1), not usage.
        type=click.Path(dir_okay=False, readable=False),
        default=default_db,
        help=DB_HELP,
    )(func)


class ZebenchGroup(click.Group):
    """Turns every ZebenchError into ``Error: …`` and exit status 1, in one place."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ZebenchError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=ZebenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zebench")
def main() -> None:
    """Keep AI coding-agent benchmark results in one SQLite file and publish them
    as a static report site."""


def max_text_bytes_option(default: int | None) -> Callable[[F], F]:
    """``--max-text-bytes``: the one definition shared by ``build`` (a budget by default)
    and ``api`` (every text whole by default)."""
    return click.option(
        "--max-text-bytes",
        type=click.IntRange(min=0),
        default=default,
        show_default=default is not None,
        metavar="N",
        help="Cut each long text of the results (patches, prompts, test output, judge "
        "details, errors) at N bytes, with a marker giving its full size and where it is "
        "whole; 0: no limit.",
    )


# The commands, registered with ``main`` as their modules are imported.
from generator.cli import measure, read, results, site, upkeep  # noqa: E402, F401
