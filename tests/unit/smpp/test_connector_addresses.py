"""TON/NPI of senders and recipients: alphanumeric, short code, international, route overrides."""

from __future__ import annotations

import pytest

from portevoix.platform.smpp.addresses import (
    Address,
    AddressError,
    destination_address,
    source_address,
)


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("MaBoutique", Address("MaBoutique", 5, 0)),
        ("Promo 2024", Address("Promo 2024", 5, 0)),
        ("A", Address("A", 5, 0)),
        ("36180", Address("36180", 3, 0)),
        ("123", Address("123", 3, 0)),
        ("123456", Address("123456", 3, 0)),
        ("+33612345678", Address("33612345678", 1, 1)),
        ("33612345678", Address("33612345678", 1, 1)),
        ("+21612345678", Address("21612345678", 1, 1)),
    ],
)
def test_sender_kind_sets_its_ton_and_npi(sender, expected):
    assert source_address(sender) == expected


@pytest.mark.parametrize(
    "sender",
    ["", "   ", "TwelveLetter", "Café", "line\nbreak", "12", "0612345678", "+0612345678"],
)
def test_sender_no_smsc_can_carry_is_refused_with_its_value(sender):
    with pytest.raises(AddressError) as refused:
        source_address(sender)

    assert (refused.value.role, refused.value.value) == ("source", sender)


def test_route_setting_overrides_the_sender_rule():
    assert source_address("MaBoutique", ton=0, npi=1) == Address("MaBoutique", 0, 1)
    assert source_address("36180", npi=9) == Address("36180", 3, 9)


def test_recipient_is_international_isdn_without_its_plus():
    assert destination_address("+33612345678") == Address("33612345678", 1, 1)


@pytest.mark.parametrize("number", ["33612345678", "0612345678", "+33 6 12", "+", "+012345678"])
def test_recipient_not_in_e164_is_refused(number):
    with pytest.raises(AddressError) as refused:
        destination_address(number)

    assert refused.value.role == "destination"
