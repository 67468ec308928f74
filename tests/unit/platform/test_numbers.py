"""Reading pasted recipient numbers: every way people write them, and every refusal."""

from __future__ import annotations

import phonenumbers
import pytest

from portevoix.platform import numbers
from portevoix.platform.numbers import Destination, NumberParser, Recipient, Rejection


def read(raw: str, default_country: str = "FR", mobile_only: bool = True) -> Recipient:
    parsed = NumberParser(default_country).parse(raw, mobile_only=mobile_only)
    assert isinstance(parsed, Recipient), parsed
    return parsed


def refusal(raw: str, default_country: str = "FR", mobile_only: bool = True) -> Rejection:
    parsed = NumberParser(default_country).parse(raw, mobile_only=mobile_only)
    assert isinstance(parsed, Rejection), parsed
    return parsed


SFR_FR = ("FR", False, "sfr-fr", "208", "10")
OOREDOO_TN = ("TN", False, "ooredoo-tn", "605", "03")
THREE_GB = ("GB", False, "three-gb", "234", "20")
PROXIMUS_BE = ("BE", False, "proximus-be", "206", "01")
ORANGE_MA = ("MA", False, "orange-ma", "604", "00")
ORANGE_GP = ("GP", True, "orange-caraibe", "340", "01")
ORANGE_MQ = ("MQ", True, "orange-caraibe", "340", "01")
SFR_RE = ("RE", True, "sfr-reunion", "647", "10")


@pytest.mark.parametrize(
    ("raw", "default_country", "e164", "destination"),
    [
        # France, every way it is pasted
        ("0612345678", "FR", "+33612345678", SFR_FR),
        ("06 12 34 56 78", "FR", "+33612345678", SFR_FR),
        ("06.12.34.56.78", "FR", "+33612345678", SFR_FR),
        ("06-12-34-56-78", "FR", "+33612345678", SFR_FR),
        ("06/12/34/56/78", "FR", "+33612345678", SFR_FR),
        ("(06) 12 34 56 78", "FR", "+33612345678", SFR_FR),
        ("06\u00a012\u00a034\u00a056\u00a078", "FR", "+33612345678", SFR_FR),
        (" 06 12 34 56 78\t", "FR", "+33612345678", SFR_FR),
        ("612345678", "FR", "+33612345678", SFR_FR),
        ("+33612345678", "FR", "+33612345678", SFR_FR),
        ("+33 6 12 34 56 78", "FR", "+33612345678", SFR_FR),
        ("+33 (0)6 12 34 56 78", "FR", "+33612345678", SFR_FR),
        ("+33 0 6 12 34 56 78", "FR", "+33612345678", SFR_FR),
        ("0033612345678", "FR", "+33612345678", SFR_FR),
        ("0033 6 12 34 56 78", "FR", "+33612345678", SFR_FR),
        ("33612345678", "FR", "+33612345678", SFR_FR),
        ("\u0660\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", "FR", "+33612345678",
         SFR_FR),
        ("+33612345678", "TN", "+33612345678", SFR_FR),
        # Tunisia
        ("+216 20 123 456", "FR", "+21620123456", OOREDOO_TN),
        ("0021620123456", "FR", "+21620123456", OOREDOO_TN),
        ("21620123456", "FR", "+21620123456", OOREDOO_TN),
        ("20 123 456", "TN", "+21620123456", OOREDOO_TN),
        ("20.123.456", "TN", "+21620123456", OOREDOO_TN),
        # United Kingdom
        ("+44 7400 123456", "FR", "+447400123456", THREE_GB),
        ("+44 (0)7400 123456", "FR", "+447400123456", THREE_GB),
        ("00447400123456", "FR", "+447400123456", THREE_GB),
        ("447400123456", "FR", "+447400123456", THREE_GB),
        ("07400 123456", "GB", "+447400123456", THREE_GB),
        # Belgium
        ("+32 470 12 34 56", "FR", "+32470123456", PROXIMUS_BE),
        ("0032 470 12 34 56", "FR", "+32470123456", PROXIMUS_BE),
        ("32470123456", "FR", "+32470123456", PROXIMUS_BE),
        ("0470/12.34.56", "BE", "+32470123456", PROXIMUS_BE),
        # Morocco
        ("+212 6 12 34 56 78", "FR", "+212612345678", ORANGE_MA),
        ("00212612345678", "FR", "+212612345678", ORANGE_MA),
        ("212612345678", "FR", "+212612345678", ORANGE_MA),
        ("06 12 34 56 78", "MA", "+212612345678", ORANGE_MA),
        # Guadeloupe, Martinique, Réunion: as the seeds write them, and in the French plan
        ("+590 690 30 12 34", "FR", "+590690301234", ORANGE_GP),
        ("00590690301234", "FR", "+590690301234", ORANGE_GP),
        ("590690301234", "FR", "+590690301234", ORANGE_GP),
        ("0690 30 12 34", "FR", "+590690301234", ORANGE_GP),
        ("0690 30 12 34", "GP", "+590690301234", ORANGE_GP),
        ("00596696201234", "FR", "+596696201234", ORANGE_MQ),
        ("596696201234", "FR", "+596696201234", ORANGE_MQ),
        ("+262 692 12 34 56", "FR", "+262692123456", SFR_RE),
        ("0692 12 34 56", "FR", "+262692123456", SFR_RE),
        ("0692 12 34 56", "RE", "+262692123456", SFR_RE),
    ],
)
def test_a_pasted_mobile_reads_as_its_e164_and_destination(
    raw: str, default_country: str, e164: str, destination: tuple[str, bool, str, str, str]
) -> None:
    recipient = read(raw, default_country)

    assert recipient.raw == raw
    assert recipient.e164 == e164
    assert recipient.line == numbers.MOBILE
    found = recipient.destination
    assert (found.country, found.overseas, found.operator, found.mcc, found.mnc) == destination
    assert e164[1:].startswith(found.prefix) and found.prefix


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", numbers.EMPTY),
        ("   ", numbers.EMPTY),
        ("- ./", numbers.EMPTY),
        ("06abc12345", numbers.NOT_A_NUMBER),
        ("06 12 34 56 7O", numbers.NOT_A_NUMBER),  # a letter O
        ("+33 6 12 34 56 78 / +33 6 98 76 54 32", numbers.NOT_A_NUMBER),  # two in one cell
        ("06 12 34 56 78 poste 12", numbers.NOT_A_NUMBER),
        ("0612", numbers.TOO_SHORT),
        ("+33612", numbers.TOO_SHORT),
        ("0033", numbers.TOO_SHORT),
        ("+3", numbers.TOO_SHORT),
        ("061234567890", numbers.TOO_LONG),
        ("+336123456789", numbers.TOO_LONG),
        ("0" * 40, numbers.TOO_LONG),
        ("+999 123 456 789", numbers.UNKNOWN_COUNTRY),
        ("00999123456789", numbers.UNKNOWN_COUNTRY),
        ("0712345678", numbers.INVALID),  # 9 digits, but no French number starts 07 1
        ("+44 7700 900123", numbers.INVALID),
        ("0142685300", numbers.NOT_MOBILE),  # a Paris landline
        ("0800 12 34 56", numbers.NOT_MOBILE),  # toll-free
        ("09 12 34 56 78", numbers.NOT_MOBILE),  # VoIP
        ("0899 12 34 56", numbers.PREMIUM_OR_SHORT_CODE),  # premium rate
        ("0810 12 34 56", numbers.PREMIUM_OR_SHORT_CODE),  # shared cost
        ("36180", numbers.PREMIUM_OR_SHORT_CODE),  # an SMS short code
        ("3949", numbers.PREMIUM_OR_SHORT_CODE),  # a service number
    ],
)
def test_a_number_that_cannot_be_texted_is_refused_with_its_reason(raw: str, reason: str) -> None:
    rejection = refusal(raw)

    assert rejection.raw == raw
    assert rejection.reason == reason
    assert rejection.detail


@pytest.mark.parametrize(
    ("raw", "line"),
    [("0142685300", "landline"), ("0800 12 34 56", "toll_free"), ("09 12 34 56 78", "voip")],
)
def test_a_landline_is_read_when_mobiles_are_not_required(raw: str, line: str) -> None:
    recipient = read(raw, mobile_only=False)

    assert recipient.line == line
    assert recipient.destination == Destination(
        country="FR",
        overseas=False,
        operator="",
        operator_name="unknown operator",
        mcc="",
        mnc="",
        prefix="",
    )


def test_premium_rate_numbers_are_refused_even_when_mobiles_are_not_required() -> None:
    rejection = refusal("0899 12 34 56", mobile_only=False)

    assert rejection.reason == numbers.PREMIUM_OR_SHORT_CODE
    assert "premium-rate" in rejection.detail


def test_refusals_say_what_was_expected() -> None:
    assert refusal("0612").detail == "4 digits after +33, where numbers of FR have 9"
    assert refusal("0142685300").detail == "+33142685300 is a landline number in FR, not a mobile"


@pytest.mark.parametrize(
    ("raw", "e164", "country"),
    [
        ("0696 20 12 34", "+596696201234", "MQ"),  # Martinique in the French plan
        ("+33 696 20 12 34", "+596696201234", "MQ"),  # written with France's code
        ("0694 12 34 56", "+594694123456", "GF"),
        ("0639 01 23 45", "+262639012345", "YT"),
    ],
)
def test_an_overseas_number_in_the_french_plan_is_read_in_its_department(
    raw: str, e164: str, country: str
) -> None:
    recipient = read(raw)

    assert (recipient.e164, recipient.destination.country) == (e164, country)
    assert recipient.destination.overseas


def test_a_mainland_mobile_dialled_from_martinique_is_read_in_france() -> None:
    recipient = read("06 12 34 56 78", default_country="MQ")

    assert recipient.e164 == "+33612345678"
    assert recipient.destination.country == "FR"
    assert not recipient.destination.overseas


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        # As long as a French number: French, even when it starts like a calling code.
        ("612345678", "+33612345678"),  # not +61 (Australia)
        ("447911123", "+33447911123"),  # 04 47 91 11 23, not +44
        ("336123456", "+33336123456"),  # 03 36 12 34 56, not +33 6123456
        ("696201234", "+596696201234"),  # Martinique's 0696, without its 0
        # Longer than a French number: a calling code comes first.
        ("33612345678", "+33612345678"),
        ("21620123456", "+21620123456"),
        ("447400123456", "+447400123456"),
    ],
)
def test_bare_digits_are_national_when_they_have_a_national_length(raw: str, e164: str) -> None:
    assert read(raw, mobile_only=False).e164 == e164


@pytest.mark.parametrize(
    ("raw", "reason", "detail"),
    [
        # Longer than a French number and neither reading valid: the calling code's fault.
        ("3361234567", numbers.TOO_SHORT, "8 digits after +33, where numbers of FR have 9"),
        ("6123456789", numbers.INVALID, "+61 23456789 is no valid number in AU"),
        # Shorter: only ever national.
        ("61234567", numbers.TOO_SHORT, "8 digits after +33, where numbers of FR have 9"),
    ],
)
def test_bare_digits_read_neither_way_report_the_first_readings_fault(
    raw: str, reason: str, detail: str
) -> None:
    rejection = refusal(raw)

    assert (rejection.reason, rejection.detail) == (reason, detail)


def test_operators_are_read_from_the_block_a_number_was_allocated_in() -> None:
    orange, free = read("06 07 12 34 56"), read("06 51 12 34 56")
    bouygues, keyyo = read("06 60 12 34 56"), read("06 49 50 12 34")

    assert (orange.destination.operator, orange.destination.mnc) == ("orange-fr", "01")
    assert (free.destination.operator, free.destination.mnc) == ("free-fr", "15")
    assert (bouygues.destination.operator, bouygues.destination.mnc) == ("bouygues-fr", "20")
    # A name our table does not map keeps phonenumbers' spelling, without codes.
    assert (keyyo.destination.operator, keyyo.destination.operator_name) == ("", "Keyyo")
    assert (keyyo.destination.mcc, keyyo.destination.mnc) == ("", "")


def test_a_mobile_in_no_allocated_block_has_the_unknown_operator() -> None:
    destination = read("+1 650 253 0000").destination

    assert destination.operator == ""
    assert destination.operator_name == "unknown operator"
    assert (destination.mcc, destination.mnc, destination.prefix) == ("", "", "")


def test_a_cached_reading_keeps_each_inputs_own_raw_text() -> None:
    parser = NumberParser()

    first, second = parser.parse("0612345678"), parser.parse("06 12 34 56 78")
    again = parser.parse("0612345678")

    assert isinstance(first, Recipient) and isinstance(second, Recipient)
    assert (first.raw, second.raw) == ("0612345678", "06 12 34 56 78")
    assert first.e164 == second.e164 and first.destination is second.destination
    assert again == first


def test_a_cached_landline_is_still_refused_or_read_by_what_each_call_asks() -> None:
    parser = NumberParser()

    refused = parser.parse("0142685300")
    read_anyway = parser.parse("0142685300", mobile_only=False)

    assert isinstance(refused, Rejection) and refused.reason == numbers.NOT_MOBILE
    assert isinstance(read_anyway, Recipient) and read_anyway.line == "landline"


def test_a_parser_without_cache_reads_the_same() -> None:
    assert NumberParser(cache_size=0).parse("0612345678") == read("0612345678")


COMMON = [
    "06 12 34 56 78",
    "+33 7 51 12 34 56",
    "0033 6 12 34 56 78",
    "21620123456",
    "+44 7400 123456",
    "+32 470 12 34 56",
    "212612345678",
    "+590 690 30 12 34",
    "0696 20 12 34",
]


@pytest.mark.parametrize("raw", COMMON)
def test_common_numbers_are_read_without_phonenumbers_parser(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_on_the_fast_path(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fast path called phonenumbers.parse")

    monkeypatch.setattr(phonenumbers, "parse", not_on_the_fast_path)

    assert isinstance(NumberParser(cache_size=0).parse(raw), Recipient)


def test_an_unknown_default_country_is_refused() -> None:
    with pytest.raises(ValueError, match="ZZ"):
        NumberParser("ZZ")
