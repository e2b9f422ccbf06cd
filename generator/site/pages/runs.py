"""The runs table (client-side over paged data files) and one page per run; the
table's data and the runs CSV come from ``run_listing``.

Run pages are built from ``runs.iter_run_details`` (three ordered scans, no query
per run) and drawn without Plotly, so they cost one template render each.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from generator import store
from generator.queries import budget, common, runs
from generator.queries.encoding import script_json
from generator.site import paths
from generator.site.pages import Page

CHUNK_ROWS = 1000
RUNS_CRUMB = (("Runs", "runs/index.html"),)

# One row of the paged data files; runs.js reads these by name from the index file.
FIELDS = (
    "href",
    "runId",
    "batchId",
    "suite",
    "scenario",
    "tier",
    "agent",
    "model",
    "status",
    "isSuccessful",
    "startedAt",
    "weightedScore",
    "totalScore",
    "costUsd",
    "durationMs",
)
# Drop-down filters list every value they have, so they are kept to fields with
# few values; a batch (thousands of them) is typed or comes from a batch page link.
SELECT_FILTERS = ("suite", "scenario", "tier", "agent", "model", "status")
FILTERS = (*SELECT_FILTERS, "batchId")
CSV_FIELDS = (
    "runId",
    "batchId",
    "suite",
    "scenario",
    "tier",
    "agent",
    "model",
    "status",
    "isSuccessful",
    "startedAt",
    "completedAt",
    "totalScore",
    "weightedScore",
    "successMetric",
    "toolCalls",
    "tokensIn",
    "tokensOut",
    "costUsd",
    "durationMs",
)


@dataclass(frozen=True)
class RunView:
    """A run page's context: the API's run, evaluations and telemetry, metadata unpacked."""

    run: dict[str, Any]
    evaluations: list[dict[str, Any]]  # {number (from 1), name, score, maxScore, ...}
    telemetry: dict[str, Any] | None
    error: dict[str, Any] | None  # {error, errorType} of a failed run
    # {file, changeType, open, generated, size (budget.PatchSize of the whole patch, or
    # None), lines: [(css class, text)]}; a generated file's patch starts closed
    diffs: list[dict[str, Any]]
    deps: list[dict[str, Any]]  # depsDelta entries
    tests: str | None  # testResults, pretty-printed when it is JSON
    oracle: list[dict[str, Any]]  # {question, answer}
    other: str | None  # any other metadata, pretty-printed JSON


def run_page(
    detail: dict[str, Any], sizes: Sequence[budget.PatchSize | None] | None = None
) -> Page:
    """The page of one run, from ``runs.get_run`` for it (its texts cut to the budget
    already, and *sizes* those of its whole patches: ``budget.patch_sizes``)."""
    run = detail["run"]
    return Page(
        path=f"runs/{paths.file_name(run['runId'])}.html",
        template="run.html",
        title=f"Run {run['runId']}",
        section="runs",
        crumbs=RUNS_CRUMB,
        ctx=run_view(detail, sizes),
    )


def run_view(
    detail: dict[str, Any], sizes: Sequence[budget.PatchSize | None] | None = None
) -> RunView:
    """Unpack one ``runs.get_run`` result for its page; *sizes* as in ``run_page``
    (None: measured on *detail*'s own patches)."""
    if sizes is None:
        sizes = budget.patch_sizes(detail)
    meta = detail["run"]["metadata"]
    meta = dict(meta) if isinstance(meta, dict) else ({"metadata": meta} if meta else {})
    error = None
    if "error" in meta or "errorType" in meta:
        error = {"error": _text(meta.pop("error", "")), "errorType": meta.pop("errorType", None)}
    diffs = _records(meta, "diffSummary", ("file", "changeType", "textPatch"))
    deps = _records(meta, "depsDelta", ("packagePath", "section", "name", "from", "to"))
    oracle = _records(meta, "oracleQuestions", ("question", "answer"))
    tests = detail["run"]["testResults"]
    if tests is None and "testResults" in meta:
        tests = meta.pop("testResults")
    return RunView(
        run=detail["run"],
        # Positions come with the entries: in the template, loop.index costs more than a row.
        evaluations=[_evaluation(i, e) for i, e in enumerate(detail["evaluations"], start=1)],
        telemetry=detail["telemetry"],
        error=error,
        diffs=_diffs(diffs, sizes),
        deps=deps,
        tests=None if tests is None else _text(common.parse_json(tests)),
        oracle=oracle,
        other=_text(meta) if meta else None,
    )


def _records(meta: dict[str, Any], key: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """meta[key] when it is a list of objects (taken out of meta), else []."""
    value = meta.get(key)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return []
    del meta[key]
    return [{f: _cell(v.get(f)) for f in fields} for v in value]


def _cell(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else _text(value)


def _text(value: Any) -> str:
    """Text as it is; anything else as indented JSON."""
    if isinstance(value, str):
        return value
    if type(value) is int:  # as json writes it, without an encoder: judges give scores so
        return str(value)
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _diffs(
    entries: list[dict[str, Any]], sizes: Sequence[budget.PatchSize | None]
) -> list[dict[str, Any]]:
    """The changed files; the first three that are not generated start open."""
    out, shown = [], 0
    for index, entry in enumerate(entries):
        generated = budget.is_generated(entry["file"])
        size = sizes[index] if index < len(sizes) else None
        out.append(_diff(entry, shown=not generated and shown < 3, generated=generated, size=size))
        shown += not generated
    return out


def _diff(
    entry: dict[str, Any], shown: bool, generated: bool, size: budget.PatchSize | None
) -> dict[str, Any]:
    lines = []
    for line in entry["textPatch"].split("\n"):
        if line.startswith(_CUT):
            cls = "cut"
        elif line.startswith(("+++", "---")):
            cls = "dh"
        elif line.startswith("+"):
            cls = "da"
        elif line.startswith("-"):
            cls = "dd"
        elif line.startswith("@@"):
            cls = "dh"
        else:
            cls = "dc"
        lines.append((cls, line))
    return {
        "file": entry["file"],
        "changeType": entry["changeType"],
        "open": shown,
        "generated": generated,
        "size": size,
        "lines": lines,
    }


_CUT = budget.MARKER.lstrip("\n")  # the line a cut text's marker takes in a patch


def _evaluation(number: int, e: dict[str, Any]) -> dict[str, Any]:
    score, top = e["score"], e["maxScore"]
    fraction = score / top if isinstance(score, (int, float)) and top else None
    details = e["details"]
    return {
        "number": number,
        "name": e["evaluatorName"],
        "score": score,
        "maxScore": top,
        "fraction": fraction,
        "judge": _judge(details),
        "text": details if isinstance(details, str) else None,
    }


def _judge(details: Any) -> dict[str, Any] | None:
    """The LLM judge's ``{scores: [{category, score, reasoning}], overall_assessment}``."""
    # Only text starting with "{" can hold an object: skip parsing plain messages.
    text = details.lstrip() if isinstance(details, str) else ""
    parsed = common.parse_json(details) if text.startswith("{") else None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("scores"), list):
        return None
    categories = [
        {k: _cell(s.get(k)) for k in ("category", "score", "reasoning")}
        for s in parsed["scores"]
        if isinstance(s, dict)
    ]
    overall = parsed.get("overall_assessment")
    return {"categories": categories, "overall": None if overall is None else _cell(overall)}


def index_page(conn: sqlite3.Connection) -> Page:
    """The runs table; its rows come from the paged data files."""
    config = {"dataset": "runs", "pageSize": 50, "filters": list(FILTERS)}
    return Page(
        path="runs/index.html",
        template="runs.html",
        title="Runs",
        section="runs",
        ctx={"total": runs.count_runs(conn), "config": config},
        scripts=("format.js", "table.js"),
    )


TELEMETRY_FIELDS = ("toolCalls", "tokensIn", "tokensOut", "costUsd", "durationMs")


def table_rows(
    conn: sqlite3.Connection, run_ids: Sequence[str] | None = None
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Every run (or those of *run_ids*), newest first: the API's run object (as
    ``runs.iter_runs`` gives it) and the same with its telemetry figures added."""
    # Same order as runs.list_runs; metadata (possibly large) is not read.
    columns = ", ".join(f"r.{c.strip()}" for c in common.RUN_SUMMARY_COLUMNS.split(","))
    where = "" if run_ids is None else f"WHERE r.run_id IN ({store.marks(run_ids)}) "
    sql = (
        f"SELECT {columns}, t.tool_calls, t.tokens_in, t.tokens_out, t.cost_usd, t.duration_ms "
        f"FROM {common.FIGURE_FROM} {where}"
        f"ORDER BY {common.ts_sql('r.started_at')} DESC, r.run_id"
    )
    width = len(common.RUN_KEYS) - 1
    for row in conn.execute(sql, run_ids or ()):
        run = common.run_dict(row[:width])
        yield run, {**run, **dict(zip(TELEMETRY_FIELDS, row[width:], strict=True))}


# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_row(run: dict[str, Any], fields: tuple[str, ...]) -> list[Any]:
    """One CSV line of *run* (see ``csv_values``)."""
    return csv_values([run[key] for key in fields])


def csv_values(values: Iterable[Any]) -> list[Any]:
    """CSV cells: None as empty, text that a spreadsheet would take for a formula
    prefixed with ``'`` so it opens as the text it is."""
    return [
        ("'" + v if v.startswith(_FORMULA_START) else v)
        if type(v) is str
        else ("" if v is None else v)
        for v in values
    ]


def data_script(name: str, value: Any) -> bytes:
    """A data file the pages load with a ``<script>`` tag, which works from file:// too."""
    return f"ZB.data({json.dumps(name)},{script_json(value)});\n".encode()
