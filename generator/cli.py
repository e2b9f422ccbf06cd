"""The ``zebench`` command line: thin Click commands over the library.

Each command parses its options and calls one library function. Problems the
user can fix arrive as ZebenchError and leave as ``Error: …`` with exit 1.
"""

from __future__ import annotations

import contextlib
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
@db_option
@click.option("--out", "out", default="site", show_default=True, help="Folder of the site.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--api-key-file",
    type=click.Path(dir_okay=False),
    help="File holding the key POSTs must send. Default: $ZE_BENCHMARKS_API_KEY.",
)
@click.option(
    "--read-key-file",
    type=click.Path(dir_okay=False),
    help="File holding a key GETs must send too (reads are public without it).",
)
@click.option(
    "--allow-unauthenticated-writes",
    is_flag=True,
    help="Take POSTs without a key (loopback addresses only).",
)
@click.option(
    "--max-body",
    default=16,
    show_default=True,
    type=click.IntRange(min=1),
    help="Largest request body, in MB.",
)
@click.option("--no-live", is_flag=True, help="Serve the site as built: no rebuilds, no reload.")
def serve(
    db_path: str,
    out: str,
    host: str,
    port: int,
    api_key_file: str | None,
    read_key_file: str | None,
    allow_unauthenticated_writes: bool,
    max_body: int,
    no_live: bool,
) -> None:
    """Serve the original Worker API and the site, live, until Ctrl-C.

    GET /health and every GET of the read API under /api/ answer from --db;
    POST /api/results and /api/results/batch take what 'zebench record' and
    'zebench batch' take, with 'Authorization: Bearer <key>'. After each write,
    and when --db changes from outside, the site in --out is rebuilt and open
    pages reload. With no site yet it is built first. See docs/server.md.

    \b
    Example:
      ZE_BENCHMARKS_API_KEY=secret zebench serve --db data/benchmarks.db
      export ZE_BENCHMARKS_WORKER_URL=http://127.0.0.1:8787   # for the harness
    """
    from pathlib import Path

    from generator import serve as server
    from generator.serve import keys

    options = server.Options(
        db=Path(db_path),
        out=Path(out),
        host=host,
        port=port,
        keys=keys.load(api_key_file, read_key_file, allow_unauthenticated_writes, host),
        max_body=max_body * 1024 * 1024,
        live=not no_live,
    )
    # uvicorn passes Ctrl-C on once it has shut down cleanly: nothing more to say.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(options, log=lambda message: click.echo(message, err=True))


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
