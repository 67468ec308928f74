"""Operators by allocated block: the packaged table against phonenumbers' carrier data."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from typing import Any

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType, carrier
from phonenumbers.carrierdata import CARRIER_DATA

from portevoix.platform.operators import (
    UNKNOWN,
    Operator,
    mapped_operators,
    operators_by_prefix,
    original_operator,
)

TABLE: dict[str, dict[str, dict[str, Any]]] = json.loads(
    files("portevoix.platform").joinpath("data/operators.json").read_text("utf-8")
)["operators"]
PRICE_LIST_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")  # what price lists accept
MOBILE_EXAMPLES = {
    region: example
    for region in phonenumbers.SUPPORTED_REGIONS
    if (example := phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE))
}


@pytest.mark.parametrize(
    ("digits", "key", "mcc", "mnc"),
    [
        ("33607123456", "orange-fr", "208", "01"),
        ("33612345678", "sfr-fr", "208", "10"),
        ("33651123456", "free-fr", "208", "15"),
        ("33660123456", "bouygues-fr", "208", "20"),
        ("33751123456", "lycamobile-fr", "208", "25"),
        ("33605012345", "euro-information-fr", "208", "26"),
        ("21650123456", "orange-tn", "605", "01"),
        ("21698123456", "tunisie-telecom-tn", "605", "02"),
        ("21620123456", "ooredoo-tn", "605", "03"),
        ("212612345678", "orange-ma", "604", "00"),
        ("212661234567", "maroc-telecom-ma", "604", "01"),
        ("212600123456", "inwi-ma", "604", "02"),
        ("32470123456", "proximus-be", "206", "01"),
        ("32495123456", "orange-be", "206", "10"),
        ("32484123456", "telenet-be", "206", "20"),
        ("447711123456", "o2-gb", "234", "10"),
        ("447500123456", "vodafone-gb", "234", "15"),
        ("447400123456", "three-gb", "234", "20"),
        ("447300123456", "ee-gb", "234", "30"),
        ("447800123456", "ee-gb", "234", "33"),  # Orange's former blocks, now EE's
        ("590690301234", "orange-caraibe", "340", "01"),
        ("590690123456", "digicel-afg", "340", "20"),
        ("596696201234", "orange-caraibe", "340", "01"),
        ("596696601234", "sfr-caraibe", "340", "02"),
        ("262692401234", "orange-reunion", "647", "00"),
        ("262692123456", "sfr-reunion", "647", "10"),
        ("262693501234", "free-reunion", "647", "03"),
        ("262639012345", "orange-reunion", "647", "00"),  # Mayotte
    ],
)
def test_a_mobile_is_given_the_operator_of_its_block(
    digits: str, key: str, mcc: str, mnc: str
) -> None:
    code = phonenumbers.parse(f"+{digits}").country_code

    operator, prefix = original_operator(str(code), digits)

    assert (operator.key, operator.mcc, operator.mnc) == (key, mcc, mnc)
    assert digits.startswith(prefix) and len(prefix) > len(str(code))


def test_the_longest_allocated_prefix_wins() -> None:
    # 06 3x was allocated to Orange, but 06 34 to SFR.
    orange, orange_prefix = original_operator("33", "33631123456")
    sfr, sfr_prefix = original_operator("33", "33634123456")

    assert (orange.key, orange_prefix) == ("orange-fr", "3363")
    assert (sfr.key, sfr_prefix) == ("sfr-fr", "33634")


def test_a_name_the_table_does_not_map_keeps_phonenumbers_spelling() -> None:
    operator, prefix = original_operator("33", "33649501234")

    assert operator == Operator(key="", name="Keyyo", mcc="", mnc="")
    assert prefix == "3364950"


@pytest.mark.parametrize(
    ("code", "digits"), [("33", "33142685300"), ("1", "16502530000"), ("999", "999123")]
)
def test_a_number_in_no_allocated_block_has_the_unknown_operator(code: str, digits: str) -> None:
    assert original_operator(code, digits) == (UNKNOWN, "")
    assert UNKNOWN.name == "unknown operator"


def test_every_mapped_name_is_one_phonenumbers_gives_under_that_calling_code() -> None:
    given = {
        (code, names.get("en"))
        for code in TABLE
        for prefix, names in CARRIER_DATA.items()
        if prefix.startswith(code)
    }

    unknown = [(code, name) for code, names in TABLE.items() for name in names]

    assert [entry for entry in unknown if entry not in given] == []



@pytest.mark.parametrize("code", sorted(TABLE))
def test_every_table_entry_has_a_price_list_key_and_well_formed_network_codes(code: str) -> None:
    for name, entry in TABLE[code].items():
        assert set(entry) == {"key", "name", "mcc", "mnc"}, name
        assert PRICE_LIST_KEY.fullmatch(entry["key"]), name
        assert entry["name"], name
        assert re.fullmatch(r"(\d{3})?", entry["mcc"]), name
        assert re.fullmatch(r"(\d{2,3})?", entry["mnc"]), name
        assert bool(entry["mcc"]) == bool(entry["mnc"]), name


def test_the_big_four_french_operators_and_their_networks_are_mapped() -> None:
    french = {(o.key, o.mcc, o.mnc) for o in mapped_operators()["33"]}

    assert ("orange-fr", "208", "01") in french
    assert ("sfr-fr", "208", "10") in french
    assert ("free-fr", "208", "15") in french
    assert ("bouygues-fr", "208", "20") in french


@pytest.mark.parametrize("region", sorted(MOBILE_EXAMPLES))
def test_operators_agree_with_phonenumbers_for_every_example_mobile(region: str) -> None:
    example = MOBILE_EXAMPLES[region]
    code = str(example.country_code)
    digits = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)[1:]
    theirs = carrier.name_for_number(example, "en")

    operator, _ = original_operator(code, digits)

    mapped = TABLE.get(code, {}).get(theirs)
    if mapped is not None:
        assert (operator.key, operator.name) == (mapped["key"], mapped["name"])
    else:
        assert (operator.key, operator.name) == ("", theirs or "unknown operator")


@pytest.mark.parametrize(("typed", "regions", "keys"), [
    ("21620", ("TN",), {"ooredoo-tn"}),
    ("2165", ("TN",), {"orange-tn"}),
    ("33651", ("FR",), {"free-fr"}),
    ("9991", (), set()),
])
def test_a_typed_prefix_names_its_regions_and_operators(
    typed: str, regions: tuple[str, ...], keys: set[str]
) -> None:
    found_regions, found_keys = operators_by_prefix(typed)

    assert found_regions == regions
    assert found_keys == keys
