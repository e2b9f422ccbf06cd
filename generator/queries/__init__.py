"""The read side: one plain function per GET endpoint of the original plan.

Every function takes an open connection (``store.open_read``) and returns plain
lists and dicts with camelCase keys, ready for JSON. Pages and the static JSON
API are both built from these, so their numbers always agree. See docs/api.md
for what every field means.
"""

from __future__ import annotations

from generator.queries.batches import (
    batch_analytics,
    batch_summary,
    count_batches,
    get_batch,
    iter_batch_details,
    list_batches,
)
from generator.queries.runs import (
    count_runs,
    get_run,
    iter_run_details,
    iter_runs,
    list_runs,
    run_evaluations,
    run_telemetry,
)
from generator.queries.side_by_side import compare_batches
from generator.queries.stats import (
    agent_stats,
    all_scenario_stats,
    all_suite_stats,
    global_stats,
    list_evaluators,
    list_scenarios,
    list_suites,
    model_stats,
    scenario_stats,
    suite_stats,
)
from generator.queries.trends import all_evaluator_trends, evaluator_trends


def health() -> dict[str, str]:
    """The plan's health check."""
    return {"status": "ok"}


__all__ = [
    "agent_stats",
    "all_evaluator_trends",
    "all_scenario_stats",
    "all_suite_stats",
    "batch_analytics",
    "batch_summary",
    "compare_batches",
    "count_batches",
    "count_runs",
    "evaluator_trends",
    "get_batch",
    "get_run",
    "global_stats",
    "health",
    "iter_batch_details",
    "iter_run_details",
    "iter_runs",
    "list_batches",
    "list_evaluators",
    "list_runs",
    "list_scenarios",
    "list_suites",
    "model_stats",
    "run_evaluations",
    "run_telemetry",
    "scenario_stats",
    "suite_stats",
]
