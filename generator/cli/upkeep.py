"""Commands that keep the results file lean: prune and compact."""

from __future__ import annotations

import click

from generator.cli import db_option, main
from generator.errors import ZebenchError


def _size_option(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    from generator.store import prune as pruning

    try:
        return None if value is None else pruning.parse_size(value)
    except ZebenchError as exc:
        raise click.BadParameter(str(exc)) from None


def _date_option(ctx: click.Context, param: click.Parameter, value: str | None):
    from generator.store import prune as pruning

    try:
        return None if value is None else pruning.parse_date(value)
    except ZebenchError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command()
@db_option
@click.option("--before", callback=_date_option, help="Drop runs started before this date.")
@click.option(
    "--keep-batches",
    type=click.IntRange(min=0),
    help="Keep the newest N batches; drop older ones with their runs.",
)
@click.option(
    "--text-over",
    callback=_size_option,
    help="Replace matching patches over this size (100KB, 1MB, bytes) by their summary.",
)
@click.option(
    "--files",
    default="pnpm-lock.yaml,package-lock.json,yarn.lock",
    show_default=True,
    help="Comma-separated glob patterns of the files whose patches --text-over replaces.",
)
@click.option("--yes", is_flag=True, help="Do it. Without --yes nothing is written.")
def prune(db_path: str, before, keep_batches, text_over, files: str, yes: bool) -> None:
    """Drop old runs and batches, or replace large lockfile patches by their summary.

    Lists what would go (counts, bytes, a few ids) and writes nothing without
    --yes; with it, one transaction. A run goes with its evaluations and
    telemetry, and a batch left without runs goes too. A replaced patch keeps
    its size, lines added and removed, and SHA-256. Run 'zebench compact'
    afterwards to shrink the file.

    \b
    Examples:
      zebench prune --before 2025-06-01
      zebench prune --keep-batches 50 --yes
      zebench prune --text-over 100KB --files 'pnpm-lock.yaml,*.lock' --yes
    """
    from generator.store import prune as pruning

    ctx = click.get_current_context()
    if before is None and keep_batches is None and text_over is None:
        raise click.UsageError("nothing to prune: give --before, --keep-batches or --text-over")
    if ctx.get_parameter_source("files") != click.core.ParameterSource.DEFAULT and not text_over:
        raise click.UsageError("--files only applies with --text-over")
    patterns = tuple(p.strip() for p in files.split(",") if p.strip())
    if text_over is not None and not patterns:
        raise click.BadParameter("give at least one glob pattern", param_hint="'--files'")
    plan = pruning.prune(
        db_path,
        before=before,
        keep_batches=keep_batches,
        text_over=text_over,
        files=patterns,
        yes=yes,
    )
    for line in plan.lines():
        click.echo(line)


@main.command()
@db_option
def compact(db_path: str) -> None:
    """Rewrite the results file without the space deleted rows left behind.

    The file is rewritten beside the original and swapped in by one rename, so
    a kill at any moment leaves the original whole. Refused while any other
    process (a writer, a build, a server) has the file open.

    \b
    Example:
      zebench prune --before 2025-01-01 --yes && zebench compact
    """
    from generator.store import compact as compacting

    click.echo(str(compacting.compact(db_path)))
