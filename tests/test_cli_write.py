"""The write commands through Click: exit codes, messages, and files left intact."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import in_child, unprivileged

from generator.cli import main
from generator.results import demo, ingest, merge  # noqa: F401  (imported before any fork below)


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def count(db, table="benchmark_runs"):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_record_prints_a_one_line_summary(empty_db, payloads_dir):
    result = invoke("record", "--db", str(empty_db), str(payloads_dir / "runs.jsonl"))
    assert result.exit_code == 0
    assert result.output == "recorded 3 runs, 0 unchanged, 0 replaced\n"
    again = invoke("record", "--db", str(empty_db), str(payloads_dir / "runs.jsonl"))
    assert again.output == "recorded 0 runs, 3 unchanged, 0 replaced\n"


def test_record_reads_stdin(empty_db, make_run):
    result = invoke("record", "--db", str(empty_db), "-", input=json.dumps(make_run()))
    assert result.exit_code == 0, result.output
    assert count(empty_db) == 1


def test_invalid_record_exits_1_naming_file_line_and_field(empty_db, make_run, tmp_path, digest):
    bad = make_run("r3")
    bad["evaluations"][1]["score"] = "high"
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in [make_run("r1"), make_run("r2"), bad]))
    before = digest(empty_db)
    result = invoke("record", "--db", str(empty_db), str(path))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {path} line 3: field 'evaluations[1].score': expected a number, got \"high\"\n"
    )
    assert digest(empty_db) == before  # the two good runs were not written either


def test_conflict_is_refused_byte_for_byte_then_replaced(empty_db, make_run, tmp_path, digest):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(make_run()))
    second.write_text(json.dumps(make_run(status="failed")))
    assert invoke("record", "--db", str(empty_db), str(first)).exit_code == 0
    before = digest(empty_db)
    refused = invoke("record", "--db", str(empty_db), str(second))
    assert refused.exit_code == 1
    assert "run 'run-1' is already stored with different content" in refused.output
    assert "--replace" in refused.output
    assert digest(empty_db) == before
    replaced = invoke("record", "--db", str(empty_db), "--replace", str(second))
    assert replaced.output == "recorded 0 runs, 0 unchanged, 1 replaced\n"


def test_missing_input_file_is_a_clear_error(empty_db, tmp_path):
    result = invoke("record", "--db", str(empty_db), str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot read {tmp_path / 'nope.jsonl'}")


def test_batch_command(empty_db, payloads_dir):
    result = invoke("batch", "--db", str(empty_db), str(payloads_dir / "batch.json"))
    assert (result.exit_code, result.output) == (0, "recorded 1 batch, 0 updated, 0 unchanged\n")
    wrong = invoke("batch", "--db", str(empty_db), str(payloads_dir / "run.json"))
    assert wrong.exit_code == 1
    assert "field 'runId': unknown field" in wrong.output


def test_demo_and_merge_commands(tmp_path):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    made = invoke("demo", "--db", str(a), "--runs", "30", "--seed", "4")
    assert made.exit_code == 0 and "recorded 30 runs" in made.output
    merged = invoke("merge", "--db", str(b), str(a))
    assert merged.output.endswith("30 runs added, 0 unchanged, 0 replaced, 0 conflicts kept; "
                                  f"batches: {count(a, 'batch_runs')} added, 0 updated, "
                                  "0 unchanged\n")  # fmt: skip
    assert "0 runs added, 30 unchanged" in invoke("merge", "--db", str(b), str(a)).output


def test_every_write_command_has_help_with_an_example():
    for command in ("record", "batch", "merge", "demo"):
        result = invoke(command, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output and f"zebench {command} " in result.output


def test_python_dash_m_and_console_script():
    module = subprocess.run([sys.executable, "-m", "generator", "--help"], capture_output=True)
    assert module.returncode == 0 and b"record" in module.stdout
    script = shutil.which("zebench", path=os.path.dirname(sys.executable))
    assert script, "console script zebench is not installed next to the interpreter"
    assert subprocess.run([script, "demo", "--help"], capture_output=True).returncode == 0


# Bad --db files -----------------------------------------------------------------


def test_not_sqlite_db_is_refused_and_untouched(tmp_path, payloads_dir, digest):
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"definitely not sqlite\n" * 500)
    before = digest(bogus)
    result = invoke("record", "--db", str(bogus), str(payloads_dir / "run.json"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "not a readable SQLite database" in result.output
    assert digest(bogus) == before


@pytest.mark.parametrize("command", ["record", "merge"])
def test_corrupt_db_is_a_clear_error(tmp_path, payloads_dir, digest, command):
    db = tmp_path / "corrupt.db"
    demo.write_demo(db, runs=40)
    data = bytearray(db.read_bytes())
    data[4096:] = b"\xa5" * (len(data) - 4096)  # every page after the first is garbage
    db.write_bytes(bytes(data))
    before = digest(db)
    source = tmp_path / "src.db"
    demo.write_demo(source, runs=5, seed=9)
    arg = str(payloads_dir / "run.json") if command == "record" else str(source)
    result = invoke(command, "--db", str(db), arg)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    assert digest(db) == before


@pytest.mark.parametrize("read_only", ["file", "directory"])
def test_read_only_db_is_a_clear_error_and_undamaged(shared_dir, payloads_dir, digest, read_only):
    db = os.path.join(shared_dir, "r.db")
    demo.write_demo(db, runs=20)
    runs = os.path.join(shared_dir, "runs.jsonl")
    shutil.copyfile(payloads_dir / "runs.jsonl", runs)
    os.chmod(db, 0o444)
    if read_only == "file":
        os.chmod(shared_dir, 0o777)
    before = digest(db)
    code, output = in_child(unprivileged, "record", "--db", db, runs)
    assert code == 1
    assert output.startswith("Error: ") and db in output and "readonly database" in output
    assert digest(db) == before and count(db) == 20


def test_full_disk_is_a_clear_error_and_undamaged(tmp_path, digest):
    """Simulated with RLIMIT_FSIZE: writes past the limit fail (EFBIG) as on a full disk."""
    db = tmp_path / "full.db"
    demo.write_demo(db, runs=20)
    big = tmp_path / "big.jsonl"
    with big.open("w") as out:
        demo.write_jsonl(out, runs=1500, seed=2)
    before = digest(db)

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        limit = os.path.getsize(db) + 64 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    code, output = in_child(limit_file_size, "record", "--db", str(db), str(big))
    assert code == 1
    assert output.startswith(f"Error: cannot write to {db}") and "nothing was written" in output
    assert digest(db) == before
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM benchmark_runs").fetchone()[0] == 20
