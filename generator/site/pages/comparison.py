"""What a page shows of a comparison (``queries.comparison``): the verdict first, the
figures with their intervals, the per-cell table with q-values, the method.

The numbers are those of ``zebench compare`` for the same two batches: both come
from ``paired.compare`` and are worded by ``site.comparison_text``.
"""

from __future__ import annotations

from typing import Any

from generator.site import comparison_text as words
from generator.site import paths


def view(result: dict[str, Any] | None, base_id: str, candidate_id: str) -> dict[str, Any]:
    """The ``_comparison.html`` context of *result* (None: no cell in common)."""
    out: dict[str, Any] = {
        "baseId": base_id,
        "baseHref": f"batches/{paths.file_name(base_id)}.html",
        "candidateId": candidate_id,
        "candidateHref": f"batches/{paths.file_name(candidate_id)}.html",
        "result": result,
    }
    if result is None:
        return out
    out.update(
        verdict=result["verdict"],
        reason=result["verdictReason"],
        metrics=words.metric_rows(result),
        method=words.method_lines(result),
        command=f"zebench compare {base_id} {candidate_id}",
        cells=[
            {
                "suite": row["suite"],
                "scenario": row["scenario"],
                "tier": row["tier"],
                "base": f"{row['base']['successfulRuns']}/{row['base']['runsWithKnownSuccess']}",
                "candidate": (
                    f"{row['candidate']['successfulRuns']}/"
                    f"{row['candidate']['runsWithKnownSuccess']}"
                ),
                "change": words.points(row["successRateDelta"]),
                "p": words.p_value(row["pValue"]),
                "q": words.p_value(row["qValue"]),
                "flagged": row["flagged"],
            }
            for row in result["cells"]
        ],
    )
    return out
