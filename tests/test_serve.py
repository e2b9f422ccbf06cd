"""``zebench serve`` over real HTTP: every endpoint, every status code, the keys.

Each server runs from a thread of the test process on a free port of 127.0.0.1
(``serve.running``), so these tests talk to it through real sockets.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import hostile_run

from generator import serve, store
from generator.cli import main
from generator.errors import ParameterError
from generator.queries import api
from generator.serve import database, keys

KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


@contextmanager
def server(db: Path, out: Path, **options: object) -> Iterator[httpx.Client]:
    """A server for *db* (its site in *out*, built if absent), live reload off unless
    asked; yields a client whose base URL is the server."""
    settings = {"keys": keys.Keys(write=KEY), "live": False, **options}
    with (
        serve.running(serve.Options(db=db, out=out, port=0, **settings)) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


@pytest.fixture
def writable(tmp_path: Path, read_db: Path) -> Path:
    """A private copy of the read-side fixture, for servers that write."""
    shutil.copyfile(read_db, tmp_path / "results.db")
    return tmp_path / "results.db"


@pytest.fixture(scope="module")
def reading(read_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """One server over the read fixture, with no key: it takes no writes."""
    out = tmp_path_factory.mktemp("serve-read") / "site"
    with server(read_db, out, keys=keys.Keys()) as client:
        yield client


# Reads ----------------------------------------------------------------------

PATHS = [
    "/health",
    "/api/health",
    "/api/runs",
    "/api/runs?agent=echo&limit=5",
    "/api/runs?status=completed&suite=update-deps",
    "/api/runs/run-1",
    "/api/runs/run%2F6%20%3Cx%3E",
    "/api/runs/run-1/evaluations",
    "/api/runs/run-1/telemetry",
    "/api/runs/run-3/telemetry",
    "/api/batches",
    "/api/batches?sortBy=score&limit=2",
    "/api/batches/batch-one",
    "/api/batches/batch%2Ftwo/analytics",
    "/api/batches/compare?ids=batch-one,batch%2Ftwo",
    "/api/stats",
    "/api/stats/agents",
    "/api/stats/models",
    "/api/stats/suites/update-deps",
    "/api/stats/scenarios/update-deps/sc-a",
    "/api/stats/evaluators/TestEvaluator/trends",
    "/api/all/runs",
    "/api/all/runs/1",
    "/api/all/batches",
    "/api/all/batches/1",
]


@pytest.mark.parametrize("path", PATHS)
def test_every_get_endpoint_answers_the_bytes_of_zebench_api(
    reading: httpx.Client, read_db: Path, path: str
) -> None:
    response = reading.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    conn = store.open_read(read_db)
    try:
        assert response.content == api.dumps(api.get(conn, path)).encode("utf-8")
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/api/nothing", 404, "no API path '/api/nothing'"),
        ("/api/runs/no-such-run", 404, "no-such-run"),
        ("/api/runs?limit=x", 400, "limit must be a positive integer"),
        ("/api/runs?colour=red", 400, "unknown parameter 'colour'"),
        ("/api/batches/compare?ids=batch-one", 400, "batch"),
        ("/no/such/page.html", 404, "nothing at /no/such/page.html"),
    ],
)
def test_errors_are_json_with_the_status_that_fits(
    reading: httpx.Client, path: str, status: int, says: str
) -> None:
    response = reading.get(path)
    assert response.status_code == status
    assert says in response.json()["error"]
    assert response.headers["access-control-allow-origin"] == "*"


def test_the_site_and_its_static_api_files_are_served(reading: httpx.Client) -> None:
    home = reading.get("/")
    assert home.status_code == 200
    assert "<title>" in home.text
    static = reading.get("/api/stats.json")  # a file of the site, not an API path
    assert static.status_code == 200
    assert static.json()["totalRuns"] == 8


def test_preflight_gets_the_worker_s_cors_headers(reading: httpx.Client) -> None:
    response = reading.options(
        "/api/results",
        headers={"Origin": "http://elsewhere", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    assert response.headers["access-control-allow-headers"] == "Content-Type, Authorization"


def test_without_a_key_reads_work_and_writes_are_refused_saying_how(
    reading: httpx.Client, make_run
) -> None:
    response = reading.post("/api/results", json=make_run(), headers=AUTH)
    assert response.status_code == 403
    assert "ZE_BENCHMARKS_API_KEY" in response.json()["error"]
    assert reading.get("/api/runs/run-1").status_code == 200


# Writes ---------------------------------------------------------------------


def test_a_run_is_created_then_unchanged_then_a_conflict(
    writable: Path, tmp_path: Path, make_run
) -> None:
    with server(writable, tmp_path / "site") as client:
        created = client.post("/api/results", json=make_run("new-run"), headers=AUTH)
        assert (created.status_code, created.json()) == (
            201,
            {"success": True, "runId": "new-run"},
        )
        again = client.post("/api/results", json=make_run("new-run"), headers=AUTH)
        assert again.status_code == 200
        assert again.json() == {"success": True, "runId": "new-run", "unchanged": True}
        changed = client.post("/api/results", json=make_run("new-run", tier="L3"), headers=AUTH)
        assert changed.status_code == 409
        assert "run 'new-run' is already stored" in changed.json()["error"]
        assert "field 'tier' differs" in changed.json()["error"]
        stored = client.get("/api/runs/new-run").json()
    assert stored["run"]["tier"] == "L1"
    assert len(stored["evaluations"]) == 2
    assert stored["telemetry"]["tokensIn"] == 1000


def test_a_batch_is_created_then_updated_then_unchanged(writable: Path, tmp_path: Path) -> None:
    batch = {"batchId": "posted-batch", "createdAt": 1761248400000}
    done = {**batch, "completedAt": "2025-10-23T20:00:00Z", "totalRuns": 0}
    with server(writable, tmp_path / "site") as client:
        answers = [
            client.post("/api/results/batch", json=payload, headers=AUTH)
            for payload in (batch, done, done)
        ]
        stored = client.get("/api/batches/posted-batch").json()
    assert [a.status_code for a in answers] == [201, 200, 200]
    assert answers[0].json() == {"success": True, "batchId": "posted-batch"}
    assert answers[1].json()["updated"] is True
    assert answers[2].json()["unchanged"] is True
    assert stored["completedAt"] == "2025-10-23T20:00:00.000Z"


def test_an_invalid_run_gets_400_with_the_message_zebench_record_prints(
    writable: Path, tmp_path: Path, make_run
) -> None:
    bad = make_run("bad-run", totalScore="high")
    (tmp_path / "bad.json").write_text(httpx.Response(200, json=bad).text)
    command = ["record", "--db", str(writable), str(tmp_path / "bad.json")]
    printed = CliRunner().invoke(main, command)
    assert printed.exit_code == 1
    reason = printed.output.strip().split(": ", 2)[2]  # after "Error: <file>: "
    assert "field 'totalScore'" in reason
    with server(writable, tmp_path / "site") as client:
        response = client.post("/api/results", json=bad, headers=AUTH)
        assert response.status_code == 400
        assert response.json() == {"error": f"{database.WHERE}: {reason}"}
        assert client.get("/api/runs/bad-run").status_code == 404


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "not valid JSON"),
        (b"", "is empty"),
        (b'{"runId": "a", "runId": "b"}', "duplicate key"),
        (b'{"score": NaN}', "NaN"),
        (b"\xff\xfe{\x00}\x00", "UTF-16"),
        (b'{"a": "\xc3"}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"n": ' + b"9" * 5000 + b"}", "too many digits"),
        (b"[]", "request body"),
        (b'"a string"', "request body"),
    ],
)
def test_a_body_that_is_not_one_good_json_object_gets_400(
    writable: Path, tmp_path: Path, body: bytes, says: str
) -> None:
    with server(writable, tmp_path / "site") as client:
        response = client.post("/api/results", content=body, headers=AUTH)
        assert response.status_code == 400
        assert says in response.json()["error"]
        assert client.get("/health").json() == {"status": "ok"}


def test_a_body_over_max_body_gets_413(writable: Path, tmp_path: Path, make_run) -> None:
    with server(writable, tmp_path / "site", max_body=2000) as client:
        large = make_run("large", metadata={"note": "x" * 5000})
        assert client.post("/api/results", json=large, headers=AUTH).status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"runId": "'
            yield b"y" * 5000
            yield b'"}'

        streamed = client.post("/api/results", content=chunks(), headers=AUTH)
        assert streamed.status_code == 413
        assert "--max-body" in streamed.json()["error"]
        assert client.get("/api/runs/large").status_code == 404


def test_a_slow_body_is_cut_off_and_holds_up_no_one(writable: Path, tmp_path: Path) -> None:
    with server(writable, tmp_path / "site", body_timeout=1.0) as client:
        host, port = client.base_url.host, client.base_url.port
        slow = socket.create_connection((host, port))
        try:
            slow.sendall(
                b"POST /api/results HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + KEY.encode() + b"\r\nContent-Length: 1000\r\n\r\n{"
            )
            assert client.get("/api/stats").status_code == 200  # meanwhile, others are served
            slow.settimeout(20)
            answer = slow.recv(65536)
        finally:
            slow.close()
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_an_unexpected_failure_is_a_500_without_the_traceback(
    writable: Path, tmp_path: Path, make_run, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conn: sqlite3.Connection, payload: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(database, "record_run", broken)
    with server(writable, tmp_path / "site") as client:
        response = client.post("/api/results", json=make_run("x"), headers=AUTH)
        assert response.status_code == 500
        assert "error" in response.json()
        assert "secret internals" not in response.text
        assert "Traceback" not in response.text
        assert client.get("/health").status_code == 200


def test_unknown_paths_and_methods(writable: Path, tmp_path: Path) -> None:
    with server(writable, tmp_path / "site") as client:
        assert client.post("/api/nothing", json={}, headers=AUTH).status_code == 404
        assert client.put("/api/results", json={}, headers=AUTH).status_code == 405
        assert client.get("/api/results").status_code == 404


def test_a_hostile_run_writes_nothing_outside_out(writable: Path, tmp_path: Path) -> None:
    before = set(tmp_path.parent.iterdir())
    with server(writable, tmp_path / "site") as client:
        response = client.post("/api/results", json=hostile_run(), headers=AUTH)
        assert response.status_code == 201
        run_id = hostile_run()["runId"]
        quoted = api.quote_segment(run_id)
        assert client.get(f"/api/runs/{quoted}").json()["run"]["runId"] == run_id
    assert set(tmp_path.parent.iterdir()) == before  # nothing beside this test's folder
    outside = {p.name for p in tmp_path.iterdir()} - {"site", "results.db"}
    assert not {name for name in outside if not name.startswith("results.db-")}


# Keys -----------------------------------------------------------------------


def test_a_write_needs_the_bearer_key(writable: Path, tmp_path: Path, make_run) -> None:
    with server(writable, tmp_path / "site") as client:
        missing = client.post("/api/results", json=make_run("k"))
        assert (missing.status_code, missing.json()["error"][:12]) == (401, "Unauthorized")
        wrong_key = {"Authorization": "Bearer x"}
        wrong = client.post("/api/results", json=make_run("k"), headers=wrong_key)
        assert (wrong.status_code, wrong.json()) == (403, {"error": "Invalid API key"})
        basic = client.post("/api/results", json=make_run("k"), headers={"Authorization": KEY})
        assert basic.status_code == 401
        assert client.get("/api/runs/k").status_code == 404
        assert client.post("/api/results", json=make_run("k"), headers=AUTH).status_code == 201


def test_keyless_writes_when_allowed_on_loopback(writable: Path, tmp_path: Path, make_run) -> None:
    open_keys = keys.load(None, None, keyless_writes=True, host="127.0.0.1")
    with server(writable, tmp_path / "site", keys=open_keys) as client:
        # The upstream client always sends its default key: it is not in the way.
        headers = {"Authorization": "Bearer dev-local-key"}
        assert client.post("/api/results", json=make_run("a")).status_code == 201
        assert client.post("/api/results", json=make_run("b"), headers=headers).status_code == 201


def test_a_read_key_guards_every_get_but_health(writable: Path, tmp_path: Path) -> None:
    guarded = keys.Keys(write=KEY, read="reader")
    with server(writable, tmp_path / "site", keys=guarded) as client:
        refused = client.get("/api/stats")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Basic")
        assert client.get("/index.html").status_code == 401
        assert client.get("/api/stats", headers={"Authorization": "Bearer nope"}).status_code == 403
        assert client.get("/api/stats", headers={"Authorization": "Bearer reader"}).is_success
        assert client.get("/api/stats", headers=AUTH).is_success  # the write key reads too
        browser = base64.b64encode(b"anyone:reader").decode()
        assert client.get("/", headers={"Authorization": f"Basic {browser}"}).is_success
        assert client.get("/health").is_success


def test_keys_come_from_the_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZE_BENCHMARKS_API_KEY", "from-env")
    assert keys.load(None, None, False, "127.0.0.1").write == "from-env"
    (tmp_path / "key").write_text("from-file\n")
    assert keys.load(tmp_path / "key", None, False, "127.0.0.1").write == "from-file"
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ParameterError, match="must hold one key"):
        keys.load(tmp_path / "empty", None, False, "127.0.0.1")
    with pytest.raises(ParameterError, match="cannot read"):
        keys.load(tmp_path / "absent", None, False, "127.0.0.1")


def test_keyless_writes_are_refused_off_loopback() -> None:
    with pytest.raises(ParameterError, match="loopback address only"):
        keys.load(None, None, keyless_writes=True, host="0.0.0.0")
    result = CliRunner().invoke(
        main, ["serve", "--host", "0.0.0.0", "--allow-unauthenticated-writes", "--port", "0"]
    )
    assert result.exit_code == 1
    assert "Error: --allow-unauthenticated-writes works on a loopback address only" in result.output


def test_start_up_notes_say_when_writes_are_off_and_traffic_is_plain(tmp_path: Path) -> None:
    def said(**options: object) -> str:
        return "\n".join(serve.notes(serve.Options(db=tmp_path, out=tmp_path, **options)))

    assert "refuses writes" in said()
    assert "ZE_BENCHMARKS_API_KEY" in said()
    assert "not encrypted" in said(host="0.0.0.0", keys=keys.Keys(write=KEY))
    assert said(keys=keys.Keys(write=KEY)) == ""
    assert keys.is_loopback("::1") and keys.is_loopback("127.0.0.2")
    assert not keys.is_loopback("192.168.1.10")


def test_the_python_client_example_posts_to_a_real_server(writable: Path, tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "examples" / "post_results.py"
    with server(writable, tmp_path / "site") as client:
        env = {**os.environ, "ZE_BENCHMARKS_WORKER_URL": str(client.base_url).rstrip("/")}
        env["ZE_BENCHMARKS_API_KEY"] = KEY
        done = subprocess.run(
            [sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        run_id = done.stdout.split()[2]
        stored = client.get(f"/api/runs/{run_id}").json()
    assert stored["run"]["agent"] == "anthropic"
    assert stored["evaluations"][0]["evaluatorName"] == "InstallEvaluator"
    batch = stored["run"]["batchId"]
    assert f"in batch {batch}" in done.stdout


def test_answers_follow_every_write_from_the_server_or_outside(
    writable: Path, tmp_path: Path, make_run
) -> None:
    with server(writable, tmp_path / "site") as client:
        assert client.get("/api/stats").json()["totalRuns"] == 8
        assert client.get("/api/stats").json()["totalRuns"] == 8  # answered again, unchanged
        assert client.post("/api/results", json=make_run("one-more"), headers=AUTH).is_success
        assert client.get("/api/stats").json()["totalRuns"] == 9
        (tmp_path / "run.json").write_text(httpx.Response(200, json=make_run("outside")).text)
        recorded = CliRunner().invoke(
            main, ["record", "--db", str(writable), str(tmp_path / "run.json")]
        )
        assert recorded.exit_code == 0, recorded.output
        assert client.get("/api/stats").json()["totalRuns"] == 10
        assert client.get("/api/runs/outside").status_code == 200
