"""Delivery receipts matched to our messages, and one status per message from its segments.

Each accepted segment is known by the id the SMSC gave in submit_sm_resp; receipts name it
again, possibly in another base (``receipts.normalise_id`` per the route's settings), so both
are compared in canonical form. A long message has one id a segment and gets one receipt a
segment: ``receipts.combine`` makes them one status, and a report goes out only when that
status changes (a 3-part message delivered says "received" once, after the third receipt).

A receipt may overtake its submit_sm_resp: an SMSC answers in one thread and delivers in
another, or our side reads the receipt before the response it sent first. Such a receipt is
held, for ``hold_s`` seconds and at most ``max_held`` of them, and applied when the response
comes; past that it is about a message we do not know (sent before a restart, or answered
while the bind was dropping) and is dropped, counted in ``unknown``.

Reports of a message wait until its submission is ``settle``d (its outcome known), so a
caller never hears "received" before "accepted". Messages whose every segment has a final
status are forgotten; at most ``max_tracked`` are remembered, the oldest forgotten first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from time import monotonic

from portevoix.platform.smpp.receipts import (
    FINAL_STATUSES,
    MESSAGE_STATES,
    SENT,
    Receipt,
    combine,
    normalise_id,
)
from portevoix.platform.smpp.results import DeliveryReport
from portevoix.platform.smpp.throttle import Clock


@dataclass(slots=True)
class _Message:
    message_id: str
    smsc_ids: list[str | None]
    statuses: list[str | None]
    settled: bool = False
    reported: str = SENT
    last: Receipt | None = None
    keys: list[str] = field(default_factory=list)


class Deliveries:
    """Receipts of one route, matched to the messages submitted on it."""

    def __init__(self, submit_id_base: str = "as_is", receipt_id_base: str = "as_is",
                 hold_s: float = 30.0, max_held: int = 10_000, max_tracked: int = 1_000_000,
                 clock: Clock = monotonic) -> None:
        self.submit_id_base, self.receipt_id_base = submit_id_base, receipt_id_base
        self.hold_s, self.max_held, self.max_tracked = hold_s, max_held, max_tracked
        self._clock = clock
        self._by_key: dict[str, tuple[_Message, int]] = {}
        self._messages: dict[str, _Message] = {}
        self._held: dict[str, list[tuple[float, Receipt]]] = {}
        self._held_count = 0
        self.unknown = 0

    def __len__(self) -> int:
        """Messages tracked."""
        return len(self._messages)

    @property
    def held(self) -> int:
        return self._held_count

    def accepted(self, message_id: str, part: int, parts: int, smsc_id: str) -> None:
        """Segment ``part`` of ``parts`` of ``message_id`` got ``smsc_id`` from the SMSC.
        Raises ``receipts.MalformedIdError`` for an id not in the route's submit base."""
        key = normalise_id(smsc_id, self.submit_id_base)
        message = self._messages.get(message_id)
        if message is None or len(message.smsc_ids) != parts:  # new, or sent again otherwise
            if message is not None:
                self._forget(message)
            if len(self._messages) >= self.max_tracked:
                self._forget(next(iter(self._messages.values())))
            message = _Message(message_id, [None] * parts, [None] * parts)
            self._messages[message_id] = message
        message.smsc_ids[part - 1] = smsc_id
        message.keys.append(key)
        self._by_key[key] = (message, part)
        for _, receipt in self._held.pop(key, ()):
            self._held_count -= 1
            self._apply(message, part, receipt)

    def settle(self, message_id: str) -> DeliveryReport | None:
        """The submission of ``message_id`` has its outcome: the report its receipts so far
        make, if they changed anything."""
        message = self._messages.get(message_id)
        if message is None:
            return None
        message.settled = True
        return self._report(message)

    def track(self, message_id: str, smsc_ids: Sequence[str]) -> None:
        """Remember a message accepted earlier (before a restart), to match its receipts."""
        for part, smsc_id in enumerate(smsc_ids, start=1):
            self.accepted(message_id, part, len(smsc_ids), smsc_id)
        self._messages[message_id].settled = True

    def receipt(self, receipt: Receipt) -> DeliveryReport | None:
        """Apply ``receipt``: the report it makes, if any. A receipt for an id not known yet
        is held (see the module). Raises ``receipts.MalformedIdError`` for an id not in the
        route's base."""
        key = receipt.canonical_id(self.receipt_id_base, self.submit_id_base)
        self.expire()
        found = self._by_key.get(key)
        if found is None:
            if self._held_count >= self.max_held:
                self._drop_oldest_held()
            self._held.setdefault(key, []).append((self._clock(), receipt))
            self._held_count += 1
            return None
        message, part = found
        self._apply(message, part, receipt)
        return self._report(message)

    def expire(self) -> list[Receipt]:
        """Drop the held receipts older than ``hold_s``; they are about unknown messages."""
        deadline = self._clock() - self.hold_s
        dropped: list[Receipt] = []
        while self._held:
            key = next(iter(self._held))
            held = self._held[key]
            if held[0][0] > deadline:
                break
            del self._held[key]
            self._held_count -= len(held)
            dropped.extend(receipt for _, receipt in held)
        self.unknown += len(dropped)
        return dropped

    def _drop_oldest_held(self) -> None:
        key = next(iter(self._held))
        held = self._held[key]
        held.pop(0)
        if not held:
            del self._held[key]
        self._held_count -= 1
        self.unknown += 1

    def _apply(self, message: _Message, part: int, receipt: Receipt) -> None:
        message.statuses[part - 1] = receipt.status
        message.last = receipt

    def _report(self, message: _Message) -> DeliveryReport | None:
        if not message.settled or message.last is None:
            return None
        statuses = [status or SENT for status in message.statuses]
        status = combine(statuses)
        if all(status in FINAL_STATUSES for status in statuses):
            self._forget(message)
        if status == message.reported:
            return None
        message.reported = status
        receipt = message.last
        return DeliveryReport(
            message_id=message.message_id,
            smsc_ids=tuple(smsc_id for smsc_id in message.smsc_ids if smsc_id is not None),
            status=status,
            stat=receipt.stat or MESSAGE_STATES.get(receipt.message_state or 0, ""),
            error_code=receipt.err if receipt.err is not None else (
                str(receipt.network_error.code) if receipt.network_error else None),
            done_at=receipt.done_date,
        )

    def _forget(self, message: _Message) -> None:
        self._messages.pop(message.message_id, None)
        for key in message.keys:
            if self._by_key.get(key, (None, 0))[0] is message:
                del self._by_key[key]
