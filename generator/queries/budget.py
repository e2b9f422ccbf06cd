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
        items = [_walk(item, budget) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def _record(record: dict[str, Any], budget: Budget) -> dict[str, Any]:
    out: dict[str, Any] | None = None
    for key, value in record.items():
        column = _column(record, key)
        if column is not None:
            new = _texts(value, budget, f"{column} of {_owner(record)}")
        elif isinstance(value, (dict, list)):
            new = _walk(value, budget)
        else:
            continue
        if new is not value:
            if out is None:
                out = dict(record)
            out[key] = new
    return record if out is None else out


def _column(record: dict[str, Any], key: str) -> str | None:
    """The column holding *record*'s value at *key* when that value is free text."""
    if key == "details" and "evaluatorName" in record:
        return "evaluation_results.details"
    if "runId" in record and "evaluatorName" not in record:
        return _RUN_TEXT.get(key)
    if key == "metadata" and "batchId" in record:
        return "batch_runs.metadata"
    return None


def _owner(record: dict[str, Any]) -> str:
    if "evaluatorName" in record:
        return f"run {record.get('runId')}, evaluator {record['evaluatorName']}"
    if "runId" in record:
        return f"run {record['runId']}"
    return f"batch {record.get('batchId')}"


def _texts(value: Any, budget: Budget, where: str) -> Any:
    """*value* (text, or JSON data holding text) with each string cut."""
    if isinstance(value, str):
        return cut_text(value, budget.max_bytes, _source(budget, where))
    if isinstance(value, list):
        items = [_texts(item, budget, where) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] | None = None
    for key, item in value.items():
        if key == "textPatch" and isinstance(item, str) and is_generated(value.get("file")):
            limit = max(1, budget.max_bytes // GENERATED_SHARE)
            new = cut_text(item, limit, _source(budget, where))
        else:
            new = _texts(item, budget, where)
        if new is not item:
            if out is None:
                out = dict(value)
            out[key] = new
    return value if out is None else out


def _source(budget: Budget, where: str) -> str:
    return f"the whole value is in {budget.db_name} ({where})"


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
