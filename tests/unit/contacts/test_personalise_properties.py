"""Rendering invariants for any text and any values: text without markers is unchanged,
values are never read as markers, and every missing key is reported."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from portevoix.contacts.markers import CONTACT_KEYS, PARAM_KEYS, V_KEYS
from portevoix.contacts.personalise import Template

KEYS = CONTACT_KEYS + V_KEYS + PARAM_KEYS
# Every marker of every style, and pieces of them, to build hostile values and texts.
MARKERS = ([f"{{{key}}}" for key in CONTACT_KEYS] + [f"[[{key}]]" for key in PARAM_KEYS]
           + [f"[{key}]" for key in V_KEYS]
           + ["[nom]", "$nom", "$prenom", "$email", "$societe", "{{", "}}", "{", "}", "[", "]",
              "[[", "]]", "$"])
marker_soup = st.lists(st.sampled_from(MARKERS) | st.text(max_size=3), max_size=4).map("".join)
values = st.dictionaries(st.sampled_from(KEYS), marker_soup | st.text(max_size=8), max_size=5)
# Markers need "{", "}" or a "[...]"/"$word" shape: texts without "{", "}", "[", "$" hold none.
plain_text = st.text(st.characters(exclude_characters="{}[$", exclude_categories=["Cs"]))


@given(plain_text, values)
def test_a_text_without_markers_renders_unchanged_whatever_the_values(
        text: str, given_values: dict[str, str]) -> None:
    template = Template.compile(text)

    assert template.render(given_values).text == text
    assert template.keys == ()


@given(st.text().filter(lambda t: not re.search(r"[{}]", t)))
def test_any_text_without_braces_compiles(text: str) -> None:
    assert Template.compile(text).text == text


@given(st.lists(st.sampled_from(KEYS), min_size=1, max_size=6), marker_soup)
def test_a_value_holding_marker_syntax_is_inserted_literally(keys: list[str],
                                                             value: str) -> None:
    text = "<" + ">|<".join(_marker(key) for key in keys) + ">"
    template = Template.compile(text)
    filled = {key: f"@{value}@" for key in keys}

    rendered = template.render(filled)

    assert rendered.text == "<" + ">|<".join(f"@{value}@" for _ in keys) + ">"
    assert rendered.missing == ()


@given(st.lists(st.sampled_from(KEYS), min_size=1, max_size=6), values)
def test_every_key_without_a_usable_value_is_reported_missing(
        keys: list[str], given_values: dict[str, str]) -> None:
    template = Template.compile(" ".join(_marker(key) for key in keys))

    rendered = template.render(given_values)

    expected = [key for key in dict.fromkeys(keys)
                if not given_values.get(key, "").strip()]
    assert list(rendered.missing) == expected


def _marker(key: str) -> str:
    if key.startswith("param"):
        return f"[[{key}]]"
    if key in V_KEYS:
        return f"[{key}]"
    return f"{{{key}}}"
