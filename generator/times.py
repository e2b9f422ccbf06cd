"""Timestamps: read the three forms results arrive in, write one.

Results carry ISO 8601 (``2025-10-23T19:42:11.123Z``), SQLite's
``YYYY-MM-DD HH:MM:SS`` (UTC), and epoch milliseconds (batches). Everything we
store as text and everything we show uses ``YYYY-MM-DDTHH:MM:SS.sssZ``, the form
JavaScript's ``toISOString()`` writes, so files stay interchangeable with the
upstream harness and text order is time order.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

# Epoch milliseconds outside this window are almost surely seconds or garbage.
_MIN_MS = 0
_MAX_MS = 253402300799999  # 9999-12-31T23:59:59.999Z


def parse(value: object) -> datetime:
    """Parse ISO 8601, ``YYYY-MM-DD HH:MM:SS`` or epoch milliseconds into aware UTC.

    Raises ValueError with a short reason when the value is none of those.
    """
    if isinstance(value, bool):
        raise ValueError("expected a timestamp, got a boolean")
    if isinstance(value, (int, float)):
        return _from_epoch_ms(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a timestamp, got {type(value).__name__}")
    text = value.strip()
    if text.isdigit():
        return _from_epoch_ms(int(text))
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"not a timestamp: {value!r} (use ISO 8601, 'YYYY-MM-DD HH:MM:SS' or epoch ms)"
        ) from None
    if parsed.tzinfo is None:  # SQLite's CURRENT_TIMESTAMP form is UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_epoch_ms(value: float) -> datetime:
    if not math.isfinite(value) or not _MIN_MS <= value <= _MAX_MS:
        raise ValueError(f"epoch milliseconds out of range: {value!r}")
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def iso(moment: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SS.sssZ``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def to_iso(value: object) -> str | None:
    """Normalise any accepted timestamp form to ISO 8601 UTC; None stays None."""
    if value is None:
        return None
    return iso(parse(value))


def to_epoch_ms(value: object) -> int | None:
    """Normalise any accepted timestamp form to epoch milliseconds; None stays None."""
    if value is None:
        return None
    moment = parse(value)
    return int(round(moment.timestamp() * 1000))
