"""Replies: every mobile-originated message the SMSC delivers, recorded once, with its customer.

A reply belongs to the customer who last sent to its source number from the address it was
sent to (``owner``, answered by ``projections/replies.py`` from the outbox); none matches for a
number nobody sent to, and the reply is still recorded (``customer_id`` None). A STOP reply
opts the number out of that customer's sends (``Blacklists.opt_out(..., "stop_reply")``), a
START reply lifts that opt-out; a reply with no customer changes no list.

Each reply is one ``Reply`` aggregate whose id derives from what the SMSC sent (source,
destination, time, text): the SMSC delivering it again is the same reply, recorded once.
Forwarding (``forwarding.py``) records its outcome on the reply, after a write-ahead claim
(``ForwardingStarted``): of two forwarders that load the same reply, one saves its claim
and the other's save conflicts, so a reply is forwarded by one at a time. ``may_forward``
says when a reply is due: never once forwarded (or found to have nowhere to go); not while a
claim is fresh (``CLAIM_TIMEOUT``: after that its forwarder is taken for dead and the reply
is forwarded again, the one case where it may go twice); after a failure, once a pause has
passed that doubles with each failure (``FIRST_RETRY`` up to ``MAX_RETRY``).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from portevoix.platform.blacklists import START_REPLY, STOP_REPLY, BlacklistError
from portevoix.platform.smpp import results

log = logging.getLogger("portevoix.replies")

_NAMESPACE = uuid5(NAMESPACE_URL, "portevoix:replies")
# The first word decides, whatever follows ("STOP SMS", "Stop merci"); French readers write
# "arrêt", "arret" or "désabonner" as often as STOP.
_STOP = re.compile(r"^\s*(stop|arr[eê]t|d[ée]sabonner)\b", re.IGNORECASE)
_START = re.compile(r"^\s*start\b", re.IGNORECASE)

Owner = Callable[[str, str], UUID | None]
CLAIM_TIMEOUT = timedelta(minutes=5)  # a webhook's attempts take at most about 25 s
FIRST_RETRY, MAX_RETRY = timedelta(minutes=1), timedelta(hours=1)


class OptOuts(Protocol):
    """What a reply changes in the blacklists (``Blacklists`` in production)."""

    def opt_out(self, customer_id: UUID, e164: str, source: str) -> bool: ...

    def opt_in(self, customer_id: UUID, e164: str, source: str) -> bool: ...


class UnknownReplyError(LookupError):
    def __init__(self, reply_id: UUID) -> None:
        super().__init__(f"no reply {reply_id}")
        self.reply_id = reply_id


class ReplyNotDueError(Exception):
    """The reply is forwarded, being forwarded, or waiting after a failure."""

    def __init__(self, reply_id: UUID) -> None:
        super().__init__(f"reply {reply_id} is not due for forwarding")
        self.reply_id = reply_id


def is_stop(text: str) -> bool:
    """STOP, "STOP SMS", "arret", "arrêt", "désabonner" (any case, leading spaces)."""
    return _STOP.match(text) is not None


def is_start(text: str) -> bool:
    return _START.match(text) is not None


def reply_id_for(source: str, destination: str, received_at: datetime, text: str) -> UUID:
    return uuid5(_NAMESPACE, "\x1f".join((source, destination, received_at.isoformat(), text)))


class Reply(Aggregate):
    """One mobile-originated message and what became of it."""

    class Received(Aggregate.Created):
        TOPIC = "portevoix.platform:Reply.Received"
        customer_id: UUID | None
        source: str
        destination: str
        text: str
        received_at: datetime
        is_stop: bool
        is_start: bool

    class Forwarded(Aggregate.Event):
        TOPIC = "portevoix.platform:Reply.Forwarded"
        channel: str
        target: str
        detail: str

    class ForwardingFailed(Aggregate.Event):
        TOPIC = "portevoix.platform:Reply.ForwardingFailed"
        channel: str
        target: str
        error: str

    class ForwardingStarted(Aggregate.Event):
        TOPIC = "portevoix.platform:Reply.ForwardingStarted"
        channel: str
        target: str
        at: datetime

    @staticmethod
    def create_id(source: str, destination: str, received_at: datetime, text: str) -> UUID:
        return reply_id_for(source, destination, received_at, text)

    @event(Received)
    def __init__(self, customer_id: UUID | None, source: str, destination: str, text: str,
                 received_at: datetime, is_stop: bool, is_start: bool) -> None:
        self.customer_id, self.source, self.destination = customer_id, source, destination
        self.text, self.received_at = text, received_at
        self.is_stop, self.is_start = is_stop, is_start
        self.forwarded: str | None = None  # the channel it went out by ("none": nowhere)
        self.forwarding_error = ""
        self.claimed_at: datetime | None = None  # a forwarding started and has not ended
        self.failures = 0

    @classmethod
    def receive(cls, customer_id: UUID | None, inbound: results.Reply) -> Reply:
        return cls(customer_id=customer_id, source=inbound.source,
                   destination=inbound.destination, text=inbound.text,
                   received_at=inbound.received_at, is_stop=is_stop(inbound.text),
                   is_start=is_start(inbound.text))

    def may_forward(self, now: datetime) -> bool:
        """Whether a forwarder may claim this reply at ``now`` (see the module docstring)."""
        if self.forwarded is not None:
            return False
        if self.claimed_at is not None:
            return now - self.claimed_at >= CLAIM_TIMEOUT
        if self.failures:
            pause = min(FIRST_RETRY * (1 << min(self.failures - 1, 16)), MAX_RETRY)
            last_failure: datetime = self.modified_on  # the failure is the last event
            return now - last_failure >= pause
        return True

    def claim(self, channel: str, target: str, now: datetime) -> None:
        if not self.may_forward(now):
            raise ReplyNotDueError(self.id)
        self._forwarding_started(channel, target, now)

    def record_forwarded(self, channel: str, target: str, detail: str = "") -> None:
        self._forwarded(channel, target, detail)

    def record_failure(self, channel: str, target: str, error: str) -> None:
        self._forwarding_failed(channel, target, error[:500])

    @event(ForwardingStarted)
    def _forwarding_started(self, channel: str, target: str, at: datetime) -> None:
        self.claimed_at = at

    @event(Forwarded)
    def _forwarded(self, channel: str, target: str, detail: str) -> None:
        self.forwarded, self.forwarding_error, self.claimed_at = channel, "", None

    @event(ForwardingFailed)
    def _forwarding_failed(self, channel: str, target: str, error: str) -> None:
        self.forwarding_error, self.claimed_at = error, None
        self.failures += 1


class Inbox(Application[UUID]):
    """Records replies, finds their customer, applies STOP and START."""

    name = "inbox"

    def __init__(self, blacklists: OptOuts, owner: Owner,
                 env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.blacklists, self.owner = blacklists, owner

    def receive(self, inbound: results.Reply) -> UUID:
        """Record ``inbound`` (once: the same reply again returns the same id) and apply its
        STOP or START for its customer. The list changes before the record is saved, so a
        retry after a failure between the two still changes it (both are idempotent)."""
        reply_id = reply_id_for(inbound.source, inbound.destination, inbound.received_at,
                                inbound.text)
        if self._find(reply_id) is not None:
            return reply_id
        customer_id = self.owner(inbound.source, inbound.destination)
        reply = Reply.receive(customer_id, inbound)
        if customer_id is not None and (reply.is_stop or reply.is_start):
            self._apply_keyword(customer_id, reply)
        with contextlib.suppress(IntegrityError):  # recorded meanwhile by another receiver
            self.save(reply)
        return reply_id

    def reply(self, reply_id: UUID) -> Reply:
        found = self._find(reply_id)
        if found is None:
            raise UnknownReplyError(reply_id)
        return found

    def claim(self, reply_id: UUID, channel: str, target: str, now: datetime) -> bool:
        """Record that forwarding starts (write-ahead); False if the reply is not due or
        another forwarder claimed it first."""
        reply = self.reply(reply_id)
        try:
            reply.claim(channel, target, now)
            self.save(reply)
        except (ReplyNotDueError, IntegrityError):
            return False
        return True

    def record_forwarded(self, reply_id: UUID, channel: str, target: str,
                         detail: str = "") -> None:
        reply = self.reply(reply_id)
        reply.record_forwarded(channel, target, detail)
        self.save(reply)

    def record_failure(self, reply_id: UUID, channel: str, target: str, error: str) -> None:
        reply = self.reply(reply_id)
        reply.record_failure(channel, target, error)
        self.save(reply)

    def _apply_keyword(self, customer_id: UUID, reply: Reply) -> None:
        try:
            if reply.is_stop:
                self.blacklists.opt_out(customer_id, reply.source, STOP_REPLY)
            else:
                self.blacklists.opt_in(customer_id, reply.source, START_REPLY)
        except BlacklistError as error:  # a source that is not E.164 (national TON)
            log.warning("reply %s from %s: %s", reply.id, reply.source, error)

    def _find(self, reply_id: UUID) -> Reply | None:
        try:
            found: object = self.repository.get(reply_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Reply) else None
