"""Commands that make and serve the site: build and serve."""

from __future__ import annotations

import contextlib
import time

import click

from generator.cli import db_option, main, max_text_bytes_option
from generator.queries import budget


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
@max_text_bytes_option(default=budget.DEFAULT_MAX_TEXT_BYTES)
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
