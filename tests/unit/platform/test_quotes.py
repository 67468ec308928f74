"""Quotes: each recipient priced by its destination and its own text's segments."""

from __future__ import annotations

import pytest

from portevoix.platform.numbers import NumberParser
from portevoix.platform.prices import SMS, PriceEntry, PriceTable
from portevoix.platform.quotes import (
    EMPTY_MESSAGE,
    LONG_SMS_NOT_ALLOWED,
    NO_PRICE,
    OVERSEAS_NOT_ALLOWED,
    Terms,
    quote,
    quote_text,
)

RETAIL = PriceTable([PriceEntry("FR", "", SMS, 650), PriceEntry("TN", "", SMS, 1200),
                     PriceEntry("GP", "", SMS, 715)])
WHOLESALE = PriceTable([PriceEntry("FR", "", SMS, 450), PriceEntry("TN", "", SMS, 900),
                        PriceEntry("GP", "", SMS, 800)])
SHORT = "Votre code est 1234"
LONG = "x" * 161  # two GSM-7 segments


@pytest.fixture
def parser() -> NumberParser:
    return NumberParser("FR")


def terms(**options: bool) -> Terms:
    return Terms(retail=RETAIL, wholesale=WHOLESALE, **options)


def test_a_recipient_costs_its_segments_times_its_destinations_prices(
    parser: NumberParser
) -> None:
    result = quote_text(terms(), parser, LONG, ["06 12 34 56 78", "+216 20 123 456"])

    assert [(line.e164, line.segments, line.price, line.wholesale_cost)
            for line in result.lines] == [
        ("+33612345678", 2, 1300, 900), ("+21620123456", 2, 2400, 1800)]
    assert (result.total_price, result.total_wholesale_cost, result.margin) == (3700, 2700, 1000)
    assert result.total_segments == 4


def test_the_same_number_written_twice_is_sent_and_charged_once(parser: NumberParser) -> None:
    result = quote_text(terms(), parser, SHORT,
                        ["0612345678", "+33 6 12 34 56 78", "0033612345678"])

    assert [line.e164 for line in result.lines] == ["+33612345678"]
    assert result.duplicates == ["+33 6 12 34 56 78", "0033612345678"]
    assert result.total_price == 650


def test_personalised_texts_are_priced_by_their_own_length(parser: NumberParser) -> None:
    messages = [("0612345678", "Bonjour Li"), ("0698765432", "Bonjour " + "x" * 160)]

    result = quote(terms(), parser, messages)

    assert [(line.segments, line.price) for line in result.lines] == [(1, 650), (2, 1300)]


def test_a_text_outside_gsm7_is_priced_as_ucs2(parser: NumberParser) -> None:
    arabic = "مرحبا " * 12  # 72 UTF-16 units: two UCS-2 segments

    [line] = quote_text(terms(), parser, arabic, ["0612345678"]).lines

    assert (line.encoding, line.segments) == ("ucs2", 2)


def test_invalid_numbers_are_refused_with_the_parsers_reason(parser: NumberParser) -> None:
    result = quote_text(terms(), parser, SHORT, ["0612", "0612345678"])

    assert [(r.raw, r.reason) for r in result.refused] == [("0612", "too_short")]
    assert len(result.lines) == 1


@pytest.mark.parametrize(("allowed", "priced", "refusals"), [
    (False, 0, [OVERSEAS_NOT_ALLOWED]), (True, 715, []),
])
def test_overseas_destinations_need_the_account_option(
    parser: NumberParser, allowed: bool, priced: int, refusals: list[str]
) -> None:
    result = quote_text(terms(overseas_allowed=allowed), parser, SHORT, ["+590 690 12 34 56"])

    assert result.total_price == priced
    assert [r.reason for r in result.refused] == refusals


def test_a_destination_without_a_price_is_refused(parser: NumberParser) -> None:
    result = quote_text(terms(), parser, SHORT, ["+44 7911 123456"])

    assert [(r.reason, r.raw) for r in result.refused] == [(NO_PRICE, "+44 7911 123456")]


def test_long_messages_are_refused_when_the_option_is_off(parser: NumberParser) -> None:
    result = quote(terms(long_sms_allowed=False), parser,
                   [("0612345678", SHORT), ("0698765432", LONG)])

    assert [line.e164 for line in result.lines] == ["+33612345678"]
    assert [r.reason for r in result.refused] == [LONG_SMS_NOT_ALLOWED]
    assert "2 segments" in result.refused[0].detail


def test_a_blank_text_is_refused(parser: NumberParser) -> None:
    result = quote_text(terms(), parser, "   ", ["0612345678"])

    assert [r.reason for r in result.refused] == [EMPTY_MESSAGE]


def test_an_operator_price_applies_to_that_operators_numbers(parser: NumberParser) -> None:
    destination = parser.parse("0612345678").destination  # type: ignore[union-attr]
    retail = PriceTable([PriceEntry("FR", "", SMS, 650),
                         PriceEntry("FR", destination.operator, SMS, 600)])

    [line] = quote_text(Terms(retail=retail, wholesale=WHOLESALE), parser, SHORT,
                        ["0612345678"]).lines

    assert destination.operator
    assert line.unit_price == 600


def test_lines_sold_below_wholesale_are_flagged(parser: NumberParser) -> None:
    cheap = PriceTable([PriceEntry("FR", "", SMS, 400)])

    result = quote_text(Terms(retail=cheap, wholesale=WHOLESALE), parser, SHORT,
                        ["0612345678"])

    assert [line.e164 for line in result.below_wholesale] == ["+33612345678"]
    assert result.margin == -50
