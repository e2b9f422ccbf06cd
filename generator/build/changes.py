"""Incremental builds: what each run's and batch's files were made from, and reuse.

A run's files (its page and its static API answers) depend only on its run
row, its evaluations and its telemetry. zebench never changes those rows in
place — ``record --replace``, ``merge`` and the recorder delete and insert — so
their AUTOINCREMENT ids, never reused, act as version stamps. The run row's
columns also count, the large ones by their size, so another writer changing a
run in place (as the upstream logger does to complete it) is noticed too.
A batch's files depend on its batch row and its runs. Every fingerprint also
covers the site-wide context and the code and templates that render it. Values
count exactly and with their type: 1 and 1.0, NULL, 0 and '', or two scores one
ulp apart give different fingerprints.

The manifest (``.zebench/manifest.tsv`` inside the site) maps each run and batch
to its fingerprint. It is a function of the database and the code only, so a
full and an incremental build of the same file write the same bytes.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import platform
import re
import shutil
import sqlite3
from collections.abc import Container, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import generator
from generator import store
from generator.queries import comparison
from generator.site import paths, render
from generator.site.pages import Site

MANIFEST = ".zebench/manifest.tsv"
# In the previous site while a build reuses its folders: what the build replaced or
# removed there, put back should the build fail (``reused``); gone with that site.
SET_ASIDE = ".zebench/set-aside"

# A run's evaluations and telemetry rows are never updated in place, and their
# AUTOINCREMENT ids are never reused: any insert raises the largest id and a
# delete alone lowers the count, so (count, largest id) stands for the rows
# themselves. Both come from the run_id index without reading a row, and in
# run_id order those indexes are read front to back.
_CHILDREN = ", ".join(
    f"(SELECT COUNT(*) FROM {table} WHERE run_id = r.run_id), "
    f"(SELECT MAX(id) FROM {table} WHERE run_id = r.run_id)"
    for table in ("evaluation_results", "run_telemetry")
)
_RUN_SQL = (
    "SELECT run_id, id, batchId, status, completed_at, total_score, weighted_score, "
    "is_successful, success_metric, suite, scenario, tier, agent, model, started_at, "
    "specialist_enabled, specialist_name, specialist_version, package_manager, "
    # Sizes in bytes: length() of TEXT counts characters, reading every byte of the
    # value (0.8 s of a 1 GB file of real-sized runs); of a BLOB it does not.
    "length(CAST(test_results AS BLOB)), length(CAST(metadata AS BLOB)), "
    f"{_CHILDREN} "
    "FROM benchmark_runs AS r {where}ORDER BY run_id"
)
# In any order: the fingerprints of a batch's runs are sorted.
_MEMBER_SQL = "SELECT run_id, batchId FROM benchmark_runs WHERE batchId IS NOT NULL"
_BATCH_SQL = (
    "SELECT batchId, createdAt, completedAt, totalRuns, successfulRuns, avgScore, "
    "avgWeightedScore, metadata FROM batch_runs ORDER BY batchId"
)


def fingerprint(*values: object) -> str:
    """A digest of *values* (str, int, float, bytes, None, and tuples or lists of
    them) that differs for any two that differ: 1 and 1.0, None, 0 and '', two
    floats one ulp apart."""
    # marshal writes each value tagged with its type and exactly (a float as its
    # eight bytes), in C; version 2 shares no objects, so the bytes depend on the
    # values alone.
    return hashlib.blake2b(marshal.dumps(values, 2), digest_size=10).hexdigest()


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


def _rows(conn: sqlite3.Connection, sql: str, params: Iterable[object] = ()) -> sqlite3.Cursor:
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples, which marshal writes
    return cursor.execute(sql, tuple(params))


# What else shapes the bytes of a kept file: Python (json, csv), SQLite (the
# header of a kept SQLite file) and the libraries that render pages.
_LIBRARIES = ("jinja2", "markupsafe", "markdown", "plotly")


def code_digest() -> str:
    """A digest of the package's code and templates and of the versions of what
    renders them: new code, or a new Jinja or SQLite, and every page is rebuilt."""
    digest = hashlib.blake2b(digest_size=10)
    versions = [platform.python_version(), sqlite3.sqlite_version]
    versions += [f"{name} {metadata.version(name)}" for name in _LIBRARIES]
    digest.update(repr(versions).encode())
    roots = [Path(generator.__file__).resolve().parent, render.templates_dir()]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".html", ".js", ".css"):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def run_fingerprints(
    conn: sqlite3.Connection, context: str, run_ids: list[str] | None = None
) -> dict[str, str]:
    """{runId: fingerprint} of every run (or of *run_ids*) under a site-wide *context*."""
    where, params = "", []
    if run_ids is not None:
        where, params = f"WHERE run_id IN ({store.marks(run_ids)}) ", run_ids
    rows = _rows(conn, _RUN_SQL.format(where=where), params)
    return {row[0]: fingerprint(context, row) for row in rows}


def batch_fingerprints(
    conn: sqlite3.Connection,
    context: str,
    runs: dict[str, str],
    previous: dict[str, str] | None = None,
) -> dict[str, str]:
    """{batchId: fingerprint}: the batch row and the fingerprints of its runs
    (*previous*: ``comparison.previous_batches``, when the caller has it)."""
    members: dict[str, list[str]] = {}
    for run_id, batch_id in _rows(conn, _MEMBER_SQL):
        run = runs.get(run_id)
        if run is not None:
            members.setdefault(batch_id, []).append(run)
    # A batch page shows its comparison with the previous comparable batch: it
    # changes with that batch's runs too.
    if previous is None:
        previous = comparison.previous_batches(conn)
    return {
        row[0]: fingerprint(
            context,
            row,
            sorted(members.get(row[0], ())),
            sorted(members.get(previous.get(row[0], ""), ())),
        )
        for row in _rows(conn, _BATCH_SQL)
    }


def read_manifest(site: Path) -> dict[str, str]:
    """The previous build's ``kind/id -> fingerprint``; empty when there is none."""
    try:
        text = (site / MANIFEST).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    entries = {}
    for line in text.split("\n"):  # not splitlines: an id may hold U+2028 and the like
        key, _, value = line.rpartition("\t")
        if key:
            entries[key] = value
    return entries


def manifest_text(runs: dict[str, str], batches: dict[str, str]) -> bytes:
    """The manifest for these fingerprints: sorted, one ``kind/id<TAB>fingerprint`` a line."""
    lines = [f"{manifest_key('run', k)}\t{v}" for k, v in runs.items()]
    lines += [f"{manifest_key('batch', k)}\t{v}" for k, v in batches.items()]
    return ("\n".join(sorted(lines)) + "\n").encode("utf-8")


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r"[\\\n\t\r]")


def manifest_key(kind: str, key: str) -> str:
    """A run's or batch's key in the manifest (and ``sizes``' record): ``kind/id``,
    the id on one line."""
    return f"{kind}/{_clean(key)}"


def _clean(key: str) -> str:
    # Ids come from results: keep a line one line whatever they hold.
    if _NEEDS_ESCAPE.search(key) is None:  # nearly always: no copy
        return key
    return _NEEDS_ESCAPE.sub(lambda match: _ESCAPES[match.group()], key)


def changed(kind: str, current: dict[str, str], previous: dict[str, str]) -> set[str]:
    """The ids of *kind* whose fingerprint is new or differs from the previous build's."""
    return {key for key, value in current.items() if previous.get(manifest_key(kind, key)) != value}


class Undo:
    """The changes made to the previous site's folders, in order, to take back should
    the build fail; what they replace or remove is set aside in *aside*."""

    def __init__(self, aside: Path) -> None:
        self.aside = aside
        self._steps: list[tuple[Path, Path | None]] = []  # (where it is, where it was)

    def move(self, source: Path, target: Path) -> None:
        """Move *source* to *target*, which is free."""
        os.replace(source, target)
        self._steps.append((target, source))

    def add(self, source: Path, target: Path) -> None:
        """Move *source* (a file or folder of the new site) to *target*, setting aside
        what is there: a file stays in place until the rename replaces it."""
        if target.is_file() and not target.is_symlink():
            spot = self._spot()
            os.link(target, spot)  # readers of the previous site never miss the file
            self._steps.append((spot, target))
        elif target.exists() or target.is_symlink():
            self.remove(target)
        os.replace(source, target)
        self._steps.append((target, None))

    def remove(self, path: Path) -> None:
        """Set *path* (a file or folder) aside."""
        self.move(path, self._spot())

    def _spot(self) -> Path:
        self.aside.mkdir(parents=True, exist_ok=True)
        return self.aside / str(len(self._steps))

    def undo(self) -> None:
        """Take back every change, newest first."""
        for now, was in reversed(self._steps):
            if was is not None:
                os.replace(now, was)
            elif now.is_dir() and not now.is_symlink():
                shutil.rmtree(now)
            else:
                now.unlink()
        self._steps.clear()


def merge_tree(source: Path, target: Path, undo: Undo) -> None:
    """Move every file under *source* into *target*, replacing what is there."""
    for entry in os.scandir(source):
        destination = target / entry.name
        if entry.is_dir(follow_symlinks=False) and destination.is_dir():
            merge_tree(Path(entry.path), destination, undo)
        else:
            undo.add(Path(entry.path), destination)


def prune(folder: Path, undo: Undo, *keep: Container[str]) -> None:
    """Set aside the entries of *folder* (files or folders) whose names are in none of
    *keep*."""
    for entry in os.scandir(folder):
        if not any(entry.name in names for names in keep):
            undo.remove(Path(entry.path))


# Planning and reuse -----------------------------------------------------------

# Where each run's and batch's files go, as (folder, name) with "{}" for the id's
# file name; the folders hold little else (a few pages about all runs or batches).
RUN_FILES = (
    ("runs", "{}.html"),
    ("api/runs", "{}.json"),
    ("api/runs", "{}/evaluations.json"),
    ("api/runs", "{}/telemetry.json"),
)
BATCH_FILES = (
    ("batches", "{}.html"),
    ("batches", "{}.csv"),
    ("data/batches", "{}.js"),
    ("api/batches", "{}.json"),
    ("api/batches", "{}/analytics.json"),
)
_RUN_DIRS = tuple(dict.fromkeys(folder for folder, _ in RUN_FILES))
_BATCH_DIRS = tuple(dict.fromkeys(folder for folder, _ in BATCH_FILES))
RUN_AND_BATCH_DIRS = _RUN_DIRS + _BATCH_DIRS


def run_paths(run_id: str) -> tuple[str, ...]:
    """The site paths of one run's files: its page and its static API answers."""
    seg = paths.file_name(run_id)
    return tuple(f"{folder}/{name.format(seg)}" for folder, name in RUN_FILES)


def batch_paths(batch_id: str) -> tuple[str, ...]:
    """The site paths of one batch's files: page, CSV, comparison data, API answers."""
    seg = paths.file_name(batch_id)
    return tuple(f"{folder}/{name.format(seg)}" for folder, name in BATCH_FILES)


@dataclass
class Plan:
    """What one build renders and what it keeps from the previous one."""

    site: Site  # the context of run and batch pages: no site-wide figures
    runs: dict[str, str]  # runId -> fingerprint, every run
    batches: dict[str, str]
    runs_todo: dict[str, str]  # the runs to render
    batches_todo: set[str]
    reuse: bool  # whether the previous site's files are kept
    gone: bool  # whether runs or batches of the previous site are gone
    previous_batches: dict[str, str]  # comparison.previous_batches: what batch pages compare

    def manifest(self) -> bytes:
        """The manifest of this build."""
        return manifest_text(self.runs, self.batches)

    def kept(self) -> int:
        """How many runs and batches keep the previous build's files."""
        return len(self.runs) - len(self.runs_todo) + len(self.batches) - len(self.batches_todo)


def plan(
    conn: sqlite3.Connection,
    site: Site,
    out: Path,
    previous: dict[str, str],
) -> Plan:
    """Fingerprint every run and batch and compare with the manifest of the site at
    *out*."""
    context = _digest(code_digest(), site)
    runs = run_fingerprints(conn, context)
    previous_batches = comparison.previous_batches(conn)
    batches = batch_fingerprints(conn, context, runs, previous_batches)
    reuse = bool(previous) and _intact(out, previous)
    changed_runs = changed("run", runs, previous) if reuse else set(runs)
    if len(changed_runs) * 2 > len(runs):  # new code, most runs replaced: a fresh tree is faster
        reuse, changed_runs = False, set(runs)
    runs_todo = {key: runs[key] for key in sorted(changed_runs)}
    batches_todo = changed("batch", batches, previous) if reuse else set(batches)
    gone = reuse and not previous.keys() <= _keys(runs, batches)
    return Plan(site, runs, batches, runs_todo, batches_todo, reuse, gone, previous_batches)


def _keys(runs: dict[str, str], batches: dict[str, str]) -> set[str]:
    """The manifest keys of these runs and batches."""
    return {manifest_key("run", k) for k in runs} | {manifest_key("batch", k) for k in batches}


def _intact(out: Path, previous: dict[str, str]) -> bool:
    # Reuse only from a tree that has the folders its manifest implies.
    kinds = {key.split("/", 1)[0] for key in previous}
    needed = (_RUN_DIRS if "run" in kinds else ()) + (_BATCH_DIRS if "batch" in kinds else ())
    return all((out / folder).is_dir() for folder in needed)


@contextmanager
def reused(out: Path, staging: Path, plan: Plan) -> Iterator[None]:
    """Move the previous site's run and batch folders into *staging*, updated, when
    *plan* reuses them; should a move or a step inside the block fail, every change
    is taken back, so the previous site is as it was.

    Files rendered this time replace the old ones, files of runs and batches
    that no longer exist go, and each folder moves whole: a handful of renames
    instead of one per kept file. What is replaced or removed waits in the
    previous site's ``SET_ASIDE`` until the swap deletes that site.
    """
    undo = Undo(out / SET_ASIDE)
    try:
        if plan.reuse:
            _move_over(out, staging, plan, undo)
        yield
    except BaseException:
        undo.undo()
        shutil.rmtree(undo.aside, ignore_errors=True)
        raise


def _move_over(out: Path, staging: Path, plan: Plan, undo: Undo) -> None:
    """``reused``'s changes, each made through *undo*."""
    names = wanted_names(plan) if plan.gone else {}
    for folder in RUN_AND_BATCH_DIRS:
        old, new = out / folder, staging / folder
        if not old.is_dir():
            continue
        staged = set(os.listdir(new)) if new.is_dir() else set()
        if new.is_dir():
            merge_tree(new, old, undo)
            shutil.rmtree(new)
        if plan.gone:  # else every file there is still wanted: no need to list them
            prune(old, undo, staged, names[folder])
        new.parent.mkdir(parents=True, exist_ok=True)
        undo.move(old, new)


def wanted_names(plan: Plan) -> dict[str, set[str]]:
    """folder -> the names (files, or folders of files) that the files of every run
    and batch of *plan* take directly inside it."""
    names: dict[str, set[str]] = {folder: set() for folder in RUN_AND_BATCH_DIRS}
    for layout, keys in ((RUN_FILES, plan.runs), (BATCH_FILES, plan.batches)):
        names_of_ids = [paths.file_name(key) for key in keys]
        for folder, name in layout:
            top = name.split("/", 1)[0]  # a run's evaluations and telemetry share a folder
            names[folder].update(top.format(name) for name in names_of_ids)
    return names
