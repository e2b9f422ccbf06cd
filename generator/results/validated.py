"""Validated runs parked on disk between ``zebench record``'s two passes.

The first pass parses and normalises every record; each run is pickled into a
spooled temporary file (in memory up to ``MEMORY_LIMIT``, then on disk), so
validating 100,000 runs costs a bounded amount of memory. The second pass reads them back in chunks
and writes them. Pickle, not JSON: reading back must be much cheaper than
parsing and validating again, or the second pass would halve ingest speed.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import Any

from generator.errors import StoreError, ValidationError

Located = tuple[str, dict]  # (where, normalised payload)
MEMORY_LIMIT = 128 * 1024 * 1024


class ValidatedRuns:
    """An append-only file of (where, run), one per runId, in first-seen order."""

    def __init__(self) -> None:
        self._file = tempfile.SpooledTemporaryFile(MEMORY_LIMIT)  # noqa: SIM115 (see close())
        self._first: dict[str, tuple[str, int]] = {}  # runId -> (where, offset)

    def __len__(self) -> int:
        return len(self._first)

    def __enter__(self) -> ValidatedRuns:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete the file."""
        self._file.close()

    def add(self, where: str, run: dict) -> None:
        """Keep *run*; a runId seen before must come with the same content."""
        first = self._first.get(run["runId"])
        if first is None:
            self._first[run["runId"]] = (where, self._file.tell())
            self._write(pickle.dumps((where, run), pickle.HIGHEST_PROTOCOL))
        elif self._read(first[1])[1] != run:
            raise ValidationError(
                f"{where}: field 'runId': run {run['runId']!r} appears again "
                f"with different content (first at {first[0]})"
            )

    def _write(self, data: bytes) -> None:
        try:
            self._file.write(data)
        except OSError as exc:  # a full temporary folder
            raise StoreError(
                f"cannot keep the validated runs in {tempfile.gettempdir()} ({exc}); "
                "free some space there or point TMPDIR elsewhere; nothing was written"
            ) from None

    def _read(self, offset: int) -> Any:
        end = self._file.tell()
        self._file.seek(offset)
        try:
            return pickle.load(self._file)
        finally:
            self._file.seek(end)

    def chunks(self, size: int) -> Iterator[list[Located]]:
        """Every run, in first-seen order, *size* at a time."""
        self._file.seek(0)
        chunk: list[Located] = []
        for _ in range(len(self._first)):
            chunk.append(pickle.load(self._file))
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
