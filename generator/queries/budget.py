"""The text budget: each long text of the results cut to a size before it is published.

A real run carries a lockfile patch of hundreds of KB, and a page and three
static API files per run each carried all of it. ``cut`` takes an answer of the
read API (plain data, as the query functions return it) and gives it back with
every free text value of the results longer than the budget cut at that many
bytes of UTF-8, followed by a marker that gives the value's full size and where
the whole value is::

    … cut: 182,311 bytes in all; the whole value is in benchmarks.db
    (benchmark_runs.metadata of run 3f8d…)

The free text values are a run's ``metadata`` (every string inside it),
``testResults``, an evaluation's ``details``, telemetry's ``promptSent`` and
``workspaceDir``, a failure's ``error`` and a batch's ``metadata``. Ids and
names (suites, agents, models, evaluators) are never cut: pages and files are
found by them. The cut is on the string, before JSON encoding, so the JSON
stays valid, and never inside a character.

A patch of a lockfile or another generated file (``GENERATED``) gets a sixteenth
of the budget: nobody reads 200 KB of ``pnpm-lock.yaml``, and the run page
shows its summary (lines added and removed, size) from the whole value.

The build applies ``cut`` once to each run's and each batch's data before both
the pages and the static API files are made, and ``zebench api PATH
--max-text-bytes N`` applies it to its answer: the static API is what
``zebench api`` answers at the build's budget.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_TEXT_BYTES = 16 * 1024
GENERATED_SHARE = 16  # a generated file's patch gets this fraction (1/16) of the budget
MARKER = "\n… cut: "  # starts every marker; the run page styles the line it begins

# Files no one reads line by line: lockfiles, build output, minified code.
GENERATED_NAMES = frozenset(
    {
        "pnpm-lock.yaml", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
        "bun.lock", "bun.lockb", "Cargo.lock", "poetry.lock", "Pipfile.lock", "uv.lock",
        "pdm.lock", "composer.lock", "Gemfile.lock", "go.sum", "flake.lock",
        "packages.lock.json", "pubspec.lock", "mix.lock", "Podfile.lock",
    }
)  # fmt: skip
GENERATED = re.compile(r"\.(?:tsbuildinfo|min\.js|min\.css|js\.map|css\.map)$|(?:^|/)dist/")

# Free text of the results: (key, what the record holds) -> column the whole value is in.
_RUN_TEXT = {
    "metadata": "benchmark_runs.metadata",
    "testResults": "benchmark_runs.test_results",
    "promptSent": "run_telemetry.prompt_sent",
    "workspaceDir": "run_telemetry.workspace_dir",
    "error": "benchmark_runs.metadata",  # a failure of a batch's analytics
}


@dataclass(frozen=True)
class Budget:
    """How many bytes of UTF-8 a text may keep (0: no limit), and the results file's
    name, which the marker names."""

    max_bytes: int = 0
    db_name: str = "benchmarks.db"

    def __post_init__(self) -> None:
        if self.max_bytes < 0:
            raise ValueError(
                f"a text budget is 0 (none) or a number of bytes, not {self.max_bytes}"
            )


NO_LIMIT = Budget()


def cut(value: Any, budget: Budget) -> Any:
    """*value* (an answer of the read API) with every free text of the results cut to
    the budget; the parts with nothing to cut are the same objects, not copies."""
    if not budget.max_bytes:
        return value
    return _walk(value, budget)


def _walk(value: Any, budget: Budget) -> Any:
    if isinstance(value, dict):
        return _record(value, budget)
    if isinstance(value, list):
        return _items(value, lambda item: _walk(item, budget))
    return value


def _items(items: list[Any], cut_one: Callable[[Any], Any]) -> list[Any]:
    """*items* with *cut_one* applied to each dict, list and string among them: the
    same list when none changed. Numbers and None are passed over."""
    out: list[Any] | None = None
    for i, item in enumerate(items):
        if isinstance(item, (dict, list, str)):
            new = cut_one(item)
            if new is not item:
                if out is None:
                    out = list(items)
                out[i] = new
    return items if out is None else out


def _record(record: dict[str, Any], budget: Budget) -> dict[str, Any]:
    columns = _text_columns(record)
    out: dict[str, Any] | None = None
    for key, value in record.items():
        column = columns.get(key)
        if column is not None:
            new = _texts(value, budget, (column, record))
        elif isinstance(value, (dict, list)):
            new = _walk(value, budget)
        else:
            continue
        if new is not value:
            if out is None:
                out = dict(record)
            out[key] = new
    return record if out is None else out


_EVALUATION_TEXT = {"details": "evaluation_results.details"}
_BATCH_TEXT = {"metadata": "batch_runs.metadata"}


def _text_columns(record: dict[str, Any]) -> dict[str, str]:
    """{key: the column holding its value} of *record*'s free text values."""
    if "evaluatorName" in record:
        return _EVALUATION_TEXT
    if "runId" in record:
        return _RUN_TEXT
    if "batchId" in record:
        return _BATCH_TEXT
    return {}


def _owner(record: dict[str, Any]) -> str:
    if "evaluatorName" in record:
        return f"run {record.get('runId')}, evaluator {record['evaluatorName']}"
    if "runId" in record:
        return f"run {record['runId']}"
    return f"batch {record.get('batchId')}"


Place = tuple[str, dict[str, Any]]  # (column, record) a text is from, named only when cut


def _texts(value: Any, budget: Budget, place: Place) -> Any:
    """*value* (text, or JSON data holding text) with each string cut."""
    if isinstance(value, str):
        return _cut_at(value, budget.max_bytes, budget, place)
    if isinstance(value, list):
        return _items(value, lambda item: _texts(item, budget, place))
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] | None = None
    for key, item in value.items():
        if key == "textPatch" and isinstance(item, str) and is_generated(value.get("file")):
            limit = max(1, budget.max_bytes // GENERATED_SHARE)
            new = _cut_at(item, limit, budget, place)
        elif isinstance(item, (str, dict, list)):
            new = _texts(item, budget, place)
        else:
            continue
        if new is not item:
            if out is None:
                out = dict(value)
            out[key] = new
    return value if out is None else out


def _cut_at(text: str, limit: int, budget: Budget, place: Place) -> str:
    if len(text) * 4 <= limit:  # it fits (see cut_text): no need to name its place
        return text
    column, record = place
    source = f"the whole value is in {budget.db_name} ({column} of {_owner(record)})"
    return cut_text(text, limit, source)


def cut_text(text: str, limit: int, source: str) -> str:
    """*text* when its UTF-8 takes at most *limit* bytes; else its first *limit*
    bytes (never part of a character) and a marker naming its size and *source*."""
    if len(text) * 4 <= limit:  # at most four bytes a character: it fits
        return text
    data = text.encode("utf-8", "surrogatepass")  # a lone surrogate from JSON text counts too
    if len(data) <= limit:
        return text
    end = limit
    while end > 0 and data[end] & 0xC0 == 0x80:  # data[end] continues a character: go back
        end -= 1
    kept = data[:end].decode("utf-8", "surrogatepass")
    return f"{kept}{MARKER}{len(data):,} bytes in all; {source}"


def is_generated(path: Any) -> bool:
    """Whether a changed file's path names a lockfile or another generated file."""
    if not isinstance(path, str):
        return False
    return path.rpartition("/")[2] in GENERATED_NAMES or GENERATED.search(path) is not None


@dataclass(frozen=True)
class PatchSize:
    """What a patch changes: lines added and removed, and its size in bytes."""

    added: int
    removed: int
    bytes: int


def patch_size(text: str) -> PatchSize:
    """Lines added and removed by a unified diff, and its size, counted in C."""
    added = text.count("\n+") + text.startswith("+")
    removed = text.count("\n-") + text.startswith("-")
    # File headers are not changed lines.
    added -= text.count("\n+++ ") + text.startswith("+++ ")
    removed -= text.count("\n--- ") + text.startswith("--- ")
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    return PatchSize(added, removed, size)


def patch_sizes(detail: dict[str, Any]) -> list[PatchSize | None]:
    """``patch_size`` of each ``diffSummary`` entry of a ``get_run`` answer (None
    where an entry has no text patch), taken before the cut."""
    meta = detail["run"]["metadata"]
    entries = meta.get("diffSummary") if isinstance(meta, dict) else None
    if not isinstance(entries, list):
        return []
    return [
        patch_size(e["textPatch"])
        if isinstance(e, dict) and isinstance(e.get("textPatch"), str)
        else None
        for e in entries
    ]
