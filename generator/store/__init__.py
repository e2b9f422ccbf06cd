"""The results file: open it, create it, migrate it.

One SQLite file holds everything, with the upstream harness's table and column
names so that its files, its Worker's D1 exports and ours open unchanged.
Migrations are ordered, inspect the file before acting (upstream files may
already carry a column), and are recorded in ``zebench_migrations``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from generator.errors import StoreError

DEFAULT_DB = "data/benchmarks.db"
BUSY_TIMEOUT_MS = 60_000

# Version 1 is the upstream harness's first schema, the plan's tables and
# indexes without the later columns: the shape of files in the wild.
_V1_SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_runs (
  batchId TEXT PRIMARY KEY,
  createdAt INTEGER NOT NULL,
  completedAt INTEGER,
  totalRuns INTEGER DEFAULT 0,
  successfulRuns INTEGER DEFAULT 0,
  avgScore REAL,
  avgWeightedScore REAL,
  metadata TEXT
);
CREATE TABLE IF NOT EXISTS benchmark_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT UNIQUE NOT NULL,
  batchId TEXT,
  suite TEXT NOT NULL,
  scenario TEXT NOT NULL,
  tier TEXT NOT NULL,
  agent TEXT NOT NULL,
  model TEXT,
  status TEXT NOT NULL,
  started_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  completed_at DATETIME,
  total_score REAL,
  weighted_score REAL,
  metadata TEXT,
  FOREIGN KEY (batchId) REFERENCES batch_runs(batchId)
);
CREATE TABLE IF NOT EXISTS evaluation_results (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  evaluator_name TEXT NOT NULL,
  score REAL NOT NULL,
  max_score REAL NOT NULL,
  details TEXT,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (run_id) REFERENCES benchmark_runs(run_id)
);
CREATE TABLE IF NOT EXISTS run_telemetry (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  tool_calls INTEGER,
  tokens_in INTEGER,
  tokens_out INTEGER,
  cost_usd REAL,
  duration_ms INTEGER,
  workspace_dir TEXT,
  FOREIGN KEY (run_id) REFERENCES benchmark_runs(run_id)
);
CREATE INDEX IF NOT EXISTS idx_runs_suite_scenario ON benchmark_runs(suite, scenario);
CREATE INDEX IF NOT EXISTS idx_runs_agent ON benchmark_runs(agent);
CREATE INDEX IF NOT EXISTS idx_runs_status ON benchmark_runs(status);
CREATE INDEX IF NOT EXISTS idx_runs_batchId ON benchmark_runs(batchId);
CREATE INDEX IF NOT EXISTS idx_evals_run_id ON evaluation_results(run_id);
"""


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _add_columns(conn: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    # No DEFAULT: rows written before the column existed stay NULL ("unknown").
    present = _columns(conn, table)
    for name, sql_type in columns.items():
        if name not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}")


def _v1_initial(conn: sqlite3.Connection) -> None:
    # Not executescript(): it COMMITs first, dropping the write lock that stops
    # two processes opening a new file at once from both running migrations.
    for statement in _V1_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v2_success(conn: sqlite3.Connection) -> None:
    _add_columns(conn, "benchmark_runs", {"is_successful": "INTEGER", "success_metric": "REAL"})
    conn.execute(
        "CREATE INDEX IF NOT EXISTS idx_runs_is_successful ON benchmark_runs(is_successful)"
    )


def _v3_later_upstream_columns(conn: sqlite3.Connection) -> None:
    _add_columns(
        conn,
        "benchmark_runs",
        {
            "package_manager": "TEXT",
            "test_results": "TEXT",
            "specialist_enabled": "INTEGER",
            "specialist_name": "TEXT",
            "specialist_version": "TEXT",
        },
    )
    _add_columns(conn, "run_telemetry", {"prompt_sent": "TEXT"})


def _v4_telemetry_index(conn: sqlite3.Connection) -> None:
    # Re-recording and --replace look telemetry up by run; without it, a scan.
    conn.execute("CREATE INDEX IF NOT EXISTS idx_telemetry_run_id ON run_telemetry(run_id)")


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("initial upstream schema", _v1_initial),
    ("is_successful and success_metric", _v2_success),
    ("specialist, package manager, test results and prompt columns", _v3_later_upstream_columns),
    ("index on run_telemetry(run_id)", _v4_telemetry_index),
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The number of migrations recorded in the file (0 for foreign files)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "zebench_migrations" not in tables:
        return 0
    row = conn.execute("SELECT MAX(version) FROM zebench_migrations").fetchone()
    return row[0] or 0


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations in one transaction; return the names applied."""
    applied: list[str] = []
    with transaction(conn):
        conn.execute(
            "CREATE TABLE IF NOT EXISTS zebench_migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
        )
        current = schema_version(conn)
        for version, (name, step) in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            step(conn)
            conn.execute(
                "INSERT INTO zebench_migrations (version, name) VALUES (?, ?)", (version, name)
            )
            applied.append(name)
    return applied


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception.

    IMMEDIATE takes the write lock up front, so parallel writers queue on the
    busy timeout instead of failing mid-transaction with "database is locked".
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def _connect(uri: str) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves (see transaction()).
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    return conn


def _check_sqlite(conn: sqlite3.Connection, path: Path) -> None:
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:  # permissions, locks, a WAL it cannot create
        conn.close()
        raise StoreError(
            f"cannot read {path} ({exc}): check that the file and its folder are accessible"
        ) from None
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        conn.close()
        raise StoreError(f"{path} is not a readable SQLite database ({exc})") from None


def read_only_uri(path: Path) -> str:
    """A URI that opens *path* read-only and immutable: for files nothing writes to."""
    return _uri(path, "ro") + "&immutable=1"


def _uri(path: Path, mode: str) -> str:
    return f"file:{_quote(str(path.resolve()))}?mode={mode}"


def _quote(text: str) -> str:
    # '?' and '#' would end the path part of a URI; '%' would start an escape.
    return text.replace("%", "%25").replace("?", "%3f").replace("#", "%23")


def open_write(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the results file for writing."""
    conn = _open_rw(Path(path))
    if schema_version(conn) < SCHEMA_VERSION:
        _migrate_or_fail(conn, Path(path))
    return conn


def init(path: str | os.PathLike[str]) -> list[str]:
    """Create or upgrade the file at *path*; return the names of migrations applied."""
    conn = _open_rw(Path(path))
    try:
        return _migrate_or_fail(conn, Path(path))
    finally:
        conn.close()


def _open_rw(path: Path) -> sqlite3.Connection:
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(_uri(path, "rwc"))
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open {path} for writing ({exc})") from None
    _check_sqlite(conn, path)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _wal(conn)  # readers never block writers
        conn.execute("PRAGMA synchronous = NORMAL")  # safe in WAL; one fsync per checkpoint
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"cannot write to {path} ({exc})") from None
    return conn


def _wal(conn: sqlite3.Connection) -> None:
    # Switching a new file to WAL while another process does the same answers
    # "database is locked" at once, without the busy timeout: wait here instead.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _migrate_or_fail(conn: sqlite3.Connection, path: Path) -> list[str]:
    try:
        return migrate(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"cannot upgrade {path} ({exc})") from None


def open_read(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open the results file read-only; never changes a byte of it.

    A file in an older schema is copied into memory and migrated there, so
    queries always see the current columns without the file being touched.
    """
    path = Path(path)
    if not path.is_file():
        raise StoreError(
            f"no database at {path}: create one with 'zebench init --db {path}' "
            f"or 'zebench demo --db {path}'"
        )
    try:
        conn = _connect(_uri(path, "ro"))
    except sqlite3.Error as exc:
        raise StoreError(
            f"cannot read {path} ({exc}): check that the file and its folder are readable"
        ) from None
    _check_sqlite(conn, path)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if schema_version(conn) < SCHEMA_VERSION:
        memory = _connect("file::memory:")
        conn.backup(memory)
        conn.close()
        migrate(memory)
        conn = memory
    return conn


def open_snapshot(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open a copy of the results file that nothing writes to (a build's own copy,
    in the current schema) read-only, without locks and without -wal/-shm files."""
    return _connect(read_only_uri(Path(path)))


# SQLite result codes that mean the file itself is the problem, not the query.
_FILE_PROBLEMS = ("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_IOERR", "SQLITE_CANTOPEN")


@contextmanager
def reading(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn a damaged or vanishing file met while reading *path* into StoreError.

    ``open_read`` only checks the first page; corruption further in surfaces in
    whichever query first touches it.
    """
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if not getattr(exc, "sqlite_errorname", "").startswith(_FILE_PROBLEMS):
            raise  # a bug in a query keeps its traceback
        raise StoreError(
            f"cannot read {path} ({exc}): the file is damaged; restore it from a backup"
        ) from None
