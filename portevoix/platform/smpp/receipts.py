"""Delivery receipts and the statuses we give messages from them.

An SMSC reports a message's fate in a deliver_sm with esm_class 0x04 (SMPP 3.4 §5.2.12): in
the short_message, text of the form SMPP 3.4 Appendix B suggests (no more than a suggestion,
so SMSCs vary in case, spacing, id base and date precision), and in TLVs when it supports
them: receipted_message_id (§5.3.2.12), message_state (§5.3.2.35, values of §5.2.28) and
network_error_code (§5.3.2.31). ``receipt_from`` reads both, the TLVs winning: they are
structured and do not depend on the text's encoding.

Message ids are matched in a canonical form (``normalise_id``) because SMSCs write the same id
differently in different places: some answer submit_sm_resp with a hex id ("1E240") and put
it in decimal in the receipt text ("id:0000123456", zero-padded to Appendix B's 10 digits),
others the reverse. A route's configuration says how its SMSC writes each side:
``submit_id_base`` for submit_sm_resp's message_id and the receipted_message_id TLV (the same
id, §5.3.2.12), ``receipt_id_base`` for the text's ``id:``; each is ``as_is``, ``hex`` or
``dec``, and both sides are normalised before they are compared (``Receipt.canonical_id``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from portevoix.platform.smpp.pdu import (
    TLV_MESSAGE_STATE,
    TLV_NETWORK_ERROR_CODE,
    TLV_RECEIPTED_MESSAGE_ID,
)

SENT = "sent"  # accepted by the SMSC (submit_sm_resp), no receipt yet
DELIVERED_TO_OPERATOR = "delivered_to_operator"  # ENROUTE, ACCEPTD: on its way
RECEIVED = "received"  # DELIVRD
FAILED = "failed"  # UNDELIV, REJECTD, DELETED
EXPIRED = "expired"
UNKNOWN = "unknown"
STATUSES = (SENT, DELIVERED_TO_OPERATOR, RECEIVED, FAILED, EXPIRED, UNKNOWN)
# UNKNOWN is not final: an SMSC that does not know yet, or a stat word we do not, may be
# followed by a real outcome; the validity sweep ends a message that never gets one.
FINAL_STATUSES = frozenset({RECEIVED, FAILED, EXPIRED})

# §5.2.28.
MESSAGE_STATES: Mapping[int, str] = MappingProxyType({
    1: "ENROUTE", 2: "DELIVERED", 3: "EXPIRED", 4: "DELETED",
    5: "UNDELIVERABLE", 6: "ACCEPTED", 7: "UNKNOWN", 8: "REJECTED",
})
# Appendix B's 7-letter stat words, and the state names some SMSCs write in their place.
_STATUS_OF_STAT: Mapping[str, str] = MappingProxyType({
    "DELIVRD": RECEIVED, "DELIVERED": RECEIVED,
    "ENROUTE": DELIVERED_TO_OPERATOR,
    "ACCEPTD": DELIVERED_TO_OPERATOR, "ACCEPTED": DELIVERED_TO_OPERATOR,
    "EXPIRED": EXPIRED,
    "UNDELIV": FAILED, "UNDELIVERABLE": FAILED,
    "REJECTD": FAILED, "REJECTED": FAILED,
    "DELETED": FAILED,
    "UNKNOWN": UNKNOWN,
})
# How far a message that has not failed or expired has come.
_PROGRESS: Mapping[str, int] = MappingProxyType({
    UNKNOWN: 0, SENT: 1, DELIVERED_TO_OPERATOR: 2, RECEIVED: 3,
})

AS_IS, HEX, DEC = "as_is", "hex", "dec"
ID_BASES = (AS_IS, HEX, DEC)

# A key of the receipt text and its colon; "submit date" may be written with more spaces or
# an underscore. The value runs to the next key; ``text`` runs to the end.
_KEY = re.compile(
    r"\b(id|sub|dlvrd|submit[ _]*date|done[ _]*date|stat|err|text)[ \t]*:", re.IGNORECASE
)
_DIGITS = re.compile("[0-9]+")
_HEX_DIGITS = re.compile("(?:0[xX])?([0-9a-fA-F]+)")
_DATE = re.compile("([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})?")


class ReceiptError(ValueError):
    pass


class MalformedReceiptError(ReceiptError):
    def __init__(self, reason: str, text: str | None) -> None:
        super().__init__(f"{reason}: {text!r}")
        self.reason, self.text = reason, text


class MalformedIdError(ReceiptError):
    def __init__(self, value: str, base: str) -> None:
        super().__init__(f"message id {value!r} is not {base}")
        self.value, self.base = value, base


class UnknownIdBaseError(ReceiptError):
    def __init__(self, base: str) -> None:
        super().__init__(f"unknown id base {base!r}; use one of {', '.join(ID_BASES)}")
        self.base, self.known = base, ID_BASES


class UnknownStatusError(ReceiptError):
    def __init__(self, status: str) -> None:
        super().__init__(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
        self.status, self.known = status, STATUSES


class SegmentCountError(ReceiptError):
    def __init__(self, statuses: int, parts: int) -> None:
        super().__init__(f"{statuses} segment statuses for a message of {parts} parts")
        self.statuses, self.parts = statuses, parts


@dataclass(frozen=True)
class ReceiptFields:
    """The fields of a receipt text, as written (``stat`` upper-cased). Dates are the SMSC's
    local time, to the minute or the second; a field that is absent or does not parse is
    ``None``."""

    id: str
    sub: int | None = None
    dlvrd: int | None = None
    submit_date: datetime | None = None
    done_date: datetime | None = None
    stat: str | None = None
    err: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class NetworkError:
    """network_error_code (§5.3.2.31): the network type (1 ANSI-136, 2 IS-95, 3 GSM) and its
    error code."""

    network_type: int
    code: int


@dataclass(frozen=True)
class Receipt:
    """What a receipt says: the message it is about, our status for it, and the details.

    ``message_id`` is the receipted_message_id TLV when present (``id_from_tlv``), else the
    text's id; ``status`` comes from the message_state TLV when present, else from ``stat``.
    """

    message_id: str
    id_from_tlv: bool
    status: str
    stat: str | None = None
    message_state: int | None = None
    network_error: NetworkError | None = None
    err: str | None = None
    sub: int | None = None
    dlvrd: int | None = None
    submit_date: datetime | None = None
    done_date: datetime | None = None
    text: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    def canonical_id(self, receipt_id_base: str, submit_id_base: str) -> str:
        """``message_id`` in canonical form, read in the route's base for where it came from."""
        base = submit_id_base if self.id_from_tlv else receipt_id_base
        return normalise_id(self.message_id, base)


def parse_receipt_text(text: str) -> ReceiptFields:
    """The fields of an Appendix B receipt text.

    Tolerant: keys in any case and order, spaces around them, optional fields missing, dates
    as YYMMDDhhmm or YYMMDDhhmmss, a ``text:`` value that holds colons (everything after the
    first ``text:`` is the text). Strict on the id, without which a receipt matches nothing:
    ``MalformedReceiptError`` when it is absent or empty.
    """
    values = _values(text)
    if not values.get("id"):
        raise MalformedReceiptError("no id", text)
    return _fields(values["id"], values)


def receipt_from(short_message_text: str | None, tlvs: Mapping[int, bytes]) -> Receipt:
    """The receipt a deliver_sm carries in its decoded short_message and its TLVs.

    ``MalformedReceiptError`` when neither gives an id or a state, or a TLV has the wrong
    length (an empty network_error_code, which some SMSCs send, is taken as absent).
    """
    values = _values(short_message_text) if short_message_text else {}
    tlv_id = _receipted_message_id(tlvs.get(TLV_RECEIPTED_MESSAGE_ID))
    message_id = tlv_id or values.get("id")
    if not message_id:
        raise MalformedReceiptError("no id field and no receipted_message_id", short_message_text)
    fields = _fields(message_id, values)
    message_state = _message_state(tlvs.get(TLV_MESSAGE_STATE), short_message_text)
    if message_state is not None:
        status = status_of(message_state)
    elif fields.stat:
        status = status_of(fields.stat)
    else:
        raise MalformedReceiptError("no stat field and no message_state", short_message_text)
    return Receipt(
        message_id=message_id,
        id_from_tlv=bool(tlv_id),
        status=status,
        stat=fields.stat,
        message_state=message_state,
        network_error=_network_error(tlvs.get(TLV_NETWORK_ERROR_CODE), short_message_text),
        err=fields.err,
        sub=fields.sub,
        dlvrd=fields.dlvrd,
        submit_date=fields.submit_date,
        done_date=fields.done_date,
        text=fields.text,
    )


def _values(text: str) -> dict[str, str]:
    """Each key's value (first occurrence), keys lower-case without spaces or underscores."""
    values: dict[str, str] = {}
    keys = list(_KEY.finditer(text))
    starts = [key.start() for key in keys] + [len(text)]
    for key, end in zip(keys, starts[1:], strict=True):
        name = re.sub("[ _]", "", key.group(1).lower())
        if name == "text":
            values.setdefault(name, text[key.end() :].strip())
            break
        # A value is one word: whatever else sits before the next key is not this field's.
        words = text[key.end() : end].split()
        values.setdefault(name, words[0] if words else "")
    return values


def _fields(message_id: str, values: Mapping[str, str]) -> ReceiptFields:
    return ReceiptFields(
        id=message_id,
        sub=_number(values.get("sub")),
        dlvrd=_number(values.get("dlvrd")),
        submit_date=_date(values.get("submitdate")),
        done_date=_date(values.get("donedate")),
        stat=values.get("stat", "").upper() or None,
        err=values.get("err") or None,
        text=values.get("text"),
    )


def _number(value: str | None) -> int | None:
    return int(value) if value and _DIGITS.fullmatch(value) else None


def _date(value: str | None) -> datetime | None:
    found = _DATE.fullmatch(value or "")
    if not found:
        return None
    year, month, day, hour, minute, second = (int(part or 0) for part in found.groups())
    try:
        return datetime(2000 + year, month, day, hour, minute, second)
    except ValueError:  # a month 13 or a 31 April: the date is detail, not worth the receipt
        return None


def _receipted_message_id(value: bytes | None) -> str | None:
    """A C-octet string (§5.3.2.12): up to its NUL."""
    if value is None:
        return None
    return value.split(b"\0", 1)[0].decode("latin-1").strip() or None


def _message_state(value: bytes | None, text: str | None) -> int | None:
    if value is None:
        return None
    if len(value) != 1:
        raise MalformedReceiptError(f"message_state of {len(value)} octets, not 1", text)
    return value[0]


def _network_error(value: bytes | None, text: str | None) -> NetworkError | None:
    if not value:
        return None
    if len(value) != 3:
        raise MalformedReceiptError(f"network_error_code of {len(value)} octets, not 3", text)
    return NetworkError(value[0], int.from_bytes(value[1:], "big"))


def status_of(stat: str | int) -> str:
    """Our status for a receipt's stat word (Appendix B's DELIVRD, ENROUTE, ACCEPTD, EXPIRED,
    UNDELIV, REJECTD, DELETED, UNKNOWN, or the state names of §5.2.28), in any case, or for a
    message_state number (also written as digits); anything else is ``UNKNOWN``."""
    if isinstance(stat, str):
        stat = stat.strip().upper()
        if _DIGITS.fullmatch(stat):
            stat = int(stat)
    name = MESSAGE_STATES.get(stat, "") if isinstance(stat, int) else stat
    return _STATUS_OF_STAT.get(name, UNKNOWN)


def normalise_id(value: str, base: str) -> str:
    """A message id in the form ids are compared in, read as the SMSC writes it.

    ``as_is``: stripped and lower-cased, and without leading zeros when all digits (a
    zero-padded "0000123456" is "123456"). ``hex``: the SMSC writes it in hex ("1E240", "0x"
    allowed): the decimal number ("123456"). ``dec``: decimal digits, the number. A ``hex``
    or ``dec`` id that is not one raises ``MalformedIdError``.
    """
    stripped = value.strip()
    if base == AS_IS:
        if _DIGITS.fullmatch(stripped):
            return stripped.lstrip("0") or "0"
        return stripped.lower()
    if base == HEX:
        found = _HEX_DIGITS.fullmatch(stripped)
        if not found:
            raise MalformedIdError(value, base)
        return str(int(found.group(1), 16))
    if base == DEC:
        if not _DIGITS.fullmatch(stripped):
            raise MalformedIdError(value, base)
        return str(int(stripped))
    raise UnknownIdBaseError(base)


def combine(statuses: Sequence[str], parts: int | None = None) -> str:
    """One status for a long message from those of its segments.

    ``parts`` is how many segments it has when fewer ``statuses`` are known: the missing
    ones count as ``SENT``, not final. Failed if any failed; else expired if any expired;
    else received only when every segment is; else the least advanced (unknown < sent <
    delivered_to_operator < received).
    """
    expected = len(statuses) if parts is None else parts
    if expected < 1 or len(statuses) > expected:
        raise SegmentCountError(len(statuses), expected)
    for status in statuses:
        if status not in STATUSES:
            raise UnknownStatusError(status)
    if FAILED in statuses:
        return FAILED
    if EXPIRED in statuses:
        return EXPIRED
    missing = [SENT] * (expected - len(statuses))
    return min([*statuses, *missing], key=_PROGRESS.__getitem__)
