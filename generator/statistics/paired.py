"""Comparing two sets of runs cell by cell, a cell being one (suite, scenario, tier).

``compare`` pairs base and candidate on the cells both ran and says whether the
candidate's success rate is a regression, an improvement, no significant change, or
inconclusive; ``flaky_cells`` and ``pass_curves`` describe one set of runs. Plain data
in, JSON-ready dicts out, the same output for the same input. The methods and every
field are described in ``docs/statistics.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from statistics import fmean, stdev
from typing import Any

from generator import statistics as st
from generator.statistics.verdict import ALPHA, TOLERANCE, decide, power_sentence

# Cells with q ≤ FLAG_Q are flagged in the per-cell table.
FLAG_Q = 0.10
# Below this share of runs with known success in paired cells (on either side), the
# pairing would leave most runs out: the comparison is made unpaired instead.
MIN_PAIRED_SHARE = 0.5

Cell = tuple[Any, Any, Any]


@dataclass(frozen=True)
class Outcome:
    """One run as the comparison sees it; success None means unknown."""

    suite: str
    scenario: str
    tier: str | None
    success: bool | None = None
    score: float | None = None
    cost: float | None = None
    duration_ms: float | None = None


_FIELDS = tuple(f.name for f in fields(Outcome))


def outcome(value: Outcome | Mapping[str, Any]) -> Outcome:
    """An Outcome from itself or from a mapping with the same keys."""
    if isinstance(value, Outcome):
        return value
    return Outcome(**{name: value.get(name) for name in _FIELDS})


def _order(cell: Cell) -> tuple[tuple[bool, str], ...]:
    return tuple((part is None, "" if part is None else str(part)) for part in cell)


def by_cell(outcomes: Iterable[Outcome | Mapping[str, Any]]) -> dict[Cell, list[Outcome]]:
    """Runs grouped by (suite, scenario, tier), cells in sorted order, runs in input order."""
    cells: dict[Cell, list[Outcome]] = {}
    for item in map(outcome, outcomes):
        cells.setdefault((item.suite, item.scenario, item.tier), []).append(item)
    return {cell: cells[cell] for cell in sorted(cells, key=_order)}


def _known(runs: Sequence[Outcome]) -> list[bool]:
    return [run.success for run in runs if run.success is not None]


def _values(runs: Sequence[Outcome], name: str, positive: bool = False) -> list[float]:
    values = [getattr(run, name) for run in runs]
    return [v for v in values if v is not None and (v > 0 or not positive)]


def _rate(successes: Sequence[bool]) -> float | None:
    return sum(successes) / len(successes) if successes else None


def _counts(runs: Sequence[Outcome]) -> dict[str, Any]:
    known = _known(runs)
    return {
        "runs": len(runs),
        "successfulRuns": sum(known),
        "runsWithKnownSuccess": len(known),
        "successRate": _rate(known),
    }


def _side(cells: Mapping[Cell, list[Outcome]]) -> dict[str, Any]:
    """Figures of one side: its runs, success rate and mean score, with intervals."""
    runs = [run for group in cells.values() for run in group]
    per_cell = [(len(k), sum(k)) for k in map(_known, cells.values()) if k]
    scores = [values for values in (_values(g, "score") for g in cells.values()) if values]
    clustered = st.cluster_mean_interval(scores)
    return {
        **_counts(runs),
        "successRateCI": st.as_list(st.rate_interval(per_cell)),
        "cells": len(cells),
        "meanScore": fmean(_values(runs, "score")) if scores else None,
        "meanScoreCI": st.as_list(clustered[1]) if clustered else None,
    }


def _unpaired(base: list[bool], cand: list[bool], alpha: float) -> dict[str, Any]:
    """Newcombe interval and Fisher's exact p over all runs with known success."""
    c1, n1, c2, n2 = sum(base), len(base), sum(cand), len(cand)
    known = n1 > 0 and n2 > 0
    return {
        "successRateDelta": c2 / n2 - c1 / n1 if known else None,
        "successRateDeltaCI": st.as_list(st.newcombe(c1, n1, c2, n2)),
        "pValue": st.fisher_exact(c1, n1 - c1, c2, n2 - c2) if known else None,
        "changedCells": None,
        "minDetectableEffect": st.mde_unpaired(c1 / n1, min(n1, n2), alpha) if known else None,
    }


def _mcnemar(pairs: list[tuple[list[bool], list[bool]]], alpha: float) -> dict[str, Any]:
    """Exact McNemar and Newcombe's paired interval, one run per cell on each side."""
    table = {(b, c): 0 for b in (True, False) for c in (True, False)}
    for (base,), (cand,) in pairs:
        table[base, cand] += 1
    b, c = table[True, False], table[False, True]
    diffs = [float(cand[0]) - float(base[0]) for base, cand in pairs]
    return {
        "successRateDelta": (c - b) / len(pairs),
        "successRateDeltaCI": st.as_list(
            st.newcombe_paired(table[True, True], b, c, table[False, False])
        ),
        "pValue": st.mcnemar_exact(b, c),
        "changedCells": b + c,
        "minDetectableEffect": _paired_mde(diffs, pairs, alpha),
    }


def _cell_means(pairs: list[tuple[list[bool], list[bool]]], alpha: float) -> dict[str, Any]:
    """Mean of per-cell rate differences, t interval and sign-flip p, when cells repeat."""
    diffs = [fmean(cand) - fmean(base) for base, cand in pairs]
    result = st.paired_differences(diffs)
    return {
        "successRateDelta": result["mean"],
        "successRateDeltaCI": st.as_list(result["ci"]),
        "pValue": result["pValue"],
        "changedCells": sum(d != 0 for d in diffs),
        "minDetectableEffect": _paired_mde(diffs, pairs, alpha),
    }


def _paired_mde(
    diffs: list[float], pairs: list[tuple[list[bool], list[bool]]], alpha: float
) -> float | None:
    """Paired MDE from the spread of the differences; unpaired over cells when they agree."""
    spread = stdev(diffs) if len(diffs) >= 2 else 0.0
    if spread > 0:
        return st.mde_paired(spread, len(diffs), alpha)
    # No spread says nothing about power: size it as if the cells were independent runs.
    base_rate = fmean(fmean(base) for base, _ in pairs)
    return st.mde_unpaired(base_rate, len(pairs), alpha)


def _success(
    base: Mapping[Cell, list[Outcome]], cand: Mapping[Cell, list[Outcome]], alpha: float
) -> dict[str, Any]:
    """The success-rate comparison by the method the pairing allows."""
    shared = [cell for cell in base if cell in cand]
    pairs = [(_known(base[c]), _known(cand[c])) for c in shared]
    pairs = [(b, c) for b, c in pairs if b and c]
    base_known = [s for runs in base.values() for s in _known(runs)]
    cand_known = [s for runs in cand.values() for s in _known(runs)]
    paired_base = sum(len(b) for b, _ in pairs)
    paired_cand = sum(len(c) for _, c in pairs)
    enough = (
        len(pairs) >= 2
        and min(paired_base / len(base_known), paired_cand / len(cand_known)) >= MIN_PAIRED_SHARE
    )
    if not enough:
        return {
            "method": "unpaired",
            "pairedCells": len(pairs),
            **_unpaired(base_known, cand_known, alpha),
            "note": _unpaired_note(len(pairs), base_known, cand_known, paired_base + paired_cand),
        }
    single = all(len(b) == 1 and len(c) == 1 for b, c in pairs)
    compared = _mcnemar(pairs, alpha) if single else _cell_means(pairs, alpha)
    return {
        "method": "mcnemar" if single else "paired-cells",
        "pairedCells": len(pairs),
        **compared,
        "note": None,
    }


def _unpaired_note(paired: int, base: list[bool], cand: list[bool], in_pairs: int) -> str:
    if not base or not cand:
        side = "base" if not base else "candidate"
        return f"the {side} has no runs with known success: nothing to compare"
    note = (
        f"only {paired} cell{'' if paired == 1 else 's'} ran on both sides with known "
        "success, too few to pair: compared as two independent proportions over all runs "
        "(Newcombe interval, Fisher's exact p)"
    )
    if in_pairs < len(base) + len(cand):
        note += ", which also mixes in differences between the scenarios each side ran"
    return note


def _score(
    base: Mapping[Cell, list[Outcome]], cand: Mapping[Cell, list[Outcome]]
) -> dict[str, Any]:
    """Mean weighted score difference: paired by cell when enough cells have scores."""
    pairs = [(_values(base[c], "score"), _values(cand[c], "score")) for c in base if c in cand]
    pairs = [(b, c) for b, c in pairs if b and c]
    base_all = [v for runs in base.values() for v in _values(runs, "score")]
    cand_all = [v for runs in cand.values() for v in _values(runs, "score")]
    paired_share = min(
        sum(map(len, (b for b, _ in pairs))) / max(len(base_all), 1),
        sum(map(len, (c for _, c in pairs))) / max(len(cand_all), 1),
    )
    if len(pairs) >= 2 and paired_share >= MIN_PAIRED_SHARE:
        result = st.paired_differences([fmean(c) - fmean(b) for b, c in pairs])
        delta, interval, p = result["mean"], result["ci"], result["pValue"]
        method = "paired-cells"
    else:
        welch = st.welch(base_all, cand_all)
        delta, interval, p = welch if welch else (_mean_delta(base_all, cand_all), None, None)
        method = "unpaired"
    return {
        "scoreMethod": method,
        "scoreDelta": delta,
        "scoreDeltaCI": st.as_list(interval),
        "scorePValue": p,
    }


def _mean_delta(base: list[float], cand: list[float]) -> float | None:
    return fmean(cand) - fmean(base) if base and cand else None


def _ratio(
    base: Mapping[Cell, list[Outcome]], cand: Mapping[Cell, list[Outcome]], name: str
) -> tuple[float | None, list[float] | None]:
    """cand/base ratio of geometric means of a positive figure, with its 95% interval.

    Paired by cell (the mean over cells of the difference of mean logs) when at least
    two cells have the figure on both sides, otherwise over all runs (Welch on logs).
    """
    logs = [
        (
            [math.log(v) for v in _values(base[c], name, True)],
            [math.log(v) for v in _values(cand[c], name, True)],
        )
        for c in base
        if c in cand
    ]
    diffs = [fmean(c) - fmean(b) for b, c in logs if b and c]
    interval = st.t_interval(diffs)
    if interval is not None:  # two cells or more
        return math.exp(fmean(diffs)), [math.exp(v) for v in interval]
    base_all = [v for runs in base.values() for v in _values(runs, name, True)]
    cand_all = [v for runs in cand.values() for v in _values(runs, name, True)]
    result = st.log_ratio_interval(base_all, cand_all)
    if result is not None:
        return result[0], st.as_list(result[1])
    if base_all and cand_all:
        log_ratio = fmean(map(math.log, cand_all)) - fmean(map(math.log, base_all))
        return math.exp(log_ratio), None
    return None, None


def _cells(
    base: Mapping[Cell, list[Outcome]], cand: Mapping[Cell, list[Outcome]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The per-cell table of shared cells with Fisher p and BH q, and the unpaired cells."""
    rows = [_cell_row(cell, base[cell], cand[cell]) for cell in base if cell in cand]
    q_values = st.benjamini_hochberg([row["pValue"] for row in rows])
    for row, q in zip(rows, q_values, strict=True):
        row["qValue"] = q
        row["flagged"] = q is not None and q <= FLAG_Q
    unpaired = [
        {**_cell_keys(cell), "side": side, **_counts(runs)}
        for side, mine, other in (("base", base, cand), ("candidate", cand, base))
        for cell, runs in mine.items()
        if cell not in other
    ]
    unpaired.sort(
        key=lambda row: (_order((row["suite"], row["scenario"], row["tier"])), row["side"])
    )
    return rows, unpaired


def _cell_keys(cell: Cell) -> dict[str, Any]:
    suite, scenario, tier = cell
    return {"suite": suite, "scenario": scenario, "tier": tier}


def _cell_row(cell: Cell, base: list[Outcome], cand: list[Outcome]) -> dict[str, Any]:
    b, c = _counts(base), _counts(cand)
    known = b["runsWithKnownSuccess"] and c["runsWithKnownSuccess"]
    p = None
    if known:
        b_fail = b["runsWithKnownSuccess"] - b["successfulRuns"]
        c_fail = c["runsWithKnownSuccess"] - c["successfulRuns"]
        p = st.fisher_exact(b["successfulRuns"], b_fail, c["successfulRuns"], c_fail)
    return {
        **_cell_keys(cell),
        "base": b,
        "candidate": c,
        "successRateDelta": c["successRate"] - b["successRate"] if known else None,
        "scoreDelta": _mean_delta(_values(base, "score"), _values(cand, "score")),
        "pValue": p,
    }


def compare(
    base: Iterable[Outcome | Mapping[str, Any]],
    candidate: Iterable[Outcome | Mapping[str, Any]],
    tolerance: float = TOLERANCE,
    alpha: float = ALPHA,
) -> dict[str, Any]:
    """Compare candidate runs with base runs, paired by (suite, scenario, tier)."""
    base_cells, cand_cells = by_cell(base), by_cell(candidate)
    success = _success(base_cells, cand_cells, alpha)
    mde = success["minDetectableEffect"]
    verdict, reason = decide(
        success["successRateDelta"],
        success["pValue"],
        mde,
        success["changedCells"],
        tolerance,
        alpha,
    )
    cost, cost_ci = _ratio(base_cells, cand_cells, "cost")
    duration, duration_ci = _ratio(base_cells, cand_cells, "duration_ms")
    cells, unpaired = _cells(base_cells, cand_cells)
    return {
        "base": _side(base_cells),
        "candidate": _side(cand_cells),
        **success,
        **_score(base_cells, cand_cells),
        "costRatio": cost,
        "costRatioCI": cost_ci,
        "durationRatio": duration,
        "durationRatioCI": duration_ci,
        "power": power_sentence(mde),
        "tolerance": tolerance,
        "alpha": alpha,
        "verdict": verdict,
        "verdictReason": reason,
        "cells": cells,
        "unpairedCells": unpaired,
    }


def _cell_counts(outcomes: Iterable[Outcome | Mapping[str, Any]]) -> list[tuple[Cell, list[bool]]]:
    return [(cell, known) for cell, runs in by_cell(outcomes).items() if (known := _known(runs))]


def flaky_cells(outcomes: Iterable[Outcome | Mapping[str, Any]]) -> dict[str, Any]:
    """Cells of one agent · model whose repeated runs disagree (0 < successes < runs)."""
    counts = _cell_counts(outcomes)
    return flaky_of_counts((_cell_keys(cell), len(known), sum(known)) for cell, known in counts)


def flaky_of_counts(cells: Iterable[tuple[Mapping[str, Any], int, int]]) -> dict[str, Any]:
    """``flaky_cells`` from cells given as (their keys, runs with known success,
    successes), in the order given; each flaky cell lists its keys."""
    repeated = [(keys, n, c) for keys, n, c in cells if n >= 2]
    # Every repeated cell has two runs or more, so each rate is a number.
    rates = [st.disagreement(n, c) or 0.0 for _, n, c in repeated]
    flaky = [
        {**keys, "runsWithKnownSuccess": n, "successfulRuns": c, "disagreement": rate}
        for (keys, n, c), rate in zip(repeated, rates, strict=True)
        if 0 < c < n
    ]
    return {
        "cellsWithRepeats": len(repeated),
        "flakyCells": len(flaky),
        "flakyShare": len(flaky) / len(repeated) if repeated else None,
        "meanDisagreement": fmean(rates) if rates else None,
        "cells": flaky,
    }


def pass_curves(
    outcomes: Iterable[Outcome | Mapping[str, Any]], kmax: int = 5
) -> list[dict[str, Any]]:
    """pass@k and pass^k for k = 1..kmax, each the mean over the cells with ≥ k runs."""
    counts = [(len(known), sum(known)) for _, known in _cell_counts(outcomes)]
    return pass_curves_of_counts(counts, kmax)


def pass_curves_of_counts(counts: Sequence[tuple[int, int]], kmax: int = 5) -> list[dict[str, Any]]:
    """``pass_curves`` from cells given as (runs with known success, successes)."""
    curves = []
    for k in range(1, kmax + 1):
        at_k, cells = st.pass_over_cells(counts, k, st.pass_at_k)
        hat_k, _ = st.pass_over_cells(counts, k, st.pass_hat_k)
        curves.append({"k": k, "passAtK": at_k, "passHatK": hat_k, "cells": cells})
    return curves
