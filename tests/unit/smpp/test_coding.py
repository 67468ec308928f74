"""Short message coding: GSM 03.38 septets and UCS-2 octets, the data_coding of each route and
class, the concatenation header and the 140-octet rule, and MO parts read and reassembled."""

from __future__ import annotations

import math

import pytest

from portevoix.platform.segments import BASIC_TABLE, ESCAPE, EXTENSION_TABLE, GSM7, UCS2, encode
from portevoix.platform.smpp.coding import (
    DC_DEFAULT,
    DC_LATIN1,
    DC_UCS2,
    ESM_UDHI,
    InvalidReferenceError,
    MalformedShortMessageError,
    Segment,
    TooManyPartsError,
    UnencodableTextError,
    UnsupportedCodingError,
    UnsupportedDataCodingError,
    decode_short_message,
    gsm7_bytes,
    gsm7_text,
    latin1_bytes,
    split,
    ucs2_bytes,
    ucs2_text,
)
from portevoix.platform.smpp.reassembly import Reassembler

EMOJI = "\U0001f600"  # GRINNING FACE: the surrogate pair D83D DE00
ARABIC = "\u0628"
EURO = "\u20ac"
LATIN1_ONLY = frozenset({DC_LATIN1, DC_UCS2})


def packed_octets(segment: Segment) -> int:
    """Octets of the segment's TP-User-Data on the air (TS 23.040 §9.2.3.16): a GSM-7 header
    is padded to a septet boundary and the septets packed 8 to 7 octets; UCS-2 goes as is."""
    header = segment.short_message[0] + 1 if segment.esm_class & ESM_UDHI else 0
    if segment.data_coding & 0x0C == DC_UCS2:
        return len(segment.short_message)
    septets = math.ceil(header * 8 / 7) + len(segment.short_message) - header
    return math.ceil(septets * 7 / 8)


# GSM-7 septets ---------------------------------------------------------------------------


def test_every_basic_character_is_its_septet_in_one_octet():
    text = "".join(char for septet, char in enumerate(BASIC_TABLE) if septet != ESCAPE)

    assert gsm7_bytes(text) == bytes(septet for septet in range(128) if septet != ESCAPE)


@pytest.mark.parametrize(("char", "code"), sorted(EXTENSION_TABLE.items()))
def test_an_extension_character_is_the_escape_then_its_code(char, code):
    assert gsm7_bytes(f"a{char}b") == bytes((0x61, ESCAPE, code, 0x62))


def test_gsm7_bytes_are_not_packed():
    assert gsm7_bytes("hello") == b"hello"
    assert gsm7_bytes("@\u00a3$") == b"\x00\x01\x02"


@pytest.mark.parametrize(("text", "char", "position"), [
    ("caf\u00ea", "\u00ea", 3), (f"ok {EMOJI}", EMOJI, 3), ("`", "`", 0), ("a\x1bb", "\x1b", 1),
])
def test_gsm7_bytes_names_the_first_character_outside_gsm7(text, char, position):
    with pytest.raises(UnencodableTextError) as raised:
        gsm7_bytes(text)

    assert (raised.value.char, raised.value.position, raised.value.alphabet) == (
        char, position, GSM7,
    )


def test_gsm7_text_reads_the_basic_and_extension_tables():
    assert gsm7_text(b"\x00\x01Hi \x1b\x65\x1b\x28\x1b\x29\x11") == "@\u00a3Hi \u20ac{}_"


def test_an_escape_to_an_unassigned_code_shows_the_basic_character_as_ts_23_038_says():
    assert gsm7_text(b"\x1bA\x1b\x00") == "A@"


def test_an_escape_escaped_and_a_trailing_escape_show_as_spaces():
    assert gsm7_text(b"a\x1b\x1bb") == "a b"
    assert gsm7_text(b"ab\x1b") == "ab "


def test_an_octet_above_0x7f_is_refused_as_not_a_septet():
    with pytest.raises(MalformedShortMessageError) as raised:
        gsm7_text(b"ab\x80")

    assert raised.value.reason == "octet 2 is not a septet"
    assert raised.value.data == b"ab\x80"


# UCS-2 and Latin-1 -------------------------------------------------------------------------


def test_ucs2_is_utf16_big_endian_with_surrogate_pairs():
    assert ucs2_bytes(f"{ARABIC}{EMOJI}") == bytes.fromhex("0628 d83d de00")
    assert ucs2_text(bytes.fromhex("0628 d83d de00")) == f"{ARABIC}{EMOJI}"


def test_ucs2_of_an_odd_length_is_refused():
    with pytest.raises(MalformedShortMessageError, match="odd number of octets"):
        ucs2_text(b"\x00a\x00")


def test_latin1_bytes_refuses_a_character_beyond_it():
    with pytest.raises(UnencodableTextError) as raised:
        latin1_bytes("\u00e9t\u00e9 \u0394")

    assert (raised.value.char, raised.value.position) == ("\u0394", 4)


# One-part messages and their data_coding ---------------------------------------------------


@pytest.mark.parametrize(("text", "flash", "data_coding"), [
    ("Bonjour", False, 0x00), ("Bonjour", True, 0x10),
    (ARABIC, False, 0x08), (ARABIC, True, 0x18),
])
def test_data_coding_names_the_alphabet_and_class_0_for_flash(text, flash, data_coding):
    (segment,) = split(encode(text), reference=1, flash=flash)

    assert segment.data_coding == data_coding


def test_a_gsm7_message_of_160_septets_is_one_part_without_a_header():
    encoded = encode("x" * 158 + EURO)  # the euro is 2 septets: 160

    (segment,) = split(encoded, reference=9)

    assert segment == Segment(
        b"x" * 158 + b"\x1b\x65", esm_class=0, data_coding=DC_DEFAULT, part=1, parts=1
    )


def test_a_ucs2_message_of_70_units_is_one_part_of_140_octets():
    (segment,) = split(encode(ARABIC * 70), reference=0)

    assert (len(segment.short_message), segment.esm_class, segment.data_coding) == (140, 0, 8)


# Long messages -------------------------------------------------------------------------------


def test_each_part_starts_with_the_8_bit_concatenation_header():
    segments = split(encode("a" * 400), reference=0xAB)

    assert [segment.short_message[:6] for segment in segments] == [
        bytes.fromhex("05 00 03 ab 03 01"),
        bytes.fromhex("05 00 03 ab 03 02"),
        bytes.fromhex("05 00 03 ab 03 03"),
    ]
    assert {(segment.esm_class, segment.data_coding) for segment in segments} == {(0x40, 0x00)}
    assert [(segment.part, segment.parts) for segment in segments] == [(1, 3), (2, 3), (3, 3)]


def test_a_gsm7_part_is_153_unpacked_septets_that_pack_with_the_header_into_140_octets():
    first, second = split(encode("a" * 161), reference=1)

    # The rule: 6 header octets + 1 fill bit = 7 septets, + 153 = 160 septets = 140 octets.
    assert len(first.short_message) == 6 + 153
    assert packed_octets(first) == 140
    assert second.short_message[6:] == b"a" * 8
    # One septet more would not fit: the header leaves 153, not 154.
    assert math.ceil((7 + 154) * 7 / 8) == 141


def test_a_ucs2_part_is_134_octets_behind_the_header():
    first, _ = split(encode(ARABIC * 71), reference=1)

    assert len(first.short_message) == 140
    assert first.short_message[6:] == ucs2_bytes(ARABIC * 67)


def test_an_escape_is_never_split_from_its_code():
    encoded = encode("a" * 152 + EURO + "b" * 10)  # the euro would straddle parts 1 and 2

    first, second = split(encoded, reference=1)

    assert first.short_message[-1] != ESCAPE
    assert second.short_message[6:8] == bytes((ESCAPE, EXTENSION_TABLE[EURO]))


def test_use_payload_sends_the_whole_text_in_one_segment_without_a_header():
    encoded = encode("a" * 500)

    assert split(encoded, reference=1, use_payload=True) == [
        Segment(b"a" * 500, esm_class=0, data_coding=DC_DEFAULT, part=1, parts=1)
    ]


@pytest.mark.parametrize("reference", [-1, 256])
def test_a_reference_beyond_an_octet_is_refused(reference):
    with pytest.raises(InvalidReferenceError) as raised:
        split(encode("a" * 200), reference=reference)

    assert raised.value.reference == reference


def test_more_than_255_parts_are_refused():
    with pytest.raises(TooManyPartsError) as raised:
        split(encode("a" * (153 * 255 + 1)), reference=1)

    assert raised.value.parts == 256


def test_255_parts_fit_the_header():
    segments = split(encode("a" * (153 * 255)), reference=1)

    assert segments[-1].short_message[:6] == bytes.fromhex("05 00 03 01 ff ff")


# Routes that do not take the default alphabet ------------------------------------------------


def test_gsm7_text_goes_as_latin1_with_the_parts_it_was_billed_for_when_the_route_wants():
    encoded = encode("\u00e9t\u00e9 \u00e0 " * 30)  # 180 characters: 2 GSM-7 parts

    segments = split(encoded, reference=3, route_encodings=LATIN1_ONLY)

    assert [segment.data_coding for segment in segments] == [DC_LATIN1, DC_LATIN1]
    assert [segment.short_message[6:] for segment in segments] == [
        part.encode("latin-1") for part in encoded.parts
    ]


def test_gsm7_text_with_greek_or_euro_is_refused_on_a_latin1_route():
    with pytest.raises(UnsupportedCodingError) as raised:
        split(encode(f"\u0394 {EURO} \u0394"), reference=1, route_encodings=LATIN1_ONLY)

    assert raised.value.unrepresentable == f"\u0394{EURO}"
    assert raised.value.encoding == GSM7


def test_a_flash_message_cannot_go_as_latin1_which_has_no_class():
    with pytest.raises(UnsupportedCodingError) as raised:
        split(encode("Bonjour"), reference=1, flash=True, route_encodings=LATIN1_ONLY)

    assert raised.value.flash is True


def test_ucs2_text_is_refused_on_a_route_without_ucs2():
    with pytest.raises(UnsupportedCodingError) as raised:
        split(encode(ARABIC), reference=1, route_encodings=frozenset({DC_DEFAULT}))

    assert (raised.value.encoding, raised.value.route_encodings) == (UCS2, {DC_DEFAULT})


def test_ucs2_stays_ucs2_on_a_latin1_route():
    (segment,) = split(encode(ARABIC), reference=1, route_encodings=LATIN1_ONLY)

    assert segment.data_coding == DC_UCS2


# Decoding what arrives -------------------------------------------------------------------


@pytest.mark.parametrize(("data", "data_coding", "text"), [
    (b"\x00Hi", 0x00, "@Hi"),
    (b"Hi@", 0x01, "Hi@"),
    (b"\xe9t\xe9", 0x03, "\u00e9t\u00e9"),
    (bytes.fromhex("0628 d83d de00"), 0x08, f"{ARABIC}{EMOJI}"),
    (b"\x00Hi", 0x10, "@Hi"),  # GSM-7, class 0
    (bytes.fromhex("0628"), 0x18, ARABIC),  # UCS-2, class 0
    (b"\x00Hi", 0xF0, "@Hi"),  # message class group, GSM-7
    (b"\x00Hi", 0xC8, "@Hi"),  # message waiting, GSM-7
    (bytes.fromhex("0628"), 0xE8, ARABIC),  # message waiting, UCS-2
    (bytes.fromhex("b4d0"), 0x06, "\u0414\u0430"),  # Cyrillic
])
def test_each_text_data_coding_decodes(data, data_coding, text):
    assert decode_short_message(data, data_coding, esm_class=0) == (text, None)


@pytest.mark.parametrize("data_coding", [0x02, 0x04, 0x05, 0x14, 0x24, 0xF4, 0x0C])
def test_binary_compressed_and_unknown_codings_are_refused(data_coding):
    with pytest.raises(UnsupportedDataCodingError) as raised:
        decode_short_message(b"abc", data_coding, esm_class=0)

    assert raised.value.data_coding == data_coding


def test_ia5_with_an_octet_beyond_ascii_is_malformed():
    with pytest.raises(MalformedShortMessageError, match="not ascii"):
        decode_short_message(b"a\xe9", 0x01, esm_class=0)


def test_an_8_bit_reference_header_gives_reference_total_and_sequence():
    data = bytes.fromhex("05 00 03 2a 03 02") + b"Hi"

    assert decode_short_message(data, DC_DEFAULT, ESM_UDHI) == ("Hi", (0x2A, 3, 2))


def test_a_16_bit_reference_header_gives_the_16_bit_reference():
    data = bytes.fromhex("06 08 04 12 34 02 01") + ucs2_bytes(ARABIC)

    assert decode_short_message(data, DC_UCS2, ESM_UDHI) == (ARABIC, (0x1234, 2, 1))


def test_other_elements_of_the_header_are_skipped():
    # An application port element (IEI 05, 4 octets) before the concatenation element.
    data = bytes.fromhex("0b 05 04 0b 84 23 f0 00 03 07 02 02") + b"Hi"

    assert decode_short_message(data, DC_DEFAULT, ESM_UDHI) == ("Hi", (7, 2, 2))


def test_a_header_without_concatenation_gives_the_text_alone():
    data = bytes.fromhex("04 05 02 0b 84") + b"Hi"  # an element we do not read

    assert decode_short_message(data, DC_DEFAULT, ESM_UDHI) == ("Hi", None)


@pytest.mark.parametrize("header", ["05 00 03 07 00 01", "05 00 03 07 02 00", "05 00 03 07 02 03"])
def test_a_concatenation_element_naming_no_part_is_ignored_as_ts_23_040_says(header):
    assert decode_short_message(bytes.fromhex(header) + b"Hi", DC_DEFAULT, ESM_UDHI) == (
        "Hi", None,
    )


def test_the_last_of_repeated_concatenation_elements_counts():
    data = bytes.fromhex("0a 00 03 07 02 01 00 03 08 03 02") + b"Hi"

    assert decode_short_message(data, DC_DEFAULT, ESM_UDHI) == ("Hi", (8, 3, 2))


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "user data header longer than the data"),
    (bytes.fromhex("07 00 03 07 02 01"), "user data header longer than the data"),
    (bytes.fromhex("05 00 05 07 02 01"), "information element 0x00 overruns"),
    (bytes.fromhex("01 00") + b"Hi", "truncated information element"),
])
def test_a_header_that_overruns_is_malformed(data, reason):
    with pytest.raises(MalformedShortMessageError) as raised:
        decode_short_message(data, DC_DEFAULT, ESM_UDHI)

    assert raised.value.reason == reason


def test_without_udhi_the_header_octets_are_text():
    data = bytes.fromhex("05 00 03 07 02 01")

    assert decode_short_message(data, DC_DEFAULT, esm_class=0)[1] is None


# Reassembly ----------------------------------------------------------------------------


def test_a_text_that_is_not_a_part_is_whole_at_once():
    reassembler = Reassembler()

    assert reassembler.add("33612345678", "Hi", None, now=0.0) == "Hi"
    assert reassembler.add("33612345678", "Hi", (1, 1, 1), now=0.0) == "Hi"
    assert len(reassembler) == 0


def test_parts_in_any_order_give_the_text_when_the_last_arrives():
    reassembler = Reassembler()

    assert reassembler.add("336", "c", (9, 3, 3), now=0.0) is None
    assert reassembler.add("336", "a", (9, 3, 1), now=1.0) is None
    assert reassembler.add("336", "b", (9, 3, 2), now=2.0) == "abc"
    assert len(reassembler) == 0


def test_a_part_received_twice_counts_once():
    reassembler = Reassembler()

    reassembler.add("336", "a", (9, 2, 1), now=0.0)

    assert reassembler.add("336", "a", (9, 2, 1), now=0.0) is None
    assert reassembler.add("336", "b", (9, 2, 2), now=0.0) == "ab"


def test_two_senders_with_one_reference_do_not_mix():
    reassembler = Reassembler()

    reassembler.add("336", "a", (9, 2, 1), now=0.0)
    reassembler.add("337", "x", (9, 2, 1), now=0.0)

    assert reassembler.add("337", "y", (9, 2, 2), now=0.0) == "xy"
    assert reassembler.add("336", "b", (9, 2, 2), now=0.0) == "ab"


def test_an_incomplete_set_older_than_max_age_is_dropped():
    reassembler = Reassembler(max_age=60.0)
    reassembler.add("336", "a", (9, 2, 1), now=0.0)

    assert reassembler.add("337", "x", (5, 2, 1), now=59.0) is None
    assert len(reassembler) == 2
    assert reassembler.add("336", "b", (9, 2, 2), now=60.0) is None  # its part 1 is gone
    assert (len(reassembler), reassembler.dropped) == (2, 1)


def test_beyond_max_sets_the_oldest_set_is_dropped():
    reassembler = Reassembler(max_sets=2)
    for reference in range(3):
        reassembler.add("336", "a", (reference, 2, 1), now=float(reference))

    assert (len(reassembler), reassembler.dropped) == (2, 1)
    assert reassembler.add("336", "b", (0, 2, 2), now=3.0) is None
    assert reassembler.add("336", "b", (2, 2, 2), now=3.0) == "ab"


def test_a_surrogate_pair_a_sender_split_between_parts_is_rejoined():
    high, low = ucs2_bytes(EMOJI)[:2], ucs2_bytes(EMOJI)[2:]
    reassembler = Reassembler()

    reassembler.add("336", ucs2_text(b"\x00a" + high), (1, 2, 1), now=0.0)
    text = reassembler.add("336", ucs2_text(low + b"\x00b"), (1, 2, 2), now=0.0)

    assert text == f"a{EMOJI}b"
