"""``zebench bench``: speed and memory."""

from __future__ import annotations

import click

from generator.cli import main


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
