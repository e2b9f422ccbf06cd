"""Check and normalise run and batch payloads before anything is written.

A payload is the camelCase body of the original API's ``POST /api/results`` (a run)
or ``POST /api/results/batch`` (a batch). ``normalise_run`` and
``normalise_batch`` either return the one canonical form that ingest writes and
compares, or raise ValidationError naming the record and the field.

Choices, also documented in docs/recording.md:

- Unknown fields are refused (with a suggestion), so a typo such as
  ``totalscore`` fails loudly instead of silently dropping data.
- ``details``, ``testResults`` and ``metadata`` given as JSON objects or lists are
  stored as compact JSON text (what the upstream harness writes); ``metadata``
  must be an object.
- Any text value, and ``metadata`` once serialised, is limited to 5 MB.
- Numbers must be finite, not booleans, not negative, and integers must fit
  SQLite's 64-bit range. Scales are never clamped.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from generator import times
from generator.errors import ValidationError

STATUSES = ("completed", "failed", "running", "incomplete")
TEXT_LIMIT = 5 * 1024 * 1024
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class FieldError(Exception):
    """One bad field; turned into a ValidationError that also names the record."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"field '{field}': {reason}")


def describe(value: object) -> str:
    """A short, JSON-like rendering of a bad value for error messages."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return json.dumps(value[:40] + ("…" if len(value) > 40 else ""), ensure_ascii=False)
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= 40 else text[:20] + "…"
    return type(value).__name__


def _text(value: object, field: str, *, required: bool = False) -> str | None:
    # Fast path for the common case (short ASCII text): ingest speed lives here.
    fast = type(value) is str and value.isascii() and len(value) <= TEXT_LIMIT
    if fast and (not required or (value and not value.isspace())):
        return value  # type: ignore[return-value]
    if value is None:
        if required:
            raise FieldError(field, "is required")
        return None
    if not isinstance(value, str):
        raise FieldError(field, f"expected a string, got {describe(value)}")
    if required and not value.strip():
        raise FieldError(field, "must not be empty")
    _check_size(value, field)
    return value


def _check_size(text: str, field: str) -> int:
    # ASCII (the common case) is measured without encoding a copy.
    size = len(text) if text.isascii() else _utf8_size(text, field)
    if size > TEXT_LIMIT:
        raise FieldError(field, f"is {size / 1048576:.1f} MB; the limit is 5 MB")
    return size


def _utf8_size(text: str, field: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise FieldError(field, "contains an unpaired surrogate; not valid Unicode text") from None


def _number(value: object, field: str, *, required: bool = False) -> float | None:
    if type(value) is float and 0 <= value < math.inf:  # fast path; NaN fails the test
        return value
    if value is None:
        if required:
            raise FieldError(field, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldError(field, f"expected a number, got {describe(value)}")
    if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
        raise FieldError(field, f"number out of range: {describe(value)}")
    if not math.isfinite(value):
        raise FieldError(field, f"expected a finite number, got {describe(value)}")
    if value < 0:
        raise FieldError(field, f"must not be negative, got {describe(value)}")
    return float(value)


def _count(value: object, field: str) -> int | None:
    if value is None:
        return None
    number = _number(value, field)
    if number is None or number != int(number):
        raise FieldError(field, f"expected a whole number, got {describe(value)}")
    if number > _INT64_MAX:
        raise FieldError(field, f"number out of range: {describe(value)}")
    return int(value)  # type: ignore[arg-type]


def _flag(value: object, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise FieldError(field, f"expected true or false, got {describe(value)}")


# The stored form itself (years 1000-9999): checked by the C parser, kept as it is.
_CANONICAL = re.compile(r"[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@functools.lru_cache(maxsize=4096)
def _iso_text(value: str) -> str:
    # Evaluations usually repeat their run's completedAt: parse each text once.
    if _CANONICAL.fullmatch(value):
        try:
            datetime.fromisoformat(value[:-1])
            return value
        except ValueError:
            pass  # a day or hour that does not exist: let parse() say so in its words
    return times.iso(times.parse(value))


def _to_iso(value: object) -> str:
    return _iso_text(value) if isinstance(value, str) else times.iso(times.parse(value))


def _when(value: object, field: str, convert: Callable[[object], Any], *, required=False) -> Any:
    if value is None:
        if required:
            raise FieldError(field, "is required")
        return None
    try:
        return convert(value)
    except (ValueError, OverflowError, OSError) as exc:
        raise FieldError(field, str(exc)) from None


def _json_text(value: object, field: str, *, objects_only: bool = False) -> str | None:
    """Text stays text; an object (or list) becomes compact JSON text."""
    if value is None:
        return None
    if isinstance(value, str) and not objects_only:
        return _text(value, field)
    if not isinstance(value, dict) and (objects_only or not isinstance(value, list)):
        wanted = "an object" if objects_only else "a string or JSON object"
        raise FieldError(field, f"expected {wanted}, got {describe(value)}")
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise FieldError(field, "contains NaN or Infinity") from None
    except (TypeError, RecursionError) as exc:
        raise FieldError(field, f"is not JSON data ({exc})") from None
    _check_size(text, field)
    return text


def _fields(payload: object, field: str, known: tuple[str, ...]) -> dict:
    if not isinstance(payload, dict):
        where = f"field '{field}': " if field else ""
        raise ValidationError(f"{where}expected an object, got {describe(payload)}")
    for key in payload:
        if key not in known:
            path = f"{field}.{key}" if field else key
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise FieldError(path, f"unknown field{hint}")
    return payload


RUN_FIELDS = (
    "runId", "batchId", "suite", "scenario", "tier", "agent", "model", "status",
    "startedAt", "completedAt", "totalScore", "weightedScore", "isSuccessful",
    "successMetric", "specialistEnabled", "specialistName", "specialistVersion",
    "packageManager", "testResults", "metadata", "evaluations", "telemetry",
)  # fmt: skip
EVALUATION_FIELDS = ("evaluatorName", "score", "maxScore", "details", "createdAt")
TELEMETRY_FIELDS = (
    "toolCalls", "tokensIn", "tokensOut", "costUsd", "durationMs", "workspaceDir", "promptSent",
)  # fmt: skip
BATCH_FIELDS = (
    "batchId", "createdAt", "completedAt", "totalRuns", "successfulRuns",
    "avgScore", "avgWeightedScore", "metadata",
)  # fmt: skip


def normalise_run(payload: object, where: str) -> dict:
    """The canonical form of one run payload; ValidationError names *where* and the field."""
    return _located(where, lambda: _run(_fields(payload, "", RUN_FIELDS)))


def _located(where: str, normalise: Callable[[], dict]) -> dict:
    """Run *normalise*, prefixing any problem with the record's location."""
    try:
        return normalise()
    except (FieldError, ValidationError) as exc:
        raise ValidationError(f"{where}: {exc}") from None


def _run(p: dict) -> dict:
    get = p.get
    status = _text(get("status"), "status", required=True)
    if status not in STATUSES:
        raise FieldError("status", f"expected one of {', '.join(STATUSES)}, got {describe(status)}")
    started = _when(get("startedAt"), "startedAt", _to_iso, required=True)
    completed = _when(get("completedAt"), "completedAt", _to_iso)
    return {
        "runId": _text(get("runId"), "runId", required=True),
        "batchId": _text(get("batchId"), "batchId"),
        "suite": _text(get("suite"), "suite", required=True),
        "scenario": _text(get("scenario"), "scenario", required=True),
        "tier": _text(get("tier"), "tier", required=True),
        "agent": _text(get("agent"), "agent", required=True),
        "model": _text(get("model"), "model"),
        "status": status,
        "startedAt": started,
        "completedAt": completed,
        "totalScore": _number(get("totalScore"), "totalScore"),
        "weightedScore": _number(get("weightedScore"), "weightedScore"),
        "isSuccessful": _flag(get("isSuccessful"), "isSuccessful"),
        "successMetric": _number(get("successMetric"), "successMetric"),
        "specialistEnabled": _flag(get("specialistEnabled"), "specialistEnabled"),
        "specialistName": _text(get("specialistName"), "specialistName"),
        "specialistVersion": _text(get("specialistVersion"), "specialistVersion"),
        "packageManager": _text(get("packageManager"), "packageManager"),
        "testResults": _json_text(get("testResults"), "testResults"),
        "metadata": _json_text(get("metadata"), "metadata", objects_only=True),
        "evaluations": _evaluations(get("evaluations"), completed or started),
        "telemetry": _telemetry(get("telemetry")),
    }


def _evaluations(value: object, default_time: str) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldError("evaluations", f"expected a list, got {describe(value)}")
    return [_evaluation(item, f"evaluations[{i}]", default_time) for i, item in enumerate(value)]


def _evaluation(item: object, field: str, default_time: str) -> dict:
    e = _fields(item, field, EVALUATION_FIELDS)
    created = _when(e.get("createdAt"), f"{field}.createdAt", _to_iso)
    return {
        "evaluatorName": _text(e.get("evaluatorName"), f"{field}.evaluatorName", required=True),
        "score": _number(e.get("score"), f"{field}.score", required=True),
        "maxScore": _number(e.get("maxScore"), f"{field}.maxScore", required=True),
        "details": _json_text(e.get("details"), f"{field}.details"),
        # Upstream stamps evaluations when the run ends; a fixed default keeps
        # recording the same payload twice a no-op.
        "createdAt": created or default_time,
    }


def _telemetry(value: object) -> dict | None:
    if value is None:
        return None
    t = _fields(value, "telemetry", TELEMETRY_FIELDS)
    return {
        "toolCalls": _count(t.get("toolCalls"), "telemetry.toolCalls"),
        "tokensIn": _count(t.get("tokensIn"), "telemetry.tokensIn"),
        "tokensOut": _count(t.get("tokensOut"), "telemetry.tokensOut"),
        "costUsd": _number(t.get("costUsd"), "telemetry.costUsd"),
        "durationMs": _count(t.get("durationMs"), "telemetry.durationMs"),
        "workspaceDir": _text(t.get("workspaceDir"), "telemetry.workspaceDir"),
        "promptSent": _text(t.get("promptSent"), "telemetry.promptSent"),
    }


def normalise_batch(payload: object, where: str) -> dict:
    """The canonical form of one batch payload: only the fields it carries, batchId first."""
    return _located(where, lambda: _batch(_fields(payload, "", BATCH_FIELDS)))


def _batch(p: dict) -> dict:
    converters: dict[str, Callable[[object, str], Any]] = {
        "completedAt": lambda v, f: _when(v, f, times.to_epoch_ms),
        "totalRuns": _count,
        "successfulRuns": _count,
        "avgScore": _number,
        "avgWeightedScore": _number,
        "metadata": lambda v, f: _json_text(v, f, objects_only=True),
    }
    batch = {
        "batchId": _text(p.get("batchId"), "batchId", required=True),
        "createdAt": _when(p.get("createdAt"), "createdAt", times.to_epoch_ms, required=True),
    }
    for key, convert in converters.items():
        if key in p:
            batch[key] = convert(p[key], key)
    return batch
