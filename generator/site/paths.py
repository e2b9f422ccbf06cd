"""Safe, deterministic file names for ids that come from results.

Run ids, batch ids, suites, scenarios and evaluator names are untrusted text.
Every page and JSON file named after one goes through ``file_name()``:

- a name made only of ``a-z 0-9 . _ -``, starting with a letter or digit, at most
  100 characters, not ending in ``.``, not a reserved device name (``con``,
  ``nul``, ``com1``…) and not a name the site's own files use beside entity
  files (``index``, ``compare``, the all-digit chunk numbers of data files) is
  used as it is — the common case (UUIDs, ``update-deps``);
- anything else becomes ``_<slug>-<hash>``: ``_`` (which a kept name never starts
  with), up to 40 characters of a lower-case slug for readability, then the first
  16 hex digits of the SHA-256 of the exact UTF-8 name.

So the mapping is one-to-one in practice, the same on every machine, safe on
case-insensitive file systems (upper case is always hashed), never contains a
path separator, and never climbs out of the output directory.
"""

from __future__ import annotations

import hashlib
import re

_KEEP = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(10)}
_SITE_NAMES = {"index", "compare"}  # runs/index.html, batches/compare.html, …


def file_name(name: str) -> str:
    """The file name (without suffix) for one id (see module docstring)."""
    if _KEEP.fullmatch(name) and not name.endswith(".") and not _reserved(name):
        return name
    slug = _SLUG_DROP.sub("-", name.lower()).strip("-")[:40].strip("-")
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"_{slug}-{digest}" if slug else f"_{digest}"


def _reserved(name: str) -> bool:
    stem = name.split(".", 1)[0]
    return stem in _RESERVED or stem in _SITE_NAMES or stem.isdigit()
