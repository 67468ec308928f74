"""What a deliver_sm from the SMSC holds: a delivery receipt, or a reply from a handset.

SMPP 3.4 §5.2.12: esm_class bits 2-5 give the message type. 0x04 is an SMSC delivery
receipt and 0x20 an intermediate delivery notification, both read as receipts; 0 is a
mobile-originated message; the handset acknowledgements (0x08, 0x10) and the conversation
abort (0x18) are neither, and are only logged. The text is in short_message, or in the
message_payload TLV when short_message is empty (§5.3.2.32). A receipt's text is ASCII
whatever data_coding says (Appendix B), so it is read as Latin-1, which cannot fail; the
TLVs, when present, win over it (``receipts.receipt_from``). A reply is decoded per its
data_coding, and the parts of a long one are held until the last arrives.

Neither function raises for what a peer sent: a deliver_sm we cannot read is logged and
``None`` returned, and the connector still answers it (sending it again would not help).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from time import monotonic

from portevoix.platform.smpp.addresses import TON_INTERNATIONAL
from portevoix.platform.smpp.coding import CodingError, decode_short_message
from portevoix.platform.smpp.pdu import TLV_MESSAGE_PAYLOAD, ShortMessage
from portevoix.platform.smpp.reassembly import Reassembler
from portevoix.platform.smpp.receipts import Receipt, ReceiptError, receipt_from
from portevoix.platform.smpp.results import Reply

log = logging.getLogger(__name__)

MESSAGE_TYPE = 0x3C
RECEIPT, REPLY, OTHER = "receipt", "reply", "other"
_KINDS = {0x00: REPLY, 0x04: RECEIPT, 0x20: RECEIPT}


def kind(body: ShortMessage) -> str:
    """RECEIPT, REPLY or OTHER for a deliver_sm's body."""
    return _KINDS.get(body.esm_class & MESSAGE_TYPE, OTHER)


def _data(body: ShortMessage) -> bytes:
    if body.short_message:
        return body.short_message
    return body.tlv(TLV_MESSAGE_PAYLOAD) or b""


def read_receipt(body: ShortMessage, where: str = "") -> Receipt | None:
    """The receipt in ``body``, or None (logged) when it has no usable id or state."""
    text = _data(body).decode("latin-1")
    try:
        return receipt_from(text or None, dict(body.tlvs))
    except ReceiptError as error:
        log.warning("%s: unreadable delivery receipt: %s", where, error)
        return None


def read_reply(body: ShortMessage, reassembler: Reassembler, where: str = "",
               now: float | None = None) -> Reply | None:
    """The reply ``body`` completes, or None: a part of a longer one (held), or text that
    does not decode (logged). ``now`` is for the reassembler's expiry (monotonic seconds)."""
    try:
        text, concatenation = decode_short_message(_data(body), body.data_coding,
                                                   body.esm_class)
    except CodingError as error:
        log.warning("%s: unreadable reply from %s: %s", where, body.source_addr, error)
        return None
    source = _number(body.source_addr, body.source_addr_ton)
    whole = reassembler.add(source, text, concatenation, monotonic() if now is None else now)
    if whole is None:
        return None
    return Reply(source, _number(body.destination_addr, body.dest_addr_ton), whole,
                 datetime.now(UTC))


def _number(addr: str, ton: int) -> str:
    """An international number in E.164 with its "+"; any other address as given."""
    if ton == TON_INTERNATIONAL and addr.isdigit():
        return "+" + addr
    return addr
