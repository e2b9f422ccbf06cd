"""Hostile names as ids: the built tree stays inside its folder and no entity's file
overwrites another's. Every file of the tree is accounted for.

Each name below is used at once as a run id, a batch id, a suite, a scenario and an
evaluator name, so every page type and JSON endpoint named after an entity sees it.
"""

from __future__ import annotations

import csv
import html
import json
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import build_site

from generator.cli import main
from generator.queries.api import quote_segment as q
from generator.site.paths import file_name

NAMES = [
    "../../x", "/etc/passwd", "a/b", "a\\b", ".", "..", "...", "CON", "con", "nul.txt",
    "x" * 300, "Case", "case", unicodedata.normalize("NFC", "naïve"),
    unicodedata.normalize("NFD", "naïve"), "index", "compare", "0001", "index.html",
    " lead", "tab\there", "nul\x00byte", "%2e%2e", "?q=1#frag",
]  # fmt: skip
# Text a spreadsheet would run as a formula, in the columns of the CSV downloads.
FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def run_for(number: int, name: str) -> dict:
    formula = FORMULAS[number % len(FORMULAS)]
    return {
        "runId": name, "batchId": name, "suite": name, "scenario": name, "tier": formula,
        "agent": formula, "model": formula, "status": "completed",
        "startedAt": f"2025-10-{1 + number:02d}T10:00:00.000Z",
        "completedAt": f"2025-10-{1 + number:02d}T10:05:00.000Z",
        "totalScore": 0.5, "weightedScore": 5.0, "isSuccessful": True,
        "evaluations": [{"evaluatorName": name, "score": 0.5, "maxScore": 1, "details": name}],
        "telemetry": {"toolCalls": 1, "tokensIn": 10, "tokensOut": 1, "costUsd": 0.01,
                      "durationMs": 1000, "workspaceDir": name, "promptSent": name},
    }  # fmt: skip


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the database, the site built from it into <tmp>/out)."""
    db = tmp_path_factory.mktemp("hostile-db") / "hostile.db"
    runs = tmp_path_factory.mktemp("hostile-in") / "runs.jsonl"
    runs.write_text("\n".join(json.dumps(run_for(i, n)) for i, n in enumerate(NAMES)))
    recorded = CliRunner().invoke(main, ["record", "--db", str(db), str(runs)])
    assert recorded.exit_code == 0, recorded.output
    parent = tmp_path_factory.mktemp("hostile-site")
    build_site(db, parent / "out")
    return db, parent / "out"


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_nothing_is_written_outside_the_output_folder(hostile_tree):
    _, out = hostile_tree
    assert [p.name for p in out.parent.iterdir()] == ["out"]
    root = out.resolve()
    for path in out.rglob("*"):
        assert not path.is_symlink(), path
        assert path.resolve().is_relative_to(root), path
    assert Path("/etc/passwd").read_text().startswith("root:")  # not replaced by a page


def test_no_two_files_differ_only_in_case_or_normalisation(hostile_tree):
    _, out = hostile_tree
    names = sorted(files_under(out))
    folded = {unicodedata.normalize("NFC", n).casefold() for n in names}
    assert len(folded) == len(names)
    assert all(n.isascii() for n in names)


def _pages(out: Path, folder: str, suffix: str) -> set[str]:
    return {
        name.removeprefix(f"{folder}/").removesuffix(suffix)
        for name in files_under(out)
        if name.startswith(f"{folder}/")
        and name.endswith(suffix)
        and "/" not in name[len(folder) + 1 :]
    }


# (folder, suffix, names besides the entities' own files)
PER_ENTITY = [
    ("runs", ".html", {"index"}),
    ("batches", ".html", {"index", "compare"}),
    ("batches", ".csv", set()),
    ("suites", ".html", {"index"}),
    ("evaluators", ".html", {"index"}),
    ("api/runs", ".json", set()),
    ("api/batches", ".json", set()),
    ("api/stats/suites", ".json", set()),
]


@pytest.mark.parametrize(("folder", "suffix", "extra"), PER_ENTITY)
def test_one_file_per_entity_for_every_page_type_and_endpoint(hostile_tree, folder, suffix, extra):
    _, out = hostile_tree
    found = _pages(out, folder, suffix)
    expected = {file_name(name) for name in NAMES}
    assert len(expected) == len(NAMES)
    assert found == expected | extra


def test_data_files_of_batches_and_nested_files_are_one_per_entity(hostile_tree):
    _, out = hostile_tree
    segs = {file_name(name) for name in NAMES}
    files = files_under(out)
    data = {
        n.removeprefix("data/batches/").removesuffix(".js")
        for n in files
        if n.startswith("data/batches/")
    }
    chunks = {n for n in data if n.isdigit() or n == "index"}
    assert data - chunks == segs  # one comparison file per batch, besides the table's chunks
    for seg in segs:
        for name in (
            f"api/runs/{seg}/evaluations.json",
            f"api/runs/{seg}/telemetry.json",
            f"api/batches/{seg}/analytics.json",
            f"api/stats/evaluators/{seg}/trends.json",
            f"api/stats/scenarios/{seg}/{seg}.json",
            f"scenarios/{seg}/{seg}.html",
        ):
            assert name in files, name
    assert len([n for n in files if n.startswith("scenarios/")]) == len(NAMES)
    assert len([n for n in files if n.startswith("api/stats/scenarios/")]) == len(NAMES)
    assert len([n for n in files if n.startswith("api/stats/evaluators/")]) == len(NAMES)


def test_each_file_holds_its_own_entity(hostile_tree):
    _, out = hostile_tree
    for name in NAMES:
        seg = file_name(name)
        detail = json.loads((out / "api" / "runs" / f"{seg}.json").read_text())
        assert detail["run"]["runId"] == name
        batch = json.loads((out / "api" / "batches" / f"{seg}.json").read_text())
        assert batch["batchId"] == name
        assert [r["runId"] for r in batch["runs"]] == [name]
        trends = (out / "api" / "stats" / "evaluators" / seg / "trends.json").read_text()
        telemetry = json.loads((out / "api" / "runs" / seg / "telemetry.json").read_text())
        assert telemetry["promptSent"] == name
        evaluations = json.loads((out / "api" / "runs" / seg / "evaluations.json").read_text())
        assert [e["evaluatorName"] for e in evaluations] == [name]
        assert json.loads(trends)  # one day of scores for this evaluator
        shown = html.escape(name)
        for page, title in (
            (f"runs/{seg}.html", "Run"),
            (f"batches/{seg}.html", "Batch"),
            (f"suites/{seg}.html", "Suite"),
            (f"scenarios/{seg}/{seg}.html", "Scenario"),
            (f"evaluators/{seg}.html", "Evaluator"),
        ):
            text = (out / page).read_text(encoding="utf-8")
            assert f"<title>{title} {shown} · zebench</title>" in text, (page, name)


def test_zebench_api_answers_for_every_hostile_id_as_the_static_file_does(hostile_tree):
    # /api/batches/compare is the comparison endpoint, so a batch named "compare" is
    # read from its static file (or /api/batches) only; its file is checked above.
    db, out = hostile_tree
    for name in NAMES:
        seg = file_name(name)
        batch = (
            [] if name == "compare" else [(f"/api/batches/{q(name)}", f"api/batches/{seg}.json")]
        )
        for get, file in batch + [
            (f"/api/runs/{q(name)}", f"api/runs/{seg}.json"),
            (f"/api/runs/{q(name)}/telemetry", f"api/runs/{seg}/telemetry.json"),
            (f"/api/stats/suites/{q(name)}", f"api/stats/suites/{seg}.json"),
            (f"/api/stats/scenarios/{q(name)}/{q(name)}", f"api/stats/scenarios/{seg}/{seg}.json"),
            (f"/api/stats/evaluators/{q(name)}/trends", f"api/stats/evaluators/{seg}/trends.json"),
        ]:
            result = CliRunner().invoke(main, ["api", "--db", str(db), get])
            assert result.exit_code == 0, (get, result.output)
            assert result.stdout_bytes == (out / file).read_bytes(), get


def test_csv_downloads_open_as_text_not_formulas(hostile_tree):
    _, out = hostile_tree
    sheets = [out / "downloads" / "runs.csv"] + sorted((out / "batches").glob("*.csv"))
    cells = []
    for sheet in sheets:
        with open(sheet, newline="", encoding="utf-8") as f:
            cells += [cell for row in list(csv.reader(f))[1:] for cell in row]
    assert cells
    risky = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    risky += [c for c in cells if c.startswith("-") and not _number(c)]
    assert risky == []
    for formula in FORMULAS:
        assert "'" + formula in cells  # kept, readable, one quote in front
    with open(out / "downloads" / "runs.csv", newline="", encoding="utf-8") as f:
        ids = [row[0] for row in list(csv.reader(f))[1:]]
    assert sorted(ids) == sorted(NAMES)  # ids that need no quote are exactly as recorded


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
