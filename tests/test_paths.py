from __future__ import annotations

import unicodedata

from generator.site.paths import file_name

HOSTILE = [
    "../../x", "/etc/passwd", "a/b", ".", "..", "CON", "con", "con.txt", "x" * 300,
    "Run-1", "run-1", "a\\b", "", " ", "a\x00b",
    "naïve", unicodedata.normalize("NFD", "naïve"), "index", "index.html", "compare", "0001",
]  # fmt: skip


def test_ordinary_ids_are_kept():
    for name in ["update-deps", "nx-pnpm-monorepo", "943aaf04-e2e5-46a9-b81d-e5fdd16b6bdd", "l2"]:
        assert file_name(name) == name


def test_hostile_names_become_safe_distinct_segments():
    seen = {}
    for name in HOSTILE:
        seg = file_name(name)
        assert seg not in (".", "..", "")
        assert "/" not in seg and "\\" not in seg and "\x00" not in seg
        assert len(seg) <= 100
        assert seg == seg.lower()
        assert seg.split(".")[0] not in {"con", "nul", "prn", "aux", "index", "compare"}
        assert not seg.split(".")[0].isdigit()  # data/batches/0001.js is a table chunk
        assert seg not in seen, f"{name!r} and {seen.get(seg)!r} collide"
        seen[seg] = name


def test_segment_is_deterministic():
    assert file_name("Run/1") == file_name("Run/1")
