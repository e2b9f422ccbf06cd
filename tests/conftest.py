"""Shared fixtures. Each test module adds what it needs on top of these."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UPSTREAM_V1 = REPO.parent / "shared" / "fixtures" / "upstream-v1-56runs.db"


@pytest.fixture
def upstream_db(tmp_path: Path) -> Path:
    """A private copy of the real upstream results file (older schema, 56 runs)."""
    if not UPSTREAM_V1.exists():
        pytest.fail(f"missing fixture {UPSTREAM_V1}")
    target = tmp_path / "upstream.db"
    shutil.copyfile(UPSTREAM_V1, target)
    return target


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    """A freshly initialised, empty results file."""
    from generator import store

    path = tmp_path / "empty.db"
    store.init(path)
    return path
