"""2 to 5 batches side by side: their figures, differences against the first, per scenario.

Differences only: the verdict on two sets of runs is ``comparison``'s."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from generator.errors import ParameterError
from generator.queries.batches import batch_summary, group_by, group_figures, nulls_last
from generator.queries.common import BATCH, SCENARIO, SUITE, wide_rows
from generator.store import marks

MIN_IDS, MAX_IDS = 2, 5
# Differences this small are float noise, not a change.
SAME_WITHIN = 1e-9
DELTA_KEYS = (
    "totalRuns",
    "successfulRuns",
    "runsWithKnownSuccess",
    "successRate",
    "avgScore",
    "avgWeightedScore",
    "completedRuns",
    "failedRuns",
    "avgScoreCompleted",
    "avgWeightedScoreCompleted",
    "totalCostUsd",
)
_SCENARIO_KEYS = (
    "runs",
    "successfulRuns",
    "runsWithKnownSuccess",
    "successRate",
    "successRateCI",
    "completedRuns",
    "avgScoreCompleted",
    "avgWeightedScoreCompleted",
    "avgWeightedScoreCompletedCI",
)


def delta(new: float | None, old: float | None) -> float | None:
    """new − old, or None when either is unknown."""
    return None if new is None or old is None else new - old


def change(score_delta: float | None, rate_delta: float | None) -> str:
    """better | worse | same | unknown, by weighted score, else by success rate."""
    decisive = score_delta if score_delta is not None else rate_delta
    if decisive is None:
        return "unknown"
    if abs(decisive) <= SAME_WITHIN:
        return "same"
    return "better" if decisive > 0 else "worse"


def compare_batches(conn: sqlite3.Connection, batch_ids: Sequence[str]) -> dict[str, Any]:
    """Figures of each batch (in the order given), deltas and per-scenario changes.

    The first id is the baseline: every delta is ``batch − baseline``.
    """
    ids = list(batch_ids)
    if not MIN_IDS <= len(ids) <= MAX_IDS:
        raise ParameterError(f"compare takes {MIN_IDS} to {MAX_IDS} batch ids, got {len(ids)}")
    if len(set(ids)) != len(ids):
        raise ParameterError("compare takes distinct batch ids; one is repeated")
    batches = [batch_summary(conn, batch_id) for batch_id in ids]
    base = batches[0]
    deltas = [
        {
            "batchId": b["batchId"],
            "baselineBatchId": base["batchId"],
            **{key: delta(b[key], base[key]) for key in DELTA_KEYS},
        }
        for b in batches[1:]
    ]
    return {"batches": batches, "deltas": deltas, "scenarios": _scenarios(conn, ids)}


def _scenarios(conn: sqlite3.Connection, ids: list[str]) -> list[dict[str, Any]]:
    rows = wide_rows(conn, f"r.batchId IN ({marks(ids)})", ids)
    groups = group_by(rows, lambda r: (r[SUITE], r[SCENARIO]))
    out = []
    for suite, scenario in sorted(groups, key=lambda k: (nulls_last(k[0]), nulls_last(k[1]))):
        per_batch = group_by(groups[(suite, scenario)], lambda r: r[BATCH])
        entries = []
        for batch_id in ids:
            stats = group_figures(per_batch.get(batch_id, []))
            entries.append({"batchId": batch_id, **{k: stats[k] for k in _SCENARIO_KEYS}})
        out.append(
            {
                "suite": suite,
                "scenario": scenario,
                "batches": entries,
                "changes": [_change(entry, entries[0]) for entry in entries[1:]],
            }
        )
    return out


def _change(entry: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    score = delta(entry["avgWeightedScoreCompleted"], base["avgWeightedScoreCompleted"])
    rate = delta(entry["successRate"], base["successRate"])
    absent = entry["runs"] == 0 or base["runs"] == 0
    return {
        "batchId": entry["batchId"],
        "weightedScoreDelta": score,
        "successRateDelta": rate,
        "change": "absent" if absent else change(score, rate),
    }
