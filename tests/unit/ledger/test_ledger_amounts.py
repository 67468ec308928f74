"""Amounts as people write them: parsed exactly into integer units, or refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portevoix.ledger.amounts import AmountFormatError, format_amount, parse_amount
from portevoix.ledger.errors import LedgerError


@pytest.mark.parametrize(
    ("text", "scale", "units"),
    [
        ("12", 0, 12),
        ("12.5", 3, 12500),
        ("-3.25", 2, -325),
        ("0.05", 2, 5),
        (" 7 ", 0, 7),
        ("12.50", 1, 125),
        ("0", 4, 0),
        ("123456789012345678901234567890", 0, 123456789012345678901234567890),
        ("1234567890123456789012345678.91", 2, 123456789012345678901234567891),
    ],
)
def test_amount_is_parsed_exactly_into_units(text, scale, units):
    parsed = parse_amount(text, scale)

    assert parsed == units
    assert type(parsed) is int


@pytest.mark.parametrize(
    ("text", "scale"),
    [
        ("1.5", 0),
        ("1.2345", 2),
        ("abc", 2),
        ("", 0),
        ("12,5", 1),
        ("NaN", 0),
        ("Infinity", 2),
        ("-Infinity", 2),
        ("1.00000000000000000000000000001", 0),
        ("0.1e-999999999", 0),
        ("1e999999999", 0),
    ],
)
def test_amount_that_is_not_exact_in_the_units_scale_is_refused(text, scale):
    with pytest.raises(AmountFormatError) as refused:
        parse_amount(text, scale)

    assert (refused.value.text, refused.value.scale) == (text, scale)
    assert isinstance(refused.value, LedgerError)


@pytest.mark.parametrize(
    ("units", "scale", "text"),
    [(12, 0, "12"), (12500, 3, "12.500"), (-325, 2, "-3.25"), (-5, 2, "-0.05"), (0, 2, "0.00"),
     (7, 4, "0.0007")],
)
def test_units_are_formatted_with_the_scales_decimals(units, scale, text):
    formatted = format_amount(units, scale)

    assert formatted == text


@settings(max_examples=200, deadline=None)
@given(units=st.integers(min_value=-(10**18), max_value=10**18), scale=st.integers(0, 8))
def test_formatting_then_parsing_gives_back_the_units(units, scale):
    text = format_amount(units, scale)

    parsed = parse_amount(text, scale)

    assert parsed == units
