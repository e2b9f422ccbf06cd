"""Bad records: always exit 1 with an Error naming file, record and field; nothing written."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import store
from generator.cli import main

GOOD = {
    "runId": "r1", "batchId": "b1", "suite": "update-deps", "scenario": "s", "tier": "L1",
    "agent": "anthropic", "model": "m", "status": "completed",
    "startedAt": "2025-10-23T19:42:11.000Z", "completedAt": "2025-10-23T19:43:09.000Z",
    "totalScore": 0.8, "weightedScore": 8.1, "isSuccessful": True, "metadata": {"k": "v"},
    "evaluations": [{"evaluatorName": "TestEvaluator", "score": 1, "maxScore": 1,
                     "details": "ok"}],
    "telemetry": {"toolCalls": 1, "tokensIn": 10, "tokensOut": 5, "costUsd": 0.1,
                  "durationMs": 100},
}  # fmt: skip


def good(**changes: object) -> str:
    return json.dumps({**GOOD, **changes})


def with_eval(**changes: object) -> str:
    return good(evaluations=[{**GOOD["evaluations"][0], **changes}])


def with_telemetry(**changes: object) -> str:
    return good(telemetry={**GOOD["telemetry"], **changes})


CASES = {
    "malformed": (b'{"runId": "x",', "line 1 column 15: not valid JSON"),
    "truncated line": ((good() + "\n" + good(runId="r2")[:40]).encode(), "line 2: not valid JSON"),
    "empty": (b"", "is empty"),
    "blank": (b" \n\n\t", "is empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\x80", "not UTF-8 text"),
    "duplicate key": (b'{"runId": "a", "runId": "b"}', 'duplicate key "runId"'),
    "NaN": (with_eval(score=float("nan")).encode(), "NaN is not a number JSON allows"),
    "Infinity": (good(totalScore=float("inf")).encode(), "Infinity is not a number"),
    "-Infinity": (good(weightedScore=float("-inf")).encode(), "-Infinity is not a number"),
    "1e400": (good(totalScore=1).replace('"totalScore": 1', '"totalScore": 1e400').encode(),
              "field 'totalScore': expected a finite number"),
    "huge int": (with_telemetry(tokensIn=2**70).encode(),
                 "field 'telemetry.tokensIn': number out of range"),
    "endless int": (good(totalScore=1).replace('"totalScore": 1', '"totalScore": ' + "9" * 5000)
                    .encode(), "a number with too many digits"),
    "negative score": (with_eval(score=-0.1).encode(),
                       "field 'evaluations[0].score': must not be negative"),
    "negative maxScore": (with_eval(maxScore=-1).encode(), "field 'evaluations[0].maxScore'"),
    "string number": (good(totalScore="0.9").encode(),
                      "field 'totalScore': expected a number, got \"0.9\""),
    "boolean number": (with_eval(score=True).encode(),
                       "field 'evaluations[0].score': expected a number, got true"),
    "boolean flag": (good(isSuccessful="yes").encode(), "field 'isSuccessful': expected true"),
    "10 MB metadata": (good(metadata={"blob": "x" * 10_000_000}).encode(),
                       "field 'metadata': is 9.5 MB; the limit is 5 MB"),
    "metadata list": (good(metadata=[1]).encode(), "field 'metadata': expected an object"),
    "unknown field": (good(totalscore=1).encode(),
                      "field 'totalscore': unknown field; did you mean 'totalScore'?"),
    "bad status": (good(status="done").encode(), "field 'status': expected one of"),
    "missing suite": (json.dumps({k: v for k, v in GOOD.items() if k != "suite"}).encode(),
                      "field 'suite': is required"),
    "empty runId": (good(runId="").encode(), "field 'runId': must not be empty"),
    "bad time": (good(startedAt="yesterday").encode(), "field 'startedAt': not a timestamp"),
    "surrogate": (good(agent="\ud800").encode(), "field 'agent': contains an unpaired surrogate"),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "not an object": (b"42", "expected an object, got 42"),
    "array item": (f"[{good()}, 7]".encode(), "index 1: expected an object, got 7"),
    "evaluations": (good(evaluations={"a": 1}).encode(), "field 'evaluations': expected a list"),
    "fraction count": (with_telemetry(toolCalls=2.5).encode(),
                       "field 'telemetry.toolCalls': expected a whole number"),
    "details number": (with_eval(details=3).encode(), "field 'evaluations[0].details'"),
    "same runId twice": ((good() + "\n" + good(tier="L2")).encode(),
                         "line 2: field 'runId': run 'r1' appears again with different content"),
}  # fmt: skip
CASES["utf-16"] = (("\ufeff" + good()).encode("utf-16"), "UTF-16")


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_clearly_and_writes_nothing(name, empty_db, tmp_path, digest):
    data, expected = CASES[name]
    path = tmp_path / "runs.jsonl"
    path.write_bytes(data)
    before = digest(empty_db)
    result = CliRunner().invoke(main, ["record", "--db", str(empty_db), str(path)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {path}")
    assert expected in result.output
    assert isinstance(result.exception, SystemExit)  # never a traceback
    assert digest(empty_db) == before


def test_a_utf8_bom_is_accepted(empty_db, tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + good().encode())
    result = CliRunner().invoke(main, ["record", "--db", str(empty_db), str(path)])
    assert result.exit_code == 0, result.output


def test_details_object_is_stored_as_json_text(empty_db, tmp_path):
    path = tmp_path / "r.json"
    path.write_text(with_eval(details={"scores": [], "overall_assessment": "fine"}))
    assert CliRunner().invoke(main, ["record", "--db", str(empty_db), str(path)]).exit_code == 0
    conn = store.open_read(empty_db)
    details = conn.execute("SELECT details FROM evaluation_results").fetchone()[0]
    assert details == '{"scores":[],"overall_assessment":"fine"}'


# Property: whatever arrives, either every run is stored or a clear error and no write.

HOSTILE_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=5), st.integers(),
                                                          max_size=2),
)  # fmt: skip
FIELD_PATHS = [(key,) for key in GOOD] + [
    ("evaluations", 0, key) for key in GOOD["evaluations"][0]
] + [("telemetry", key) for key in GOOD["telemetry"]] + [("unknownField",)]  # fmt: skip


@st.composite
def records(draw) -> dict:
    record = json.loads(json.dumps(GOOD))
    record["runId"] = draw(st.sampled_from(["r1", "r2", "r3"]))
    for path in draw(st.lists(st.sampled_from(FIELD_PATHS), max_size=3)):
        target = record
        try:
            for step in path[:-1]:
                target = target[step]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced the container
        if isinstance(target, dict):
            target[path[-1]] = draw(HOSTILE_VALUES)
    return record


@st.composite
def files(draw) -> tuple[bytes, bool]:
    """File bytes, and whether the text is still well-formed JSON Lines."""
    lines = [json.dumps(r) for r in draw(st.lists(records(), min_size=1, max_size=3))]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    damage = draw(st.sampled_from(["none", "none", "truncate", "garbage"]))
    if damage == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))], False
    if damage == "garbage":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:], False
    return data, True


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files())
def test_any_payload_is_stored_whole_or_refused_clearly(case):
    data, well_formed = case
    with tempfile.TemporaryDirectory() as tmp:
        db, path = Path(tmp) / "r.db", Path(tmp) / "runs.jsonl"
        store.init(db)
        before = db.read_bytes()
        path.write_bytes(data)
        result = CliRunner().invoke(main, ["record", "--db", str(db), str(path)])
        assert isinstance(result.exception, (SystemExit, type(None))), result.output
        if result.exit_code == 0:
            ids = {record["runId"] for record in _documents(data.decode())}
            conn = store.open_read(db)
            stored = {r[0] for r in conn.execute("SELECT run_id FROM benchmark_runs")}
            conn.close()
            assert stored == ids
        else:
            assert result.exit_code == 1
            assert re.match(rf"Error: {re.escape(str(path))}( line \d+)?[: ]", result.output)
            if well_formed:
                assert "field '" in result.output or "not valid JSON" in result.output
            assert db.read_bytes() == before


def _documents(text: str) -> list[dict]:
    """The records of accepted input: one JSON document, else JSON Lines."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return document if isinstance(document, list) else [document]
