"""The last step of a build: the finished tree takes the place of the old site.

Two renames put it in place, so a reader sees the old site or the new one,
never half of each; then the old tree is deleted.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generator.build.writer import Writer


def staging_folder(out: Path) -> Path:
    """Where this process builds the tree that is to replace *out*."""
    return out.parent / f".{out.name}.building-{os.getpid()}"


@contextmanager
def staging(out: Path) -> Iterator[Writer]:
    """A writer into a new staging folder for *out*, deleted should the build fail."""
    folder = staging_folder(out)
    shutil.rmtree(folder, ignore_errors=True)
    try:
        yield Writer(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def replace(staging: Path, out: Path) -> Path:
    """Put the new tree in place of the old one with two renames; the old tree, moved
    aside for ``clear`` (once nothing of the build can fail any more)."""
    old = out.parent / f".{out.name}.old-{os.getpid()}-{time.monotonic_ns()}"
    if out.exists():
        os.replace(out, old)
    try:
        os.replace(staging, out)
    except OSError:
        if old.exists():
            os.replace(old, out)
        raise
    return old


def clear(out: Path, old: Path) -> None:
    """Delete the tree *old* that ``replace`` moved aside, and any left beside *out* by
    builds that were killed."""
    for folder in [old, *_abandoned(out)]:
        shutil.rmtree(folder, ignore_errors=True)


def _abandoned(out: Path) -> list[Path]:
    """Trees beside *out* left by builds whose process is gone: the staging tree of
    a build that was killed, and old trees whose deletion was cut short."""
    name = re.compile(rf"\.{re.escape(out.name)}\.(?:old-(\d+)-\d+|building-(\d+))")
    found = []
    for entry in os.scandir(out.parent):
        match = name.fullmatch(entry.name)
        if match is None or not entry.is_dir(follow_symlinks=False):
            continue
        if not _alive(int(match[1] or match[2])):
            found.append(Path(entry.path))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True
