"""Commands that read the results: api and compare."""

from __future__ import annotations

import sys

import click

from generator import store
from generator.cli import db_option, main, max_text_bytes_option
from generator.errors import SpecError


@main.command("api")
@db_option
@max_text_bytes_option(default=None)
@click.argument("path")
def api_command(db_path: str, max_text_bytes: int | None, path: str) -> None:
    """Print the JSON the read API answers for PATH (query string included).

    Every text whole by default; with --max-text-bytes N, the same bytes as the
    file for PATH in the static api/ folder of a site built with that N (a
    build's default is 16384).

    \b
    Examples:
      zebench api /api/stats
      zebench api '/api/runs?agent=echo&limit=5'
      zebench api '/api/batches/compare?ids=BATCH1,BATCH2'
      zebench api /api/runs/RUN_ID --max-text-bytes 16384
    """
    from pathlib import Path

    from generator.queries import api, budget

    text_budget = budget.Budget(max_text_bytes or 0, Path(db_path).name)
    conn = store.open_read(db_path)
    try:
        with store.reading(db_path):
            text = api.dumps(budget.cut(api.get(conn, path), text_budget))
    finally:
        conn.close()
    # Bytes, so the output is UTF-8 whatever the terminal encoding, like the static files.
    click.echo(text.encode("utf-8"), nl=False)


@main.command("compare")
@db_option
@click.argument("base")
@click.argument("candidate")
@click.option(
    "--format",
    "form",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="markdown suits $GITHUB_STEP_SUMMARY and pull-request comments.",
)
@click.option(
    "--tolerance",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0, 100),
    help="Smallest change in success rate, in points, that counts as a regression.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["regression", "inconclusive", "never"]),
    default="regression",
    show_default=True,
    help="Which verdicts make the command exit 3.",
)
def compare_command(db_path: str, base: str, candidate: str, form: str, tolerance: float,
                    fail_on: str) -> None:  # fmt: skip
    """Decide whether CANDIDATE's runs are worse than BASE's, paired by cell.

    BASE and CANDIDATE are each a batch id, latest (the newest batch), previous
    (the comparable batch before it) or filters key=value[,key=value] with keys
    agent, model, suite, scenario, tier, batch, since, until. Exit status: 0 the
    gate passes, 1 error, 2 usage, 3 the gate fails (see docs/statistics.md).

    \b
    Examples:
      zebench compare previous latest
      zebench compare agent=claude-code,until=2025-10-15 agent=claude-code,since=2025-10-16
      zebench compare BATCH1 BATCH2 --format markdown >> "$GITHUB_STEP_SUMMARY"
    """
    from generator.queries import comparison
    from generator.queries.encoding import dumps
    from generator.site import comparison_text

    conn = store.open_read(db_path)
    try:
        with store.reading(db_path):
            try:
                result = comparison.compare_specs(conn, base, candidate, tolerance / 100)
            except SpecError as exc:
                raise click.BadParameter(str(exc)) from exc
    finally:
        conn.close()
    if form == "json":
        out = dumps(result) + "\n"
    else:
        out = (comparison_text.markdown if form == "markdown" else comparison_text.text)(result)
    click.echo(out.encode("utf-8"), nl=False)
    if comparison.gate_fails(result, fail_on):
        sys.exit(3)
