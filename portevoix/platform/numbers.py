"""Recipient numbers: what people paste, read as E.164 numbers with a destination, or refused.

People paste numbers with spaces, dots, dashes, slashes and parentheses, with or without the
trunk 0, with ``+``, ``00`` or a bare calling code ("33612345678", as our predecessor's
customers were told to write international numbers), and "+33 (0)6 ...". Digits without
``+`` or ``00`` are read by length against the default country's national numbers:

- starting with its trunk prefix ("0612345678"): national, and nothing else;
- shorter than its national numbers ("36180"): national, so short codes are recognised;
- as long as one ("612345678"): national first, then with a calling code;
- longer ("21620123456", "447911123456"): with a calling code first, then national.

The first reading that is a valid number wins; when none is, the first one's fault is given.

France and its overseas departments (GP/BL/MF +590, GF +594, MQ +596, RE/YT +262) share one
numbering plan of 9-digit numbers: "0696 12 34 56" dialled from Paris rings in Martinique.
So a number of that zone that is not valid under the calling code it was written with but is
under another of the zone's ("0696123456" in France, "+33 696 ...") is read under that one.

Speed: a quote reads 100,000 numbers, and phonenumbers does ~30,000 a second. Readings are
cached per cleaned string, and the common case skips the library: a number split into calling
code and national significant number is classified against the plans compiled in
:mod:`portevoix.platform.numbering`. Anything that fast path does not settle exactly as the
library would (a trunk prefix written after the calling code, national prefix transforms,
carrier selection codes, non-geographic codes) goes through phonenumbers itself
(``numbering.by_library``); property tests hold the two paths to the same answers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, shortnumberinfo

from portevoix.platform.numbering import (
    LANDLINE,
    MOBILE,
    PREMIUM_RATE,
    SHARED_COST,
    Plan,
    Reading,
    by_library,
    calling_code,
    classify,
    plans_of,
)
from portevoix.platform.operators import UNKNOWN, Operator, original_operator

__all__ = [  # MOBILE and LANDLINE are numbering's, public here too
    "EMPTY", "INVALID", "LANDLINE", "MOBILE", "NOT_A_NUMBER", "NOT_MOBILE", "OVERSEAS",
    "PREMIUM_OR_SHORT_CODE", "TOO_LONG", "TOO_SHORT", "UNKNOWN_COUNTRY",
    "Destination", "NumberParser", "Recipient", "Rejection",
]

# Why a number is refused.
EMPTY = "empty"
NOT_A_NUMBER = "not_a_number"  # letters or other characters than digits and separators
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
UNKNOWN_COUNTRY = "unknown_country"  # no country has that calling code
INVALID = "invalid"  # a possible length, but no number of the country looks like it
NOT_MOBILE = "not_mobile"  # a landline (or VoIP, toll-free...) where only mobiles will do
PREMIUM_OR_SHORT_CODE = "premium_or_short_code"  # premium rate, shared cost, short codes

# Lines are numbering's names for phonenumbers' number types; premium-rate and shared-cost
# numbers are refused. phonenumbers looks the carrier up for these lines only.
_OPERATOR_LINES = frozenset({MOBILE, "pager"})

# French overseas destinations: sending there needs an account option (result code 93).
OVERSEAS = frozenset({"GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"})
# Calling codes sharing the French 9-digit plan (ARCEP): a number is homed by its digits.
_FRENCH_ZONE = ("33", "590", "594", "596", "262")

_MIN_NSN, _MAX_NSN = 2, 17  # phonenumbers' bounds on a national significant number
_MAX_DIGITS = 32  # longer input is refused before anything else looks at it
_SEPARATORS = dict.fromkeys(
    map(ord, " \t\r\n.-/()[]\u00a0\u2009\u202f\u2010\u2011\u2012\u2013\u2014\u2212"), None
)
_NOT_A_NUMBER = NOT_A_NUMBER, "only digits, separators and a leading + make a number"
_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: UNKNOWN_COUNTRY,
    NumberParseException.NOT_A_NUMBER: NOT_A_NUMBER,
    NumberParseException.TOO_SHORT_AFTER_IDD: TOO_SHORT,
    NumberParseException.TOO_SHORT_NSN: TOO_SHORT,
    NumberParseException.TOO_LONG: TOO_LONG,
}


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a number leads: the country (ISO 3166 alpha-2; each French overseas department
    and territory is its own) and the operator its block was allocated to.

    The operator is the numbering plan's original allocation: numbers are portable, so the
    routing layer may later correct it from an HLR lookup or a delivery receipt. ``operator``
    is our key ("orange-fr"), "" when unknown or not one we map; ``mcc``, ``mnc`` and
    ``prefix`` (the E.164 digits the operator was recognised by) are "" when unknown.
    """

    country: str
    overseas: bool  # a French overseas destination: sending there needs an account option
    operator: str
    operator_name: str
    mcc: str
    mnc: str
    prefix: str


@dataclass(frozen=True, slots=True)
class Recipient:
    """A number that can be sent to: as given, in E.164, its line type and destination."""

    raw: str
    e164: str
    line: str  # "mobile", "landline", "voip", "toll_free", "personal", "pager", "uan"...
    destination: Destination


@dataclass(frozen=True, slots=True)
class Rejection:
    """A number that cannot be sent to, as given: ``reason`` is one of this module's reason
    constants, ``detail`` says why in English for people."""

    raw: str
    reason: str
    detail: str


def _by_library(text: str, region: str | None) -> Reading:
    """The full phonenumbers path (``numbering.by_library``), its parse errors as faults."""
    try:
        return by_library(text, region)
    except NumberParseException as error:
        return Reading("", "", fault=_PARSE_ERRORS.get(error.error_type, NOT_A_NUMBER))


# First three digits of a French-zone number -> the zone code it last proved valid under:
# tried first, so "0696..." costs one more lookup, not four. Only an order: every code is
# still tried, so the answer never depends on it.
_ZONE_HINTS: dict[str, str] = {}


def _rehomed(reading: Reading) -> Reading:
    """A French-zone number invalid under its calling code, read under the zone's others."""
    nsn = reading.nsn
    if reading.line or reading.fault or reading.code not in _FRENCH_ZONE or len(nsn) != 9:
        return reading
    for code in (_ZONE_HINTS.get(nsn[:3], reading.code), *_FRENCH_ZONE):
        if code != reading.code:
            other = classify(code, nsn)
            if other.line:
                _ZONE_HINTS[nsn[:3]] = code
                return other
    return reading


def _international(digits: str) -> Reading:
    """Digits that start with a calling code (after "+" or "00", or bare)."""
    if len(digits) <= _MIN_NSN:
        return Reading("", digits, fault=TOO_SHORT)
    code = calling_code(digits)
    if not code:
        return Reading("", digits, fault=UNKNOWN_COUNTRY)
    plans, nsn = plans_of(code), digits[len(code) :]
    # A trunk prefix after the calling code ("+33 0612...") is stripped by phonenumbers under
    # conditions of its own; non-geographic codes have no region plan: leave both to it.
    if not plans or (plans[0].trunk_pattern is not None and plans[0].trunk_pattern.match(nsn)):
        return _rehomed(_by_library("+" + digits, None))
    if not _MIN_NSN <= len(nsn) <= _MAX_NSN:
        return Reading(code, nsn, fault=TOO_SHORT if len(nsn) < _MIN_NSN else TOO_LONG)
    reading = classify(code, nsn)
    return reading if reading.line else _rehomed(reading)


def _national(home: Plan, digits: str) -> Reading:
    """Digits as dialled within the default country ``home``, read as phonenumbers reads them."""
    if home.transforms or digits.startswith(home.code):
        # Prefix transforms, or a calling code the library may find without "+": its job.
        return _rehomed(_short_code_or(home, _by_library(digits, home.region), digits))
    nsn = digits
    if home.trunk_pattern is not None:
        found = home.trunk_pattern.match(digits)
        if found is not None:
            if home.trunk_groups and any(group is not None for group in found.groups()):
                return _rehomed(_by_library(digits, home.region))  # a carrier selection code
            stripped = digits[found.end() :]
            # phonenumbers keeps the digits whole when stripping turns a valid-looking number
            # into an invalid-looking one, or leaves a length it would not accept.
            viable = not home.general.fullmatch(digits) or home.general.fullmatch(stripped)
            if viable and home.accepts_length(stripped):
                nsn = stripped
    if not _MIN_NSN <= len(nsn) <= _MAX_NSN:
        return Reading(home.code, nsn, fault=TOO_SHORT if len(nsn) < _MIN_NSN else TOO_LONG)
    reading = classify(home.code, nsn)
    return reading if reading.line else _rehomed(_short_code_or(home, reading, digits))


def _short_code_or(home: Plan, reading: Reading, digits: str) -> Reading:
    """``reading``, unless ``digits`` are too short for a number and a short code of ``home``
    ("36180", "3949"): the library knows short codes, and they are rare enough to ask it."""
    if reading.line or reading.fault or len(digits) >= home.lengths[0]:
        return reading
    try:
        number = phonenumbers.parse(digits, home.region)
    except NumberParseException:
        return reading
    if shortnumberinfo.is_valid_short_number_for_region(number, home.region):
        return reading._replace(fault=PREMIUM_OR_SHORT_CODE)
    return reading


# What the cache keeps: (E.164, line, region, operator prefix) for a number that can be sent
# to, (reason, detail) for one that cannot. Strings only, so the garbage collector soon stops
# tracking the tuples: 200,000 cached objects it scanned would cost a cold cache 15 %.
_Accepted = tuple[str, str, str, str]
_Refused = tuple[str, str]


def _decide(home: Plan, key: str) -> _Accepted | _Refused:
    """Read a cleaned string relative to the default country ``home`` (see the module's
    docstring for the order of readings)."""
    if not key:
        return EMPTY, "no number was given"
    if len(key) > _MAX_DIGITS:
        return TOO_LONG, f"{len(key)} characters: no number is that long"
    if key[0] == "+":
        if not key[1:].isdigit():
            return _NOT_A_NUMBER
        return _verdict(_international(key[1:]))
    if not key.isdigit():
        return _NOT_A_NUMBER
    idd = home.idd_end(key)
    if idd:
        return _verdict(_international(key[idd:]))
    if home.trunk and key.startswith(home.trunk):
        return _verdict(_national(home, key))
    n, lengths = len(key), home.lengths
    if n < lengths[0]:
        return _verdict(_national(home, key))
    if n <= lengths[-1]:
        reading = _national(home, key)
        return _verdict(reading if reading.line else _or_valid(reading, _international(key)))
    reading = _international(key)
    return _verdict(reading if reading.line else _or_valid(reading, _national(home, key)))


def _or_valid(first: Reading, then: Reading) -> Reading:
    """The second reading if it is valid, else the first one, whose fault is reported."""
    return then if then.line else first


# One Destination per region and operator prefix, shared by every recipient it describes.
_DESTINATIONS: dict[tuple[str, str], Destination] = {}


def _new_destination(region: str, operator: Operator, prefix: str) -> Destination:
    return Destination(
        country=region,
        overseas=region in OVERSEAS,
        operator=operator.key,
        operator_name=operator.name,
        mcc=operator.mcc,
        mnc=operator.mnc,
        prefix=prefix,
    )


def _verdict(reading: Reading) -> _Accepted | _Refused:
    code, nsn, region, line = reading.code, reading.nsn, reading.region, reading.line
    if reading.fault:
        return reading.fault, _describe(reading)
    if not line:
        return _invalid(reading)
    if line in (PREMIUM_RATE, SHARED_COST):
        kind = line.replace("_", "-")
        return PREMIUM_OR_SHORT_CODE, f"+{code}{nsn} is a {kind} number in {region}: a service"
    prefix = ""
    if line in _OPERATOR_LINES:
        operator, prefix = original_operator(code, code + nsn)
        if (region, prefix) not in _DESTINATIONS:
            _DESTINATIONS[region, prefix] = _new_destination(region, operator, prefix)
    elif (region, "") not in _DESTINATIONS:
        _DESTINATIONS[region, ""] = _new_destination(region, UNKNOWN, "")
    return f"+{code}{nsn}", line, region, prefix


class NumberParser:
    """Reads recipient numbers relative to a default country; safe to share between threads.

    Readings are cached per cleaned string (``cache_size`` of them, the least recently used
    evicted; 0 turns the cache off), so duplicates cost a translate and a dict hit.
    """

    def __init__(self, default_country: str = "FR", cache_size: int = 200_000) -> None:
        metadata = PhoneMetadata.metadata_for_region(default_country.upper())
        if metadata is None:
            raise ValueError(f"no numbering plan for default country {default_country!r}")
        self.default_country: str = metadata.id
        # The cache holds the plan, not the parser: no cycle keeps a dropped parser's cache.
        self._read: Callable[[str], _Accepted | _Refused] = lru_cache(maxsize=cache_size)(
            partial(_decide, Plan(metadata))
        )

    def parse(self, raw: str, mobile_only: bool = True) -> Recipient | Rejection:
        """Read one number as pasted; with ``mobile_only``, anything but a mobile is refused."""
        key = raw.replace("(0)", "") if "(0)" in raw else raw  # "+33 (0)6 12..."
        key = key.translate(_SEPARATORS)
        if not key.isascii():
            key = _ascii(key)
        verdict = self._read(key)
        if len(verdict) == 2:
            return Rejection(raw, *verdict)
        e164, line, region, prefix = verdict
        if mobile_only and line != MOBILE:
            detail = f"{e164} is a {line.replace('_', '-')} number in {region}, not a mobile"
            return Rejection(raw, NOT_MOBILE, detail)
        return Recipient(raw, e164, line, _DESTINATIONS[region, prefix])


def _ascii(key: str) -> str:
    """Other scripts' digits (Arabic-Indic, full-width...) as ASCII; the rest unchanged."""
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() else "+" if c == "\uff0b" else c for c in key
    )


def _invalid(reading: Reading) -> _Refused:
    """Too short, too long or invalid, against the lengths of the calling code's main region."""
    plans = plans_of(reading.code)
    lengths = plans[0].lengths if plans else ()
    region = plans[0].region if plans else f"+{reading.code}"
    n = len(reading.nsn)
    expected = " or ".join(str(length) for length in lengths)
    if lengths and not lengths[0] <= n <= lengths[-1]:
        reason = TOO_SHORT if n < lengths[0] else TOO_LONG
        detail = f"{n} digits after +{reading.code}, where numbers of {region} have {expected}"
        return reason, detail
    return INVALID, f"+{reading.code} {reading.nsn} is no valid number in {region}"


def _describe(reading: Reading) -> str:
    fault, digits = reading.fault, reading.code + reading.nsn
    if fault == UNKNOWN_COUNTRY:
        return f"no country has a calling code at the start of {digits}"
    if fault == PREMIUM_OR_SHORT_CODE:
        return f"{reading.nsn} is a short code, not a subscriber's number"
    if fault == TOO_LONG:
        return "too long to be a phone number"
    if fault == TOO_SHORT:
        return "too short to be a phone number"
    return "not a phone number"
