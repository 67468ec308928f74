"""The numbering plans of phonenumbers' metadata, compiled for a fast classification: which
region a national significant number belongs to, whether it is valid, and its line type.

phonenumbers reads ~30,000 numbers a second; a quote reads 100,000. Most of that time goes
into trying a region's number types one by one, each a regular expression of its own. So from
the metadata we build once per region (lazily, on a calling code's first use) one pattern per
number length: the general description as a lookahead, so that only valid numbers match, then
one named group per number type, in the order phonenumbers checks them
(``phonenumberutil._number_type_helper``). One ``fullmatch`` then says whether a number is
valid and, by the group that matched, of which type. A calling code shared by several regions
(+1, +7, +262...) is resolved as ``region_code_for_number`` does: by leading digits, else by
the first region under which the number is valid.

The caller splits digits into a calling code (:func:`calling_code`) and a national
significant number, which :func:`classify` reads on the fast path. Whatever that would not
settle exactly as the library does (trunk prefixes written after the calling code, national
prefix transforms, carrier selection codes, non-geographic codes) the caller hands to
:func:`by_library`, the fallback: phonenumbers' own parse, validation and typing, returned as
the same :class:`Reading`. Property tests (``tests/unit/platform/test_numbers_properties.py``)
hold the two paths to the same answers.

Lines are our names for phonenumbers' number types: :data:`MOBILE`, :data:`LANDLINE`,
:data:`PREMIUM_RATE`, :data:`SHARED_COST`, "toll_free", "voip", "personal", "pager", "uan",
"voicemail". The US and Canada cannot tell mobiles from landlines, so their numbers are mobile.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import phonenumbers
from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    PhoneMetadata,
    PhoneNumberDesc,
    PhoneNumberType,
)

# Lines, from phonenumbers' number types.
MOBILE = "mobile"
LANDLINE = "landline"
PREMIUM_RATE, SHARED_COST = "premium_rate", "shared_cost"
_LINE_OF_TYPE = {
    PhoneNumberType.MOBILE: MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: MOBILE,  # the US and Canada: cannot tell, so mobile
    PhoneNumberType.FIXED_LINE: LANDLINE,
    PhoneNumberType.PREMIUM_RATE: PREMIUM_RATE,
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.SHARED_COST: SHARED_COST,
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
# The types phonenumbers checks before fixed line and mobile, in its order
# (phonenumberutil._number_type_helper): the first that matches is the number's type.
_SPECIAL_TYPES = (
    ("premium_rate", PREMIUM_RATE), ("toll_free", "toll_free"), ("shared_cost", SHARED_COST),
    ("voip", "voip"), ("personal_number", "personal"), ("pager", "pager"), ("uan", "uan"),
    ("voicemail", "voicemail"),
)


class Reading(NamedTuple):
    """One way of reading digits: a calling code and a national significant number, the
    region and line when valid ("" when not), or why they could not be read at all."""

    code: str
    nsn: str
    region: str = ""
    line: str = ""
    fault: str = ""


class Plan:
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


_CALLING_CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)
_PLANS: dict[str, tuple[Plan, ...]] = {}


def calling_code(digits: str) -> str:
    """The calling code ``digits`` start with, "" if none: no code is a prefix of another."""
    for code in (digits[:1], digits[:2], digits[:3]):
        if code in _CALLING_CODES:
            return code
    return ""


def plans_of(code: str) -> tuple[Plan, ...]:
    """The plans of a calling code's regions, main region first; () for non-geographic
    codes (+800, +882...), which only phonenumbers reads."""
    plans = _PLANS.get(code)
    if plans is None:
        regions = COUNTRY_CODE_TO_REGION_CODE.get(int(code), ())
        metadata = [PhoneMetadata.metadata_for_region(region) for region in regions]
        plans = _PLANS[code] = tuple(Plan(m) for m in metadata if m is not None)
    return plans


def classify(code: str, nsn: str) -> Reading:
    """Region and line of a national significant number, chosen as phonenumbers'
    ``region_code_for_number`` does: the only region, else the first whose leading digits
    match or under which the number is valid."""
    plans = plans_of(code)
    if len(plans) == 1:
        plan = plans[0]
        line = plan.line(nsn)
        return Reading(code, nsn, plan.region if line else "", line)
    for plan in plans:
        if plan.leading is not None:
            if plan.leading.match(nsn):
                line = plan.line(nsn)
                return Reading(code, nsn, plan.region if line else "", line)
        else:
            line = plan.line(nsn)
            if line:
                return Reading(code, nsn, plan.region, line)
    return Reading(code, nsn)


def by_library(text: str, region: str | None) -> Reading:
    """The full phonenumbers path, for what the fast path leaves to it: ``text`` as
    ``phonenumbers.parse`` reads it relative to ``region`` (None when ``text`` starts with
    "+"); never a fault, which is the caller's to word.

    Raises ``NumberParseException`` when phonenumbers cannot read ``text`` as a number."""
    number = phonenumbers.parse(text, region)
    code = str(number.country_code)
    nsn = phonenumbers.national_significant_number(number)
    if not phonenumbers.is_valid_number(number):
        return Reading(code, nsn)
    found = phonenumbers.region_code_for_number(number) or ""
    return Reading(code, nsn, found, _LINE_OF_TYPE[phonenumbers.number_type(number)])
