"""Bad --db files for the commands that read: api, build, and the sources of merge.

Corrupt, not SQLite, missing or unreadable: `Error: …`, exit 1, no traceback,
the file's bytes as they were, and an existing site/ left in place.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import in_child, make_site_db, unprivileged

from generator.cli import main
from generator.results import demo

KINDS = ["corrupt", "not sqlite", "missing", "unreadable"]
EXPECTED = {
    "corrupt": "database disk image is malformed",
    "not sqlite": "not a readable SQLite database",
    "missing": "no database at",
    "unreadable": "cannot read",
}


@pytest.fixture(scope="module")
def sound_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_site_db(tmp_path_factory.mktemp("sound") / "sound.db", runs=300)


def bad_db(kind: str, sound_db: Path, folder: str | Path) -> Path:
    """A --db of the given kind inside *folder*."""
    path = Path(folder) / "bad.db"
    if kind == "corrupt":  # a valid header and schema; garbage in the middle third
        data = bytearray(sound_db.read_bytes())
        third = len(data) // 3
        data[third : 2 * third] = b"\xa5" * third
        path.write_bytes(bytes(data))
    elif kind == "not sqlite":
        path.write_bytes(b"SQLite format 2\x00 but really a text file\n" * 200)
    elif kind == "unreadable":
        shutil.copyfile(sound_db, path)
        os.chmod(path, 0)
    return path


def run(kind: str, *args: str) -> tuple[int, str]:
    """The CLI, as "nobody" for the unreadable case (root reads any file)."""
    if kind == "unreadable":
        return in_child(unprivileged, *args)
    result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    return result.exit_code, result.output


def snapshot_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and os.access(p, os.R_OK) and not p.name.endswith(("-wal", "-shm"))
    }


@pytest.mark.parametrize("kind", KINDS)
def test_api_with_a_bad_db_is_a_clear_error(kind, sound_db, shared_dir, digest):
    db = bad_db(kind, sound_db, shared_dir)
    before = digest(db) if kind not in ("missing", "unreadable") else None
    code, output = run(kind, "api", "--db", str(db), "/api/stats/agents")
    assert code == 1, output
    assert output.startswith("Error: ") and str(db) in output
    assert EXPECTED[kind] in output
    assert "Traceback" not in output
    if before:
        assert digest(db) == before


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_build_with_a_bad_db_keeps_the_previous_site(kind, sound_db, shared_dir):
    folder = Path(shared_dir)
    os.chmod(folder, 0o777)  # "nobody" must be able to replace site/
    out = folder / "site"
    assert (
        CliRunner().invoke(main, ["build", "--db", str(sound_db), "--out", str(out)]).exit_code == 0
    )
    db = bad_db(kind, sound_db, folder)
    before = snapshot_files(folder)
    code, output = run(kind, "build", "--db", str(db), "--out", str(out))
    assert code == 1, output
    assert output.startswith("Error: ") or "\nError: " in output
    assert EXPECTED[kind] in output and str(db) in output
    assert "Traceback" not in output
    assert snapshot_files(folder) == before  # the old site and the bad file, byte for byte
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith("bad.db-")) == sorted(
        ["site", "bad.db"] if kind != "missing" else ["site"]
    )  # no staging folder left behind


@pytest.mark.parametrize("kind", KINDS)
def test_merge_with_a_bad_source_leaves_the_target_alone(kind, sound_db, shared_dir, digest):
    folder = Path(shared_dir)
    os.chmod(folder, 0o777)
    target = folder / "target.db"
    demo.write_demo(target, runs=20, seed=8)
    os.chmod(target, 0o666)
    for suffix in ("-wal", "-shm"):
        if Path(f"{target}{suffix}").exists():
            os.chmod(f"{target}{suffix}", 0o666)
    source = bad_db(kind, sound_db, folder)
    before = digest(target)
    code, output = run(kind, "merge", "--db", str(target), str(source))
    assert code == 1, output
    assert output.startswith("Error: ") and str(source) in output
    assert "cannot write" not in output  # the source is at fault, not the target
    assert "Traceback" not in output
    assert digest(target) == before
