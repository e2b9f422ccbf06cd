"""What a build derived from rows, kept for the next build under a stamp.

Each kind is an SQLite file in the site's ``.zebench/`` folder (beside the
manifest) whose rows start with a key and a stamp: ``(key, stamp, values…)``,
one row per key or, for sums per group, several. The next build takes the
rows of a key again only when the stamp it would write is the same: for a run,
its fingerprint (its rows, the code and the site context; see ``changes``);
for a bucket of runs, a digest of its runs and their fingerprints. So a kept
value is what deriving it again would give, and a build that uses them writes
the same bytes as one that does not. A file that is missing, damaged or of
another shape is simply not used.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from generator import store
from generator.build.changes import fingerprint

FOLDER = ".zebench"


def path(kind: str) -> str:
    """The site path of the kept file of *kind*."""
    return f"{FOLDER}/{kind}.db"


def read_rows(
    site: Path | None, kind: str, width: int, texts: bool = False
) -> list[tuple[Any, ...]]:
    """(key, stamp, values…) rows of *width* columns that the build of the site at
    *site* kept for *kind*, as they are (a key may have several); empty when there
    are none or they cannot be read. *texts*: only rows whose values are all text
    (the others were not written by a build)."""
    if site is None:
        return []
    return _file_rows(site / path(kind), width, texts)


def _file_rows(file: Path, width: int, texts: bool) -> list[tuple[Any, ...]]:
    if not file.is_file():
        return []
    try:
        conn = sqlite3.connect(store.read_only_uri(file), uri=True)
        try:
            values = [f"typeof(v{n}) = 'text'" for n in range(1, width - 1)] if texts else []
            rows = conn.execute(" AND ".join(["SELECT * FROM kept WHERE 1", *values]))
            return rows.fetchall() if len(rows.description) == width else []
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def write(target: Path, rows: Iterable[Sequence[Any]], width: int) -> None:
    """Keep *rows* of (key, stamp, values…) — *width* columns — in a new SQLite file
    at *target*, in their order, so that the same rows always give the same bytes."""
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        columns = ", ".join(["key", "stamp", *(f"v{n}" for n in range(1, width - 1))])
        conn.execute(f"CREATE TABLE kept ({columns})")  # no types: values keep theirs
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO kept VALUES ({', '.join('?' * width)})", rows)
        conn.execute("COMMIT")
    finally:
        conn.close()


def split(
    keys: Iterable[Any], stamp: Callable[[Any], str | None], kept: dict[Any, tuple[Any, ...]]
) -> tuple[dict[Any, tuple[Any, ...]], list[Any]]:
    """({key: kept values} of the *keys* kept under the stamp ``stamp(key)``, the other keys)."""
    found: dict[Any, tuple[Any, ...]] = {}
    missing = []
    for key in keys:
        old = kept.get(key)
        if old is not None and old[0] == stamp(key):
            found[key] = old[1:]
        else:
            missing.append(key)
    return found, missing


def in_order(
    order: list[str],
    stamps: dict[str, str],
    kept: dict[str, tuple[Any, ...]],
    encode: Callable[[list[str], bool], dict[str, tuple[Any, ...]]],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The values of every key of *order*, in that order, and the rows to keep:
    (key, stamp, values…). Values kept under the key's stamp in *stamps* are taken
    as they are; the others come from ``encode(missing keys, whether that is all)``."""
    found, missing = split(order, stamps.get, kept)
    found.update(encode(missing, len(missing) == len(order)))
    return [found[key] for key in order], [(key, stamps.get(key, ""), *found[key]) for key in order]


# Runs in buckets -----------------------------------------------------------------

# A figure over all runs that is a sum can be kept per bucket of runs: a new run
# changes the sum of one bucket, and the sums of the others are kept. A run's
# bucket comes from its id alone, so it never moves.
BUCKETS = 256


def bucket(run_id: str) -> int:
    """The bucket of a run."""
    return zlib.crc32(run_id.encode("utf-8", "surrogatepass")) % BUCKETS


def buckets(fingerprints: dict[str, str]) -> tuple[dict[int, str], dict[int, list[str]]]:
    """({bucket: stamp}, {bucket: its runIds}) of the runs in *fingerprints*; a
    bucket's stamp is a digest of its runs and their fingerprints."""
    members: dict[int, list[str]] = defaultdict(list)
    for run_id in sorted(fingerprints):
        members[bucket(run_id)].append(run_id)
    stamps = {
        number: fingerprint([(run_id, fingerprints[run_id]) for run_id in run_ids])
        for number, run_ids in members.items()
    }
    return stamps, dict(members)
