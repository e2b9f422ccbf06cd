"""The one way a file gets into the site: a checked, relative path, never written twice."""

from __future__ import annotations

from pathlib import Path

from generator.build.changes import BATCH_FILES, RUN_FILES
from generator.errors import BuildError
from generator.site import paths

# Where runs' and batches' files go, as (folder, head, tail) of their names: a
# run's page is runs/<file name>.html, its API answers api/runs/<file name>.json and
# api/runs/<file name>/…
_RUN_AND_BATCH_FORMS = tuple(
    dict.fromkeys(
        (folder, *name.split("/", 1)[0].split("{}")) for folder, name in RUN_FILES + BATCH_FILES
    )
)


class Writer:
    """The one way a file gets into the site: checked, relative, never written twice."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0
        self.bytes = 0
        self._claimed: set[str] = set()
        self._dirs: set[Path] = set()
        self.paths: list[str] = []  # written by this writer, in order
        self._created: list[Path] = []

    def claim(self, relative: str) -> Path:
        """Reserve *relative* (a "/"-separated path inside the site) and return its path."""
        parts = self.reserve(relative)
        path = self.root.joinpath(*parts)
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        return path

    def reserve(self, relative: str) -> list[str]:
        """Check and count *relative* as a file of the site, written by someone else."""
        parts = relative.split("/")
        if any(p in ("", ".", "..") or "\\" in p or "\0" in p for p in parts):
            raise ValueError(f"unsafe site path {relative!r}")
        key = relative.lower()  # two names differing in case are one file on some systems
        if key in self._claimed or is_run_or_batch_name(key):
            raise _clash(relative)
        self._claimed.add(key)
        self.files += 1
        return parts

    def write(self, relative: str, data: bytes) -> None:
        """Write *data* at *relative* inside the site, as a new file: another process
        of the build may have written there (they claim paths each in their own
        writer, checked against each other once they are done)."""
        try:
            with open(self.claim(relative), "xb") as file:
                file.write(data)
        except FileExistsError:
            raise _clash(relative) from None
        self.paths.append(relative)
        self.bytes += len(data)

    def create(self, relative: str) -> Path:
        """Claim *relative* for a file the caller writes itself; its path."""
        path = self.claim(relative)
        self.paths.append(relative)
        self._created.append(path)
        return path

    def created_bytes(self) -> int:
        """The size of the files made through ``create``, once they are written."""
        return sum(path.stat().st_size for path in self._created)


def is_run_or_batch_name(key: str) -> bool:
    """Whether the site path *key* is (or is inside) a name that a run's or a batch's
    files could take: only those write there (``per_run``); the files about all runs
    take other names there (``index``, ``compare``, numbers), which no file name of an id is."""
    for folder, head, tail in _RUN_AND_BATCH_FORMS:
        if not key.startswith(folder + "/"):
            continue
        name = key[len(folder) + 1 :].split("/", 1)[0]
        if name.startswith(head) and name.endswith(tail):
            middle = name[len(head) : len(name) - len(tail)]
            if middle and (paths.file_name(middle) == middle or middle.startswith("_")):
                return True
    return False


def _clash(relative: str) -> BuildError:
    return BuildError(f"two files of the site would both be written to {relative}")
