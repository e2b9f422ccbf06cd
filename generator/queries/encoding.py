"""JSON as zebench writes it: one compact form, and a form safe inside a page.

Both the read API and the pages use these, so a number serialises the same way
everywhere. JSON has no NaN or Infinity; a stray one (a file written by another
tool) becomes null rather than invalid JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

from markupsafe import Markup

# Inside <script> only "</script" or "<!--" could end the element early; escaping
# every < > & (and the two JavaScript line separators) makes any string inert there.
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


# One encoder for every call: json.dumps with options builds a new one each time,
# which cost a quarter of the time of encoding a run's listing entry.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps(value: Any) -> str:
    """Compact JSON (the C encoder's fast path), non-finite numbers as null."""
    try:
        return _ENCODER.encode(value)
    except ValueError:
        return _ENCODER.encode(_finite(value))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def script_json(value: Any) -> Markup:
    """JSON for a ``<script>`` body or a data file; it cannot close the tag."""
    return Markup(dumps(value).translate(_SCRIPT_ESCAPES))


def joined(empty: str, items: list[str]) -> bytes:
    """*empty*, an encoded document whose last ``[]`` is an empty list, with the
    already encoded *items* in that list: the same bytes as encoding it with them."""
    head, _, tail = empty.rpartition("[]")
    return f"{head}[{','.join(items)}]{tail}".encode()
