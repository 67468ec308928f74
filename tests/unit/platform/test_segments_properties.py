"""Segmentation invariants for any text: parts join to the sent text, each part within its limit
and filled as far as the next character allows, ``segment_count`` equal to ``encode``, and each
policy sending what it promises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from portevoix.platform.lookalikes import LOOKALIKES
from portevoix.platform.segments import (
    GSM7,
    GSM7_CHARS,
    GSM7_EXTENSION,
    LIMITS,
    POLICIES,
    REPLACE_POLICY,
    UCS2,
    UCS2_POLICY,
    encode,
    segment_count,
)

basic = st.sampled_from(sorted(GSM7_CHARS - GSM7_EXTENSION))
extended = st.sampled_from(sorted(GSM7_EXTENSION))
replaceable = st.sampled_from(sorted(LOOKALIKES))
# Arabic, emoji and CJK have no look-alike; the emoji are surrogate pairs in UTF-16.
foreign = st.sampled_from(["\u0628", "\u0645", "\U0001f600", "\U0001f44d", "\u4e2d", "\u00ea"])
anything = st.characters(exclude_categories=["Cs"])


def texts_of(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Texts of any length up to 5 GSM-7 segments, so every boundary is crossed."""
    return st.integers(min_value=0, max_value=800).flatmap(
        lambda size: st.text(alphabet, min_size=size, max_size=size)
    )


def units(text: str, encoding: str) -> int:
    """Units counted here, apart from the module: septets or UTF-16 code units."""
    if encoding == GSM7:
        return sum(2 if char in GSM7_EXTENSION else 1 for char in text)
    return len(text.encode("utf-16-le")) // 2


@st.composite
def near_part_boundaries(draw: st.DrawFn, encoding: str) -> str:
    """Runs of one narrow character between wide ones (escapes or surrogate pairs), padded to
    within 3 units of a whole number of full parts, so that one wide character moved to the
    next part changes the count. Runs of nearly a part's length put wide characters at the
    ends of parts."""
    if encoding == GSM7:
        narrow, wide = draw(basic), draw(extended)
    else:
        narrow, wide = "\u0628", draw(st.sampled_from(["\U0001f600", "\U0001f44d"]))
    part = LIMITS[encoding].part
    gaps = st.one_of(st.integers(min_value=0, max_value=part), st.integers(part - 5, part - 1))
    target = draw(st.integers(min_value=2, max_value=5)) * part
    target += draw(st.integers(min_value=-3, max_value=3))
    text = ""
    for gap in draw(st.lists(gaps, max_size=8)):
        if units(text, encoding) + gap + 2 > target:
            break
        text += narrow * gap + wide
    return text + narrow * (target - units(text, encoding))


gsm7_texts = st.one_of(
    texts_of(st.one_of(basic, basic, basic, extended)), near_part_boundaries(GSM7)
)
texts = st.one_of(
    gsm7_texts,
    near_part_boundaries(UCS2),
    texts_of(st.one_of(basic, basic, extended, replaceable)),
    texts_of(st.one_of(basic, extended, replaceable, foreign, anything)),
    texts_of(foreign),
)
policies = st.sampled_from(POLICIES)


@given(texts, policies)
def test_parts_join_to_the_sent_text(text, policy):
    encoded = encode(text, policy)

    assert "".join(encoded.parts) == encoded.text


@given(texts, policies)
def test_every_part_is_within_its_limit(text, policy):
    encoded = encode(text, policy)
    limits = LIMITS[encoded.encoding]

    if encoded.segments == 1:
        assert units(encoded.parts[0], encoded.encoding) <= limits.single
    else:
        assert all(0 < units(part, encoded.encoding) <= limits.part for part in encoded.parts)


@given(texts, policies)
def test_every_part_but_the_last_is_filled_as_far_as_the_next_character_allows(text, policy):
    encoded = encode(text, policy)
    limit = LIMITS[encoded.encoding].part

    for part, following in zip(encoded.parts, encoded.parts[1:], strict=False):
        assert units(part + following[0], encoded.encoding) > limit


@given(texts, policies)
def test_units_are_those_of_the_sent_text(text, policy):
    encoded = encode(text, policy)

    assert encoded.units == units(encoded.text, encoded.encoding)


@settings(max_examples=500)
@given(texts, policies)
def test_segment_count_agrees_with_encode(text, policy):
    encoded = encode(text, policy)

    assert segment_count(text, policy) == (encoded.encoding, encoded.segments)


@given(texts)
def test_ucs2_policy_sends_the_text_as_written_in_gsm7_when_it_can(text):
    encoded = encode(text, UCS2_POLICY)

    assert encoded.text == text
    assert encoded.replaced == ()
    assert (encoded.encoding == GSM7) == (set(text) <= GSM7_CHARS)


@given(texts)
def test_replace_policy_sends_gsm7_characters_or_the_text_as_written(text):
    encoded = encode(text, REPLACE_POLICY)

    if encoded.encoding == GSM7:
        assert set(encoded.text) <= GSM7_CHARS
    else:
        assert encoded.encoding == UCS2
        assert (encoded.text, encoded.replaced) == (text, ())


@given(gsm7_texts)
def test_replace_policy_changes_a_gsm7_text_only_by_its_euros_and_only_to_save_a_segment(text):
    kept, replaced = encode(text, UCS2_POLICY), encode(text, REPLACE_POLICY)

    if replaced.text == text:
        assert replaced.segments == kept.segments
        assert encode(text.replace("\u20ac", "E")).segments >= kept.segments
    else:
        assert replaced.text == text.replace("\u20ac", "E")
        assert replaced.segments < kept.segments
