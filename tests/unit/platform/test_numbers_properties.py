"""The fast path of ``NumberParser`` against phonenumbers' full path, on every region.

Inputs are phonenumbers' own example numbers, one per region and number type, with digits
changed, added or dropped, written in international and national formats with separators.
Wherever phonenumbers reads an input, ``NumberParser`` must read it the same: same E.164,
same validity, same line type (ours are named from its types), same region, same operator.
The only readings allowed to differ are our documented additions: French-zone numbers
re-homed under another calling code of the zone, and bare calling codes.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType, carrier

from portevoix.platform import numbers
from portevoix.platform.numbers import NumberParser, Recipient, Rejection

# Our line names for phonenumbers' types, restated here so that the test does not trust them.
LINES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
REFUSED_TYPES = {PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST}
REASONS = {
    numbers.EMPTY,
    numbers.NOT_A_NUMBER,
    numbers.TOO_SHORT,
    numbers.TOO_LONG,
    numbers.UNKNOWN_COUNTRY,
    numbers.INVALID,
    numbers.NOT_MOBILE,
    numbers.PREMIUM_OR_SHORT_CODE,
}
FRENCH_ZONE = (33, 590, 594, 596, 262)
# How a premium-rate or shared-cost number reads: refused, whatever its details.
REFUSED = ("refused", numbers.PREMIUM_OR_SHORT_CODE, "", "")
SEPARATORS = ["", "", "", " ", ".", "-", "/"]
# Our display names for phonenumbers' operator names, from the packaged table.
NAMES = {
    (code, name): entry["name"]
    for code, names in json.loads(
        files("portevoix.platform").joinpath("data/operators.json").read_text("utf-8")
    )["operators"].items()
    for name, entry in names.items()
}


def _examples() -> list[tuple[str, int, str]]:
    """(region, calling code, national significant number) of every example number."""
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for number_type in [*LINES, *REFUSED_TYPES]:
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is not None and example.country_code is not None:
                nsn = phonenumbers.national_significant_number(example)
                found.append((region, example.country_code, nsn))
    return found


EXAMPLES = _examples()


@cache
def parser(region: str) -> NumberParser:
    return NumberParser(region, cache_size=0)  # no cache: every reading is computed


def library(raw: str, region: str) -> tuple[str, str, str, str] | None:
    """(E.164, line, region, operator name) as phonenumbers reads ``raw``, None if invalid."""
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    number_type = phonenumbers.number_type(number)
    line = "refused" if number_type in REFUSED_TYPES else LINES[number_type]
    return (
        phonenumbers.format_number(number, PhoneNumberFormat.E164),
        line,
        phonenumbers.region_code_for_number(number) or "",
        operator_name(number),
    )


def operator_name(number: phonenumbers.PhoneNumber) -> str:
    name = carrier.name_for_number(number, "en")
    return NAMES.get((str(number.country_code), name), name) or "unknown operator"


def ours(raw: str, region: str = "FR") -> tuple[str, str, str, str] | None:
    parsed = parser(region).parse(raw, mobile_only=False)
    if isinstance(parsed, Rejection):
        assert parsed.reason in REASONS
        return REFUSED if parsed.reason == numbers.PREMIUM_OR_SHORT_CODE else None
    destination = parsed.destination
    assert destination.overseas == (destination.country in numbers.OVERSEAS)
    return parsed.e164, parsed.line, destination.country, destination.operator_name


def expected(raw: str, region: str, digits: str) -> set[tuple[str, str, str, str] | None]:
    """What we may answer: phonenumbers' reading, else one of our documented additions."""
    found = library(raw, region)
    if found is not None:
        return {REFUSED if found[1] == "refused" else found}
    allowed: set[tuple[str, str, str, str] | None] = {None}
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException:
        number = None
    candidates = [f"+{digits}"]  # a bare calling code
    if number is not None and number.country_code in FRENCH_ZONE:
        nsn = phonenumbers.national_significant_number(number)
        candidates += [f"+{code}{nsn}" for code in FRENCH_ZONE]  # re-homed in the French zone
    for candidate in candidates:
        other = library(candidate, region)
        if other is not None:
            allowed.add(REFUSED if other[1] == "refused" else other)
    return allowed


def spaced(digits: str) -> st.SearchStrategy[str]:
    """``digits`` with separators between some of them, as pasted."""
    separators = st.lists(st.sampled_from(SEPARATORS), min_size=len(digits), max_size=len(digits))
    return separators.map(
        lambda chosen: "".join(s + d for s, d in zip(chosen, digits, strict=True)).strip(" ./-")
    )


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, int, str]:
    """An example number with up to three digits changed, and maybe one added or dropped."""
    region, code, nsn = draw(st.sampled_from(EXAMPLES))
    digits = list(nsn)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        digits[draw(st.integers(min_value=0, max_value=len(digits) - 1))] = draw(
            st.sampled_from("0123456789")
        )
    length = draw(st.sampled_from([len(digits)] * 4 + [len(digits) - 1, len(digits) + 1]))
    digits = [*digits, draw(st.sampled_from("0123456789"))][:length]
    return region, code, "".join(digits)


def test_every_example_number_reads_as_phonenumbers_reads_it() -> None:
    disagreements = []
    for region, code, nsn in EXAMPLES:
        for raw in (f"+{code}{nsn}", f"+{code} {nsn}"):
            if ours(raw) not in expected(raw, "FR", f"{code}{nsn}"):
                disagreements.append((region, raw, ours(raw), library(raw, "FR")))
    assert disagreements == []
    assert len(EXAMPLES) > 1000  # every region, most types


@settings(max_examples=1000, deadline=None)
@given(mutated(), st.data())
def test_international_formats_read_as_phonenumbers_reads_them(
    example: tuple[str, int, str], data: st.DataObject
) -> None:
    _, code, nsn = example
    prefix = data.draw(st.sampled_from(["+", "+", "00", "+ "]))
    raw = prefix + data.draw(spaced(f"{code}{nsn}"))

    assert ours(raw) in expected(raw, "FR", f"{code}{nsn}")


@settings(max_examples=1000, deadline=None)
@given(mutated(), st.data())
def test_national_formats_read_as_phonenumbers_reads_them_at_home(
    example: tuple[str, int, str], data: st.DataObject
) -> None:
    region, code, nsn = example
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    assert metadata is not None
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(nsn))
    if data.draw(st.booleans()) and phonenumbers.is_valid_number(number):
        raw = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    else:
        raw = (metadata.national_prefix or "") + data.draw(spaced(nsn))
    digits = "".join(c for c in raw if c.isdigit())

    assert ours(raw, region) in expected(raw, region, digits)


@settings(max_examples=500, deadline=None)
@given(mutated())
def test_bare_calling_codes_longer_than_french_numbers_read_as_with_a_plus(
    example: tuple[str, int, str],
) -> None:
    _, code, nsn = example
    digits = f"{code}{nsn}"
    with_plus = library(f"+{digits}", "FR")
    if len(digits) <= 9 or with_plus is None or with_plus[1] == "refused":
        return  # national first, or nothing to compare with

    assert ours(digits) == with_plus


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_anything_pasted_is_read_or_refused_with_a_reason(raw: str) -> None:
    parsed = NumberParser().parse(raw)

    assert isinstance(parsed, Recipient | Rejection)
    assert parsed.raw == raw
    if isinstance(parsed, Rejection):
        assert parsed.reason in REASONS and parsed.detail


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_a_read_number_reads_the_same_from_its_e164(example: tuple[str, int, str]) -> None:
    _, code, nsn = example
    first = NumberParser().parse(f"+{code}{nsn}", mobile_only=False)
    if not isinstance(first, Recipient):
        return

    again = NumberParser("GB").parse(first.e164, mobile_only=False)

    assert isinstance(again, Recipient)
    assert again.e164 == first.e164
    assert (again.line, again.destination) == (first.line, first.destination)


@pytest.mark.parametrize("region", ["FR", "TN", "GB", "BE", "MA", "GP", "MQ", "RE", "US", "IT"])
def test_every_default_country_reads_its_example_mobile_in_national_format(region: str) -> None:
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    assert example is not None
    national = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)

    parsed = NumberParser(region).parse(national)

    assert isinstance(parsed, Recipient)
    assert parsed.e164 == phonenumbers.format_number(example, PhoneNumberFormat.E164)
    assert parsed.destination.country == region
