"""The package's folders are the pipeline's stages, and imports point one way down it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "generator"

# Each stage may import its own and the earlier ones, never a later one.
STAGES = [
    {"", "__version__", "errors", "times"},
    {"store"},
    {"results", "recorder"},
    {"statistics"},
    {"queries"},
    {"site"},
    {"build"},
    {"serve"},
    {"bench"},
    {"cli", "__main__"},
]


def stage(module: str) -> int:
    """The stage of a dotted module name under ``generator``."""
    top = module.split(".")[1] if "." in module else ""
    for rank, names in enumerate(STAGES):
        if top in names:
            return rank
    raise AssertionError(f"generator.{top} belongs to no stage: add it to STAGES")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The ``generator`` modules that *path* imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "generator"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("generator"):
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_later_stage(path: Path) -> None:
    own = stage(module_name(path))
    later = sorted(name for name in imports(path) if stage(name) > own)
    assert not later, f"{module_name(path)} (stage {own}) imports a later stage: {later}"


def test_every_folder_is_a_stage() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    staged = set().union(*STAGES)
    assert folders <= staged, f"folders that are no stage: {sorted(folders - staged)}"


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    source = tmp_path / "q.py"
    source.write_text("def f():\n    from generator.build import cache\n")
    assert stage(next(iter(imports(source)))) > stage("generator.queries.q")
