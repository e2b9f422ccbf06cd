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


MAX_TEXT_BYTES = click.option(
    "--max-text-bytes",
    type=click.IntRange(min=0),
    metavar="N",
    help="Cut each long text of the results (patches, prompts, test output, judge "
    "details, errors) at N bytes, with a marker giving its full size; 0: no limit.",
)


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


@main.command("api")
@db_option
@MAX_TEXT_BYTES
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
@click.option(
    "--max-text-bytes",
    type=click.IntRange(min=0),
    default=16384,
    show_default=True,
    metavar="N",
    help="Cut each long text of the results (patches, prompts, test output, judge "
    "details, errors) at N bytes on pages and API files, with a marker giving its full "
    "size and where it is whole; 0: no limit.",
)
@click.option(
    "--db-download",
    type=click.Choice(["copy", "link", "none"]),
    default=None,
    help="Offer the results file as a copy in the site, a link to --db-url, or not at "
    "all. Default: a copy up to --db-copy-limit MB, above it a link (or none without "
    "--db-url).",
)
@click.option(
    "--db-url",
    default=None,
    metavar="URL",
    help="Where the results file is published, e.g. a release asset's URL.",
)
@click.option(
    "--db-copy-limit",
    type=click.FloatRange(min=0),
    default=50,
    show_default=True,
    metavar="MB",
    help="Largest results file copied into the site when --db-download is not given.",
)
@click.option(
    "--no-search", "no_search", is_flag=True, help="Skip the full-text search index (Pagefind)."
)
@click.option(
    "--strict-size",
    is_flag=True,
    help="Exit 1 when the site or the results file is over a limit of GitHub "
    "(Pages: 1 GB a site; 100 MB a file); the site is still written, for a look.",
)
def build(
    db_path: str,
    out: str,
    base_url: str | None,
    pages_dir: str | None,
    max_text_bytes: int,
    db_download: str | None,
    db_url: str | None,
    db_copy_limit: float,
    strict_size: bool,
    no_search: bool,
) -> None:
    """Build the static report site from the results file.

    The new site replaces OUT only once it is complete; a failed build leaves
    the previous one as it was. Set SOURCE_DATE_EPOCH for a build date in the
    footer; the same file always gives the same bytes. The run pages are
    indexed for the search box (Pagefind) unless --no-search. The build ends
    with the site's size and warns when it is over a limit of GitHub
    (docs/real-sized-results.md).

    \b
    Examples:
      zebench build --db data/benchmarks.db --out site && zebench serve
      zebench build --db-download link \\
        --db-url https://github.com/ORG/REPO/releases/latest/download/benchmarks.db
    """
    from generator import build as site_build

    if db_download == "link" and not db_url:
        raise click.UsageError("--db-download link needs --db-url, the address of the file")
    started = time.perf_counter()

    def log(message: str) -> None:
        click.echo(f"  {time.perf_counter() - started:6.1f} s  {message}")

    options = site_build.Options(
        max_text_bytes=max_text_bytes,
        db_download=db_download,
        db_url=db_url,
        copy_limit=int(db_copy_limit * 1e6),
        strict_size=strict_size,
        search=not no_search,
    )
    result = site_build.build(
        db_path, out, base_url=base_url, pages_dir=pages_dir, log=log, options=options
    )
    kept = f", {result.kept:,} runs and batches kept from the last build" if result.kept else ""
    click.echo(
        f"Built {result.out}/ from {db_path}: {result.pages:,} pages ({result.run_pages:,} runs), "
        f"{result.files:,} files, {result.bytes / 1e6:.1f} MB written{kept} "
        f"in {result.seconds:.1f} s; the site is {result.site_bytes / 1e6:,.1f} MB "
        f"in {result.site_files:,} files"
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
@click.option(
    "--real",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=0),
    metavar="N",
    help="Also measure N runs of real size (about 100 KB each; WORKDIR/real-N/): "
    "ingest, builds, memory, bytes per run. 0 skips it.",
)
def bench(sizes: str, workdir: str, real: int) -> None:
    """Measure ingest, full and incremental builds, memory and page weight.

    Writes WORKDIR/results.json and prints the table. Timed steps run as child
    processes, like 'zebench record' and 'zebench build' run for a user; the
    Python recorder is timed in this process. Each incremental build (after 1
    and after 100 new runs) is measured three times and its median shown.
    Then N real-sized runs (--real) are measured the same way.

    \b
    Example:
      zebench bench --sizes 1000,10000 --real 1000
    """
    from generator import bench as benchmark

    try:
        numbers = [int(size.replace("_", "")) for size in sizes.split(",") if size.strip()]
    except ValueError:
        raise click.BadParameter(
            f"{sizes!r}: use numbers such as 1000,10000", param_hint="'--sizes'"
        ) from None
    report = benchmark.run(numbers, workdir, log=lambda m: click.echo(m, err=True), real=real)
    click.echo(benchmark.table(report))
