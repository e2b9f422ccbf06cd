"""scripts/compare-pr.sh, the pull-request check of .github/workflows/compare.yml, run
locally on the demo: the base results file and a candidate sweep held back from it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.results import demo_candidate
from generator.site.comparison_text import MARKER

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "compare-pr.sh"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_pr(tmp_path_factory: pytest.TempPathFactory):
    """{sweep: (base results file, results folder)} for both demo candidates."""
    root = tmp_path_factory.mktemp("compare-pr")
    out = {}
    for sweep in demo_candidate.SWEEPS:
        base, results = root / sweep / "base.db", root / sweep / "results"
        demo_candidate.write_candidate(base, results, sweep)
        out[sweep] = base, results
    return out


def _run(tmp_path: Path, *args: object) -> tuple[subprocess.CompletedProcess, Path, Path]:
    summary, markdown = tmp_path / "summary.md", tmp_path / "compare.md"
    summary.write_text("earlier steps\n", encoding="utf-8")
    env = {
        **os.environ,
        "ZEBENCH": f"{sys.executable} -m generator",
        "GITHUB_STEP_SUMMARY": str(summary),
        "COMPARE_MARKDOWN": str(markdown),
    }
    done = subprocess.run(
        ["bash", str(SCRIPT), *map(str, args)], env=env, capture_output=True, text=True
    )
    return done, summary, markdown


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_demos_regression_fails_the_check_with_its_summary(demo_pr, tmp_path) -> None:
    base, results = demo_pr["regressed"]
    before = _digest(base)
    done, summary, markdown = _run(tmp_path, base, results)
    assert done.returncode == 3, done.stderr
    text = markdown.read_text(encoding="utf-8")
    assert text.startswith(MARKER + "\n### 🔴 Regression: success rate down")
    assert summary.read_text(encoding="utf-8") == "earlier steps\n" + text
    assert "Regression" in done.stdout  # the verdict in the job's log
    assert _digest(base) == before  # recorded into a copy, never into the base file


def test_a_steady_candidate_passes_the_check(demo_pr, tmp_path) -> None:
    base, results = demo_pr["steady"]
    done, summary, markdown = _run(tmp_path, base, results)
    assert done.returncode == 0, done.stderr
    text = markdown.read_text(encoding="utf-8")
    assert text.startswith(MARKER + "\n### ") and "Regression" not in text.splitlines()[1]
    assert summary.read_text(encoding="utf-8").endswith(text)


def test_named_sides_and_a_kept_results_file(demo_pr, tmp_path, monkeypatch) -> None:
    base, results = demo_pr["regressed"]
    kept = tmp_path / "pr.db"
    monkeypatch.setenv("COMPARE_DB", str(kept))
    done, _, markdown = _run(tmp_path, base, results, "latest", "latest")
    assert done.returncode == 0, done.stderr  # a batch against itself: nothing changed
    assert kept.is_file() and "Inconclusive" in markdown.read_text(encoding="utf-8")


def test_missing_results_and_wrong_use_are_errors(demo_pr, tmp_path) -> None:
    base, _ = demo_pr["regressed"]
    empty = tmp_path / "empty"
    empty.mkdir()
    done, summary, markdown = _run(tmp_path, base, empty)
    assert done.returncode == 1 and "no *.jsonl or *.json results" in done.stderr
    assert not markdown.exists() and summary.read_text(encoding="utf-8") == "earlier steps\n"
    done, _, _ = _run(tmp_path, base)
    assert done.returncode == 2 and "BASE_DB RESULTS_DIR" in done.stderr
    done, _, _ = _run(tmp_path, tmp_path / "missing.db", empty)
    assert done.returncode == 1 and "no base results file" in done.stderr
