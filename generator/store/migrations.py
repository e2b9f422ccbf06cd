"""Schema changes, in order, each recorded in the file itself (``zebench_migrations``).

Each inspects the file before acting (upstream files may already carry a column),
so a file of any age, from any writer, ends in the same schema. Rows are never
changed: a new column is NULL ("unknown") in the rows written before it.

The steps use sqlite-utils, imported only when a step runs: it takes a quarter
of a second to import (it loads pandas and numpy when they are installed), and
every command opens the file, so ``schema_version`` asks SQLite itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from generator.store.schema import V1_SCHEMA


def _table(conn: sqlite3.Connection, name: str) -> Any:
    import sqlite_utils  # see the module's docstring

    return sqlite_utils.Database(conn)[name]


def _add_columns(conn: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    # No DEFAULT: rows written before the column existed stay NULL ("unknown").
    target = _table(conn, table)
    for name, sql_type in columns.items():
        if name not in target.columns_dict:
            target.add_column(name, sql_type)


def _index(conn: sqlite3.Connection, table: str, column: str, name: str) -> None:
    _table(conn, table).create_index([column], name, if_not_exists=True)


def _v1_initial(conn: sqlite3.Connection) -> None:
    # The upstream harness's own DDL, word for word: its DATETIME columns and
    # CURRENT_TIMESTAMP defaults are part of what makes the files interchangeable.
    # Not executescript(): it COMMITs first, dropping the write lock that stops
    # two processes opening a new file at once from both running migrations.
    for statement in V1_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v2_success(conn: sqlite3.Connection) -> None:
    _add_columns(conn, "benchmark_runs", {"is_successful": "INTEGER", "success_metric": "REAL"})
    _index(conn, "benchmark_runs", "is_successful", "idx_runs_is_successful")


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
    _index(conn, "run_telemetry", "run_id", "idx_telemetry_run_id")


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("initial upstream schema", _v1_initial),
    ("is_successful and success_metric", _v2_success),
    ("specialist, package manager, test results and prompt columns", _v3_later_upstream_columns),
    ("index on run_telemetry(run_id)", _v4_telemetry_index),
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The number of migrations recorded in the file (0 for foreign files)."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'zebench_migrations'"
    ).fetchone()
    if found is None:
        return 0
    row = conn.execute("SELECT MAX(version) FROM zebench_migrations").fetchone()
    return row[0] or 0


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations in one transaction; return the names applied."""
    from generator.store import transaction  # the package's; it imports this module

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
