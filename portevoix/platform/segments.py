"""Text to SMS segments: GSM-7 or UCS-2, how many parts, and what each part holds.

A message goes out in the GSM 03.38 7-bit default alphabet (3GPP TS 23.038 §6.2.1) when every
character is in it, else in UCS-2 (sent as UTF-16, which handsets decode, so characters beyond
U+FFFF take a surrogate pair: 2 units). One SMS carries 140 octets: 160 septets or 70 UTF-16
units. A longer text is split into parts that each start with a concatenation header (3GPP TS
23.040 §9.2.3.24.1, 8-bit reference: 6 octets), leaving 153 septets or 67 units a part; a
channel that splits itself must use that header (the 16-bit reference leaves 152 and 66).
Extension-table characters (``€ [ ] { } \\ ^ ~ |`` and form feed) are an escape and a septet:
2 septets, never split across parts, nor is a surrogate pair; the part before such a split
holds 152 septets or 66 units. SMSCs split the same way, so the count is what is billed.
Python strings holding lone surrogates are not text: they count 1 unit each and are not
protected from a split.

``encode`` builds the parts (for previews and the SMPP channel); ``segment_count`` gives the
same encoding and count without building anything, for pricing every recipient of a
personalised campaign. The empty text is one segment of 0 units, as an SMSC counts it;
``messages.check_length`` refuses it before it is sent.

Policies, the customer's ``non_gsm_policy`` option:

- ``ucs2``: one character outside GSM-7 makes the whole message UCS-2; the text is sent as is.
- ``replace``: characters outside GSM-7 with a look-alike (``lookalikes.LOOKALIKES``) are
  replaced so the message stays GSM-7. If any character has none (Arabic, emoji), the
  message is UCS-2 and nothing is replaced, since UCS-2 carries the originals. Then, as the
  services we replace do, ``€`` (2 septets) becomes ``E`` if, and only if, that makes fewer
  segments; all of them or none, so the preview has one rule to show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from portevoix.platform.lookalikes import LOOKALIKES

GSM7, UCS2 = "gsm7", "ucs2"
UCS2_POLICY, REPLACE_POLICY = "ucs2", "replace"
POLICIES = (UCS2_POLICY, REPLACE_POLICY)

# TS 23.038 §6.2.1, indexed by septet value. 0x1B is the escape to the extension table, not a
# character: "\x1b" only holds its place and is left out of GSM7_BASIC.
BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
ESCAPE = 0x1B
_ESC = chr(ESCAPE)
# TS 23.038 §6.2.1.1: the septet that follows ESC for each extension character.
EXTENSION_TABLE: Mapping[str, int] = MappingProxyType({
    "\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F,
    "[": 0x3C, "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65,
})
GSM7_BASIC = frozenset(BASIC_TABLE) - {_ESC}
GSM7_EXTENSION = frozenset(EXTENSION_TABLE)
GSM7_CHARS = GSM7_BASIC | GSM7_EXTENSION

EURO, EURO_REPLACEMENT = "€", "E"


@dataclass(frozen=True)
class Limits:
    """Units one message holds alone (``single``) and in each part of a long one."""

    single: int
    part: int


LIMITS: Mapping[str, Limits] = MappingProxyType({
    GSM7: Limits(single=160, part=153),
    UCS2: Limits(single=70, part=67),
})
_GSM7_SINGLE, _GSM7_PART = LIMITS[GSM7].single, LIMITS[GSM7].part
_UCS2_SINGLE, _UCS2_PART = LIMITS[UCS2].single, LIMITS[UCS2].part


def _char_class(chars: frozenset[str], negated: bool = False) -> re.Pattern[str]:
    return re.compile(("[^" if negated else "[") + "".join(map(re.escape, sorted(chars))) + "]")


# Scans in C rather than loops in Python: most texts have nothing outside the basic table, so
# one search of _NOT_BASIC answers for them.
_NOT_BASIC = _char_class(GSM7_BASIC, negated=True)
_NOT_GSM7 = _char_class(GSM7_CHARS, negated=True)
_NOT_REPLACEABLE = _char_class(GSM7_CHARS | LOOKALIKES.keys(), negated=True)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# Septets a character outside the basic table adds to the text's length once sent: 1 for an
# escape, the replacement's length minus 1 for a look-alike (-1 for an invisible one).
_EXTRA_SEPTETS: Mapping[str, int] = MappingProxyType(
    {char: len(replacement) - 1 for char, replacement in LOOKALIKES.items()}
    | dict.fromkeys(GSM7_EXTENSION, 1)
)


class UnknownPolicyError(ValueError):
    def __init__(self, policy: str) -> None:
        super().__init__(f"unknown policy {policy!r}; use one of {', '.join(POLICIES)}")
        self.policy, self.known = policy, POLICIES


@dataclass(frozen=True)
class Encoded:
    """A text as it will be sent.

    ``text`` is exactly what is sent (after any replacement) and ``parts`` its segments'
    texts, which join to it. ``units`` counts septets for GSM-7 (an extension character is 2)
    and UTF-16 code units for UCS-2. ``replaced`` lists each ``(original, replacement)``
    pair the ``replace`` policy applied, once, in order of first appearance, ``€`` last.
    """

    text: str
    encoding: str
    parts: tuple[str, ...]
    units: int
    replaced: tuple[tuple[str, str], ...] = ()

    @property
    def segments(self) -> int:
        return len(self.parts)


def encode(text: str, policy: str = UCS2_POLICY) -> Encoded:
    """``text`` as sent under ``policy``: its encoding, parts, units and replacements."""
    if _needs_ucs2(text, policy):
        parts, units = _split(text, LIMITS[UCS2], _utf16_units)
        return Encoded(text, UCS2, parts, units)
    sent, replaced, _ = _as_gsm7(text, policy, _NOT_BASIC.findall(text))
    parts, units = _split(sent, LIMITS[GSM7], _septets)
    return Encoded(sent, GSM7, parts, units, replaced)


def segment_count(text: str, policy: str = UCS2_POLICY) -> tuple[str, int]:
    """``(encoding, segments)`` of ``encode(text, policy)``, without building the parts.

    Runs once per recipient of a personalised campaign, so each case costs a regex scan or
    two in C and some arithmetic; only a long GSM-7 text with an escape walks its parts.
    """
    if not _NOT_BASIC.search(text):
        if policy is not UCS2_POLICY and policy not in POLICIES:
            raise UnknownPolicyError(policy)
        units = len(text)
        return GSM7, 1 if units <= _GSM7_SINGLE else -(-units // _GSM7_PART)
    if _needs_ucs2(text, policy):
        return UCS2, _ucs2_segments(text)
    odd = _NOT_BASIC.findall(text)
    units = len(text) + sum(map(_EXTRA_SEPTETS.__getitem__, odd))
    if units <= _GSM7_SINGLE:
        return GSM7, 1
    if GSM7_EXTENSION.isdisjoint(odd):  # replacements are basic: no escape, no euro rule
        return GSM7, -(-units // _GSM7_PART)
    if policy == UCS2_POLICY:  # nothing to replace
        return GSM7, _gsm7_segments(text)
    return GSM7, _as_gsm7(text, policy, odd)[2]


def _needs_ucs2(text: str, policy: str) -> bool:
    if policy == UCS2_POLICY:
        return _NOT_GSM7.search(text) is not None
    if policy == REPLACE_POLICY:
        return _NOT_REPLACEABLE.search(text) is not None
    raise UnknownPolicyError(policy)


def _as_gsm7(
    text: str, policy: str, odd: list[str]
) -> tuple[str, tuple[tuple[str, str], ...], int]:
    """The GSM-7 text to send, what was replaced in it and its segments, for a text that
    ``policy`` keeps in GSM-7 (``_needs_ucs2`` is false) and holds ``odd`` outside the basic
    table."""
    # A dict keeps the order of first appearance, for the preview.
    outside = dict.fromkeys(char for char in odd if char not in GSM7_EXTENSION)
    for char in outside:  # values are basic GSM-7, so no replacement feeds another
        text = text.replace(char, LOOKALIKES[char])
    replaced = [(char, LOOKALIKES[char]) for char in outside]
    segments = _gsm7_segments(text)
    if policy == REPLACE_POLICY and segments > 1 and EURO in text:  # 1 segment: nothing to save
        plain = text.replace(EURO, EURO_REPLACEMENT)
        plain_segments = _gsm7_segments(plain)
        if plain_segments < segments:
            text, segments = plain, plain_segments
            replaced.append((EURO, EURO_REPLACEMENT))
    return text, tuple(replaced), segments


def _gsm7_segments(text: str) -> int:
    """Segments of a text known to be GSM-7."""
    # One character a septet: each extension character behind an ESC, which no GSM-7 text
    # holds otherwise. Ten fast scans in C beat a Python loop over the characters.
    septets = text
    for char in GSM7_EXTENSION:
        if char in septets:
            septets = septets.replace(char, _ESC + char)
    units = len(septets)
    if units <= _GSM7_SINGLE:
        return 1
    parts = start = 0
    while start < units:
        end = start + _GSM7_PART
        if septets[end - 1 : end] == _ESC:  # the escape would end a part, its code start the next
            end -= 1
        parts += 1
        start = end
    return parts


def _ucs2_segments(text: str) -> int:
    # "surrogatepass" counts a lone surrogate as the 1 unit _utf16_units gives it.
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    if units <= _UCS2_SINGLE:
        return 1
    if units == len(text):
        return -(-units // _UCS2_PART)
    # The n-th pair (from 0) starts n units after its character's index.
    pairs = {match.start() + n for n, match in enumerate(_ASTRAL.finditer(text))}
    parts = start = 0
    while start < units:
        end = start + _UCS2_PART
        if end - 1 in pairs:  # the pair would straddle two parts
            end -= 1
        parts += 1
        start = end
    return parts


def _septets(char: str) -> int:
    return 2 if char in GSM7_EXTENSION else 1


def _utf16_units(char: str) -> int:
    return 2 if char > "\uffff" else 1


def _split(text: str, limits: Limits, cost: Callable[[str], int]) -> tuple[tuple[str, ...], int]:
    """``text`` cut greedily into parts of at most ``limits.part`` units (one part if it fits
    ``limits.single``), never inside a character; and its total units."""
    units = sum(map(cost, text))
    if units <= limits.single:
        return (text,), units
    parts: list[str] = []
    start = used = 0
    for index, char in enumerate(text):
        char_units = cost(char)
        if used + char_units > limits.part:
            parts.append(text[start:index])
            start, used = index, 0
        used += char_units
    parts.append(text[start:])
    return tuple(parts), units
