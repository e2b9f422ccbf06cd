"""The one way a file gets into the site: a checked, relative path, never written twice."""

from __future__ import annotations

from collections.abc import Container
from pathlib import Path

from generator.errors import BuildError


class Writer:
    """The one way a file gets into the site: checked, relative, never written twice."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0
        self.bytes = 0
        self._claimed: set[str] = set()
        self._dirs: set[Path] = set()
        self._names: dict[str, list[Container[str]]] = {}  # folder -> names reserved in bulk
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
        folder, _, name = key.rpartition("/")
        if key in self._claimed or any(name in names for names in self._names.get(folder, ())):
            raise _clash(relative)
        self._claimed.add(key)
        self.files += 1
        return parts

    def reserve_names(self, names: dict[str, Container[str]], files: int) -> None:
        """Reserve, in bulk, the lower-case *names* in each folder, for *files* files
        written by someone else (a name may be a folder holding several). *names*
        may be any container: it is kept as it is, not copied."""
        for key in self._claimed:
            folder, _, name = key.rpartition("/")
            if name in names.get(folder, ()):
                raise _clash(key)
        for folder, taken in names.items():
            self._names.setdefault(folder, []).append(taken)
        self.files += files

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
        """The size of the files made through ``create``, once they are written;
        not of those that are links to files of the last build (``kept``)."""
        sizes = (path.stat() for path in self._created)
        return sum(stat.st_size for stat in sizes if stat.st_nlink == 1)


def _clash(relative: str) -> BuildError:
    return BuildError(f"two files of the site would both be written to {relative}")
