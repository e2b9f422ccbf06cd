"""The package as a user installs it: a wheel with its templates, the console script,
``python -m generator`` and ``zebench serve``."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator
from generator.cli import main

REPO = Path(__file__).resolve().parent.parent


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"zebench, version {generator.__version__}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("zebench-*.whl")
    return built


def test_wheel_carries_templates_static_files_and_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    for name in ["base.html", "run.html", "static/site.css", "static/table.js"]:
        assert f"generator/templates/{name}" in names
    assert "zebench = generator.cli:main" in scripts


def test_installed_package_builds_a_site_from_any_directory(
    wheel: Path, site_db: Path, tmp_path: Path
) -> None:
    installed = tmp_path / "installed"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(installed)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(installed)}  # ahead of the source checkout
    where = subprocess.run(
        [sys.executable, "-c", "import generator; print(generator.__file__)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(installed))
    built = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--db", str(site_db), "--out", "out"],
        cwd=elsewhere, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert (elsewhere / "out" / "index.html").is_file()
    assert (elsewhere / "out" / "static" / "plotly.min.js").is_file()


def test_serve_answers_on_localhost(built_site: Path, site_db: Path) -> None:
    args = ["serve", "--db", str(site_db), "--out", str(built_site), "--port", "0", "--no-live"]
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", *args],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = server.stdout.readline()
        assert line.startswith("Serving ")
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "index.html", timeout=10) as response:
            assert response.status == 200
            assert b"<title>" in response.read()
    finally:
        server.terminate()
        server.wait(timeout=10)
