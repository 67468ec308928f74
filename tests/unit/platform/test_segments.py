"""Segmentation: the GSM 03.38 tables, published segment counts, splits at part boundaries that
never cut an escape or a surrogate pair, and the replace policy with its euro rule."""

from __future__ import annotations

import unicodedata

import pytest

from portevoix.platform.lookalikes import LOOKALIKES
from portevoix.platform.segments import (
    BASIC_TABLE,
    ESCAPE,
    EXTENSION_TABLE,
    GSM7,
    GSM7_BASIC,
    GSM7_CHARS,
    GSM7_EXTENSION,
    POLICIES,
    REPLACE_POLICY,
    UCS2,
    UCS2_POLICY,
    UnknownPolicyError,
    encode,
    segment_count,
)
from portevoix.tenants.options import OPTIONS

ARABIC = "\u0628"  # ARABIC LETTER BEH: no look-alike, one UTF-16 unit
EMOJI = "\U0001f600"  # GRINNING FACE: beyond U+FFFF, a surrogate pair
EURO = "\u20ac"
APOSTROPHE = "\u2019"  # RIGHT SINGLE QUOTATION MARK, what phones and word processors type
ELLIPSIS = "\u2026"
# Latin letters of the ranges the look-alike table covers that have nothing to stand for them.
NO_LOOKALIKE = frozenset("\u00de\u00fe\u0138\u014a\u014b\u0149")  # Þ þ ĸ Ŋ ŋ ŉ


def counted(text: str, policy: str = UCS2_POLICY) -> tuple[str, int]:
    """What ``segment_count`` says, after checking ``encode`` says the same."""
    encoded = encode(text, policy)
    assert segment_count(text, policy) == (encoded.encoding, encoded.segments)
    return encoded.encoding, encoded.segments


# The tables ------------------------------------------------------------------------------


def test_basic_table_holds_128_septets_with_the_escape_at_0x1b():
    assert len(BASIC_TABLE) == 128
    assert BASIC_TABLE[ESCAPE] == "\x1b"
    assert "\x1b" not in GSM7_BASIC
    assert len(GSM7_BASIC) == 127


@pytest.mark.parametrize(
    ("septet", "char"),
    [
        (0x00, "@"), (0x01, "£"), (0x02, "$"), (0x03, "¥"), (0x04, "è"), (0x09, "Ç"),
        (0x0A, "\n"), (0x0D, "\r"), (0x10, "Δ"), (0x11, "_"), (0x1A, "Ξ"), (0x1C, "Æ"),
        (0x1F, "É"), (0x20, " "), (0x24, "¤"), (0x40, "¡"), (0x5B, "Ä"), (0x5F, "§"),
        (0x60, "¿"), (0x7B, "ä"), (0x7F, "à"),
    ],
)
def test_basic_table_puts_each_character_at_its_septet(septet, char):
    assert BASIC_TABLE[septet] == char


def test_extension_table_is_the_ten_escaped_characters_of_ts_23_038():
    assert dict(EXTENSION_TABLE) == {
        "\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F,
        "[": 0x3C, "~": 0x3D, "]": 0x3E, "|": 0x40, EURO: 0x65,
    }
    assert not GSM7_EXTENSION & GSM7_BASIC


def test_ascii_outside_gsm7_is_only_the_backtick_and_control_characters():
    outside = {chr(code) for code in range(128)} - GSM7_CHARS

    controls = {chr(code) for code in range(32)} | {"\x7f"}
    assert outside == {"`"} | controls - {"\n", "\r", "\f"}


# Published counts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4), (1530, 10)],
)
def test_plain_gsm7_text_takes_160_alone_then_153_a_part(length, segments):
    assert counted("a" * length) == (GSM7, segments)


def test_empty_text_is_one_gsm7_segment_of_no_units():
    encoded = encode("")

    assert (encoded.encoding, encoded.parts, encoded.units) == (GSM7, ("",), 0)
    assert segment_count("") == (GSM7, 1)


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION))
def test_an_extension_character_costs_two_septets(char):
    assert encode("x" + char).units == 3


@pytest.mark.parametrize("char", ["[", "~"])
def test_eighty_extension_characters_fill_a_message_and_one_more_character_overflows(char):
    assert encode(char * 80).units == 160
    assert counted(char * 80) == (GSM7, 1)
    assert counted(char * 80 + "a") == (GSM7, 2)


@pytest.mark.parametrize(
    ("length", "segments"),
    [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_arabic_text_takes_70_alone_then_67_a_part(length, segments):
    assert counted(ARABIC * length) == (UCS2, segments)


# Escapes and surrogate pairs at part boundaries ------------------------------------------


def test_euro_at_position_152_ends_the_first_part():
    text = "a" * 151 + EURO + "b" * 10  # 151 + 2 = 153 septets: the part is exactly full

    assert encode(text).parts == ("a" * 151 + EURO, "b" * 10)
    assert segment_count(text) == (GSM7, 2)


def test_euro_at_position_153_moves_to_the_next_part():
    text = "a" * 152 + EURO + "b" * 10  # its escape would be septet 153, its code septet 154

    encoded = encode(text)

    assert encoded.parts == ("a" * 152, EURO + "b" * 10)  # the first part holds 152 septets
    assert encoded.units == 164
    assert segment_count(text) == (GSM7, 2)


def test_euro_at_position_154_starts_the_next_part():
    text = "a" * 153 + EURO + "b" * 10

    assert encode(text).parts == ("a" * 153, EURO + "b" * 10)
    assert segment_count(text) == (GSM7, 2)


def test_a_pushed_escape_can_cost_a_whole_segment():
    # 152 + 2 + 152 = 306 septets would fit 2 parts of 153, but the euro cannot straddle them.
    text = "a" * 152 + EURO + "b" * 152

    assert encode(text).parts == ("a" * 152, EURO + "b" * 151, "b")
    assert segment_count(text) == (GSM7, 3)


def test_euro_bringing_a_text_to_160_septets_keeps_it_single():
    assert encode("a" * 158 + EURO).parts == ("a" * 158 + EURO,)
    assert counted("a" * 158 + EURO) == (GSM7, 1)


def test_euro_bringing_a_text_to_161_septets_makes_two_parts():
    assert encode("a" * 159 + EURO).parts == ("a" * 153, "a" * 6 + EURO)
    assert segment_count("a" * 159 + EURO) == (GSM7, 2)


def test_emoji_across_a_ucs2_part_boundary_moves_whole_to_the_next_part():
    text = ARABIC * 66 + EMOJI + ARABIC * 10  # its pair would be units 67 and 68

    encoded = encode(text)

    assert encoded.parts == (ARABIC * 66, EMOJI + ARABIC * 10)  # the first part holds 66 units
    assert encoded.units == 78
    assert segment_count(text) == (UCS2, 2)


def test_emoji_ending_a_ucs2_part_exactly_stays_in_it():
    text = ARABIC * 65 + EMOJI + ARABIC * 10

    assert encode(text).parts == (ARABIC * 65 + EMOJI, ARABIC * 10)
    assert segment_count(text) == (UCS2, 2)


def test_an_emoji_counts_two_utf16_units():
    assert encode(EMOJI * 35).units == 70
    assert counted(EMOJI * 35) == (UCS2, 1)
    assert encode(EMOJI * 36).parts == (EMOJI * 33, EMOJI * 3)  # 33 pairs: 66 units a part


# The ucs2 policy -------------------------------------------------------------------------


def test_one_character_outside_gsm7_makes_the_whole_message_ucs2():
    text = "Fête " + "a" * 80  # 85 characters: 1 segment in GSM-7, 2 in UCS-2

    encoded = encode(text)

    assert (encoded.encoding, encoded.text, encoded.units) == (UCS2, text, 85)
    assert counted(text) == (UCS2, 2)
    assert encoded.replaced == ()


def test_ucs2_policy_never_replaces_the_euro():
    text = "a" * 159 + EURO

    encoded = encode(text, UCS2_POLICY)

    assert (encoded.text, encoded.segments, encoded.replaced) == (text, 2, ())


# The replace policy ----------------------------------------------------------------------


def test_replace_policy_keeps_french_typography_in_gsm7_and_shows_what_it_replaced():
    encoded = encode(f"L{APOSTROPHE}été à Noël{ELLIPSIS}", REPLACE_POLICY)

    assert (encoded.encoding, encoded.text) == (GSM7, "L'été à Noel...")
    assert encoded.replaced == ((APOSTROPHE, "'"), ("ë", "e"), (ELLIPSIS, "..."))
    assert encoded.units == 15


def test_replace_policy_lists_each_replacement_once():
    encoded = encode(f"l{APOSTROPHE}un, l{APOSTROPHE}autre", REPLACE_POLICY)

    assert encoded.replaced == ((APOSTROPHE, "'"),)


def test_replace_policy_sends_ucs2_as_written_when_a_character_has_no_lookalike():
    text = f"L{APOSTROPHE}été {ARABIC}"

    encoded = encode(text, REPLACE_POLICY)

    assert (encoded.encoding, encoded.text, encoded.replaced) == (UCS2, text, ())
    assert segment_count(text, REPLACE_POLICY) == (UCS2, 1)


def test_replace_policy_counts_the_replacements_length():
    text = ELLIPSIS * 54  # 54 characters, 162 septets once written "..."

    assert counted(text, REPLACE_POLICY) == (GSM7, 2)


def test_replace_policy_replaces_euro_when_that_saves_a_segment():
    encoded = encode("a" * 159 + EURO, REPLACE_POLICY)  # 161 septets; with "E", 160

    assert (encoded.text, encoded.segments) == ("a" * 159 + "E", 1)
    assert encoded.replaced == ((EURO, "E"),)
    assert segment_count("a" * 159 + EURO, REPLACE_POLICY) == (GSM7, 1)


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("Total : 12" + EURO, 1),  # already one segment
        ("a" * 200 + EURO, 2),  # 202 septets, or 201: two segments either way
    ],
)
def test_replace_policy_keeps_euro_when_replacing_saves_no_segment(text, segments):
    encoded = encode(text, REPLACE_POLICY)

    assert (encoded.text, encoded.segments, encoded.replaced) == (text, segments, ())
    assert segment_count(text, REPLACE_POLICY) == (GSM7, segments)


def test_replace_policy_replaces_every_euro_or_none():
    encoded = encode(EURO * 81, REPLACE_POLICY)  # 162 septets; 81 once replaced

    assert (encoded.text, encoded.segments) == ("E" * 81, 1)


def test_replace_policy_shows_the_euro_after_the_lookalikes():
    encoded = encode(EURO + APOSTROPHE + "a" * 158, REPLACE_POLICY)

    assert encoded.text == "E'" + "a" * 158
    assert encoded.replaced == ((APOSTROPHE, "'"), (EURO, "E"))


def test_replace_policy_turns_c_cedilla_into_c_not_the_gsm7_capital():
    assert encode("Ça, reçu", REPLACE_POLICY).text == "Ça, recu"  # Ç is GSM-7: kept


def test_replace_policy_writes_out_the_oe_ligature():
    assert encode("Cœur, Œuvre", REPLACE_POLICY).text == "Coeur, OEuvre"


def test_replace_policy_turns_no_break_spaces_into_spaces():
    assert encode("Prix\u00a0:\u202f12", REPLACE_POLICY).text == "Prix : 12"


def test_replace_policy_drops_invisible_characters():
    encoded = encode("mot\u00adclé\u200b", REPLACE_POLICY)

    assert (encoded.text, encoded.units) == ("motclé", 6)


# Policies --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["plain", "Fête", "a" * 200 + EURO])
def test_an_unknown_policy_is_refused_with_the_known_ones(text):
    with pytest.raises(UnknownPolicyError) as refused:
        segment_count(text, "gsm")
    with pytest.raises(UnknownPolicyError):
        encode(text, "gsm")

    assert (refused.value.policy, refused.value.known) == ("gsm", POLICIES)


def test_policies_are_the_choices_of_the_customer_option():
    assert OPTIONS["non_gsm_policy"].choices == POLICIES


# The look-alike table --------------------------------------------------------------------


def test_lookalikes_replace_only_characters_outside_gsm7():
    assert not LOOKALIKES.keys() & GSM7_CHARS


def test_lookalikes_write_only_basic_gsm7_so_a_replacement_never_needs_an_escape():
    written = set("".join(LOOKALIKES.values()))

    assert written <= GSM7_BASIC


def test_every_accented_latin_letter_has_a_lookalike_unless_gsm7_has_it():
    latin = [chr(code) for code in [*range(0xC0, 0x180), *range(0x218, 0x21C)]]
    letters = [char for char in latin if unicodedata.category(char).startswith("L")]

    missing = [
        char for char in letters
        if char not in GSM7_CHARS and char not in LOOKALIKES and char not in NO_LOOKALIKE
    ]

    assert missing == []


def test_an_accented_letter_becomes_its_base_letter():
    decomposable = {
        char: unicodedata.normalize("NFD", char)[0]
        for char in LOOKALIKES
        if unicodedata.category(char).startswith("L")
        and unicodedata.normalize("NFD", char)[0].isascii()
        and unicodedata.normalize("NFD", char) != char
    }

    assert len(decomposable) > 100  # not vacuous
    assert {char: LOOKALIKES[char] for char in decomposable} == decomposable
