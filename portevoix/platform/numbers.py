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
cached per cleaned string, and the common case skips the library: from its metadata we build
once per region one regular expression per number length, whose alternatives are the number
types in the order phonenumbers tries them, so one ``fullmatch`` says whether a number is valid
and of which type. Anything that fast path does not settle exactly as the library would (a
trunk prefix written after the calling code, national prefix transforms, non-geographic
codes) goes through phonenumbers itself; property tests hold the two paths to the same
answers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import NamedTuple

import phonenumbers
from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    NumberParseException,
    PhoneMetadata,
    PhoneNumberDesc,
    PhoneNumberType,
    shortnumberinfo,
)

from portevoix.platform.operators import UNKNOWN, Operator, original_operator

# Why a number is refused.
EMPTY = "empty"
NOT_A_NUMBER = "not_a_number"  # letters or other characters than digits and separators
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
UNKNOWN_COUNTRY = "unknown_country"  # no country has that calling code
INVALID = "invalid"  # a possible length, but no number of the country looks like it
NOT_MOBILE = "not_mobile"  # a landline (or VoIP, toll-free...) where only mobiles will do
PREMIUM_OR_SHORT_CODE = "premium_or_short_code"  # premium rate, shared cost, short codes

# Lines, from phonenumbers' number types. Premium-rate and shared-cost numbers are refused.
MOBILE = "mobile"
LANDLINE = "landline"
_PREMIUM_RATE, _SHARED_COST = "premium_rate", "shared_cost"
_LINE_OF_TYPE = {
    PhoneNumberType.MOBILE: MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: MOBILE,  # the US and Canada: cannot tell, so mobile
    PhoneNumberType.FIXED_LINE: LANDLINE,
    PhoneNumberType.PREMIUM_RATE: _PREMIUM_RATE,
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.SHARED_COST: _SHARED_COST,
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
# The types phonenumbers checks before fixed line and mobile, in its order
# (phonenumberutil._number_type_helper): the first that matches is the number's type.
_SPECIAL_TYPES = (
    ("premium_rate", _PREMIUM_RATE), ("toll_free", "toll_free"), ("shared_cost", _SHARED_COST),
    ("voip", "voip"), ("personal_number", "personal"), ("pager", "pager"), ("uan", "uan"),
    ("voicemail", "voicemail"),
)
# phonenumbers looks the carrier up for these lines only.
_OPERATOR_LINES = frozenset({MOBILE, "pager"})

# French overseas destinations: sending there needs an account option (result code 93).
OVERSEAS = frozenset({"GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"})
# Calling codes sharing the French 9-digit plan (ARCEP): a number is homed by its digits.
_FRENCH_ZONE = ("33", "590", "594", "596", "262")

_CALLING_CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)
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


class _Reading(NamedTuple):
    """One way of reading digits: a calling code and a national significant number, the
    region and line when valid ("" when not), or why they could not be read at all."""

    code: str
    nsn: str
    region: str = ""
    line: str = ""
    fault: str = ""


class _Plan:
    """One region's numbering plan, compiled from phonenumbers' metadata for the fast path."""

    def __init__(self, metadata: PhoneMetadata) -> None:
        general = metadata.general_desc
        if general is None or general.national_number_pattern is None:
            raise ValueError(f"phonenumbers has no general description for {metadata.id}")
        self.region: str = metadata.id
        self.code = str(metadata.country_code)
        self.lengths = tuple(n for n in general.possible_length if n > 0)
        self.local_lengths = frozenset(general.possible_length_local_only)
        self.general = re.compile(general.national_number_pattern)
        self.leading = re.compile(metadata.leading_digits) if metadata.leading_digits else None
        self.trunk = metadata.national_prefix or ""
        self.trunk_pattern = _compiled(metadata.national_prefix_for_parsing)
        self.trunk_groups = self.trunk_pattern.groups if self.trunk_pattern is not None else 0
        self.transforms = bool(metadata.national_prefix_transform_rule)
        self._idd = _compiled(metadata.international_prefix)
        self._by_length = {n: _types_of_length(metadata, general, n) for n in self.lengths}

    def line(self, nsn: str) -> str:
        """The line type of a national significant number, "" when it is not a valid one."""
        entry = self._by_length.get(len(nsn))
        if entry is None:
            return ""
        pattern, lines = entry
        found = pattern.fullmatch(nsn)
        return lines[found.lastgroup] if found is not None and found.lastgroup else ""

    def idd_end(self, digits: str) -> int:
        """How many leading digits are this region's international prefix ("00"), or 0.

        A calling code never starts with 0, so phonenumbers does not take "00" followed by 0
        for an international prefix either."""
        found = self._idd.match(digits) if self._idd is not None else None
        end = found.end() if found is not None else 0
        return end if end and digits[end : end + 1] not in ("", "0") else 0

    def accepts_length(self, nsn: str) -> bool:
        """Whether phonenumbers would keep ``nsn`` after stripping a trunk prefix from it:
        not too short, not a local-only length, not between possible lengths."""
        n, lengths = len(nsn), self.lengths
        return bool(lengths) and n not in self.local_lengths and (n in lengths or n > lengths[-1])


def _types_of_length(
    metadata: PhoneMetadata, general: PhoneNumberDesc, length: int
) -> tuple[re.Pattern[str], dict[str, str]] | None:
    """One pattern for numbers of ``length`` digits: valid ones only (the general description
    as a lookahead), then a named group per type in phonenumbers' order of checks; None when
    no number has that length."""
    if not _has_length(general, length):
        return None
    types = list(_SPECIAL_TYPES)
    if metadata.same_mobile_and_fixed_line_pattern:
        types.append(("fixed_line", MOBILE))  # phonenumbers: FIXED_LINE_OR_MOBILE
    else:
        # Mobile before fixed line: a number matching both is FIXED_LINE_OR_MOBILE to
        # phonenumbers, "mobile" to us, as is one matching mobile only.
        types += [("mobile", MOBILE), ("fixed_line", LANDLINE)]
    alternatives: list[str] = []
    lines: dict[str, str] = {}
    for attribute, line in types:
        desc: PhoneNumberDesc | None = getattr(metadata, attribute)
        if desc is None or desc.national_number_pattern is None or not _has_length(desc, length):
            continue
        name = f"t{len(alternatives)}"
        alternatives.append(f"(?P<{name}>{desc.national_number_pattern})")
        lines[name] = line
    if not alternatives:
        return None
    valid = f"(?=(?:{general.national_number_pattern})\\Z)"
    return re.compile(valid + "(?:" + "|".join(alternatives) + ")"), lines


def _has_length(desc: PhoneNumberDesc, length: int) -> bool:
    # phonenumbers: a description without possible lengths takes the general description's.
    return not desc.possible_length or length in desc.possible_length


def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None


_PLANS: dict[str, tuple[_Plan, ...]] = {}


def _plans(code: str) -> tuple[_Plan, ...]:
    """The plans of a calling code's regions, main region first; () for non-geographic
    codes (+800, +882...), which only phonenumbers reads."""
    plans = _PLANS.get(code)
    if plans is None:
        regions = COUNTRY_CODE_TO_REGION_CODE.get(int(code), ())
        metadata = [PhoneMetadata.metadata_for_region(region) for region in regions]
        plans = _PLANS[code] = tuple(_Plan(m) for m in metadata if m is not None)
    return plans


def _classify(code: str, nsn: str) -> _Reading:
    """Region and line of a national significant number, chosen as phonenumbers'
    ``region_code_for_number`` does: the only region, else the first whose leading digits
    match or under which the number is valid."""
    plans = _plans(code)
    if len(plans) == 1:
        plan = plans[0]
        line = plan.line(nsn)
        return _Reading(code, nsn, plan.region if line else "", line)
    for plan in plans:
        if plan.leading is not None:
            if plan.leading.match(nsn):
                line = plan.line(nsn)
                return _Reading(code, nsn, plan.region if line else "", line)
        else:
            line = plan.line(nsn)
            if line:
                return _Reading(code, nsn, plan.region, line)
    return _Reading(code, nsn)


def _by_library(text: str, region: str | None) -> _Reading:
    """The full phonenumbers path, for what the fast path leaves to it."""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as error:
        return _Reading("", "", fault=_PARSE_ERRORS.get(error.error_type, NOT_A_NUMBER))
    code = str(number.country_code)
    nsn = phonenumbers.national_significant_number(number)
    if not phonenumbers.is_valid_number(number):
        return _Reading(code, nsn)
    found = phonenumbers.region_code_for_number(number) or ""
    return _Reading(code, nsn, found, _LINE_OF_TYPE[phonenumbers.number_type(number)])


# First three digits of a French-zone number -> the zone code it last proved valid under:
# tried first, so "0696..." costs one more lookup, not four. Only an order: every code is
# still tried, so the answer never depends on it.
_ZONE_HINTS: dict[str, str] = {}


def _rehomed(reading: _Reading) -> _Reading:
    """A French-zone number invalid under its calling code, read under the zone's others."""
    nsn = reading.nsn
    if reading.line or reading.fault or reading.code not in _FRENCH_ZONE or len(nsn) != 9:
        return reading
    for code in (_ZONE_HINTS.get(nsn[:3], reading.code), *_FRENCH_ZONE):
        if code != reading.code:
            other = _classify(code, nsn)
            if other.line:
                _ZONE_HINTS[nsn[:3]] = code
                return other
    return reading


def _international(digits: str) -> _Reading:
    """Digits that start with a calling code (after "+" or "00", or bare)."""
    if len(digits) <= _MIN_NSN:
        return _Reading("", digits, fault=TOO_SHORT)
    code = _calling_code(digits)
    if not code:
        return _Reading("", digits, fault=UNKNOWN_COUNTRY)
    plans, nsn = _plans(code), digits[len(code) :]
    # A trunk prefix after the calling code ("+33 0612...") is stripped by phonenumbers under
    # conditions of its own; non-geographic codes have no region plan: leave both to it.
    if not plans or (plans[0].trunk_pattern is not None and plans[0].trunk_pattern.match(nsn)):
        return _rehomed(_by_library("+" + digits, None))
    if not _MIN_NSN <= len(nsn) <= _MAX_NSN:
        return _Reading(code, nsn, fault=TOO_SHORT if len(nsn) < _MIN_NSN else TOO_LONG)
    reading = _classify(code, nsn)
    return reading if reading.line else _rehomed(reading)


def _calling_code(digits: str) -> str:
    """The calling code ``digits`` start with, "" if none: no code is a prefix of another."""
    for code in (digits[:1], digits[:2], digits[:3]):
        if code in _CALLING_CODES:
            return code
    return ""


def _national(home: _Plan, digits: str) -> _Reading:
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
        return _Reading(home.code, nsn, fault=TOO_SHORT if len(nsn) < _MIN_NSN else TOO_LONG)
    reading = _classify(home.code, nsn)
    return reading if reading.line else _rehomed(_short_code_or(home, reading, digits))


def _short_code_or(home: _Plan, reading: _Reading, digits: str) -> _Reading:
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


def _decide(home: _Plan, key: str) -> _Accepted | _Refused:
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


def _or_valid(first: _Reading, then: _Reading) -> _Reading:
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


def _verdict(reading: _Reading) -> _Accepted | _Refused:
    code, nsn, region, line = reading.code, reading.nsn, reading.region, reading.line
    if reading.fault:
        return reading.fault, _describe(reading)
    if not line:
        return _invalid(reading)
    if line in (_PREMIUM_RATE, _SHARED_COST):
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
            partial(_decide, _Plan(metadata))
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


def _invalid(reading: _Reading) -> _Refused:
    """Too short, too long or invalid, against the lengths of the calling code's main region."""
    plans = _plans(reading.code)
    lengths = plans[0].lengths if plans else ()
    region = plans[0].region if plans else f"+{reading.code}"
    n = len(reading.nsn)
    expected = " or ".join(str(length) for length in lengths)
    if lengths and not lengths[0] <= n <= lengths[-1]:
        reason = TOO_SHORT if n < lengths[0] else TOO_LONG
        detail = f"{n} digits after +{reading.code}, where numbers of {region} have {expected}"
        return reason, detail
    return INVALID, f"+{reading.code} {reading.nsn} is no valid number in {region}"


def _describe(reading: _Reading) -> str:
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
