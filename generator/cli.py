"""The ``zebench`` command line: thin Click commands over the library.

Each command parses its options and calls one library function. Problems the
user can fix arrive as ZebenchError and leave as ``Error: …`` with exit 1.
"""

from __future__ import annotations

import os
import sys
import time

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
def demo(db_path: str, runs: int, seed: int) -> None:
    """Fill --db with deterministic, realistic demo results.

    Suites, scenarios, tiers L0-L3 and Lx, several agents and models, batches
    of repeated runs, the real evaluators, failed, incomplete and running runs,
    over six months ending 2025-10-31. Running it again changes nothing.

    \b
    Example:
      zebench demo --db data/benchmarks.db --runs 1000 --seed 7
    """
    from generator.results import demo as demo_data

    click.echo(str(demo_data.write_demo(db_path, runs=runs, seed=seed)))


@main.command("api")
@db_option
@click.argument("path")
def api_command(db_path: str, path: str) -> None:
    """Print the JSON the read API answers for PATH (query string included).

    The same bytes as the file for PATH in the site's static api/ folder.

    \b
    Examples:
      zebench api /api/stats
      zebench api '/api/runs?agent=echo&limit=5'
      zebench api '/api/batches/compare?ids=BATCH1,BATCH2'
    """
    from generator.queries import api

    conn = store.open_read(db_path)
    try:
        with store.reading(db_path):
            text = api.dumps(api.get(conn, path))
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
            except comparison.SpecError as exc:
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


@main.command()
@db_option
@click.option("--out", "out", default="site", show_default=True, help="Folder to build into.")
@click.option("--base-url", default=None, help="Public URL of the site, for canonical links.")
@click.option(
    "--pages",
    "pages_dir",
    default=None,
    help="Folder of markdown pages to add. Default: data/pages, if it exists.",
)
def build(db_path: str, out: str, base_url: str | None, pages_dir: str | None) -> None:
    """Build the static report site from the results file.

    The new site replaces OUT only once it is complete; a failed build leaves
    the previous one as it was. Set SOURCE_DATE_EPOCH for a build date in the
    footer; the same file always gives the same bytes.
    """
    from generator import build as site_build

    started = time.perf_counter()

    def log(message: str) -> None:
        click.echo(f"  {time.perf_counter() - started:6.1f} s  {message}")

    result = site_build.build(db_path, out, base_url=base_url, pages_dir=pages_dir, log=log)
    kept = f", {result.kept:,} runs and batches kept from the last build" if result.kept else ""
    click.echo(
        f"Built {result.out}/ from {db_path}: {result.pages:,} pages ({result.run_pages:,} runs), "
        f"{result.files:,} files, {result.bytes / 1e6:.1f} MB written{kept} "
        f"in {result.seconds:.1f} s"
    )


@main.command()
@click.option("--out", "out", default="site", show_default=True, help="Folder to serve.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
def serve(out: str, port: int) -> None:
    """Serve the built site on http://127.0.0.1:PORT/ until Ctrl-C."""
    from generator import serve as site_serve

    httpd = site_serve.server(out, port)
    click.echo(f"Serving {out}/ at http://127.0.0.1:{httpd.server_address[1]}/ (Ctrl-C stops)")
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


@main.command()
@click.option(
    "--sizes",
    default="1000,10000,100000",
    show_default=True,
    help="Comma-separated numbers of demo runs to benchmark.",
)
@click.option(
    "--workdir",
    default="bench",
    show_default=True,
    help="Folder for the work: WORKDIR/<size>/ is replaced; its site and floor pages "
    "are deleted at the end, its database and inputs kept.",
)
def bench(sizes: str, workdir: str) -> None:
    """Measure ingest, full and incremental builds, memory and page weight.

    Writes WORKDIR/results.json and prints the table. Timed steps run as child
    processes, like 'zebench record' and 'zebench build' run for a user; the
    Python recorder is timed in this process. Each incremental build (after 1
    and after 100 new runs) is measured three times and its median shown.

    \b
    Example:
      zebench bench --sizes 1000,10000
    """
    from generator import bench as benchmark

    try:
        numbers = [int(size.replace("_", "")) for size in sizes.split(",") if size.strip()]
    except ValueError:
        raise click.BadParameter(
            f"{sizes!r}: use numbers such as 1000,10000", param_hint="'--sizes'"
        ) from None
    report = benchmark.run(numbers, workdir, log=lambda m: click.echo(m, err=True))
    click.echo(benchmark.table(report))
