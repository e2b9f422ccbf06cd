"""Commands that put results in: init, record, batch, merge, demo."""

from __future__ import annotations

import click

from generator import store
from generator.cli import db_option, main


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


FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True)
)


@main.command()
@db_option
@click.option(
    "--replace", is_flag=True, help="Overwrite stored runs whose content differs (whole runs)."
)
@FILES
def record(db_path: str, replace: bool, files: tuple[str, ...]) -> None:
    """Record run payloads from FILES (one JSON object, a JSON array, or JSON
    Lines; - reads stdin).

    Every record is validated before anything is written: one bad record and
    nothing is recorded. A run already stored with the same content is left
    alone; a different payload for a stored runId is refused unless --replace.

    \b
    Example:
      zebench record --db data/benchmarks.db results/runs.jsonl
      harness --json | zebench record -
    """
    from generator.results import ingest

    click.echo(str(ingest.record_files(db_path, files, replace=replace)))


@main.command()
@db_option
@FILES
def batch(db_path: str, files: tuple[str, ...]) -> None:
    """Record batch payloads from FILES (object, array or JSON Lines; - is stdin).

    A known batch is updated with the fields given, keeping its earliest
    createdAt. Same validation rules as 'zebench record'.

    \b
    Example:
      zebench batch --db data/benchmarks.db results/batch.json
    """
    from generator.results import ingest

    click.echo(str(ingest.record_batch_files(db_path, files)))


@main.command()
@db_option
@click.option(
    "--prefer-source",
    is_flag=True,
    help="When a runId differs between a source and the target, take the source's run.",
)
@click.argument("sources", nargs=-1, required=True, type=click.Path(dir_okay=False, readable=False))
def merge(db_path: str, prefer_source: bool, sources: tuple[str, ...]) -> None:
    """Merge result files of any schema version (e.g. CI artifacts) into --db.

    Identical runs collapse, so merging a file twice changes nothing. A run
    whose content differs from the target's is reported and the target's copy
    kept, unless --prefer-source. Sources are only read, never changed.

    \b
    Example:
      zebench merge --db data/benchmarks.db artifacts/*/benchmarks.db
    """
    from generator.results import merge as merging

    for line in merging.merge(db_path, list(sources), prefer_source=prefer_source).lines():
        click.echo(line)


@main.command()
@db_option
@click.option("--runs", default=400, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same data.")
@click.option(
    "--profile",
    type=click.Choice(["small", "real"]),
    default="small",
    show_default=True,
    help="small: about 4 KB a run. real: sized like real runs, about 100 KB of "
    "metadata a run, most of it a pnpm-lock.yaml patch.",
)
@click.option(
    "--candidate",
    "candidate_dir",
    type=click.Path(file_okay=False),
    help="Hold the newest weekly sweep of one agent · model back: record the demo up to "
    "it into --db and write its runs to DIR/runs.jsonl, a pull request's results for "
    "scripts/compare-pr.sh.",
    metavar="DIR",
)
@click.option(
    "--candidate-sweep",
    type=click.Choice(["regressed", "steady"]),
    default="regressed",
    show_default=True,
    help="With --candidate: the sweep that is truly worse, or the one that is not.",
)
def demo(
    db_path: str,
    runs: int,
    seed: int,
    profile: str,
    candidate_dir: str | None,
    candidate_sweep: str,
) -> None:
    """Fill --db with deterministic, realistic demo results.

    Suites, scenarios, tiers L0-L3 and Lx, several agents and models, batches
    of repeated runs, the real evaluators, failed, incomplete and running runs,
    over six months ending 2025-10-31. Running it again changes nothing.

    \b
    Example:
      zebench demo --db data/benchmarks.db --runs 1000 --seed 7
      zebench demo --db data/real.db --runs 500 --profile real
      zebench demo --db base.db --candidate results/ && scripts/compare-pr.sh base.db results/
    """
    from generator.results import demo as demo_data

    if candidate_dir is None:
        click.echo(str(demo_data.write_demo(db_path, runs=runs, seed=seed, profile=profile)))
        return
    if profile != "small":
        raise click.UsageError("--candidate works with the small profile only")
    from generator.results import demo_candidate

    held = demo_candidate.write_candidate(db_path, candidate_dir, candidate_sweep, runs, seed)
    click.echo(str(held))
