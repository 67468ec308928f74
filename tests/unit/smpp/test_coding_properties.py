"""Coding invariants for any text: septets and UCS-2 octets decode to the text they came from,
split parts reassemble to the whole in any order of arrival, and every part fits 140 octets
once the SMSC packs it."""

from __future__ import annotations

import math

import smpplib.gsm
from hypothesis import given
from hypothesis import strategies as st

from portevoix.platform.segments import GSM7, GSM7_CHARS, GSM7_EXTENSION, UCS2, encode
from portevoix.platform.smpp.coding import (
    DC_LATIN1,
    DC_UCS2,
    ESM_UDHI,
    decode_short_message,
    gsm7_bytes,
    gsm7_text,
    split,
    ucs2_bytes,
    ucs2_text,
)
from portevoix.platform.smpp.reassembly import Reassembler

basic = st.sampled_from(sorted(GSM7_CHARS - GSM7_EXTENSION))
extended = st.sampled_from(sorted(GSM7_EXTENSION))
gsm7_chars = st.one_of(basic, basic, basic, extended)
# Arabic, CJK, accented Latin beyond GSM-7, and emoji: surrogate pairs in UTF-16.
foreign = st.sampled_from(["\u0628", "\u4e2d", "\u00ea", "\U0001f600", "\U0001f44d"])
anything = st.characters(exclude_categories=["Cs"])
latin1_gsm7 = st.sampled_from(sorted(char for char in GSM7_CHARS if ord(char) < 256))



def texts_of(alphabet: st.SearchStrategy[str], min_size: int = 0) -> st.SearchStrategy[str]:
    """Texts of a length drawn evenly up to 1000, so long texts of up to 7 parts are as likely
    as short ones (hypothesis alone favours short texts)."""
    return st.integers(min_value=min_size, max_value=1000).flatmap(
        lambda size: st.text(alphabet, min_size=size, max_size=size)
    )


gsm7_texts = texts_of(gsm7_chars)
ucs2_texts = texts_of(st.one_of(anything, foreign, gsm7_chars))
# 1..1000 characters, GSM-7 or not.
messages = st.one_of(
    texts_of(gsm7_chars, min_size=1),
    texts_of(st.one_of(gsm7_chars, foreign), min_size=1),
    texts_of(st.one_of(anything, foreign), min_size=1),
)


def air_octets(short_message: bytes, data_coding: int, esm_class: int) -> int:
    """TP-User-Data octets once packed (TS 23.040 §9.2.3.16), computed here apart from the
    module: a GSM-7 header padded to whole septets, then ceil(septets * 7 / 8)."""
    header = short_message[0] + 1 if esm_class & ESM_UDHI else 0
    if data_coding & 0x0C == DC_UCS2:
        return len(short_message)
    septets = math.ceil(header * 8 / 7) + len(short_message) - header
    return math.ceil(septets * 7 / 8)


@given(gsm7_texts)
def test_gsm7_septets_decode_to_the_text(text):
    assert gsm7_text(gsm7_bytes(text)) == text


@given(gsm7_texts.filter(lambda text: set(text).isdisjoint("\u00a7\f")))
def test_gsm7_septets_are_those_of_an_independent_encoder(text):
    # smpplib's table has "`" where "§" belongs (0x5F) and no form feed (escape 0x0A).
    assert gsm7_bytes(text) == smpplib.gsm.gsm_encode(text)


@given(ucs2_texts)
def test_ucs2_octets_decode_to_the_text(text):
    data = ucs2_bytes(text)

    assert ucs2_text(data) == text
    assert len(data) == 2 * sum(2 if char > "\uffff" else 1 for char in text)


@given(messages, st.integers(0, 255), st.booleans(), st.randoms(use_true_random=False))
def test_split_parts_arriving_in_any_order_reassemble_to_the_text(text, reference, flash, rng):
    encoded = encode(text)
    segments = split(encoded, reference, flash=flash)
    rng.shuffle(segments)
    reassembler = Reassembler()

    wholes = []
    for segment in segments:
        part, concatenation = decode_short_message(
            segment.short_message, segment.data_coding, segment.esm_class
        )
        wholes.append(reassembler.add("33612345678", part, concatenation, now=0.0))

    assert wholes == [None] * (len(segments) - 1) + [encoded.text]
    assert len(reassembler) == 0


@given(messages, st.integers(0, 255))
def test_every_segment_fits_140_octets_once_packed(text, reference):
    encoded = encode(text)

    segments = split(encoded, reference)

    assert len(segments) == encoded.segments
    for segment in segments:
        assert air_octets(segment.short_message, segment.data_coding, segment.esm_class) <= 140
        assert len(segment.short_message) <= 254  # SMPP 3.4 §4.4.1


@given(messages, st.integers(0, 255))
def test_segments_carry_the_parts_of_encode_behind_their_header(text, reference):
    encoded = encode(text)

    segments = split(encoded, reference)

    to_bytes = gsm7_bytes if encoded.encoding == GSM7 else ucs2_bytes
    header = 6 if encoded.segments > 1 else 0
    assert [segment.short_message[header:] for segment in segments] == [
        to_bytes(part) for part in encoded.parts
    ]
    assert [segment.part for segment in segments] == list(range(1, encoded.segments + 1))
    assert all(
        (segment.data_coding == DC_UCS2) == (encoded.encoding == UCS2) for segment in segments
    )


@given(texts_of(latin1_gsm7, min_size=1), st.integers(0, 255))
def test_gsm7_text_sent_as_latin1_reassembles_to_the_text(text, reference):
    encoded = encode(text)
    segments = split(encoded, reference, route_encodings=frozenset({DC_LATIN1}))
    reassembler = Reassembler()

    wholes = [
        reassembler.add("336", *decode_short_message(
            segment.short_message, segment.data_coding, segment.esm_class
        ), now=0.0)
        for segment in segments
    ]

    assert wholes[-1] == text
    assert {segment.data_coding for segment in segments} == {DC_LATIN1}
