"""The Jinja environment: escaping, strictness, filters, JSON inside script tags."""

from __future__ import annotations

import jinja2
import pytest

from generator.site import render


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return render.environment()


def test_result_text_is_escaped_in_text_and_attributes(env: jinja2.Environment) -> None:
    pages = env.overlay(loader=jinja2.DictLoader({"t.html": '<a title="{{ x }}">{{ x }}</a>'}))
    html = pages.get_template("t.html").render(x='"><script>x</script>')
    escaped = "&#34;&gt;&lt;script&gt;x&lt;/script&gt;"
    assert html == f'<a title="{escaped}">{escaped}</a>'


def test_a_missing_context_key_is_an_error(env: jinja2.Environment) -> None:
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ ctx.missing }}").render(ctx={})


@pytest.mark.parametrize(
    "function, value, expected",
    [
        (render.number, 1234.567, "1,234.57"),
        (render.number, 1234, "1,234"),
        (render.number, None, "—"),
        (render.percent, 0.8766, "87.7%"),
        (render.cost, 0.064695, "$0.0647"),
        (render.cost, 12.5, "$12.50"),
        (render.duration, 850, "850 ms"),
        (render.duration, 12_300, "12.3 s"),
        (render.duration, 245_000, "4m 05s"),
        (render.duration, 7_380_000, "2h 03m"),
        (render.when, "2025-10-23 19:42:11", "2025-10-23 19:42:11 UTC"),
        (render.when, 1761248531186, "2025-10-23 19:42:11 UTC"),
        (render.when, "2025-10-23T19:42:11.123Z", "2025-10-23 19:42:11 UTC"),
        (render.when, None, "—"),
        (render.width, 1.7, "100.0"),
        (render.width, -1, "0.0"),
    ],
)
def test_filters(function, value, expected) -> None:
    assert function(value) == expected


def test_templates_are_found_in_the_checkout() -> None:
    assert (render.templates_dir() / "base.html").is_file()
    assert (render.templates_dir() / "static" / "site.css").is_file()


def test_a_dicts_keys_read_as_names_but_its_methods_still_win(env: jinja2.Environment) -> None:
    template = env.from_string("{{ d.a }} {{ d.items is callable }}")
    assert template.render(d={"a": 1, "items": 2}) == "1 True"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ d.b }}").render(d={"a": 1})
