"""The last step of a build: the finished tree takes the place of the old site.

Two renames put it in place, so a reader sees the old site or the new one,
never half of each; the old tree is deleted in a process of its own, which the
build does not wait for.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from contextlib import suppress
from pathlib import Path


def staging_folder(out: Path) -> Path:
    """Where this process builds the tree that is to replace *out*."""
    return out.parent / f".{out.name}.building-{os.getpid()}"


def replace(staging: Path, out: Path) -> None:
    """Put the new tree in place of the old one with two renames; the old one is
    deleted in the background."""
    old = out.parent / f".{out.name}.old-{os.getpid()}-{time.monotonic_ns()}"
    if out.exists():
        os.replace(out, old)
    try:
        os.replace(staging, out)
    except OSError:
        if old.exists():
            os.replace(old, out)
        raise
    _remove_in_background([old, *_abandoned(out)])


def _abandoned(out: Path) -> list[Path]:
    """Trees beside *out* left by builds whose process is gone: the staging tree of
    a build that was killed, and old trees whose deletion was cut short (one whose
    deletion is still running is deleted twice over, which does no harm)."""
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


# ``rm`` started in the background by a shell that exits at once: the deletion
# outlives this process without being its child, so there is nothing to reap.
_DELETE = 'rm -rf -- "$@" &'


def _remove_in_background(folders: list[Path]) -> None:
    """Delete *folders* in a process of their own that this one does not wait for:
    the files of a site replaced whole (530,000 at 100,000 runs) take minutes to
    delete on some file systems, and the new site is in place already. Should
    that process not start, the next build deletes them.

    The process is a new program, not a fork of this one: a fork shares this
    process's memory, so every page this process wrote afterwards would be copied
    first, and freeing a build's objects on exit writes to most of them (90 MB at
    100,000 runs). It holds none of the caller's files either: a reader of this
    build's output would otherwise wait for the deletion to end.
    """
    folders = [folder for folder in folders if folder.exists()]
    if not folders:
        return
    with suppress(OSError):
        subprocess.run(
            ["/bin/sh", "-c", _DELETE, "sh", *(str(folder) for folder in folders)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal does not stop it
            check=False,
        )
