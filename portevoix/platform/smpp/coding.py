"""Text as submit_sm and deliver_sm carry it: the short_message octets of each part, and back.

data_coding (SMPP 3.4 §5.2.19) names the alphabet: 0x00 the SMSC default alphabet, GSM 03.38
on our routes (3GPP TS 23.038 §6.2.1), sent unpacked, one septet an octet, an extension
character as 0x1B and its code; 0x03 Latin-1; 0x08 UCS-2, sent as UTF-16-BE so characters
beyond U+FFFF keep their surrogate pairs (as ``segments`` counts them). A flash message is
message class 0: TS 23.038 §4 coding group 00xx with bit 4 set and class bits 00, so 0x10 for
GSM-7 and 0x18 for UCS-2. SMPP 3.4 lists 0x10-0xBF as reserved; SMSCs read them as TS 23.038
coding groups, as Kannel sends them.

A long text goes as one submit_sm per part of ``segments.encode``, each short_message starting
with the concatenation header of TS 23.040 §9.2.3.24.1 (UDHL 05, IEI 00, IEDL 03, reference,
total, sequence) and esm_class UDHI 0x40 (§5.2.12). The 140-octet limit is on the air
interface, after the SMSC packs the septets: for GSM-7 the 6 header octets are padded with a
fill bit to a septet boundary (TS 23.040 §9.2.3.16), so they take 7 septets, leaving 153 of
the 160. The short_message holds the header and the septets unpacked, 6 + 153 = 159 octets,
within the 254 SMPP allows (§4.4.1). A UCS-2 part is 6 + 134 octets. A route that prefers
message_payload (§5.3.2.32) gets the whole text in one segment without a header, and the SMSC
splits it.

A route that does not take data_coding 0 gets GSM-7 text as Latin-1 (0x03) when every
character is in Latin-1: such SMSCs convert Latin-1 to GSM-7 for the air, so the parts and
their count stay those that were billed, one octet a character in the short_message. Text that
cannot go as billed (Greek capitals or ``€`` on such a route, UCS-2 on a route without it, a
flash message in Latin-1, which has no class) is refused rather than re-split into more parts.

``decode_short_message`` and ``Reassembler`` read what arrives in deliver_sm: MO replies, and
the submit_sm the simulator receives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from portevoix.platform.segments import (
    BASIC_TABLE,
    ESCAPE,
    EXTENSION_TABLE,
    GSM7,
    GSM7_CHARS,
    UCS2,
    Encoded,
)

# data_coding values (§5.2.19).
DC_DEFAULT = 0x00
DC_IA5 = 0x01
DC_LATIN1 = 0x03
DC_CYRILLIC = 0x06
DC_HEBREW = 0x07
DC_UCS2 = 0x08
FLASH = 0x10  # TS 23.038 §4: bits 1-0 give the class, here 00: class 0, shown at once
ROUTE_ENCODINGS = frozenset({DC_DEFAULT, DC_LATIN1, DC_UCS2})

ESM_UDHI = 0x40  # §5.2.12: the short_message starts with a user data header
IEI_CONCAT_8BIT, IEI_CONCAT_16BIT = 0x00, 0x08  # TS 23.040 §9.2.3.24.1 and §9.2.3.24.8
MAX_PARTS = 0xFF  # the header counts parts in one octet
LATIN1 = "latin-1"

_ToBytes = Callable[[str], bytes]

_ESC = chr(ESCAPE)
# Text to unpacked septets, one code point a septet, then to octets through Latin-1.
_TO_SEPTETS = str.maketrans(
    {char: chr(septet) for septet, char in enumerate(BASIC_TABLE) if septet != ESCAPE}
    | {char: _ESC + chr(code) for char, code in EXTENSION_TABLE.items()}
)
_SEPTET_OF: dict[str, int] = {char: septet for septet, char in enumerate(BASIC_TABLE)}
_EXTENSION_CHAR = MappingProxyType({code: char for char, code in EXTENSION_TABLE.items()})
_ESCAPED = re.compile(_ESC + "(.?)", re.DOTALL)
_NOT_LATIN1 = re.compile("[^\x00-\xff]")
# Python codecs for the single-octet data_coding values (§5.2.19).
_CHARSETS = MappingProxyType({
    DC_IA5: "ascii", DC_LATIN1: LATIN1, DC_CYRILLIC: "iso8859-5", DC_HEBREW: "iso8859-8",
})


class CodingError(ValueError):
    """Text that cannot become short_message octets, or octets that are not text."""


class UnencodableTextError(CodingError):
    def __init__(self, char: str, position: int, alphabet: str) -> None:
        super().__init__(f"{char!r} at {position} is not in {alphabet}")
        self.char, self.position, self.alphabet = char, position, alphabet


class MalformedShortMessageError(CodingError):
    def __init__(self, reason: str, data: bytes) -> None:
        super().__init__(f"{reason}: {data.hex(' ')}")
        self.reason, self.data = reason, data


class UnsupportedDataCodingError(CodingError):
    def __init__(self, data_coding: int) -> None:
        super().__init__(f"data_coding 0x{data_coding:02X} does not carry text we decode")
        self.data_coding = data_coding


class UnsupportedCodingError(CodingError):
    """The route cannot carry the text as it was billed."""

    def __init__(
        self, encoding: str, flash: bool, route_encodings: frozenset[int], unrepresentable: str
    ) -> None:
        codings = ", ".join(f"0x{coding:02X}" for coding in sorted(route_encodings))
        super().__init__(
            f"a {'flash ' if flash else ''}{encoding} text cannot go on a route taking "
            f"data_coding {codings or 'nothing'}"
            + (f" (not in Latin-1: {unrepresentable!r})" if unrepresentable else "")
        )
        self.encoding, self.flash = encoding, flash
        self.route_encodings, self.unrepresentable = route_encodings, unrepresentable


class InvalidReferenceError(CodingError):
    def __init__(self, reference: int) -> None:
        super().__init__(f"concatenation reference {reference} is not an octet (0-255)")
        self.reference = reference


class TooManyPartsError(CodingError):
    def __init__(self, parts: int) -> None:
        super().__init__(f"{parts} parts; a concatenation header counts at most {MAX_PARTS}")
        self.parts = parts


def gsm7_bytes(text: str) -> bytes:
    """``text`` as unpacked GSM 03.38 septets, one an octet; an extension character is 0x1B
    and its code (TS 23.038 §6.2.1.1). Raises ``UnencodableTextError`` on the first character
    outside GSM-7."""
    if not GSM7_CHARS.issuperset(text):
        position, char = next((i, char) for i, char in enumerate(text) if char not in GSM7_CHARS)
        raise UnencodableTextError(char, position, GSM7)
    return text.translate(_TO_SEPTETS).encode(LATIN1)


def gsm7_text(data: bytes) -> str:
    """Unpacked GSM 03.38 septets as text.

    After 0x1B, a code of the extension table is its character; any other code shows as the
    basic table's character for it, and 0x1B 0x1B (reserved for a further table) as a space,
    as TS 23.038 §6.2.1.1 tells a receiver to. A 0x1B ending the data shows as a space too.
    An octet above 0x7F is not a septet: the data was packed or is not GSM-7.
    """
    if data and max(data) > 0x7F:
        position = next(i for i, octet in enumerate(data) if octet > 0x7F)
        raise MalformedShortMessageError(f"octet {position} is not a septet", data)
    text = "".join(map(BASIC_TABLE.__getitem__, data))  # BASIC_TABLE holds "\x1b" for ESC
    return _ESCAPED.sub(_unescape, text) if ESCAPE in data else text


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code in ("", _ESC):
        return " "
    return _EXTENSION_CHAR.get(_SEPTET_OF[code], code)


def ucs2_bytes(text: str) -> bytes:
    """``text`` as UTF-16-BE: a character beyond U+FFFF is its surrogate pair, 4 octets.
    A lone surrogate (not text, but a Python string may hold one) passes as its 2 octets."""
    return text.encode("utf-16-be", "surrogatepass")


def ucs2_text(data: bytes) -> str:
    """UTF-16-BE octets as text; surrogate pairs become their character."""
    if len(data) % 2:
        raise MalformedShortMessageError("UCS-2 data of an odd number of octets", data)
    return data.decode("utf-16-be", "surrogatepass")


def latin1_bytes(text: str) -> bytes:
    """``text`` in ISO 8859-1, one octet a character."""
    found = _NOT_LATIN1.search(text)
    if found:
        raise UnencodableTextError(found.group(), found.start(), LATIN1)
    return text.encode(LATIN1)


def latin1_text(data: bytes) -> str:
    return data.decode(LATIN1)


@dataclass(frozen=True)
class Segment:
    """One submit_sm's share of a message: its short_message (with the header, if any), the
    esm_class bits that header needs (the connector adds its own), its data_coding, and its
    place among the ``parts``, counted from 1."""

    short_message: bytes
    esm_class: int
    data_coding: int
    part: int
    parts: int


def split(
    encoded: Encoded,
    reference: int,
    flash: bool = False,
    route_encodings: frozenset[int] = ROUTE_ENCODINGS,
    use_payload: bool = False,
) -> list[Segment]:
    """The segments to submit for ``encoded`` on a route taking ``route_encodings``.

    One segment for a one-part message, or when ``use_payload`` asks for the whole text in
    message_payload; else one a part of ``encoded.parts``, each behind the 8-bit
    concatenation header naming ``reference`` (0-255, one per long message and destination).
    Raises ``UnsupportedCodingError`` when the route cannot carry the text as billed (see the
    module), ``InvalidReferenceError`` and ``TooManyPartsError``.
    """
    if not 0 <= reference <= 0xFF:
        raise InvalidReferenceError(reference)
    data_coding, to_bytes = _coding(encoded, flash, route_encodings)
    if use_payload or encoded.segments == 1:
        return [Segment(to_bytes(encoded.text), 0, data_coding, 1, 1)]
    total = encoded.segments
    if total > MAX_PARTS:
        raise TooManyPartsError(total)
    return [
        Segment(
            # UDHL 5: one element, IEI 00 of 3 octets.
            bytes((5, IEI_CONCAT_8BIT, 3, reference, total, part)) + to_bytes(text),
            ESM_UDHI, data_coding, part, total,
        )
        for part, text in enumerate(encoded.parts, start=1)
    ]


def _coding(
    encoded: Encoded, flash: bool, route_encodings: frozenset[int]
) -> tuple[int, _ToBytes]:
    """The data_coding and encoder for ``encoded`` on the route."""
    flash_bit = FLASH if flash else 0
    if encoded.encoding == UCS2:
        if DC_UCS2 in route_encodings:
            return DC_UCS2 | flash_bit, ucs2_bytes
        raise UnsupportedCodingError(UCS2, flash, route_encodings, "")
    if DC_DEFAULT in route_encodings:
        return DC_DEFAULT | flash_bit, gsm7_bytes
    outside = "".join(dict.fromkeys(_NOT_LATIN1.findall(encoded.text)))
    if DC_LATIN1 in route_encodings and not flash and not outside:
        return DC_LATIN1, latin1_bytes
    raise UnsupportedCodingError(GSM7, flash, route_encodings, outside)


def decode_short_message(
    data: bytes, data_coding: int, esm_class: int
) -> tuple[str, tuple[int, int, int] | None]:
    """The text of a short_message, and ``(reference, total, sequence)`` when its user data
    header (present when ``esm_class`` has UDHI) holds a concatenation element.

    Reads the 8-bit (IEI 0x00) and 16-bit (IEI 0x08) references and skips other elements;
    an element naming 0 parts, part 0, or a part beyond the total is ignored, and of repeated
    ones the last counts (TS 23.040 §9.2.3.24). GSM-7 text after a header is unpacked too.
    Raises ``MalformedShortMessageError`` for a header that overruns the data or text that
    does not decode, ``UnsupportedDataCodingError`` for binary, compressed or unknown codings.
    """
    concatenation = None
    if esm_class & ESM_UDHI:
        if not data or data[0] + 1 > len(data):
            raise MalformedShortMessageError("user data header longer than the data", data)
        concatenation = _concatenation(data[1 : data[0] + 1], data)
        data = data[data[0] + 1 :]
    return _decode(data, data_coding), concatenation


def _concatenation(header: bytes, data: bytes) -> tuple[int, int, int] | None:
    found = None
    position = 0
    while position < len(header):
        if position + 2 > len(header):
            raise MalformedShortMessageError("truncated information element", data)
        iei, length = header[position], header[position + 1]
        value = header[position + 2 : position + 2 + length]
        if len(value) < length:
            raise MalformedShortMessageError(f"information element 0x{iei:02X} overruns", data)
        position += 2 + length
        if iei == IEI_CONCAT_8BIT and length == 3:
            reference, total, sequence = value
        elif iei == IEI_CONCAT_16BIT and length == 4:
            reference, total, sequence = value[0] << 8 | value[1], value[2], value[3]
        else:
            continue
        if 1 <= sequence <= total:
            found = reference, total, sequence
    return found


def _decode(data: bytes, data_coding: int) -> str:
    alphabet = _alphabet(data_coding)
    if alphabet == GSM7:
        return gsm7_text(data)
    if alphabet == UCS2:
        return ucs2_text(data)
    try:
        return data.decode(alphabet)
    except UnicodeDecodeError as error:
        raise MalformedShortMessageError(f"not {alphabet}: octet {error.start}", data) from None


def _alphabet(data_coding: int) -> str:
    """GSM7, UCS2 or a codec name for a data_coding: SMPP's own values below 0x10 (§5.2.19),
    TS 23.038 §4 coding groups above."""
    if data_coding == DC_DEFAULT:
        return GSM7
    if data_coding == DC_UCS2:
        return UCS2
    if data_coding in _CHARSETS:
        return _CHARSETS[data_coding]
    if 0x10 <= data_coding <= 0x7F and not data_coding & 0x20:  # general, not compressed
        alphabet = data_coding >> 2 & 0x03
        if alphabet in (0, 2):
            return GSM7 if alphabet == 0 else UCS2
    elif 0xC0 <= data_coding <= 0xDF:  # message waiting indication, GSM-7
        return GSM7
    elif 0xE0 <= data_coding <= 0xEF:  # message waiting indication, UCS-2
        return UCS2
    elif 0xF0 <= data_coding <= 0xFF and not data_coding & 0x04:  # message class, GSM-7
        return GSM7
    raise UnsupportedDataCodingError(data_coding)
