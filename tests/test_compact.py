"""zebench compact: smaller file, same rows; refused while the file is in use; a kill
at any moment leaves the path holding every row."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import store
from generator.cli import main
from generator.errors import StoreError
from generator.results import demo
from generator.store import compact, prune


def content(path: Path) -> str:
    """A digest of every row and schema object of the file."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def journal_mode(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    path = tmp_path / "results.db"
    demo.write_demo(path, runs=200, seed=2)
    return path


def test_compact_frees_what_a_prune_left_and_keeps_every_row(demo_db):
    prune.prune(demo_db, keep_batches=5, yes=True)
    rows = content(demo_db)
    done = compact.compact(demo_db)
    assert done.after < done.before
    assert content(demo_db) == rows
    assert journal_mode(demo_db) == "wal"  # as the file was
    assert not compact.temporary_path(demo_db).exists()
    assert sorted(p.name for p in demo_db.parent.iterdir()) == ["results.db"]
    assert str(done).startswith(f"compacted {demo_db}: ")


def test_compact_keeps_a_rollback_journal_file_as_it_was(upstream_db):
    assert journal_mode(upstream_db) == "delete"
    rows = content(upstream_db)
    compact.compact(upstream_db)
    assert content(upstream_db) == rows
    assert journal_mode(upstream_db) == "delete"


@pytest.mark.parametrize("holder", ["writer", "reader"])
def test_compact_refuses_while_another_connection_holds_the_file(demo_db, digest, holder):
    other = store.open_write(demo_db) if holder == "writer" else store.open_read(demo_db)
    other.execute("BEGIN IMMEDIATE" if holder == "writer" else "BEGIN")
    other.execute("SELECT COUNT(*) FROM benchmark_runs").fetchone()
    before = digest(demo_db)
    try:
        with pytest.raises(StoreError, match="is in use by another process"):
            compact.compact(demo_db, wait=0.1)
    finally:
        other.rollback()
        other.close()
    assert digest(demo_db) == before
    assert not compact.temporary_path(demo_db).exists()


def test_cli_compact(demo_db, tmp_path):
    result = CliRunner().invoke(main, ["compact", "--db", str(demo_db)])
    assert result.exit_code == 0, result.output
    assert "compacted" in result.output and "MB freed" in result.output
    result = CliRunner().invoke(main, ["compact", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "Error: no database at" in result.output
    (tmp_path / "text.db").write_text("not a database " * 100)
    result = CliRunner().invoke(main, ["compact", "--db", str(tmp_path / "text.db")])
    assert result.exit_code == 1
    assert "is not a readable SQLite database" in result.output


_COMPACT = "import sys; from generator.store.compact import compact; compact(sys.argv[1])"


def _compact_process(db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _COMPACT, str(db)], cwd=Path(__file__).parent)


@pytest.mark.slow
def test_a_kill_at_any_moment_leaves_the_file_whole(tmp_path):
    db = tmp_path / "results.db"
    demo.write_demo(db, runs=3000, seed=4)
    prune.prune(db, keep_batches=200, yes=True)  # something for compact to do
    rows = content(db)
    started = time.monotonic()
    assert _compact_process(db).wait() == 0  # how long a whole compact takes, here
    whole = time.monotonic() - started
    assert content(db) == rows
    chance = random.Random(16)
    for attempt in range(12):
        child = _compact_process(db)
        time.sleep(chance.uniform(0, whole * 1.2))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert content(db) == rows, f"attempt {attempt}"
    compact.compact(db)  # and the next compact tidies what a killed one left
    assert content(db) == rows
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".results.db.compact")]
