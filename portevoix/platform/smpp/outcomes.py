"""What the SMSC simulator does with a submitted message: outcome rules, receipts, throttling.

A rule matches the destination address with a regular expression (``re.search``: anchor it
with ``^`` for a prefix) and names an outcome; the first matching rule wins and an address
no rule matches is delivered. Each outcome is the sequence of delivery receipts an SMSC sends
(SMPP 3.4 Appendix B text, §5.2.28 ``message_state``), or a refusal in the submit_sm_resp.
``receipts_for`` builds those receipts as deliver_sm bodies, as many as the submit's
registered_delivery asks for. ``Received`` is what the simulator records of each submit and
its outcome, ``Counters`` the tally. Pure values and functions: the simulator does the I/O.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from portevoix.platform.smpp.pdu import (
    ESME_RINVDSTADR,
    TLV_MESSAGE_STATE,
    TLV_NETWORK_ERROR_CODE,
    TLV_RECEIPTED_MESSAGE_ID,
    ShortMessage,
)

DELIVER = "deliver"
UNDELIVERABLE = "undeliverable"
EXPIRE = "expire"
REJECT = "reject"
NO_RECEIPT = "no_receipt"
ENROUTE_THEN_DELIVER = "enroute_then_deliver"
OUTCOMES = (DELIVER, UNDELIVERABLE, EXPIRE, REJECT, NO_RECEIPT, ENROUTE_THEN_DELIVER)

# message_state values (§5.2.28), carried by the message_state TLV of a receipt.
ENROUTE_STATE, DELIVERED_STATE, EXPIRED_STATE, UNDELIVERABLE_STATE = 1, 2, 3, 5
ESM_DELIVERY_RECEIPT = 0x04  # §5.2.12; ENROUTE too, as most SMSCs send it
NETWORK_GSM = 3  # network_error_code's network type (§5.3.2.31)


@dataclass(frozen=True, slots=True)
class ReceiptStep:
    """One receipt an outcome sends: its ``stat`` word, state, and delay after the answer."""

    stat: str
    message_state: int
    delay_s: float
    error_code: int = 0


class InvalidRuleError(ValueError):
    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(f"outcome rule {rule!r}: {reason}")
        self.rule, self.reason = rule, reason


@dataclass(frozen=True, slots=True)
class OutcomeRule:
    """Destinations matching ``pattern`` get ``outcome``.

    ``receipt_delay_s`` is the delay between the submit_sm_resp and the final receipt (an
    ``enroute_then_deliver`` sends its ENROUTE receipt at once); ``error_code`` is the
    receipt's ``err:`` field and network_error_code; ``reject_status`` the command_status of
    a ``reject``.
    """

    pattern: str
    outcome: str
    receipt_delay_s: float = 0.0
    error_code: int = 0
    reject_status: int = ESME_RINVDSTADR
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    steps: tuple[ReceiptStep, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise InvalidRuleError(self.pattern, f"unknown outcome {self.outcome!r}; use one "
                                                 f"of {', '.join(OUTCOMES)}")
        if self.receipt_delay_s < 0:
            raise InvalidRuleError(self.pattern, "receipt_delay_s cannot be negative")
        if not 0 <= self.error_code <= 999:
            raise InvalidRuleError(self.pattern, "error_code is 0..999 (err: has 3 digits)")
        if self.outcome == REJECT and self.reject_status == 0:
            raise InvalidRuleError(self.pattern, "a reject needs a non-zero reject_status")
        try:
            regex = re.compile(self.pattern)
        except re.error as error:
            raise InvalidRuleError(self.pattern, f"not a regular expression: {error}") from None
        object.__setattr__(self, "regex", regex)
        object.__setattr__(self, "steps", _steps(self))

    def matches(self, destination_addr: str) -> bool:
        return self.regex.search(destination_addr) is not None


def _steps(rule: OutcomeRule) -> tuple[ReceiptStep, ...]:
    delay, err = rule.receipt_delay_s, rule.error_code
    if rule.outcome == DELIVER:
        return (ReceiptStep("DELIVRD", DELIVERED_STATE, delay, err),)
    if rule.outcome == UNDELIVERABLE:
        return (ReceiptStep("UNDELIV", UNDELIVERABLE_STATE, delay, err),)
    if rule.outcome == EXPIRE:
        return (ReceiptStep("EXPIRED", EXPIRED_STATE, delay, err),)
    if rule.outcome == ENROUTE_THEN_DELIVER:
        return (ReceiptStep("ENROUTE", ENROUTE_STATE, 0.0),
                ReceiptStep("DELIVRD", DELIVERED_STATE, delay, err))
    return ()  # reject, no_receipt


DEFAULT_RULE = OutcomeRule("", DELIVER)


def outcome_for(rules: Iterable[OutcomeRule], destination_addr: str) -> OutcomeRule:
    """The first rule matching ``destination_addr``, else :data:`DEFAULT_RULE` (deliver)."""
    for rule in rules:
        if rule.regex.search(destination_addr) is not None:
            return rule
    return DEFAULT_RULE


def parse_rule(text: str) -> OutcomeRule:
    """A rule from ``PATTERN=OUTCOME[:DELAY_S[:CODE]]`` (the command line's ``--rule``).

    ``CODE`` is the reject status of a ``reject`` (decimal or ``0x``-hex) and the receipt's
    error code otherwise. ``^336990=undeliverable``, ``^3370=reject:0:0x45``,
    ``^3361=deliver:2.5``.
    """
    pattern, equals, spec = text.rpartition("=")
    if not equals:
        raise InvalidRuleError(text, "expected PATTERN=OUTCOME[:DELAY_S[:CODE]]")
    outcome, *options = spec.split(":")
    if len(options) > 2:
        raise InvalidRuleError(text, "expected PATTERN=OUTCOME[:DELAY_S[:CODE]]")
    try:
        delay = float(options[0]) if options and options[0] else 0.0
        code = int(options[1], 0) if len(options) > 1 else None
    except ValueError as error:
        raise InvalidRuleError(text, str(error)) from None
    if outcome == REJECT:
        return OutcomeRule(pattern, outcome, delay,
                           reject_status=ESME_RINVDSTADR if code is None else code)
    return OutcomeRule(pattern, outcome, delay, error_code=code or 0)


def receipts_for(message: ShortMessage, rule: OutcomeRule, submit_id: str, receipt_id: str,
                 submitted: float, text: str, tlvs: bool = False
                 ) -> tuple[tuple[ShortMessage, float], ...]:
    """The receipts ``rule`` sends for ``message``, as ``(deliver_sm body, delay_s)``.

    Only those its registered_delivery (§5.2.17) asks for: bits 0-1 set to 1 for any final
    outcome, 2 for failures only; ENROUTE comes with 1 or with bit 4 (intermediate
    notifications). The receipt goes from the destination back to the source. ``receipt_id``
    is the id as the text writes it, ``submit_id`` as submit_sm_resp did, which the
    receipted_message_id TLV repeats (§5.3.2.12) when ``tlvs`` asks for TLVs.
    """
    return tuple((ShortMessage(
        source_addr=message.destination_addr, destination_addr=message.source_addr,
        short_message=receipt_text(receipt_id, step, submitted, submitted + step.delay_s, text),
        source_addr_ton=message.dest_addr_ton, source_addr_npi=message.dest_addr_npi,
        dest_addr_ton=message.source_addr_ton, dest_addr_npi=message.source_addr_npi,
        esm_class=ESM_DELIVERY_RECEIPT, tlvs=_receipt_tlvs(submit_id, step) if tlvs else (),
    ), step.delay_s) for step in rule.steps if _requested(step, message.registered_delivery))


def _requested(step: ReceiptStep, registered_delivery: int) -> bool:
    wanted = registered_delivery & 0x03
    if step.message_state == ENROUTE_STATE:
        return wanted == 1 or bool(registered_delivery & 0x10)
    return wanted == 1 or (wanted == 2 and step.message_state != DELIVERED_STATE)


def _receipt_tlvs(submit_id: str, step: ReceiptStep) -> tuple[tuple[int, bytes], ...]:
    tlvs = [(TLV_RECEIPTED_MESSAGE_ID, submit_id.encode("ascii") + b"\0"),
            (TLV_MESSAGE_STATE, bytes((step.message_state,)))]
    if step.error_code:
        tlvs.append((TLV_NETWORK_ERROR_CODE,
                     bytes((NETWORK_GSM,)) + step.error_code.to_bytes(2, "big")))
    return tuple(tlvs)


def receipt_text(message_id: str, step: ReceiptStep, submitted: float, done: float,
                 text: str) -> bytes:
    """The receipt's short_message (SMPP 3.4 Appendix B), dates in UTC ``YYMMDDhhmm``.

    ``text`` is the original message; its first 20 characters are kept, anything outside
    printable ASCII as ``?`` so the receipt stays readable in the default alphabet.
    """
    head = "".join(char if " " <= char <= "~" else "?" for char in text[:20])
    delivered = 1 if step.message_state == DELIVERED_STATE else 0
    return (f"id:{message_id} sub:001 dlvrd:{delivered:03d} "
            f"submit date:{_date(submitted)} done date:{_date(done)} "
            f"stat:{step.stat} err:{step.error_code:03d} text:{head}").encode("ascii")


def _date(moment: float) -> str:
    return time.strftime("%y%m%d%H%M", time.gmtime(moment))


class Throttle:
    """At most ``limit`` submits a second: a fixed one-second window that opens with the
    first submit after the previous window ended (how SMSCs count ESME_RTHROTTLED)."""

    __slots__ = ("count", "limit", "window_start")

    def __init__(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError("a TPS limit is a positive number of submits a second")
        self.limit, self.window_start, self.count = limit, float("-inf"), 0

    def admit(self, now: float) -> bool:
        """Count one submit at ``now`` (seconds, monotonic); False when it is over the limit."""
        if now - self.window_start >= 1.0:
            self.window_start, self.count = now, 0
        if self.count >= self.limit:
            return False
        self.count += 1
        return True


@dataclass(slots=True)
class Received:
    """One submit_sm as the simulator read and answered it.

    ``message_id`` is as written in the submit_sm_resp (None when refused or unanswered) and
    ``command_status`` the answer's status (None when never answered: the bind dropped
    first). ``udh`` is ``(reference, total, part)`` of a concatenated part (header or SAR
    TLVs); ``text`` is None when the octets are not text we decode. ``received_at`` is
    seconds since the epoch. ``system_id`` is "" for a submit before any bind.
    """

    system_id: str
    sequence: int
    source_addr: str
    destination_addr: str
    data_coding: int
    esm_class: int
    registered_delivery: int
    text: str | None
    udh: tuple[int, int, int] | None
    message_id: str | None
    command_status: int | None
    received_at: float

    def as_json(self) -> dict[str, Any]:
        return {
            "system_id": self.system_id, "sequence": self.sequence,
            "source_addr": self.source_addr, "destination_addr": self.destination_addr,
            "data_coding": self.data_coding, "esm_class": self.esm_class,
            "registered_delivery": self.registered_delivery, "text": self.text,
            "udh": list(self.udh) if self.udh else None, "message_id": self.message_id,
            "command_status": self.command_status, "received_at": self.received_at,
        }


@dataclass(slots=True)
class Counters:
    """What the simulator did since it started. ``submits`` = ``accepted`` + ``rejected``
    (by a rule or the bind state) + ``throttled`` + ``unanswered`` + those held while
    responses are paused. ``receipts_sent`` and ``replies_sent`` count deliver_sm written,
    redeliveries included; ``nacks`` the generic_nacks sent, ``malformed`` the requests
    answered with an error for their body."""

    binds: int = 0
    submits: int = 0
    accepted: int = 0
    rejected: int = 0
    throttled: int = 0
    unanswered: int = 0
    receipts_sent: int = 0
    replies_sent: int = 0
    nacks: int = 0
    malformed: int = 0
