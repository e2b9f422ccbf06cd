"""Read payload files: one JSON object, a JSON array of them, or JSON Lines.

Every record comes out with a ``where`` label (``runs.jsonl line 3``,
``runs.json index 2``, ``run.json``) so that validation errors name the file and
the record. Anything that is not clean UTF-8 JSON is refused with a clear
message: binary data, UTF-16, duplicate keys, NaN/Infinity, numbers too long to
read, truncated documents. A UTF-8 byte order mark is accepted and stripped,
because Windows tools write one.
"""

from __future__ import annotations

import codecs
import json
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from generator.errors import ValidationError


@dataclass(frozen=True)
class Record:
    """One payload and where it came from."""

    where: str
    payload: object


_JSON_SPACE = b" \t\n\r"  # what JSON itself skips between values (str.strip skips more)


class _BadJSON(ValueError):
    """Valid JSON syntax that we still refuse (duplicate keys, NaN)."""


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _BadJSON(f"duplicate key {json.dumps(duplicate, ensure_ascii=False)} in an object")
    return obj


def _no_constants(name: str) -> object:
    raise _BadJSON(
        f"not valid JSON: {name} is not a number JSON allows; use null or a finite number"
    )


def loads(text: str) -> object:
    """json.loads that refuses duplicate keys and NaN/Infinity."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)


def read_text(source: str) -> tuple[str, str]:
    """The display name and decoded text of a file path, or of stdin for ``-``."""
    name, handle = _open(source)
    with handle:
        return name, _decode(name, handle.read())


def _open(source: str) -> tuple[str, IO[bytes]]:
    """The display name and a binary handle; stdin is spooled so it can be read twice."""
    if source == "-":
        spool = tempfile.SpooledTemporaryFile(64 * 1024 * 1024)  # noqa: SIM115 (caller closes)
        shutil.copyfileobj(sys.stdin.buffer, spool)
        spool.seek(0)
        return "stdin", spool
    try:
        return source, open(source, "rb")  # noqa: SIM115 (closed by the caller)
    except OSError as exc:
        raise ValidationError(f"cannot read {source}: {exc.strerror or exc}") from None


def _decode(name: str, data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ValidationError(f"{name}: is UTF-16 text; save it as UTF-8")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{name}: not UTF-8 text (bad byte at offset {exc.start}); expected JSON"
        ) from None


def parse_document(name: str, data: bytes) -> object:
    """One JSON value from *data* (a request body), refused as a file would be."""
    text = _decode(name, data)
    if not text.strip():
        raise ValidationError(f"{name}: is empty; expected a JSON object")
    try:
        return loads(text)
    except json.JSONDecodeError as exc:
        where = f"{name} line {exc.lineno} column {exc.colno}"
        raise ValidationError(f"{where}: not valid JSON ({exc.msg})") from None
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"{name}: {_reason(exc)}") from None


def iter_records(source: str) -> Iterator[Record]:
    """Yield every record of one file (see module docstring for the forms).

    JSON Lines are read a line at a time, so a file of 100,000 runs never sits
    in memory whole; any other form is read whole, as one JSON document.
    """
    name, handle = _open(source)
    with handle:
        start = _check_text(name, handle)
        if _is_json_lines(handle, start):
            handle.seek(start)
            yield from _json_lines(name, _file_lines(handle))
            return
        handle.seek(0)
        text = _decode(name, handle.read())
    yield from _document(name, text)


def _check_text(name: str, handle: IO[bytes]) -> int:
    """Refuse what ``_decode`` refuses, streaming; return the offset after any BOM."""
    head = handle.read(3)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ValidationError(f"{name}: is UTF-16 text; save it as UTF-8")
    start = len(codecs.BOM_UTF8) if head == codecs.BOM_UTF8 else 0
    handle.seek(start)
    offset = 0
    for raw in handle:  # "\n" never ends a line inside a UTF-8 sequence
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"{name}: not UTF-8 text (bad byte at offset {offset + exc.start}); expected JSON"
            ) from None
        offset += len(raw)
    return start


def _is_json_lines(handle: IO[bytes], start: int) -> bool:
    """True when line 1 is a whole JSON value and more than JSON whitespace follows.

    That is exactly when reading the whole text would stop with "Extra data",
    the test ``_document`` uses, so both ways give the same records and errors.
    """
    handle.seek(start)
    first = handle.readline()
    try:
        loads(first.decode("utf-8"))
    except (ValueError, RecursionError):
        return False
    return any(raw.strip(_JSON_SPACE) for raw in handle)


def _file_lines(handle: IO[bytes]) -> Iterator[str]:
    for raw in handle:
        yield (raw[:-1] if raw.endswith(b"\n") else raw).decode("utf-8")


def _document(name: str, text: str) -> Iterator[Record]:
    if not text.strip():
        raise ValidationError(f"{name}: is empty; expected a JSON object, array or JSON Lines")
    try:
        document = loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            where = f"{name} line {exc.lineno} column {exc.colno}"
            raise ValidationError(f"{where}: not valid JSON ({exc.msg})") from None
        # A complete value followed by more: JSON Lines.
        yield from _json_lines(name, _lines(text))
        return
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"{name}: {_reason(exc)}") from None
    if isinstance(document, list):
        for index, item in enumerate(document):
            yield Record(f"{name} index {index}", item)
    else:
        yield Record(name, document)


def _lines(text: str) -> Iterator[str]:
    # Split on "\n" only (U+2028 may appear raw inside JSON strings), lazily:
    # a list of every line would double the memory of a large file.
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end + 1


def _json_lines(name: str, lines: Iterable[str]) -> Iterator[Record]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{name} line {number}"
        try:
            yield Record(where, loads(line))
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        except (ValueError, RecursionError) as exc:
            raise ValidationError(f"{where}: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "not valid JSON (nested too deeply)"
    if isinstance(exc, _BadJSON):
        return str(exc)
    if "digits" in str(exc):  # Python refuses integers with thousands of digits
        return "not valid JSON (a number with too many digits)"
    return f"not valid JSON ({exc})"
