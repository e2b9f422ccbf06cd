"""Deterministic, realistic demo results: the default data of a fresh clone.

Batches repeat one configuration (suite, scenario, tier, agent, model) a few
times, like the upstream harness's ``--iterations``. Every run carries the six
real evaluators with their detail formats, telemetry, ``diffSummary`` and
``depsDelta``; some runs fail or stop early with ``{error, errorType}``, and the
newest two are left ``running`` as a crashed harness would leave them.
Timestamps spread over six months ending at a fixed moment, so the same seed
gives the same payloads, byte for byte, on every machine and every day.

``demo_payloads`` only builds payloads (the benchmark writes them as JSON
Lines); ``write_demo`` records them through the same ingest path as
``zebench record``. The "real" profile (``demo_real``) gives the same runs
the texts of real ones: about 100 KB of metadata a run.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO

from generator import times
from generator.results import demo_real, ingest
from generator.results.validate import normalise_batch, normalise_run

END = datetime(2025, 10, 31, 18, 0, tzinfo=UTC)
SPAN = timedelta(days=182)
DEFAULT_RUNS = 400

SUITES = {
    "update-deps": ["nx-pnpm-monorepo", "react-19-upgrade", "lodash-security-patch"],
    "shadcn-generate-vite": ["vite-react-ts", "add-form-components"],
    "figma-extract": ["design-tokens", "button-variants"],
    "eslint-flat-config": ["legacy-eslintrc"],
}
TIERS = ("L0", "L1", "L2", "L3", "Lx")
# (agent, model, skill 0–1, USD per million tokens in/out)
AGENTS = (
    ("anthropic", "claude-3-5-sonnet-20241022", 0.78, 3.0, 15.0),
    ("anthropic", "claude-3-5-haiku-20241022", 0.62, 0.8, 4.0),
    ("anthropic", "claude-sonnet-4-20250514", 0.84, 3.0, 15.0),
    ("openrouter", "openai/gpt-5-codex", 0.80, 1.25, 10.0),
    ("openrouter", "qwen/qwen3-coder", 0.66, 0.4, 1.6),
    ("claude-code", "claude-sonnet-4-5-20250929", 0.88, 3.0, 15.0),
    ("echo", None, 0.15, 0.0, 0.0),
)
TIER_EASE = {"L0": -0.12, "L1": -0.05, "L2": 0.0, "L3": 0.06, "Lx": 0.03}
JUDGE_CATEGORIES = (
    "dependency_quality", "safety_stability", "best_practices",
    "monorepo_coordination", "technical_execution", "communication_transparency",
)  # fmt: skip
PACKAGES = (
    ("react", "18.2.0", "19.2.0"), ("react-dom", "18.2.0", "19.2.0"),
    ("typescript", "5.4.5", "5.9.3"), ("nx", "19.8.4", "20.0.13"),
    ("vite", "5.4.10", "7.1.12"), ("lodash", "4.17.20", "4.17.21"),
    ("@types/react", "18.2.66", "19.2.2"), ("eslint", "8.57.0", "9.38.0"),
)  # fmt: skip
FAILURES = (
    ("Agent process exited with code 1", "AgentCrashError"),
    ("Timed out after 600000 ms waiting for the agent", "TimeoutError"),
    ("429 Too Many Requests from provider", "RateLimitError"),
    ("pnpm install failed: ERR_PNPM_NO_MATCHING_VERSION", "WorkspaceSetupError"),
)
REASONS = (
    "Kept every workspace package on one version and explained the choice.",
    "Upgraded the targets but left a peer dependency warning unresolved.",
    "Followed semantic versioning; skipped the optional major upgrade as asked.",
    "Ran install and tests after each change and reported the results.",
    "Touched files outside the task's scope without saying why.",
)


@dataclass(frozen=True)
class DemoSummary:
    """What ``write_demo`` recorded."""

    runs: ingest.RecordSummary
    batches: ingest.BatchSummary

    def __str__(self) -> str:
        return f"{self.batches}; {self.runs}"


PROFILES = ("small", "real")


def demo_payloads(
    runs: int = DEFAULT_RUNS, seed: int = 1, profile: str = "small"
) -> tuple[list[dict], list[dict]]:
    """Batch payloads and run payloads of a demo data set, without writing anything."""
    batches: list[dict] = []
    payloads: list[dict] = []
    for batch, batch_runs in _batches(runs, random.Random(seed), profile=profile, seed=seed):
        batches.append(batch)
        payloads.extend(batch_runs)
    for run in payloads[-2:]:  # a crashed harness leaves its newest runs "running"
        _make_running(run)
    return batches, payloads


def iter_run_payloads(
    runs: int = DEFAULT_RUNS, seed: int = 1, full: bool = False, profile: str = "small"
) -> Iterator[dict]:
    """The run payloads of ``demo_payloads``, one at a time, in the same order.

    *full*: every run finished and carries all six evaluations and telemetry
    (failed and incomplete runs were evaluated too): the shape ``zebench bench``
    measures.
    """
    held: deque[dict] = deque()  # the newest two end up "running": hold them back
    for _, batch_runs in _batches(runs, random.Random(seed), full, profile, seed):
        for run in batch_runs:
            held.append(run)
            if len(held) > 2:
                yield held.popleft()
    for run in held:
        if not full:
            _make_running(run)
        yield run


def write_jsonl(
    out: IO[str],
    runs: int = DEFAULT_RUNS,
    seed: int = 1,
    full: bool = False,
    profile: str = "small",
) -> None:
    """Write the demo's run payloads (see ``iter_run_payloads``) as JSON Lines, the
    input of ``zebench record``.

    Streams: 100,000 runs cost the memory of one batch, not of the whole set.
    """
    for run in iter_run_payloads(runs, seed, full, profile):
        out.write(json.dumps(run, separators=(",", ":")) + "\n")


def write_demo(
    db_path: str | os.PathLike[str], runs: int = DEFAULT_RUNS, seed: int = 1, profile: str = "small"
) -> DemoSummary:
    """Record a demo data set into *db_path* through the ingest path of ``zebench record``."""
    batches, payloads = demo_payloads(runs, seed, profile)
    located = [(f"demo run {i}", normalise_run(p, f"demo run {i}")) for i, p in enumerate(payloads)]
    batch_summary = ingest.record_batches(
        db_path, [normalise_batch(b, f"demo batch {i}") for i, b in enumerate(batches)]
    )
    return DemoSummary(ingest.record_runs(db_path, located), batch_summary)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _batches(
    total: int, rng: random.Random, full: bool = False, profile: str = "small", seed: int = 1
) -> Iterator[tuple[dict, list[dict]]]:
    """Random one-cell batches over the span, and (when *total* leaves room) the weekly
    sweeps of SWEEPS, all in time order; in the "real" profile, each run with
    real-sized texts of its own."""
    if profile not in PROFILES:
        raise ValueError(f"demo profile {profile!r}: use one of {', '.join(PROFILES)}")
    if profile == "real":  # the same runs, each with real-sized texts of its own
        for batch, runs in _batches(total, rng, full):
            yield batch, [demo_real.enlarge(run, seed) for run in runs]
        return
    sweeps = _sweep_plans() if total >= 2 * SWEEP_RUNS else []
    left = total - sum(len(cells) * SWEEP_REPEATS for _, _, cells in sweeps)
    sizes: list[int] = []
    while sum(sizes) < left:
        sizes.append(min(rng.choice((1, 2, 3, 3, 5, 5, 8)), left - sum(sizes)))
    step = SPAN / max(len(sizes), 1)
    plans: list[tuple[datetime, int, tuple | None, list]] = []
    for index, size in enumerate(sizes):
        jitter = timedelta(seconds=rng.randrange(int(step.total_seconds() / 2) + 1))
        plans.append((END - SPAN + step * index + jitter, size, None, []))
    plans += [(start, 0, agent, cells) for start, agent, cells in sweeps]
    plans.sort(key=lambda plan: plan[0])
    swept = {agent[:2] for _, agent, _ in sweeps}
    for start, size, agent, cells in plans:
        if agent is None:
            yield _batch(rng, start, size, full, swept)
        else:
            yield _sweep(rng, start, agent, cells, full)


# Weekly sweeps: (agent index in AGENTS, weeks, whether the newest one regresses). Each
# runs every scenario of SWEEP_SUITE at the tiers SWEEP_TIERS SWEEP_REPEATS times, as a
# nightly CI job would: the repeated cells that comparisons pair, flaky cells among them,
# and one agent · model whose newest sweep is truly worse.
SWEEPS = ((5, 5, True), (3, 3, False))
SWEEP_SUITE = "update-deps"
SWEEP_TIERS = ("L0", "L1", "L2", "L3")
SWEEP_REPEATS = 2
SWEEP_DROP = 0.4  # skill lost by the regressed sweep
SWEEP_RUNS = sum(w for _, w, _ in SWEEPS) * len(SUITES[SWEEP_SUITE]) * 4 * SWEEP_REPEATS


def _sweep_plans() -> list[tuple[datetime, tuple, list[tuple[str, str, str]]]]:
    cells = [(SWEEP_SUITE, s, t) for s in SUITES[SWEEP_SUITE] for t in SWEEP_TIERS]
    plans = []
    for number, (index, weeks, regress) in enumerate(SWEEPS):
        agent = AGENTS[index]
        for week in range(weeks):
            start = END - timedelta(days=5 + 7 * (weeks - 1 - week), hours=3 * number)
            if regress and week == weeks - 1:
                agent = (*agent[:2], agent[2] - SWEEP_DROP, *agent[3:])
            plans.append((start, agent, cells))
    return plans


def _sweep(
    rng: random.Random, start: datetime, agent: tuple, cells: list, full: bool
) -> tuple[dict, list[dict]]:
    batch_id = _uuid(rng)
    runs, moment = [], start
    for suite, scenario, tier in cells:
        config = {"batchId": batch_id, "suite": suite, "scenario": scenario, "tier": tier,
                  "agent": agent}  # fmt: skip
        for _ in range(SWEEP_REPEATS):
            run = _run(rng, config, moment, full)
            runs.append(run)
            moment = times.parse(run["completedAt"] or run["startedAt"]) + timedelta(seconds=5)
    batch = {
        "batchId": batch_id,
        "createdAt": int(start.timestamp() * 1000),
        "completedAt": int(moment.timestamp() * 1000),
        "metadata": {
            "suites": [SWEEP_SUITE], "scenarios": list(SUITES[SWEEP_SUITE]),
            "tiers": list(SWEEP_TIERS), "agents": [agent[0]], "models": [agent[1]],
            "maxTurns": 20,
        },
        **_totals(runs),
    }  # fmt: skip
    return batch, runs


def _batch(
    rng: random.Random,
    start: datetime,
    size: int,
    full: bool = False,
    swept: frozenset | set = frozenset(),
) -> tuple[dict, list[dict]]:
    agent = rng.choice(AGENTS)
    # The sweeps' agents leave the sweep suite to them, so its series is theirs.
    suites = [s for s in sorted(SUITES) if agent[:2] not in swept or s != SWEEP_SUITE]
    suite = rng.choice(suites)
    config = {
        "batchId": _uuid(rng),
        "suite": suite,
        "scenario": rng.choice(SUITES[suite]),
        "tier": rng.choice(TIERS),
        "agent": agent,
    }
    runs, moment = [], start
    for _ in range(size):
        run = _run(rng, config, moment, full)
        runs.append(run)
        moment = times.parse(run["completedAt"] or run["startedAt"]) + timedelta(seconds=5)
    agent, model = config["agent"][:2]
    batch = {
        "batchId": config["batchId"],
        "createdAt": int(start.timestamp() * 1000),
        "completedAt": int(moment.timestamp() * 1000),
        "metadata": {
            "suites": [suite], "scenarios": [config["scenario"]], "tiers": [config["tier"]],
            "agents": [agent], "models": [model], "maxTurns": rng.choice((5, 10, 20)),
        },
    }  # fmt: skip
    # Like upstream, about one batch in five never got its totals filled in.
    if rng.random() < 0.8:
        batch.update(_totals(runs))
    else:
        batch.update(totalRuns=size, successfulRuns=0, avgScore=0.0, avgWeightedScore=0.0)
    return batch, runs


def _totals(runs: list[dict]) -> dict:
    scored = [r for r in runs if r.get("totalScore") is not None]
    return {
        "totalRuns": len(runs),
        "successfulRuns": sum(1 for r in runs if r.get("isSuccessful")),
        "avgScore": sum(r["totalScore"] for r in scored) / len(scored) if scored else 0.0,
        "avgWeightedScore": (
            sum(r["weightedScore"] for r in scored) / len(scored) if scored else 0.0
        ),
    }


def _run(rng: random.Random, config: dict, started: datetime, full: bool = False) -> dict:
    agent, model, skill, price_in, price_out = config["agent"]
    roll = rng.random()
    status = "failed" if roll < 0.07 else "incomplete" if roll < 0.12 else "completed"
    duration = timedelta(milliseconds=rng.randrange(20_000, 420_000))
    run = {
        "runId": _uuid(rng),
        "batchId": config["batchId"],
        "suite": config["suite"],
        "scenario": config["scenario"],
        "tier": config["tier"],
        "agent": agent,
        "model": model,
        "status": status,
        "startedAt": times.iso(started),
        "completedAt": times.iso(started + duration),
    }
    if agent == "claude-code":
        run.update(specialistEnabled=rng.random() < 0.6)
        if run["specialistEnabled"]:
            run.update(specialistName="dependency-upgrader", specialistVersion="0.4.2")
    if config["suite"] == "update-deps":
        run["packageManager"] = "pnpm"
    quality = max(0.0, min(1.0, skill + TIER_EASE[config["tier"]] + rng.gauss(0, 0.1)))
    evaluations = _evaluations(rng, quality, run["completedAt"])
    metadata = _metadata(rng, config, quality)
    if status == "failed":
        evaluations = evaluations if full else []
        error, error_type = rng.choice(FAILURES)
        metadata = {"error": error, "errorType": error_type}
    elif status == "incomplete":
        kept = rng.randrange(1, 4)
        evaluations = evaluations if full else evaluations[:kept]
        metadata.update(error="Stopped after reaching maxTurns", errorType="MaxTurnsExceeded")
    run.update(_scores(evaluations, status), metadata=metadata, evaluations=evaluations)
    run["telemetry"] = _telemetry(rng, config, duration, price_in, price_out)
    return run


def _scores(evaluations: list[dict], status: str) -> dict:
    if status != "completed":
        return {"isSuccessful": False}
    total = sum(e["score"] for e in evaluations) / len(evaluations)
    weighted = 10 * (0.6 * total + 0.4 * evaluations[-1]["score"])
    return {
        "totalScore": round(total, 4),
        "weightedScore": round(weighted, 4),
        "isSuccessful": total >= 0.7,
        "successMetric": round(total, 4),
    }


def _evaluations(rng: random.Random, quality: float, created: str) -> list[dict]:
    def passes(bias: float) -> float:
        return 1.0 if rng.random() < quality + bias else 0.0

    install, tests, manager = passes(0.25), passes(0.1), passes(0.3)
    targets = rng.randrange(0, 5) if quality < 0.5 else rng.randrange(2, 5)
    integrity = passes(0.4)
    rows = [
        ("InstallEvaluator", install, "Install succeeded" if install else
         "Install failed: pnpm install exited with code 1"),
        ("TestEvaluator", tests, "Tests passed (or none present)" if tests else
         "3 of 41 tests failed in libs/util"),
        ("PackageManagerEvaluator", manager, "Correct manager artifacts" if manager else
         "Found package-lock.json in a pnpm workspace"),
        ("DependencyTargetsEvaluator", targets / 4, f"{targets} of 4 dependency targets met"),
        ("IntegrityGuardEvaluator", integrity, "No integrity issues detected" if integrity else
         "Test files were modified: libs/util/src/index.spec.ts"),
    ]  # fmt: skip
    judge = _judge(rng, quality)
    average = sum(s["score"] for s in judge["scores"]) / len(judge["scores"])
    rows.append(("LLMJudgeEvaluator", (average - 1) / 4, json.dumps(judge, indent=2)))
    return [
        {"evaluatorName": name, "score": round(score, 4), "maxScore": 1.0, "details": details,
         "createdAt": created}
        for name, score, details in rows
    ]  # fmt: skip


def _judge(rng: random.Random, quality: float) -> dict:
    scores = [
        {
            "category": category,
            "score": max(1, min(5, round(1 + 4 * quality + rng.gauss(0, 0.7)))),
            "reasoning": rng.choice(REASONS),
        }
        for category in JUDGE_CATEGORIES
    ]
    verdict = "solid" if quality > 0.7 else "partial" if quality > 0.4 else "poor"
    return {"scores": scores, "overall_assessment": f"A {verdict} dependency update."}


def _metadata(rng: random.Random, config: dict, quality: float) -> dict:
    chosen = rng.sample(PACKAGES, rng.randrange(1, 4))
    path = "apps/app/package.json"
    deps = [
        {"packagePath": path, "section": rng.choice(("dependencies", "devDependencies")),
         "name": name, "from": old, "to": new}
        for name, old, new in chosen
    ]  # fmt: skip
    patch = "\n".join(f'-    "{n}": "{o}",\n+    "{n}": "{v}",' for n, o, v in chosen)
    diff = [{"file": path, "changeType": "modified",
             "textPatch": f"--- a/{path}\n+++ b/{path}\n@@\n{patch}"}]  # fmt: skip
    if rng.random() < 0.5:
        diff.append({"file": "pnpm-lock.yaml", "changeType": "modified",
                     "textPatch": "--- a/pnpm-lock.yaml\n+++ b/pnpm-lock.yaml\n@@\n"
                                  "-lockfileVersion: '6.0'\n+lockfileVersion: '9.0'"})  # fmt: skip
    passed = rng.randrange(10, 60)
    metadata = {
        "diffSummary": diff,
        "depsDelta": deps,
        "testResults": json.dumps({"passed": passed, "failed": int(quality < 0.5) * 3}),
    }
    if config["suite"] == "update-deps" and rng.random() < 0.15:
        metadata["oracleQuestions"] = [
            {"question": "React 19 is a major upgrade. Should I proceed with it?",
             "answer": "Proceed with your best judgment based on the constraints provided."}
        ]  # fmt: skip
    return metadata


def _telemetry(rng, config: dict, duration: timedelta, price_in: float, price_out: float) -> dict:
    tokens_in, tokens_out = rng.randrange(5_000, 60_000), rng.randrange(300, 4_000)
    return {
        "toolCalls": rng.randrange(3, 40),
        "tokensIn": tokens_in,
        "tokensOut": tokens_out,
        "costUsd": round((tokens_in * price_in + tokens_out * price_out) / 1e6, 6),
        "durationMs": int(duration.total_seconds() * 1000),
        "workspaceDir": f"/home/runner/work/ze-benchmarks/results/workspaces/"
        f"{config['suite']}-{config['scenario']}-{rng.getrandbits(24):06x}",
        "promptSent": f"[{config['tier']}] {config['scenario']}: update the dependencies as "
        "the constraints in TASK.md say, then run install and tests.",
    }


def _make_running(run: dict) -> None:
    for key in ("completedAt", "totalScore", "weightedScore", "isSuccessful", "successMetric"):
        run.pop(key, None)
    run.update(status="running", evaluations=[], metadata={})
    run.pop("telemetry", None)
