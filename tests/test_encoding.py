"""JSON as written everywhere: compact, finite, and inert inside a <script>."""

from __future__ import annotations

import json

import pytest

from generator.queries import api, encoding


@pytest.mark.parametrize(
    "value", ["</script><script>alert(1)</script>", "<!-- x", "a\u2028b\u2029c", "&amp;"]
)
def test_script_json_cannot_close_its_tag_and_round_trips(value: str) -> None:
    embedded = str(encoding.script_json({"name": value}))
    assert "<" not in embedded and ">" not in embedded and "&" not in embedded
    assert "\u2028" not in embedded and "\u2029" not in embedded
    assert json.loads(embedded) == {"name": value}


def test_non_finite_numbers_become_null() -> None:
    assert json.loads(encoding.dumps([float("nan"), float("inf"), 1.5])) == [None, None, 1.5]


def test_the_api_writes_non_finite_numbers_as_null() -> None:
    assert api.dumps({"score": float("inf")}) == '{"score":null}\n'
