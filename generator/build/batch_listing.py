"""The list of every batch, from each batch's entries, kept for the next build.

The batch list's data files (``data/batches/``) and the API's ``/api/batches``
and ``/api/all/batches`` list every batch, newest first, and a batch's entry in
each depends on that batch alone: its row and its runs. So each batch is
encoded once into its entries (its API object, its table row and its status),
the files are those entries joined in order, and the entries are kept beside
the manifest in ``.zebench/batch-listing/`` under the batch's fingerprint
(see ``kept``), which covers its row, its runs' fingerprints, the code and the
site context: the same bytes as encoding every batch again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from functools import partial
from itertools import chain
from typing import Any

from generator.build import cache
from generator.queries import api, batches, budget, common, encoding
from generator.site import api_files, paths
from generator.site.pages import batches as batch_pages
from generator.site.pages.runs import CHUNK_ROWS, data_script

CACHE = "batch-listing"  # the kind of kept file: (batchId, fingerprint, *entries) rows
CACHE_WIDTH = 5
Entries = tuple[str, str, str]  # API object (JSON), table row (script JSON), status
File = tuple[str, bytes]

# As batches.list_batches orders them: newest first.
_ORDER_SQL = f"SELECT batchId FROM batch_runs ORDER BY {common.ts_sql('createdAt')} DESC, batchId"


def files(
    conn: sqlite3.Connection,
    fingerprints: dict[str, str],
    last: dict[str, tuple[str, ...]],
    text_budget: budget.Budget = budget.NO_LIMIT,
) -> tuple[Iterator[File], list[tuple[str, ...]]]:
    """The listing files of every batch in *conn* (made as they are taken), and the
    entries to keep for the next build: (batchId, fingerprint, *entries) rows.

    *last* maps a batchId to (fingerprint, *entries) kept by the last build; entries
    whose fingerprint matches *fingerprints* are taken as they are.
    """
    order = [batch_id for (batch_id,) in conn.execute(_ORDER_SQL)]
    listed, rows = cache.in_order(
        order, fingerprints, last, partial(encode, conn, text_budget=text_budget)
    )
    items = [entries[0] for entries in listed]
    made = chain(
        api_files.listing_files("batches", items, api.BATCHES_LIMIT),
        _table_files(listed),
    )
    return made, rows


def encode(
    conn: sqlite3.Connection,
    batch_ids: Sequence[str],
    everything: bool,
    text_budget: budget.Budget = budget.NO_LIMIT,
) -> dict[str, Entries]:
    """{batchId: entries} of *batch_ids*; *everything*: they are all the batches."""
    out: dict[str, Entries] = {}
    for batch in batches.batch_dicts(conn, None if everything else list(batch_ids)):
        fields = [batch_pages.list_value(batch, field) for field in batch_pages.LIST_FIELDS[1:]]
        row: list[Any] = [paths.file_name(batch["batchId"]), *fields]
        out[batch["batchId"]] = (
            encoding.dumps(budget.cut(batch, text_budget)),  # its metadata
            str(encoding.script_json(row)),
            batch_pages.status(batch),
        )
    return out


def _table_files(listed: list[Entries]) -> Iterator[File]:
    """The batch list's chunks of rows and its index (``table.js`` reads them)."""
    rows = [entries[1] for entries in listed]
    chunks = range(0, len(rows), CHUNK_ROWS)
    for number, start in enumerate(chunks, 1):
        name = f"batches/{number:04d}"
        empty = data_script(name, {"rows": []}).decode("utf-8")
        yield f"data/{name}.js", encoding.joined(empty, rows[start : start + CHUNK_ROWS])
    index = {
        "fields": list(batch_pages.LIST_FIELDS),
        "total": len(rows),
        "chunks": len(chunks),
        "chunkRows": CHUNK_ROWS,
        "options": {"status": sorted({entries[2] for entries in listed})},
    }
    yield "data/batches/index.js", data_script("batches/index", index)
