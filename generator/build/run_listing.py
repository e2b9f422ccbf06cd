"""Every listing of all runs, from each run's entries, kept for the next build.

The runs table's data files (``data/runs/``), ``downloads/runs.csv`` and the
API's ``/api/runs`` and ``/api/all/runs`` list every run, newest first, and a
run's entry in each depends on that run alone. So each run is encoded once
into its three entries (its API object, its table row, its CSV line), the files
are those entries joined in order, and the entries are kept beside the manifest
in ``.zebench/listing/`` under the run's fingerprint (see ``kept``). The
next build encodes only the runs whose fingerprint changed and takes the
others' entries from there: the same bytes as encoding every run again, since a
fingerprint covers the run's rows, the code and the site context.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator, Sequence
from functools import partial
from itertools import chain
from operator import itemgetter
from typing import Any

from generator import store
from generator.build import cache
from generator.queries import api, budget, common, encoding
from generator.site import api_files, paths
from generator.site.pages import runs as run_pages

CACHE = "listing"  # the kind of kept file: (runId, fingerprint, *entries) rows
CACHE_WIDTH = 5
Entries = tuple[str, str, str]  # API object (JSON), table row (script JSON), CSV line
File = tuple[str, bytes]

_ORDER_SQL = (
    f"SELECT r.run_id FROM benchmark_runs r ORDER BY {common.ts_sql('r.started_at')} DESC, r.run_id"
)
_PICK_TABLE = itemgetter(*run_pages.FIELDS[1:])
_PICK_CSV = itemgetter(*run_pages.CSV_FIELDS)


def files(
    conn: sqlite3.Connection,
    fingerprints: dict[str, str],
    last: dict[str, tuple[str, ...]],
    text_budget: budget.Budget = budget.NO_LIMIT,
) -> tuple[Iterator[File], list[tuple[str, ...]]]:
    """The listing files of every run in *conn* (made as they are taken), and the
    entries to keep for the next build: (runId, fingerprint, *entries) rows.

    *last* maps a runId to (fingerprint, *entries) kept by the last build; entries
    whose fingerprint matches *fingerprints* are taken as they are.
    """
    order = [run_id for (run_id,) in conn.execute(_ORDER_SQL)]
    listed, rows = cache.in_order(
        order, fingerprints, last, partial(encode, conn, text_budget=text_budget)
    )
    made = chain(
        api_files.listing_files("runs", [entries[0] for entries in listed], api.RUNS_LIMIT),
        _table_files(listed, _options(conn)),
        _csv_file(listed),
    )
    return made, rows


def encode(
    conn: sqlite3.Connection,
    run_ids: Sequence[str],
    everything: bool,
    text_budget: budget.Budget = budget.NO_LIMIT,
) -> dict[str, Entries]:
    """{runId: entries} of *run_ids*; *everything*: they are all the runs (one scan)."""
    line = io.StringIO()
    writer = csv.writer(line, lineterminator="\r\n")  # RFC 4180; a CR in a cell gets quoted
    out: dict[str, Entries] = {}
    slices = [None] if everything else store.id_slices(run_ids)
    for ids in slices:
        for api_run, run in run_pages.table_rows(conn, ids):
            line.seek(0)
            line.truncate()
            writer.writerow(run_pages.csv_values(_PICK_CSV(run)))
            row = [paths.file_name(run["runId"]), *_PICK_TABLE(run)]
            out[api_run["runId"]] = (
                encoding.dumps(budget.cut(api_run, text_budget)),  # testResults
                str(encoding.script_json(row)),
                line.getvalue(),
            )
    return out


def _table_files(listed: list[Entries], options: dict[str, list[Any]]) -> Iterator[File]:
    """The runs table's chunks of rows and its index (``runs.js`` reads them)."""
    rows = [entries[1] for entries in listed]
    size = run_pages.CHUNK_ROWS
    chunks = range(0, len(rows), size)
    for number, start in enumerate(chunks, 1):
        name = f"runs/{number:04d}"
        empty = run_pages.data_script(name, {"rows": []}).decode("utf-8")
        yield f"data/{name}.js", encoding.joined(empty, rows[start : start + size])
    index = {
        "fields": list(run_pages.FIELDS),
        "total": len(rows),
        "chunks": len(chunks),
        "chunkRows": size,
        "options": options,
    }
    yield "data/runs/index.js", run_pages.data_script("runs/index", index)


def _csv_file(listed: list[Entries]) -> Iterator[File]:
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(run_pages.CSV_FIELDS)
    # One join: the lines are 25 MB at 100,000 runs, and header + lines copied them again.
    text = "".join([header.getvalue(), *(entries[2] for entries in listed)])
    yield "downloads/runs.csv", text.encode("utf-8")


def _options(conn: sqlite3.Connection) -> dict[str, list[Any]]:
    """Every value of each drop-down filter of the runs table."""
    options = {}
    for key in run_pages.SELECT_FILTERS:  # column names, not input
        values = conn.execute(f"SELECT DISTINCT {key} FROM benchmark_runs")
        options[key] = sorted(value for (value,) in values if value is not None)
    return options
