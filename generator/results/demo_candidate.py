"""A pull request's results, from the demo: the demo up to the newest weekly sweep of
one agent · model into a results file (the base), and that sweep's runs as JSON Lines
(the candidate a harness would have written). ``scripts/compare-pr.sh`` compares
the two as a pull-request check does; ``docs/compare-in-ci.md`` shows it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from generator.errors import ParameterError
from generator.results import demo, ingest
from generator.results.validate import normalise_batch, normalise_run

# Which sweep becomes the candidate: the one whose newest week is truly worse, or the
# one that does not change.
SWEEPS = {"regressed": True, "steady": False}
FILE_NAME = "runs.jsonl"


@dataclass(frozen=True)
class Candidate:
    """What ``write_candidate`` wrote."""

    base: demo.DemoSummary
    batch_id: str
    runs: int
    path: Path

    def __str__(self) -> str:
        return (
            f"base: {self.base}; candidate: {self.runs} runs of batch {self.batch_id} "
            f"in {self.path}"
        )


def write_candidate(
    db_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    sweep: str = "regressed",
    runs: int = demo.DEFAULT_RUNS,
    seed: int = 1,
) -> Candidate:
    """Record the demo's batches before the newest sweep of the *sweep* agent · model
    into *db_path*, and write that sweep's run payloads to *out_dir*/runs.jsonl."""
    if sweep not in SWEEPS:
        raise ValueError(f"demo sweep {sweep!r}: use one of {', '.join(SWEEPS)}")
    if runs < 2 * demo.SWEEP_RUNS:
        raise ParameterError(
            "the demo makes its weekly sweeps, the candidate's source, from "
            f"{2 * demo.SWEEP_RUNS} runs on: use --runs {2 * demo.SWEEP_RUNS} or more"
        )
    batches, payloads = demo.demo_payloads(runs, seed)
    index = _newest_sweep(batches, SWEEPS[sweep])
    held = batches[index]["batchId"]
    before = {b["batchId"] for b in batches[:index]}
    base_runs = [p for p in payloads if p["batchId"] in before]
    located = [
        (f"demo run {i}", normalise_run(run, f"demo run {i}")) for i, run in enumerate(base_runs)
    ]
    # The base first: a bad --db fails before the candidate file is written.
    batch_summary = ingest.record_batches(
        db_path, [normalise_batch(b, f"demo batch {i}") for i, b in enumerate(batches[:index])]
    )
    summary = demo.DemoSummary(ingest.record_runs(db_path, located), batch_summary)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    candidate = [p for p in payloads if p["batchId"] == held]
    path = out / FILE_NAME
    with path.open("w", encoding="utf-8") as f:
        for run in candidate:
            f.write(json.dumps(run, separators=(",", ":")) + "\n")
    return Candidate(summary, held, len(candidate), path)


def _newest_sweep(batches: list[dict], regressed: bool) -> int:
    """The position of the newest batch of the sweep that regresses (or does not)."""
    agent_index = next(index for index, _, regress in demo.SWEEPS if regress is regressed)
    agent, model = demo.AGENTS[agent_index][:2]
    found = [
        i
        for i, b in enumerate(batches)
        if b["metadata"].get("suites") == [demo.SWEEP_SUITE]
        and b["metadata"].get("agents") == [agent]
        and b["metadata"].get("models") == [model]
    ]
    return found[-1]
