"""The ``zebench`` command line: thin Click commands over the library.

Each command parses its options and calls one library function. Problems the
user can fix arrive as ZebenchError and leave as ``Error: …`` with exit 1.
"""

from __future__ import annotations

import os
import sys

import click

from generator import __version__, store
from generator.errors import ZebenchError

DB_HELP = "Results file. Default: $ZE_BENCHMARKS_DB, else data/benchmarks.db."


def default_db() -> str:
    return os.environ.get("ZE_BENCHMARKS_DB") or store.DEFAULT_DB


def db_option(func):
    """The shared ``--db`` option; read at call time so the env var is honoured."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        default=default_db,
        show_default="$ZE_BENCHMARKS_DB or data/benchmarks.db",
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


@main.command()
@db_option
def init(db_path: str) -> None:
    """Create the results file, or upgrade an older one in place.

    Rows are never changed: an upgrade only adds the newer columns (NULL for
    old rows, shown as "unknown") and indexes.
    """
    applied = store.init(db_path)
    if applied:
        click.echo(f"{db_path}: applied {len(applied)} migration(s): " + "; ".join(applied))
    else:
        click.echo(f"{db_path}: schema is up to date (version {store.SCHEMA_VERSION})")
