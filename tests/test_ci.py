"""CI runs lint and every test on each push and pull request; Pages deploys only after."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = (ROOT / ".github" / "workflows" / "site.yml").read_text()


def job(name: str) -> str:
    """The text of one job of the workflow."""
    match = re.search(rf"^  {name}:\n((?:    .*\n|\n)+)", WORKFLOW, re.M)
    assert match, f"no job {name!r}"
    return match.group(1)


def test_every_push_and_pull_request_runs_lint_and_every_test_with_a_browser() -> None:
    triggers = WORKFLOW.split("\njobs:")[0]
    assert re.search(r"^  push:", triggers, re.M) and re.search(r"^  pull_request:", triggers, re.M)
    test = job("test")
    assert "make lint" in test and "make test" in test
    assert 'CI: "true"' in test and "apt-get install" in test and "chromium" in test


def test_the_site_is_built_and_deployed_only_after_the_tests_pass_and_never_for_a_pr() -> None:
    assert "needs: test" in job("build")
    assert "needs: build" in job("deploy")
    for name in ("build", "deploy"):
        assert "github.event_name != 'pull_request'" in job(name)


def test_the_ci_script_sets_ci_and_runs_the_same_make_targets() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "export CI=true" in script
    assert script.index("make lint") < script.index("make test")


def test_pull_requests_are_compared_with_one_comment_and_fail_on_a_regression() -> None:
    compare = (ROOT / ".github" / "workflows" / "compare.yml").read_text()
    from generator.site.comparison_text import MARKER

    assert re.search(r"^on:\n  pull_request:", compare, re.M)
    steps = compare.split("\n      - ")
    names = [re.match(r"(?:name: )?(.*)", step).group(1) for step in steps[1:]]
    harness = next(i for i, n in enumerate(names) if n.startswith("Run the benchmark harness"))
    check = names.index("Compare with the base")
    comment = names.index("Comment on the pull request")
    fail = names.index("Fail on a regression")
    assert harness < check < comment < fail  # the comment is posted before the job fails
    assert "EDIT THIS STEP" in compare and "zebench demo" in steps[harness + 1]
    assert 'scripts/compare-pr.sh "$BASE_DB" "$RESULTS_DIR"' in steps[check + 1]
    assert f'startswith("{MARKER}")' in steps[comment + 1]
    assert "--method PATCH" in steps[comment + 1] and "--method POST" in steps[comment + 1]
    assert "steps.compare.outputs.status == '3'" in steps[fail + 1] and "exit 3" in steps[fail + 1]
    assert (ROOT / "scripts" / "compare-pr.sh").stat().st_mode & 0o111  # executable
