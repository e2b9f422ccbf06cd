"""The README's tour works as written: its payload records, and again changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_tour_records_its_run_once(tmp_path: Path) -> None:
    text = README.read_text()
    payload = re.search(r"cat > run.json <<'JSON'\n(.*?)\nJSON", text, re.S).group(1)
    (tmp_path / "run.json").write_text(payload)
    db, run = str(tmp_path / "t.db"), str(tmp_path / "run.json")
    outputs = []
    for _ in range(2):
        result = CliRunner().invoke(main, ["record", "--db", db, run])
        assert result.exit_code == 0, result.output
        outputs.append(result.output.strip())
    said = re.findall(r"zebench record run.json +# (.*)", text)
    assert outputs == said


def test_the_readme_is_short_and_starts_with_the_two_commands() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= 150
    assert text.index("make site") < text.index("make test") < text.index("## A five-minute")


def test_every_document_the_readme_links_exists() -> None:
    for target in re.findall(r"\]\((docs/[^)#]+)", README.read_text()):
        assert (README.parent / target).is_file(), target
