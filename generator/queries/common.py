"""Shared pieces of the read side: row → API dict conversion, exact sums and means,
SQLite's sort order.

Every query module builds its answers from these, and so can site-only
aggregates: the same run, the same timestamp and the same "successful" mean
the same thing everywhere.

Conventions (also in docs/api.md):

- Keys are camelCase as the upstream API returns them; timestamps are ISO 8601
  UTC (``YYYY-MM-DDTHH:MM:SS.sssZ``) whatever form the file stores.
- A run is *successful* when ``status = 'completed' AND is_successful = 1`` (the
  original plan's rule). Its success is *known* when ``is_successful`` is stored
  or its status is ``failed``/``incomplete`` (never successful); otherwise
  (older files, crashed ``running`` runs) it is unknown and counted nowhere.
- Averages are plain means of the non-null values in the stated set of runs,
  summed with ``math.fsum`` so they do not depend on row order; an empty set
  gives ``null``. Scores keep their own scale: ``weightedScore`` 0–10,
  ``totalScore``/``successMetric``/evaluator ``score`` 0–1.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Any

from generator import times
from generator.store import schema

SUCCESS_SQL = "(status = 'completed' AND is_successful = 1)"
KNOWN_SQL = "(is_successful IS NOT NULL OR status IN ('failed', 'incomplete'))"
RUN_STATUSES = ("completed", "failed", "running", "incomplete")

# Run columns in the order of RUN_KEYS; metadata is last so summaries can stop before it.
RUN_KEYS = tuple(schema.RUN_COLUMNS)
RUN_SUMMARY_COLUMNS = ", ".join(list(schema.RUN_COLUMNS.values())[:-1])
RUN_COLUMNS = RUN_SUMMARY_COLUMNS + ", metadata"
_TIME_KEYS = ("startedAt", "completedAt")
_FLAG_KEYS = ("isSuccessful", "specialistEnabled")

# One telemetry row per run (the first recorded), so joins never double-count.
TELEMETRY_ONE_SQL = (
    "(SELECT * FROM run_telemetry WHERE id IN (SELECT MIN(id) FROM run_telemetry GROUP BY run_id))"
)
TELEMETRY_COLUMNS = ", ".join(["run_id", *schema.TELEMETRY_COLUMNS.values()])
EVALUATION_COLUMNS = ", ".join(["run_id", *schema.EVALUATION_COLUMNS.values()])

# What tally.figures() reads from each row, in this order (r and t of FIGURE_FROM).
FIGURE_COLUMNS = (
    "r.status, r.is_successful, r.total_score, r.weighted_score, "
    "t.cost_usd, t.tokens_in, t.tokens_out, t.duration_ms"
)
# The first telemetry row per run: one seek in idx_telemetry_run_id per run, cheaper
# than joining a grouped subquery; an "id IN (SELECT MIN(id) …)" join was O(n²).
FIGURE_FROM = (
    "benchmark_runs r LEFT JOIN run_telemetry t "
    "ON t.id = (SELECT MIN(id) FROM run_telemetry WHERE run_id = r.run_id)"
)

# Below this, times.to_iso's float seconds (value / 1000) are within half a
# microsecond of the exact time, so it gives the same text as whole-number
# arithmetic (year 2096; 2**32 s is the exact bound).
_EXACT_MS = 4_000_000_000_000


@lru_cache(maxsize=4096)
def _day(number: int) -> str:
    """The date *number* days after 1970-01-01, as YYYY-MM-DD."""
    return (date(1970, 1, 1) + timedelta(days=number)).isoformat()


_ISO_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_SQLITE_RE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


# zebench's own form; only other forms need strftime(), most of the cost of a scan.
_ISO_GLOB = (
    "[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z"
)


def ts_sql(column: str) -> str:
    """SQL that normalises a stored timestamp column to ISO 8601 UTC text.

    Text order of the result is time order, so ORDER BY and range filters work
    across the ISO, ``YYYY-MM-DD HH:MM:SS`` and epoch-millisecond forms. Text
    already in the ISO form is taken as it is.
    """
    return (
        f"(CASE WHEN {column} GLOB '{_ISO_GLOB}' THEN {column} "
        f"WHEN typeof({column}) IN ('integer', 'real') "
        f"THEN strftime('%Y-%m-%dT%H:%M:%fZ', {column} / 1000.0, 'unixepoch') "
        f"ELSE strftime('%Y-%m-%dT%H:%M:%fZ', {column}) END)"
    )


# Wide run rows: FIGURE_COLUMNS, then these positions. One fetch of them serves
# every aggregate, so the static API reads all runs once instead of per endpoint.
SUITE, SCENARIO, TIER, AGENT, MODEL, RUN_ID, STARTED, STARTED_RAW, FAILURE_META, BATCH = range(
    8, 18
)
WIDE_COLUMNS = (
    f"{FIGURE_COLUMNS}, r.suite, r.scenario, r.tier, r.agent, r.model, r.run_id, "
    f"{ts_sql('r.started_at')}, r.started_at, "
    "CASE WHEN r.status IN ('failed', 'incomplete') THEN r.metadata END, r.batchId"
)


def wide_rows(
    conn: sqlite3.Connection, where: str = "", params: Sequence[Any] = ()
) -> list[tuple[Any, ...]]:
    """Runs as WIDE_COLUMNS tuples (``r`` is the runs table), optionally filtered."""
    sql = f"SELECT {WIDE_COLUMNS} FROM {FIGURE_FROM}"
    if where:
        sql += f" WHERE {where}"
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples, not sqlite3.Row objects turned into them
    return cursor.execute(sql, list(params)).fetchall()


def iso(value: Any) -> str | None:
    """A stored timestamp as ISO 8601 UTC; text that is no timestamp is passed through."""
    if value is None:
        return None
    if isinstance(value, str):
        # Fast paths for the two stored text forms; same result as times.to_iso.
        if _ISO_RE.fullmatch(value):
            return value
        if _SQLITE_RE.fullmatch(value):
            return f"{value[:10]}T{value[11:]}.000Z"
    elif type(value) is int and 0 <= value < _EXACT_MS:
        # Epoch milliseconds (how batches store times) in whole-number arithmetic.
        days, millis = divmod(value, 86_400_000)
        minutes, millis = divmod(millis, 60_000)
        hours, minutes = divmod(minutes, 60)
        seconds, millis = divmod(millis, 1000)
        return f"{_day(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"
    try:
        return times.to_iso(value)
    except ValueError:
        return str(value)


def since(days: float | None, now: datetime | None) -> str | None:
    """The ISO cutoff for "the last *days* days before *now*"; None means all time."""
    if days is None:
        return None
    moment = now or datetime.now(UTC)
    return times.iso(moment - timedelta(days=days))


def parse_json(text: Any) -> Any:
    """Stored JSON text as an object; text that is not JSON is returned as it is."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def flag(value: Any) -> bool | None:
    """A stored 0/1 flag as a boolean; NULL (unknown) stays None."""
    return None if value is None else bool(value)


def run_dict(row: Sequence[Any]) -> dict[str, Any]:
    """A row selected with RUN_COLUMNS or RUN_SUMMARY_COLUMNS as the API's run object.

    Lists select the summary (no ``metadata``: it can be hundreds of KB); a
    run's own endpoint includes it, parsed.
    """
    keys = RUN_KEYS if len(row) == len(RUN_KEYS) else RUN_KEYS[:-1]
    out: dict[str, Any] = dict(zip(keys, row, strict=True))
    # Converting in place keeps the key order; listings convert every run.
    for key in _TIME_KEYS:
        out[key] = iso(out[key])
    for key in _FLAG_KEYS:
        out[key] = flag(out[key])
    if "metadata" in out:
        out["metadata"] = parse_json(out["metadata"])
    return out


def evaluation_dict(row: Sequence[Any]) -> dict[str, Any]:
    """A row selected with EVALUATION_COLUMNS as the API's evaluation object."""
    run_id, name, score, max_score, details, created_at = row
    return {
        "runId": run_id,
        "evaluatorName": name,
        "score": score,
        "maxScore": max_score,
        "details": details,
        "createdAt": iso(created_at),
    }


def telemetry_dict(row: Sequence[Any]) -> dict[str, Any]:
    """A row selected with TELEMETRY_COLUMNS as the API's telemetry object."""
    run_id, tool_calls, tokens_in, tokens_out, cost, duration, workspace, prompt = row
    return {
        "runId": run_id,
        "toolCalls": tool_calls,
        "tokensIn": tokens_in,
        "tokensOut": tokens_out,
        "costUsd": cost,
        "durationMs": duration,
        "workspaceDir": workspace,
        "promptSent": prompt,
    }


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the non-null values, order-independent; None when there are none."""
    present = [v for v in values if v is not None]
    return mean_of_sum(present, len(present))


def mean_of_sum(parts: list[Any], count: int) -> float | None:
    """The mean of *count* values whose exact sum is that of *parts*: that sum
    rounded once, then divided; None without values. Values near the largest
    float, whose sum is past it, get their exact mean; infinities of both signs
    have none (None, as SQLite's AVG gives NULL)."""
    if not count:
        return None
    try:
        return math.fsum(parts) / count
    except OverflowError:  # every part is finite; a partial sum was past the largest float
        exact = sum(map(Fraction, parts))
        try:
            return float(exact) / count
        except OverflowError:  # the sum is past it, the mean is not
            return float(exact / count)
    except ValueError:  # inf and -inf
        return None


def exact_sum(values: list[Any]) -> float:
    """``math.fsum`` of *values*: their exact sum, rounded once. A sum past the
    largest float is an infinity of its sign (as SQLite's SUM() of reals gives),
    and inf with -inf gives NaN, instead of an error."""
    try:
        return math.fsum(values)
    except OverflowError:  # every value is finite; a partial sum was past the largest float
        exact = sum(map(Fraction, values))
        try:
            return float(exact)
        except OverflowError:
            return math.inf if exact > 0 else -math.inf
    except ValueError:  # inf and -inf
        return math.nan


def is_success(row: Sequence[Any]) -> bool:
    """Whether a FIGURE_COLUMNS row is a successful run."""
    return row[0] == "completed" and row[1] == 1


# Runs that ended without success: their success is known even where the file does
# not record it.
FAILED_STATUSES = ("failed", "incomplete")


def is_known(row: Sequence[Any]) -> bool:
    """Whether a FIGURE_COLUMNS row's success is known (see module docstring)."""
    return row[1] is not None or row[0] in FAILED_STATUSES


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when whole is 0."""
    return part / whole if whole else None


def sql_order(value: Any) -> tuple[int, Any]:
    """A sort key ordering values as SQLite does: NULL, numbers, text, blobs."""
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, value) if isinstance(value, str) else (3, value)


def sql_sorted(keys: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Key tuples sorted as SQLite's ORDER BY sorts them (``sql_order`` of each part)."""
    keys = list(keys)
    # Few distinct values among many keys: rank each value once, then sort by ranks.
    values = sorted({value for key in keys for value in key}, key=sql_order)
    rank = {value: number for number, value in enumerate(values)}
    return sorted(keys, key=lambda key: tuple(map(rank.__getitem__, key)))
