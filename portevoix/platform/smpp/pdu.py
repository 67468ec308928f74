"""SMPP 3.4 PDUs: the commands an ESME and an SMSC exchange, as values, bytes and back.

Covers what a messaging gateway needs (SMPP 3.4 §4): the three binds and their responses,
unbind, submit_sm, deliver_sm, enquire_link and their responses, and generic_nack. Every PDU
is a 16-octet header (command_length, command_id, command_status, sequence_number, §3.2)
and a body of C-octet strings, integers and optional TLVs (§3.3, §5.3). Decoding is strict:
a PDU that does not parse raises a :class:`PduError` saying what to answer (§2.7:
generic_nack with ESME_RINVCMDLEN or ESME_RINVCMDID, or the command's response with an
error status), so a peer's garbage never takes a bind down silently.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

# Command ids (§5.1.2.1).
GENERIC_NACK = 0x80000000
BIND_RECEIVER, BIND_RECEIVER_RESP = 0x00000001, 0x80000001
BIND_TRANSMITTER, BIND_TRANSMITTER_RESP = 0x00000002, 0x80000002
SUBMIT_SM, SUBMIT_SM_RESP = 0x00000004, 0x80000004
DELIVER_SM, DELIVER_SM_RESP = 0x00000005, 0x80000005
UNBIND, UNBIND_RESP = 0x00000006, 0x80000006
BIND_TRANSCEIVER, BIND_TRANSCEIVER_RESP = 0x00000009, 0x80000009
ENQUIRE_LINK, ENQUIRE_LINK_RESP = 0x00000015, 0x80000015
RESPONSE_BIT = 0x80000000
BINDS = (BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER)

# Command statuses (§5.1.3) that we send or act on.
ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RSYSERR = 0x08
ESME_RINVSRCADR = 0x0A
ESME_RINVDSTADR = 0x0B
ESME_RINVMSGID = 0x0C
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RMSGQFUL = 0x14
ESME_RINVESMCLASS = 0x43
ESME_RSUBMITFAIL = 0x45
ESME_RINVSRCTON = 0x48
ESME_RINVDSTTON = 0x50
ESME_RTHROTTLED = 0x58
ESME_RINVEXPIRY = 0x62
ESME_RX_P_APPN = 0x65
ESME_RINVDCS = 0x104
ESME_RUNKNOWNERR = 0xFF

# TLV tags (§5.3.2) that we read or write.
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_NETWORK_ERROR_CODE = 0x0423
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_MESSAGE_STATE = 0x0427
TLV_SC_INTERFACE_VERSION = 0x0210

HEADER = struct.Struct(">IIII")
MIN_LENGTH = HEADER.size
MAX_LENGTH = 64 * 1024  # far above any real PDU; a larger length is garbage, not a message
INTERFACE_VERSION = 0x34

_NAMES = {
    GENERIC_NACK: "generic_nack",
    BIND_RECEIVER: "bind_receiver", BIND_RECEIVER_RESP: "bind_receiver_resp",
    BIND_TRANSMITTER: "bind_transmitter", BIND_TRANSMITTER_RESP: "bind_transmitter_resp",
    BIND_TRANSCEIVER: "bind_transceiver", BIND_TRANSCEIVER_RESP: "bind_transceiver_resp",
    SUBMIT_SM: "submit_sm", SUBMIT_SM_RESP: "submit_sm_resp",
    DELIVER_SM: "deliver_sm", DELIVER_SM_RESP: "deliver_sm_resp",
    UNBIND: "unbind", UNBIND_RESP: "unbind_resp",
    ENQUIRE_LINK: "enquire_link", ENQUIRE_LINK_RESP: "enquire_link_resp",
}


def command_name(command_id: int) -> str:
    return _NAMES.get(command_id, f"0x{command_id:08x}")


class PduError(Exception):
    """A PDU that cannot be used; ``status`` is what to answer, ``nack`` whether the answer
    is a generic_nack (the command is unknown or its length is wrong) rather than the
    command's own response."""

    def __init__(self, reason: str, command_id: int, sequence: int, status: int,
                 nack: bool) -> None:
        super().__init__(f"{command_name(command_id)} #{sequence}: {reason}")
        self.reason, self.command_id, self.sequence = reason, command_id, sequence
        self.status, self.nack = status, nack


class InvalidCommandLengthError(PduError):
    """The length is impossible: the stream cannot be trusted past this point."""

    def __init__(self, length: int) -> None:
        super().__init__(f"command_length {length} outside {MIN_LENGTH}..{MAX_LENGTH}",
                         0, 0, ESME_RINVCMDLEN, True)
        self.length = length


class UnknownCommandError(PduError):
    def __init__(self, command_id: int, sequence: int) -> None:
        super().__init__("unknown command id", command_id, sequence, ESME_RINVCMDID, True)


class MalformedPduError(PduError):
    def __init__(self, reason: str, command_id: int, sequence: int) -> None:
        nack = command_id & RESPONSE_BIT != 0  # a response is never answered but by a nack
        super().__init__(reason, command_id, sequence, ESME_RINVMSGLEN if nack else
                         ESME_RSYSERR, nack)


@dataclass(frozen=True, slots=True)
class Bind:
    """The body of the three bind requests (§4.1.1)."""

    system_id: str
    password: str
    system_type: str = ""
    interface_version: int = INTERFACE_VERSION
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""


@dataclass(frozen=True, slots=True)
class ShortMessage:
    """The body of submit_sm (§4.4.1) and deliver_sm (§4.6.1): they share one layout."""

    source_addr: str
    destination_addr: str
    short_message: bytes = b""
    service_type: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    dest_addr_ton: int = 1
    dest_addr_npi: int = 1
    esm_class: int = 0
    protocol_id: int = 0
    priority_flag: int = 0
    schedule_delivery_time: str = ""
    validity_period: str = ""
    registered_delivery: int = 0
    replace_if_present_flag: int = 0
    data_coding: int = 0
    sm_default_msg_id: int = 0
    tlvs: tuple[tuple[int, bytes], ...] = ()

    def tlv(self, tag: int) -> bytes | None:
        for found, value in self.tlvs:
            if found == tag:
                return value
        return None


@dataclass(frozen=True, slots=True)
class MessageId:
    """The body of submit_sm_resp, deliver_sm_resp and the bind responses: one id."""

    message_id: str
    tlvs: tuple[tuple[int, bytes], ...] = ()


Body = Bind | ShortMessage | MessageId | None


@dataclass(frozen=True, slots=True)
class Pdu:
    command_id: int
    sequence: int
    status: int = ESME_ROK
    body: Body = field(default=None)

    @property
    def name(self) -> str:
        return command_name(self.command_id)

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESPONSE_BIT)


def response_to(request: Pdu, status: int = ESME_ROK, body: Body = None) -> Pdu:
    return Pdu(request.command_id | RESPONSE_BIT, request.sequence, status, body)


def generic_nack(sequence: int, status: int) -> Pdu:
    return Pdu(GENERIC_NACK, sequence, status)


# Encoding ------------------------------------------------------------------------------

def encode(pdu: Pdu) -> bytes:
    body = _encode_body(pdu)
    return HEADER.pack(MIN_LENGTH + len(body), pdu.command_id, pdu.status, pdu.sequence) + body


def _cstr(value: str, limit: int, name: str) -> bytes:
    data = value.encode("latin-1")
    if len(data) >= limit:
        raise ValueError(f"{name} holds at most {limit - 1} octets: {value!r}")
    return data + b"\0"


def _tlvs(tlvs: Sequence[tuple[int, bytes]]) -> bytes:
    return b"".join(struct.pack(">HH", tag, len(value)) + value for tag, value in tlvs)


def _encode_body(pdu: Pdu) -> bytes:
    body = pdu.body
    if isinstance(body, Bind):
        return b"".join((
            _cstr(body.system_id, 16, "system_id"), _cstr(body.password, 9, "password"),
            _cstr(body.system_type, 13, "system_type"),
            bytes((body.interface_version, body.addr_ton, body.addr_npi)),
            _cstr(body.address_range, 41, "address_range"),
        ))
    if isinstance(body, ShortMessage):
        if len(body.short_message) > 254:
            raise ValueError("short_message holds at most 254 octets; use message_payload")
        return b"".join((
            _cstr(body.service_type, 6, "service_type"),
            bytes((body.source_addr_ton, body.source_addr_npi)),
            _cstr(body.source_addr, 21, "source_addr"),
            bytes((body.dest_addr_ton, body.dest_addr_npi)),
            _cstr(body.destination_addr, 21, "destination_addr"),
            bytes((body.esm_class, body.protocol_id, body.priority_flag)),
            _cstr(body.schedule_delivery_time, 17, "schedule_delivery_time"),
            _cstr(body.validity_period, 17, "validity_period"),
            bytes((body.registered_delivery, body.replace_if_present_flag, body.data_coding,
                   body.sm_default_msg_id, len(body.short_message))),
            body.short_message, _tlvs(body.tlvs),
        ))
    if isinstance(body, MessageId):
        return _cstr(body.message_id, 65, "message_id") + _tlvs(body.tlvs)
    return b""


# Decoding ------------------------------------------------------------------------------

class _Reader:
    __slots__ = ("command_id", "data", "offset", "sequence")

    def __init__(self, data: bytes, command_id: int, sequence: int) -> None:
        self.data, self.offset = data, 0
        self.command_id, self.sequence = command_id, sequence

    def fail(self, reason: str) -> MalformedPduError:
        return MalformedPduError(reason, self.command_id, self.sequence)

    def cstr(self, limit: int, name: str) -> str:
        end = self.data.find(b"\0", self.offset, self.offset + limit)
        if end < 0:
            raise self.fail(f"{name} is not a C-octet string of at most {limit} octets")
        value = self.data[self.offset:end].decode("latin-1")
        self.offset = end + 1
        return value

    def octets(self, count: int, name: str) -> bytes:
        if self.offset + count > len(self.data):
            raise self.fail(f"{name} runs past the end of the PDU")
        value = self.data[self.offset:self.offset + count]
        self.offset += count
        return value

    def tlvs(self) -> tuple[tuple[int, bytes], ...]:
        found = []
        while self.offset < len(self.data):
            header = self.octets(4, "a TLV header")
            tag, length = struct.unpack(">HH", header)
            found.append((tag, self.octets(length, f"TLV 0x{tag:04x}")))
        return tuple(found)

    def done(self) -> bool:
        return self.offset >= len(self.data)


def decode(frame: bytes) -> Pdu:
    """One whole PDU (header included) as a value, or a PduError saying what to answer."""
    if len(frame) < MIN_LENGTH:
        raise InvalidCommandLengthError(len(frame))
    length, command_id, status, sequence = HEADER.unpack_from(frame)
    if length != len(frame):
        raise InvalidCommandLengthError(length)
    reader = _Reader(frame[MIN_LENGTH:], command_id, sequence)
    body: Body
    if command_id in BINDS:
        system_id, password = reader.cstr(16, "system_id"), reader.cstr(9, "password")
        system_type = reader.cstr(13, "system_type")
        version, ton, npi = reader.octets(3, "interface_version, addr_ton, addr_npi")
        body = Bind(system_id, password, system_type, version, ton, npi,
                    reader.cstr(41, "address_range"))
    elif command_id in (SUBMIT_SM, DELIVER_SM):
        body = _short_message(reader)
    elif command_id in (SUBMIT_SM_RESP, DELIVER_SM_RESP, BIND_RECEIVER_RESP,
                        BIND_TRANSMITTER_RESP, BIND_TRANSCEIVER_RESP):
        # An error response may come without a body (§4.4.2: "only returned if ... 0").
        body = None if reader.done() else MessageId(reader.cstr(65, "message_id"),
                                                    reader.tlvs())
    elif command_id in (ENQUIRE_LINK, ENQUIRE_LINK_RESP, UNBIND, UNBIND_RESP, GENERIC_NACK):
        body = None
    else:
        raise UnknownCommandError(command_id, sequence)
    if not reader.done():
        raise reader.fail("octets left over after the body")
    return Pdu(command_id, sequence, status, body)


def _short_message(reader: _Reader) -> ShortMessage:
    service_type = reader.cstr(6, "service_type")
    source_ton, source_npi = reader.octets(2, "source address type")
    source = reader.cstr(21, "source_addr")
    dest_ton, dest_npi = reader.octets(2, "destination address type")
    destination = reader.cstr(21, "destination_addr")
    esm_class, protocol_id, priority = reader.octets(3, "esm_class..priority_flag")
    schedule = reader.cstr(17, "schedule_delivery_time")
    validity = reader.cstr(17, "validity_period")
    registered, replace, data_coding, default_id, sm_length = reader.octets(5, "flags")
    text = reader.octets(sm_length, "short_message")
    return ShortMessage(
        source_addr=source, destination_addr=destination, short_message=text,
        service_type=service_type, source_addr_ton=source_ton, source_addr_npi=source_npi,
        dest_addr_ton=dest_ton, dest_addr_npi=dest_npi, esm_class=esm_class,
        protocol_id=protocol_id, priority_flag=priority, schedule_delivery_time=schedule,
        validity_period=validity, registered_delivery=registered,
        replace_if_present_flag=replace, data_coding=data_coding,
        sm_default_msg_id=default_id, tlvs=reader.tlvs(),
    )


class FrameReader:
    """Cuts a byte stream into whole PDUs. An impossible command_length raises
    InvalidCommandLengthError: the stream has lost its framing and the bind must close."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> Iterator[bytes]:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= 4:
            length = int.from_bytes(buffer[:4], "big")
            if not MIN_LENGTH <= length <= MAX_LENGTH:
                raise InvalidCommandLengthError(length)
            if len(buffer) < length:
                return
            frame = bytes(buffer[:length])
            del buffer[:length]
            yield frame


# Times (§7.1) --------------------------------------------------------------------------

def relative_time(seconds: int) -> str:
    """A relative time ``YYMMDDhhmmss000R`` (validity periods): at most 99 years ahead."""
    if seconds < 0:
        raise ValueError("a relative time cannot be negative")
    minutes, secs = divmod(seconds, 60)
    hours, mins = divmod(minutes, 60)
    days, hrs = divmod(hours, 24)
    return f"0000{days:02d}{hrs:02d}{mins:02d}{secs:02d}000R"


def absolute_time(moment: datetime) -> str:
    """An absolute time ``YYMMDDhhmmsstnnp`` in UTC (tenths 0, offset 00, ``+``)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%y%m%d%H%M%S") + "000+"
