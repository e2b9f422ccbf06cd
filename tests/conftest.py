"""Shared fixtures. Each test module adds what it needs on top of these."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# A real results file from the upstream harness, in its older schema (no
# is_successful / success_metric), kept in the repo so a fresh clone tests it.
UPSTREAM_V1 = REPO / "tests" / "fixtures" / "upstream-v1-56runs.db"


@pytest.fixture
def upstream_db(tmp_path: Path) -> Path:
    """A private copy of the real upstream results file (older schema, 56 runs)."""
    if not UPSTREAM_V1.exists():
        pytest.fail(f"missing fixture {UPSTREAM_V1}")
    target = tmp_path / "upstream.db"
    shutil.copyfile(UPSTREAM_V1, target)
    return target


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    """A freshly initialised, empty results file."""
    from generator import store

    path = tmp_path / "empty.db"
    store.init(path)
    return path


# A small results file for the read side, written with plain SQL so its numbers can
# be worked out by hand (tests/test_queries.py shows the arithmetic). Three
# timestamp forms on purpose: 'YYYY-MM-DD HH:MM:SS', ISO with and without
# milliseconds, and epoch milliseconds for batches. Stored batch totals are wrong.
READ_API_SQL = """
INSERT INTO batch_runs (batchId, createdAt, completedAt, totalRuns, successfulRuns,
  avgScore, avgWeightedScore, metadata) VALUES
 ('batch-one', 1761400000000, 1761400600000, 99, 42, 0.0, 0.0, '{"note": "totals wrong"}'),
 ('batch/two', 1761300000000, NULL, 0, 0, NULL, NULL, NULL),
 ('batch-empty', 1761200000000, 1761200100000, 5, 5, 1.0, 10.0, 'not json');
INSERT INTO benchmark_runs (run_id, batchId, suite, scenario, tier, agent, model, status,
  started_at, completed_at, total_score, weighted_score, is_successful, success_metric,
  metadata) VALUES
 ('run-1', 'batch-one', 'update-deps', 'sc-a', 'L0', 'anthropic', 'claude', 'completed',
  '2025-10-20 10:00:00', '2025-10-20 10:05:00', 0.8, 8.0, 1, 0.9, '{"diffSummary": []}'),
 ('run-2', 'batch-one', 'update-deps', 'sc-a', 'L1', 'anthropic', 'claude', 'completed',
  '2025-10-21T09:00:00.000Z', '2025-10-21T09:10:00.000Z', 0.4, 4.0, 0, 0.2, NULL),
 ('run-3', 'batch-one', 'update-deps', 'sc-b', 'L0', 'echo', 'default', 'failed',
  '2025-10-21T12:00:00Z', NULL, NULL, NULL, 0, NULL,
  '{"error": "boom", "errorType": "TimeoutError"}'),
 ('run-4', 'batch-one', 'update-deps', 'sc-b', 'L1', 'echo', NULL, 'completed',
  '2025-10-22 08:00:00', '2025-10-22 08:10:00', 0.6, 6.0, NULL, NULL, 'not json'),
 ('run-5', 'batch/two', 'update-deps', 'sc-a', 'L0', 'anthropic', 'claude', 'completed',
  '2025-10-25T10:00:00.000Z', '2025-10-25T10:20:00.000Z', 1.0, 10.0, 1, 1.0, NULL),
 ('run/6 <x>', 'batch/two', 'other suite', 'sc c', 'L2', 'openrouter', 'gpt', 'incomplete',
  '2025-10-25 10:00:00', NULL, NULL, NULL, NULL, NULL, '{"error": "cut off"}'),
 ('run-7', 'batch/two', 'update-deps', 'sc-b', 'L0', 'echo', 'default', 'running',
  '2025-10-26T00:30:00.000Z', NULL, NULL, NULL, NULL, NULL, NULL),
 ('run-8', NULL, 'update-deps', 'sc-a', 'L2', 'anthropic', 'claude-2', 'completed',
  '2025-09-01 00:00:00', '2025-09-01 00:20:00', 0.7, 7.0, 1, 0.8, NULL);
INSERT INTO evaluation_results (run_id, evaluator_name, score, max_score, details, created_at)
VALUES
 ('run-1', 'TestEvaluator', 1.0, 1.0, 'all passed', '2025-10-20 10:05:00'),
 ('run-1', 'LLMJudgeEvaluator', 0.8, 1.0, '{"scores": [], "overall_assessment": "ok"}',
  '2025-10-20T10:05:00.000Z'),
 ('run-2', 'TestEvaluator', 0.5, 1.0, NULL, '2025-10-21 09:10:00'),
 ('run-2', 'LLMJudgeEvaluator', 0.3, 1.0, NULL, '2025-10-21T09:10:00Z'),
 ('run-3', 'TestEvaluator', 0.0, 1.0, NULL, '2025-10-21T12:05:00.000Z'),
 ('run-4', 'TestEvaluator', 0.75, 1.0, NULL, '2025-10-22 08:10:00'),
 ('run-5', 'LLMJudgeEvaluator', 0.9, 1.0, NULL, '2025-10-25 10:20:00'),
 ('run-5', 'TestEvaluator', 1.0, 1.0, NULL, '2025-10-25T10:10:00.000Z'),
 ('run-8', 'TestEvaluator', 1.0, 1.0, NULL, '2025-09-01 00:10:00');
INSERT INTO run_telemetry (run_id, tool_calls, tokens_in, tokens_out, cost_usd, duration_ms,
  workspace_dir, prompt_sent) VALUES
 ('run-1', 5, 1000, 100, 0.5, 60000, '/w/1', 'fix it'),
 ('run-2', 3, 500, 50, 0.25, 30000, '/w/2', NULL),
 ('run-4', 1, 200, 20, NULL, 10000, NULL, NULL),
 ('run-5', 8, 2000, 200, 1.0, 90000, NULL, NULL),
 ('run-8', 2, 300, 30, 0.05, 20000, NULL, NULL),
 ('run-1', 99, 9, 9, 9.0, 9, '/w/later duplicate, ignored', NULL);
"""


@pytest.fixture(scope="session")
def read_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-built read-side fixture (8 runs, 3 batches); tests must not write to it."""
    import sqlite3

    from generator import store

    path = tmp_path_factory.mktemp("read") / "read.db"
    store.init(path)
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(READ_API_SQL)
    conn.close()
    return path


# Write-side fixtures: payload files, a payload factory and a byte digest.
PAYLOADS = Path(__file__).resolve().parent / "fixtures" / "payloads"


@pytest.fixture
def payloads_dir() -> Path:
    """tests/fixtures/payloads: run.json, runs.json, runs.jsonl, batch.json."""
    return PAYLOADS


@pytest.fixture
def make_run():
    """Build a valid run payload; keyword arguments override or add fields."""

    def build(run_id: str = "run-1", **fields: object) -> dict:
        payload = {
            "runId": run_id, "batchId": "batch-1", "suite": "update-deps",
            "scenario": "nx-pnpm-monorepo", "tier": "L1", "agent": "anthropic",
            "model": "claude-3-5-sonnet-20241022", "status": "completed",
            "startedAt": "2025-10-23T19:42:11.000Z", "completedAt": "2025-10-23T19:43:09.000Z",
            "totalScore": 0.84, "weightedScore": 7.9, "isSuccessful": True,
            "metadata": {"diffSummary": []},
            "evaluations": [
                {"evaluatorName": "InstallEvaluator", "score": 1, "maxScore": 1,
                 "details": "Install succeeded"},
                {"evaluatorName": "TestEvaluator", "score": 0.5, "maxScore": 1, "details": None},
            ],
            "telemetry": {"toolCalls": 3, "tokensIn": 1000, "tokensOut": 200, "costUsd": 0.01,
                          "durationMs": 5000},
        }  # fmt: skip
        payload.update(fields)
        return payload

    return build


@pytest.fixture
def digest():
    """SHA-256 of a file's bytes, to prove a refused write changed nothing."""
    import hashlib

    return lambda path: hashlib.sha256(Path(path).read_bytes()).hexdigest()


# Site fixtures: a small demo database plus one run whose every text field is
# hostile, and the site built from it once per session.
HOSTILE = (
    '<script>alert(1)</script>"><img src=x onerror=alert(2)></script>'
    "javascript:alert(3)\u202e\u2028"
)
SITE_PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
SITE_EPOCH = "1761955200"  # 2025-11-01T00:00:00Z


def hostile_run() -> dict:
    """A failed run with hostile text in every field that reaches a page."""
    quoted = HOSTILE.replace('"', '\\"')
    judge = (
        f'{{"scores":[{{"category":"{quoted}","score":3,'
        f'"reasoning":"</script><script>alert(7)</script>"}}],"overall_assessment":"{quoted}"}}'
    )
    return {
        "runId": "../../x " + HOSTILE, "batchId": "batch " + HOSTILE,
        "suite": "suite " + HOSTILE, "scenario": "javascript:alert(4)", "tier": "L0" + HOSTILE,
        "agent": '"><img src=x onerror=alert(5)>', "model": "</script><script>alert(6)</script>",
        "status": "failed", "startedAt": "2025-10-23T19:42:11.000Z",
        "completedAt": "2025-10-23T19:43:09.000Z", "totalScore": 0.1, "weightedScore": 1.0,
        "isSuccessful": False,
        "metadata": {
            "error": HOSTILE, "errorType": HOSTILE,
            "diffSummary": [{"file": HOSTILE, "changeType": "modified",
                             "textPatch": f"--- a\n+++ b\n+{HOSTILE}\n-{HOSTILE}"}],
            "depsDelta": [{"packagePath": HOSTILE, "section": HOSTILE, "name": HOSTILE,
                           "from": HOSTILE, "to": HOSTILE}],
            "oracleQuestions": [{"question": HOSTILE, "answer": HOSTILE}],
            "testResults": HOSTILE, "extra": HOSTILE,
        },
        "evaluations": [
            {"evaluatorName": "LLMJudge " + HOSTILE, "score": 0.5, "maxScore": 1, "details": judge},
            {"evaluatorName": "Plain", "score": 1, "maxScore": 1, "details": HOSTILE},
        ],
        "telemetry": {"toolCalls": 1, "tokensIn": 1, "tokensOut": 1, "costUsd": 0.5,
                      "durationMs": 10, "workspaceDir": HOSTILE, "promptSent": HOSTILE},
    }  # fmt: skip


def make_site_db(path: Path, runs: int = 40) -> Path:
    """Demo data (fixed seed) plus hostile_run(), recorded through the ingest path."""
    from generator.results import demo, ingest
    from generator.results.validate import normalise_run

    demo.write_demo(path, runs=runs, seed=3)
    ingest.record_runs(path, [("hostile", normalise_run(hostile_run(), "hostile"))])
    return path


def tree(root: Path) -> dict[str, bytes]:
    """Every file under *root*: its path from *root* -> its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def delete_run(db: Path, run_id: str) -> None:
    """Delete a run and its rows, as ``zebench prune`` does."""
    conn = sqlite3.connect(db)
    with conn:
        for table in ("evaluation_results", "run_telemetry", "benchmark_runs"):
            conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
    conn.close()


def build_site(db: Path, out: Path, **options: object):
    """build.build with SOURCE_DATE_EPOCH set, as CI and the golden test build."""
    import os

    from generator import build

    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = SITE_EPOCH
    try:
        return build.build(db, out, pages_dir=SITE_PAGES, **options)
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


@pytest.fixture(scope="session")
def site_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site fixture database; tests must not write to it."""
    return make_site_db(tmp_path_factory.mktemp("site-db") / "benchmarks.db")


@pytest.fixture(scope="session")
def built_site(site_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once per session from site_db (with the fixture markdown pages)."""
    out = tmp_path_factory.mktemp("site-out") / "site"
    build_site(site_db, out)
    return out


# Running the CLI as another user or under resource limits: in a forked child.


def in_fork(work):
    """*work()* in a forked child of this process; its answer, through JSON. An
    exception in the child fails the test with the child's error."""
    import json
    import os

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:  # whatever happens, the child never returns into pytest
            os.close(read)
            try:
                answer = {"answer": work()}
            except BaseException as exc:
                answer = {"error": repr(exc)}
            os.write(write, json.dumps(answer, default=repr).encode())
        finally:
            os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 65536):
        data += chunk
    os.close(read)
    os.waitpid(pid, 0)
    result = json.loads(data) if data else {"error": "the child wrote no answer"}
    if "error" in result:
        raise AssertionError(f"in the forked child: {result['error']}")
    return result["answer"]


def in_child(setup, *args: str) -> tuple[int, str]:
    """Run the CLI in a forked child after *setup* (drop privileges, limit file size)."""
    from click.testing import CliRunner

    from generator.cli import main

    def invoke() -> list:
        try:
            setup()
            result = CliRunner().invoke(main, list(args))
            return [result.exit_code, result.output]
        except BaseException as exc:
            return [99, repr(exc)]

    code, output = in_fork(invoke)
    return code, output


def unprivileged() -> None:
    """In a child: become "nobody" if root, since root ignores file modes."""
    import os

    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)


@pytest.fixture
def shared_dir():
    """A folder "nobody" can look inside (pytest's tmp_path is private to its owner)."""
    import os
    import tempfile

    path = tempfile.mkdtemp(prefix="zebench-ro-")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


# Browser tests: Debian chromium driven by Playwright. Skipped when either is
# missing, except under CI=true, where a missing browser fails the run.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed"
    if not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser():
    """One chromium for the session (skip, or fail under CI, when it cannot start)."""
    import os

    reason = _browser_missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def serving(folder: Path, db: Path) -> Iterator[str]:
    """The site built in *folder* from *db*, served as hosted (no live reload) by
    ``zebench serve`` on 127.0.0.1 from a thread; yields its base URL."""
    from generator import serve

    with serve.running(serve.Options(db=db, out=folder, port=0, live=False)) as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh page that records console errors, script errors, failed requests and dialogs."""
    context = browser.new_context()
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda m: m.type == "error" and tab.problems.append(f"console: {m.text}"))
    tab.on("pageerror", lambda e: tab.problems.append(f"script error: {e}"))
    tab.on("requestfailed", lambda r: tab.problems.append(f"request failed: {r.url}"))
    tab.on("response", lambda r: r.status >= 400 and tab.problems.append(f"{r.status}: {r.url}"))

    def dialog(d):
        tab.problems.append(f"a script opened a dialog: {d.message}")
        d.dismiss()

    tab.on("dialog", dialog)
    yield tab
    context.close()


def keep_listing(site: Path, kind: str, rows, width: int) -> Path:
    """Keep *rows* of a listing of *kind* under *site* as a build does; the file."""
    from generator.build import cache

    target = site / cache.path(kind)
    target.parent.mkdir(parents=True, exist_ok=True)
    cache.write(target, rows, width)
    return target


def read_listing(site: Path | None, kind: str, width: int, texts: bool = False) -> dict:
    """{key: (stamp, values…)} kept for a listing of *kind* under *site*, as a build reads it."""
    from generator.build import cache

    return {row[0]: row[1:] for row in cache.read_rows(site, kind, width, texts)}
