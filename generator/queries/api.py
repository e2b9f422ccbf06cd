"""The read API: a GET path in, plain data out, and one way to serialise it.

``get(conn, "/api/runs?agent=echo&limit=5")`` routes a path of the original
plan's API to its query function. ``zebench api`` prints ``dumps()`` of the
answer and the static JSON API (``site.api_files``) writes exactly the same
bytes, both with the same text budget (``budget.cut``).
Path segments are URL-decoded, so any id works once percent-encoded.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

from generator import queries
from generator.errors import NotFoundError, ParameterError
from generator.queries import encoding
from generator.queries.batches import BATCH_SORTS, BATCH_STATUSES
from generator.queries.common import RUN_STATUSES

RUNS_LIMIT = 50
BATCHES_LIMIT = 20
PAGE_SIZE = 500  # items per page of the complete listings under /api/all/

Params = dict[str, str]
NO_ROUTE = object()  # what a handler returns for a path it does not serve


def dumps(data: Any) -> str:
    """The one JSON form of every answer: compact, keys in a fixed order, final newline.

    Compact like the upstream Worker's ``JSON.stringify``, and because only the
    compact form uses the C encoder: indenting made the static API of 100,000
    runs several times slower to write. Pipe through ``jq`` to read it.
    """
    return encoding.dumps(data) + "\n"


def quote_segment(value: str) -> str:
    """Percent-encode one id for use as a path segment (``/`` becomes ``%2F``)."""
    return quote(value, safe="")


def _query(text: str) -> Params:
    # Raw (still encoded) values, so ids= can split on ',' before decoding.
    params: Params = {}
    for part in text.split("&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition("=")
        name = unquote_plus(raw_name)
        if name in params:
            raise ParameterError(f"parameter {name!r} given more than once")
        params[name] = raw_value
    return params


def _allow(params: Params, allowed: tuple[str, ...]) -> None:
    for name in params:
        if name not in allowed:
            hint = ", ".join(allowed) if allowed else "none"
            raise ParameterError(f"unknown parameter {name!r} (allowed here: {hint})")


def _text(params: Params, name: str) -> str | None:
    value = unquote_plus(params.get(name, ""))
    return value or None


def _choice(params: Params, name: str, choices: tuple[str, ...]) -> str | None:
    value = _text(params, name)
    if value is not None and value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _limit(params: Params, default: int) -> int:
    value = _text(params, "limit")
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise ParameterError(f"limit must be a positive integer, not {value!r}")
    return int(value)


def _days(params: Params) -> float | None:
    value = _text(params, "days")
    if value is None:
        return None
    try:
        days = float(value)
    except ValueError:
        days = math.nan
    if not math.isfinite(days) or days <= 0:
        raise ParameterError(f"days must be a positive number, not {value!r}")
    return int(days) if days.is_integer() else days


def _ids(params: Params) -> list[str]:
    raw = params.get("ids", "")
    ids = [unquote_plus(part) for part in raw.split(",")] if raw else []
    if any(not batch_id for batch_id in ids):
        raise ParameterError("ids must be a comma-separated list of batch ids, none empty")
    return ids


def _page(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise NotFoundError(f"no listing page {text!r}; pages are numbered from 1")
    return int(text)


def page_count(total: int) -> int:
    """Pages of a complete listing; at least one, so page 1 always exists."""
    return max(1, math.ceil(total / PAGE_SIZE))


def listing_index(kind: str, total: int) -> dict[str, Any]:
    """The index of the complete listing of runs or batches."""
    pages = page_count(total)
    files = [f"{kind}/{n}.json" for n in range(1, pages + 1)]
    return {"total": total, "pageSize": PAGE_SIZE, "pages": pages, "files": files}


def listing_page(page: int, total: int, items: list[Any]) -> dict[str, Any]:
    """One page of a complete listing."""
    pages = page_count(total)
    return {"page": page, "pages": pages, "total": total, "pageSize": PAGE_SIZE, "items": items}


def _all(conn: sqlite3.Connection, kind: str, page: str | None) -> dict[str, Any]:
    total = queries.count_runs(conn) if kind == "runs" else queries.count_batches(conn)
    if page is None:
        return listing_index(kind, total)
    number = _page(page)
    if number > page_count(total):
        raise NotFoundError(f"no page {number} of all {kind}: there are {page_count(total)}")
    start = (number - 1) * PAGE_SIZE
    if kind == "runs":
        items = queries.list_runs(conn, limit=PAGE_SIZE, offset=start)
    else:
        items = queries.list_batches(conn, limit=None)[start : start + PAGE_SIZE]
    return listing_page(number, total, items)


Handler = Callable[[sqlite3.Connection, list[str], Params, datetime | None], Any]


def _runs(conn: sqlite3.Connection, rest: list[str], p: Params, now: datetime | None) -> Any:
    if not rest:
        _allow(p, ("limit", "suite", "scenario", "agent", "status"))
        return queries.list_runs(
            conn,
            limit=_limit(p, RUNS_LIMIT),
            suite=_text(p, "suite"),
            scenario=_text(p, "scenario"),
            agent=_text(p, "agent"),
            status=_choice(p, "status", RUN_STATUSES),
        )
    _allow(p, ())
    if len(rest) == 1:
        return queries.get_run(conn, rest[0])
    if rest[1:] == ["evaluations"]:
        return queries.run_evaluations(conn, rest[0])
    if rest[1:] == ["telemetry"]:
        return queries.run_telemetry(conn, rest[0])
    return NO_ROUTE


def _batches(conn: sqlite3.Connection, rest: list[str], p: Params, now: datetime | None) -> Any:
    if not rest:
        _allow(p, ("limit", "status", "sortBy"))
        return queries.list_batches(
            conn,
            limit=_limit(p, BATCHES_LIMIT),
            status=_choice(p, "status", BATCH_STATUSES),
            sort_by=_choice(p, "sortBy", BATCH_SORTS) or "date",
        )
    if rest == ["compare"]:
        _allow(p, ("ids",))
        return queries.compare_batches(conn, _ids(p))
    _allow(p, ())
    if len(rest) == 1:
        return queries.get_batch(conn, rest[0])
    if rest[1:] == ["analytics"]:
        return queries.batch_analytics(conn, rest[0])
    return NO_ROUTE


def _stats(conn: sqlite3.Connection, rest: list[str], p: Params, now: datetime | None) -> Any:
    if not rest:
        _allow(p, ("days",))
        return queries.global_stats(conn, days=_days(p), now=now)
    if len(rest) == 3 and rest[0] == "evaluators" and rest[2] == "trends":
        _allow(p, ("days",))
        return queries.evaluator_trends(conn, rest[1], days=_days(p), now=now)
    _allow(p, ())
    if rest == ["agents"]:
        return queries.agent_stats(conn)
    if rest == ["models"]:
        return queries.model_stats(conn)
    if len(rest) == 2 and rest[0] == "suites":
        return queries.suite_stats(conn, rest[1])
    if len(rest) == 3 and rest[0] == "scenarios":
        return queries.scenario_stats(conn, rest[1], rest[2])
    return NO_ROUTE


def _listing(conn: sqlite3.Connection, rest: list[str], p: Params, now: datetime | None) -> Any:
    _allow(p, ())
    if len(rest) in (1, 2) and rest[0] in ("runs", "batches"):
        return _all(conn, rest[0], rest[1] if len(rest) == 2 else None)
    return NO_ROUTE


_ROUTES: dict[str, Handler] = {
    "runs": _runs,
    "batches": _batches,
    "stats": _stats,
    "all": _listing,
}


def split(path: str) -> tuple[list[str], Params]:
    """A GET path as its URL-decoded segments and its raw query parameters."""
    route, _, query = path.partition("?")
    segments = [unquote(s) for s in route.strip().lstrip("/").split("/")]
    return segments, _query(query)


def get(conn: sqlite3.Connection, path: str, now: datetime | None = None) -> Any:
    """The answer of the read API for a GET *path*, query string included.

    *now* is the end of ``days`` windows; None means the current time.
    NotFoundError for an unknown path or entity, ParameterError for a bad parameter.
    """
    segments, params = split(path)
    if segments in (["health"], ["api", "health"]):
        _allow(params, ())
        return queries.health()
    answer = NO_ROUTE
    if len(segments) >= 2 and segments[0] == "api" and segments[1] in _ROUTES:
        answer = _ROUTES[segments[1]](conn, segments[2:], params, now)
    if answer is NO_ROUTE:
        raise NotFoundError(f"no API path {path!r} (the paths are listed in docs/api.md)")
    return answer
