"""The standard figures of a set of runs (counts, success rate, mean scores, cost,
tokens, duration), from a tally that adds up across disjoint sets of runs."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from generator import statistics as st
from generator.queries.common import FAILED_STATUSES, exact_sum, mean_of_sum, ratio

_FIGURE_FIELDS = itemgetter(0, 1, 2, 3, 4, 5, 6, 7)
# Rows this wide carry their cell (suite, scenario, tier, agent, model) at these
# positions (``common.WIDE_COLUMNS`` and the batches' figure rows).
_CELL = itemgetter(8, 9, 10, 11, 12)
_CELL_WIDTH = 13


# The values a Tally sums and averages, each kept as a list of floats.
_SUMMED = ("ok_total", "ok_weighted", "done_total", "done_weighted", "cost", "duration")


class Tally:
    """What figures() needs of a set of runs: its counts and the values it averages.

    Tallies of disjoint sets of runs add up (``merged``) to the tally of their
    union, so every breakdown of the same runs is summed from one pass over them.
    Averages and totals come out the same whatever the order of the parts:
    floats are summed with ``math.fsum``, which rounds the exact sum once, and
    token counts are whole numbers.
    """

    __slots__ = (
        "runs",
        "completed",
        "failed",
        "incomplete",
        "running",
        "known",
        "successes",
        *_SUMMED,
        "tokens_in",
        "tokens_out",
        "counts",
        "moments",
        "best",
        "worst",
    )

    def __init__(self, rows: Sequence[Sequence[Any]] = ()) -> None:
        # One pass: this runs for every group of every breakdown of every batch.
        cell_of = _CELL if rows and len(rows[0]) >= _CELL_WIDTH else None
        keys: dict[str, list[Any]] = {name: [] for name in _SCORED}
        statuses = {"completed": 0, "failed": 0, "incomplete": 0, "running": 0}
        known = successes = 0
        ok_total, ok_weighted, done_total, done_weighted = [], [], [], []
        cost, tokens_in, tokens_out, duration = [], [], [], []
        # itemgetter: rows may be wide; unpacking them with "*_" built a list per row.
        for row in rows:
            status, successful, total_score, weighted, cost_usd, t_in, t_out, ms = _FIGURE_FIELDS(
                row
            )
            cell = cell_of(row) if cell_of is not None else None
            if status in statuses:
                statuses[status] += 1
            if successful is not None or status in FAILED_STATUSES:  # common.is_known
                known += 1
            if status == "completed":
                if total_score is not None:
                    done_total.append(total_score)
                    keys["done_total"].append(cell)
                if weighted is not None:
                    done_weighted.append(weighted)
                    keys["done_weighted"].append(cell)
                if successful == 1:
                    successes += 1
                    if total_score is not None:
                        ok_total.append(total_score)
                        keys["ok_total"].append(cell)
                    if weighted is not None:
                        ok_weighted.append(weighted)
                        keys["ok_weighted"].append(cell)
            if cost_usd is not None:
                cost.append(cost_usd)
            if t_in is not None:
                tokens_in.append(t_in)
            if t_out is not None:
                tokens_out.append(t_out)
            if ms is not None:
                duration.append(ms)
        self.runs = len(rows)
        self.completed = statuses["completed"]
        self.failed = statuses["failed"]
        self.incomplete = statuses["incomplete"]
        self.running = statuses["running"]
        self.known, self.successes = known, successes
        self.ok_total, self.ok_weighted = ok_total, ok_weighted
        self.done_total, self.done_weighted = done_total, done_weighted
        self.cost, self.duration = cost, duration
        self.tokens_in = sum(tokens_in) if tokens_in else None
        self.tokens_out = sum(tokens_out) if tokens_out else None
        self.counts: dict[str, int] | None = None  # None: each list holds the values
        # the extremes of the successful runs' weighted scores (None: there are none)
        self.worst, self.best = min(ok_weighted, default=None), max(ok_weighted, default=None)
        self.moments = {name: _moments(getattr(self, name), keys[name]) for name in _SCORED}

    def compact(self) -> Tally:
        """Keep each list of values, and each cell's moments, as a few floats with the
        same exact sum, and its length."""
        if self.counts is None:
            self.counts = {name: len(getattr(self, name)) for name in _SUMMED}
            for name in _SUMMED:
                setattr(self, name, exact_parts(getattr(self, name)))
            for moments in self.moments.values():
                for sums in moments.values():
                    sums[1], sums[2] = exact_parts(sums[1]), exact_parts(sums[2])
        return self

    @classmethod
    def merged(cls, parts: Iterable[Tally]) -> Tally:
        """The tally of the union of the (disjoint) sets of runs of *parts*."""
        out = cls().compact()
        counts = out.counts
        assert counts is not None
        for part in parts:
            part.compact()
            out.runs += part.runs
            out.completed += part.completed
            out.failed += part.failed
            out.incomplete += part.incomplete
            out.running += part.running
            out.known += part.known
            out.successes += part.successes
            for name, count in part.counts.items():  # type: ignore[union-attr]
                counts[name] += count
                getattr(out, name).extend(getattr(part, name))
            for name in _SCORED:
                _merge_moments(out.moments[name], part.moments[name])
            out.tokens_in = _add(out.tokens_in, part.tokens_in)
            out.tokens_out = _add(out.tokens_out, part.tokens_out)
            out.worst = _extreme(min, out.worst, part.worst)
            out.best = _extreme(max, out.best, part.best)
        return out

    def count(self, name: str) -> int:
        """How many values of *name* (one of the summed lists) there are."""
        return len(getattr(self, name)) if self.counts is None else self.counts[name]

    def figures(self) -> dict[str, Any]:
        """The standard figures of these runs (see ``figures``)."""
        ok_total, ok_weighted = self.count("ok_total"), self.count("ok_weighted")
        done_total, done_weighted = self.count("done_total"), self.count("done_weighted")
        cost, duration = self.count("cost"), self.count("duration")
        total_cost = exact_sum(self.cost) if cost else None
        return {
            "totalRuns": self.runs,
            "successfulRuns": self.successes,
            "runsWithKnownSuccess": self.known,
            "successRate": ratio(self.successes, self.known),
            "successRateCI": st.as_list(st.wilson(self.successes, self.known)),
            "avgScore": mean_of_sum(self.ok_total, ok_total),
            "avgScoreCI": self.interval("ok_total"),
            "avgWeightedScore": mean_of_sum(self.ok_weighted, ok_weighted),
            "avgWeightedScoreCI": self.interval("ok_weighted"),
            "completedRuns": self.completed,
            "failedRuns": self.failed,
            "incompleteRuns": self.incomplete,
            "runningRuns": self.running,
            "avgScoreCompleted": mean_of_sum(self.done_total, done_total),
            "avgScoreCompletedCI": self.interval("done_total"),
            "avgWeightedScoreCompleted": mean_of_sum(self.done_weighted, done_weighted),
            "avgWeightedScoreCompletedCI": self.interval("done_weighted"),
            "totalCostUsd": total_cost,
            "avgCostUsd": mean_of_sum(self.cost, cost),
            "totalTokensIn": self.tokens_in,
            "totalTokensOut": self.tokens_out,
            "avgDurationMs": mean_of_sum(self.duration, duration),
        }

    def interval(self, name: str) -> list[float] | None:
        """95% interval of the mean of the values *name*, cells as clusters (see
        ``statistics.moments_interval``); None below 2 values."""
        moments = self.moments[name].values()
        summed = [(count, math.fsum(total), math.fsum(sq)) for count, total, sq in moments]
        return st.as_list(st.moments_interval(summed))


# The scores whose means get an interval; their moments are kept per cell.
_SCORED = ("ok_total", "ok_weighted", "done_total", "done_weighted")
# cell -> [count, sum, sum of squares], each sum a list of floats with that exact sum:
# the values themselves, or a few floats once compacted (``exact_parts``), so merging
# in any order gives the same interval.
Moments = dict[Any, list[Any]]


def _moments(values: list[Any], cells: list[Any]) -> Moments:
    """The moments of *values* per cell (cells[i] is values[i]'s)."""
    grouped: dict[Any, list[Any]] = {}
    for cell, value in zip(cells, values, strict=True):
        grouped.setdefault(cell, []).append(value)
    return {cell: [len(group), group, [v * v for v in group]] for cell, group in grouped.items()}


def _merge_moments(out: Moments, part: Moments) -> None:
    for cell, (count, total, squares) in part.items():
        have = out.get(cell)
        if have is None:
            out[cell] = [count, list(total), list(squares)]
        else:
            have[0] += count
            have[1] = exact_parts(have[1] + total)
            have[2] = exact_parts(have[2] + squares)


def _extreme(pick: Any, a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else pick(a, b)


def _add(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else a + b


def exact_parts(values: list[Any]) -> list[Any]:
    """A few floats whose exact sum is the exact sum of *values*.

    ``math.fsum`` rounds the exact sum once, so fsum of these parts together with
    the parts of other lists equals fsum of all the values; a tally sums a few
    floats per group instead of every value again.
    """
    try:
        parts = [math.fsum(values)]
        while math.isfinite(parts[-1]):
            # Each part is the rounded rest of the sum, so each rest is smaller.
            rest = math.fsum(values + [-p for p in parts])
            if rest == 0.0:
                return parts
            parts.append(rest)
    except (OverflowError, ValueError):
        pass
    return list(values)  # infinities or overflow: keep the values themselves


def figures(rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """The standard figures of a set of runs given as FIGURE_COLUMNS rows."""
    return Tally(rows).figures()
