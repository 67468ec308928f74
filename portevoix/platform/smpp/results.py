"""What the connector tells its caller: each message's outcome, delivery reports, replies.

Every submitted message ends in exactly one outcome:

- ``Accepted``: the SMSC answered every segment with ESME_ROK; ``smsc_ids`` in part order.
- ``Rejected``: the SMSC refused a segment (``command_status``), or the message could not be
  sent at all (``command_status`` None: the connector closed first). ``accepted_parts``
  counts the segments the SMSC did take before that; the rest were never sent, or refused.
- ``Ambiguous``: a segment went out and no answer came (the bind dropped, or no response
  within the timeout): the SMSC may or may not hold it. Resending risks a duplicate, not
  resending a loss; the caller's delivery policy decides, never the connector.

``reason_for`` words a command_status the way the rest of the platform reasons about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portevoix.platform.smpp import pdu

INVALID_NUMBER = "invalid_number"
INVALID_SENDER = "invalid_sender"
THROTTLED = "throttled"
INVALID_MESSAGE = "invalid_message"
SYSTEM_ERROR = "system_error"
REJECTED = "rejected"
REASONS = (INVALID_NUMBER, INVALID_SENDER, THROTTLED, INVALID_MESSAGE, SYSTEM_ERROR, REJECTED)

_REASONS = {
    pdu.ESME_RINVDSTADR: INVALID_NUMBER,
    pdu.ESME_RINVDSTTON: INVALID_NUMBER,
    pdu.ESME_RINVSRCADR: INVALID_SENDER,
    pdu.ESME_RINVSRCTON: INVALID_SENDER,
    pdu.ESME_RTHROTTLED: THROTTLED,
    pdu.ESME_RMSGQFUL: THROTTLED,
    pdu.ESME_RINVMSGLEN: INVALID_MESSAGE,
    pdu.ESME_RINVDCS: INVALID_MESSAGE,
    pdu.ESME_RINVESMCLASS: INVALID_MESSAGE,
    pdu.ESME_RSYSERR: SYSTEM_ERROR,
    pdu.ESME_RSUBMITFAIL: SYSTEM_ERROR,
}

# Refusals that say "later", not "never": the same segment is sent again after a pause.
RETRIABLE = frozenset({pdu.ESME_RTHROTTLED, pdu.ESME_RMSGQFUL})


def reason_for(command_status: int | None) -> str:
    """Our reason for a refusal; None (nothing was sent: the connector stopped) is a system
    error. Throttling statuses only end up here once the retries are exhausted."""
    if command_status is None:
        return SYSTEM_ERROR
    return _REASONS.get(command_status, REJECTED)


@dataclass(frozen=True, slots=True)
class Accepted:
    message_id: str
    smsc_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rejected:
    message_id: str
    command_status: int | None
    reason: str
    accepted_parts: int = 0
    smsc_ids: tuple[str, ...] = ()  # of the accepted parts: their receipts still come
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Ambiguous:
    message_id: str
    detail: str
    smsc_ids: tuple[str, ...] = ()  # of the parts the SMSC did accept
    unanswered_parts: tuple[int, ...] = ()  # 1-based part numbers sent without an answer


Outcome = Accepted | Rejected | Ambiguous


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A message's delivery status changed. ``status`` is one of receipts' statuses, combined
    over every segment of a long message; ``stat``, ``error_code`` and ``done_at`` come from
    the receipt that changed it. ``done_at`` is naive, in the SMSC's local time as its
    receipt wrote it (None when it had no readable date)."""

    message_id: str
    smsc_ids: tuple[str, ...]
    status: str
    stat: str
    error_code: str | None
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class Reply:
    """A mobile-originated message, long ones reassembled. ``source`` is the sender's number
    as the SMSC gave it (E.164 with "+" when its TON is international)."""

    source: str
    destination: str
    text: str
    received_at: datetime
