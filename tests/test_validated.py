"""Large record files: validated in one pass, written a chunk at a time in a second."""

from __future__ import annotations

import json
import sqlite3

import pytest

from generator.errors import ConflictError, ValidationError
from generator.results import ingest, payloads
from generator.results.validated import ValidatedRuns

SIZE = 1200  # more than two write chunks


def write_lines(path, runs) -> str:
    path.write_text("".join(json.dumps(run) + "\n" for run in runs))
    return str(path)


def runs_of(make_run, count: int, **fields: object) -> list[dict]:
    return [make_run(f"run-{i:05d}", **fields) for i in range(count)]


def test_a_batch_starts_with_its_earliest_run_even_in_a_later_chunk(empty_db, tmp_path, make_run):
    runs = runs_of(make_run, SIZE)
    runs[-1]["startedAt"] = "2025-01-01T00:00:00.000Z"  # the earliest, in the last chunk
    ingest.record_files(empty_db, [write_lines(tmp_path / "r.jsonl", runs)])
    conn = sqlite3.connect(empty_db)
    created = conn.execute("SELECT createdAt FROM batch_runs WHERE batchId = 'batch-1'")
    assert created.fetchall() == [(1735689600000,)]


def test_conflicts_in_several_chunks_are_all_counted_and_nothing_written(
    empty_db, tmp_path, make_run, digest
):
    ingest.record_files(empty_db, [write_lines(tmp_path / "a.jsonl", runs_of(make_run, SIZE))])
    changed = runs_of(make_run, SIZE)
    for index in (3, 700, SIZE - 1):  # first, second and third chunk
        changed[index]["tier"] = "L3"
    changed.append(make_run("run-new"))
    before = digest(empty_db)
    with pytest.raises(ConflictError) as refused:
        ingest.record_files(empty_db, [write_lines(tmp_path / "b.jsonl", changed)])
    assert "run 'run-00003' is already stored" in str(refused.value)
    assert "(and 2 more)" in str(refused.value)
    assert digest(empty_db) == before


def test_a_repeated_run_id_far_apart_must_match(make_run):
    with ValidatedRuns() as spool:
        spool.add("f line 1", make_run("x"))
        for i in range(50):
            spool.add(f"f line {i + 2}", make_run(f"y{i}"))
        spool.add("f line 60", make_run("x"))  # identical: collapses
        assert len(spool) == 51
        with pytest.raises(ValidationError, match="appears again with different content"):
            spool.add("f line 61", make_run("x", tier="L0"))
        chunks = list(spool.chunks(20))
    assert [len(chunk) for chunk in chunks] == [20, 20, 11]
    assert chunks[0][0] == ("f line 1", make_run("x"))


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1}\n\n{"b": 2}\n',
        '{"a": 1}\n \t\r\n',  # JSON whitespace only after line 1: one document
        '{"a": 1}\n\x0c\n',  # not JSON whitespace: JSON Lines with a blank line
        '\ufeff{"a": 1}\n{"b": 2}',
        '{\n "a": 1\n}\n',
        '[{"a": 1},\n {"b": 2}]\n',
        '{"a": 1} {"b": 2}\n{"c": 3}\n',
        '{"a": 1}\n{"b": \n',
    ],
)
def test_streamed_json_lines_read_exactly_like_the_whole_text(tmp_path, text):
    path = tmp_path / "p.json"
    path.write_bytes(text.encode("utf-8"))
    streamed = _outcome(lambda: list(payloads.iter_records(str(path))))
    name, whole = payloads.read_text(str(path))
    assert streamed == _outcome(lambda: list(payloads._document(name, whole)))


def _outcome(read):
    try:
        return read()
    except ValidationError as exc:
        return str(exc)
