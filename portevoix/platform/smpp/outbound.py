"""A message to send over SMPP, and the submit_sm bodies that carry it on a given route.

``submit_bodies`` applies every rule that decides the octets: the addresses' TON/NPI
(``addresses``), the segments and their encoding (``segments.encode`` under the message's
policy, then ``coding.split`` for the route's data codings, flash as message class 0), the
concatenation reference of a long message, message_payload when the route prefers it for
a long text (SMPP 3.4 §5.3.2.32; a text that fits one short_message still goes in it, which
every SMSC reads), the validity period as a relative time (§7.1.2), and a request for a
delivery receipt (registered_delivery 1: success or failure, §5.2.17).

A message that no SMSC could take raises before anything is sent; ``refusal`` turns that
into the ``Rejected`` outcome the caller gets (command_status None: the SMSC never saw it).
"""

from __future__ import annotations

from dataclasses import dataclass

from portevoix.platform.segments import UCS2_POLICY, encode
from portevoix.platform.smpp.addresses import AddressError, destination_address, source_address
from portevoix.platform.smpp.coding import ROUTE_ENCODINGS, split
from portevoix.platform.smpp.pdu import TLV_MESSAGE_PAYLOAD, ShortMessage, relative_time
from portevoix.platform.smpp.results import (
    INVALID_MESSAGE,
    INVALID_NUMBER,
    INVALID_SENDER,
    Rejected,
)

SHORT_MESSAGE_OCTETS = 140  # what one SMS carries on the air (TS 23.040 §9.2.3.24)


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to one destination.

    ``message_id`` is ours, echoed in every outcome and report. ``source`` is the sender (an
    alphanumeric name, a short code or an international number), ``destination`` an E.164
    number with its "+". ``policy`` is the customer's non-GSM policy (``segments``).
    ``validity_s`` None leaves the SMSC's default.
    """

    message_id: str
    source: str
    destination: str
    text: str
    policy: str = UCS2_POLICY
    flash: bool = False
    validity_s: int | None = None
    registered_delivery: bool = True


def submit_bodies(
    message: Outbound,
    reference: int = 0,
    data_codings: frozenset[int] = ROUTE_ENCODINGS,
    use_payload: bool = False,
    source_ton: int | None = None,
    source_npi: int | None = None,
    service_type: str = "",
) -> list[ShortMessage]:
    """The submit_sm bodies for ``message``, one a segment in part order.

    ``reference`` is the concatenation reference of a long message (0-255). Raises
    ``addresses.AddressError``, ``coding.CodingError`` or ``ValueError`` (an unknown policy,
    a validity the relative time format cannot hold) for a message that cannot be sent.
    """
    source = source_address(message.source, source_ton, source_npi)
    destination = destination_address(message.destination)
    validity = "" if message.validity_s is None else relative_time(message.validity_s)
    pieces = split(encode(message.text, message.policy), reference, message.flash,
                   data_codings, use_payload)
    bodies = []
    for piece in pieces:
        data = piece.short_message
        in_payload = use_payload and len(data) > SHORT_MESSAGE_OCTETS
        bodies.append(ShortMessage(
            source_addr=source.addr, source_addr_ton=source.ton, source_addr_npi=source.npi,
            destination_addr=destination.addr, dest_addr_ton=destination.ton,
            dest_addr_npi=destination.npi, service_type=service_type,
            esm_class=piece.esm_class, data_coding=piece.data_coding,
            validity_period=validity, registered_delivery=int(message.registered_delivery),
            short_message=b"" if in_payload else data,
            tlvs=((TLV_MESSAGE_PAYLOAD, data),) if in_payload else (),
        ))
    return bodies


def refusal(message: Outbound, error: ValueError) -> Rejected:
    """The outcome of a message ``submit_bodies`` refused with ``error``."""
    if isinstance(error, AddressError):
        reason = INVALID_SENDER if error.role == "source" else INVALID_NUMBER
    else:
        reason = INVALID_MESSAGE
    return Rejected(message.message_id, None, reason, detail=str(error))
