"""Messages on their way through one route: their segments in send order, how fast they may
go, and each message's outcome once its segments are all answered.

The connector's sender takes segments from here (``peek``, ``reserve``, ``take``) and reports
what became of each (``answered``, ``unanswered``). Segments wait in a heap by the order
they were added, so one refused as throttled goes back to its place at the head, ahead of
later messages, and the parts of a long message keep their order. A segment is in at most
one window at a time (``sending``); a message's outcome is its ``submissions.Submission``'s,
set on the future its caller awaits once every segment has one.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from heapq import heappop, heappush
from itertools import count

from portevoix.platform.smpp import pdu
from portevoix.platform.smpp.binds import BindConfig, ConnectorStats
from portevoix.platform.smpp.deliveries import Deliveries
from portevoix.platform.smpp.outbound import Outbound, refusal, submit_bodies
from portevoix.platform.smpp.results import RETRIABLE, Accepted, Ambiguous, Outcome
from portevoix.platform.smpp.submissions import Submission
from portevoix.platform.smpp.throttle import Backoff, TokenBucket

log = logging.getLogger(__name__)


class _Message:
    __slots__ = ("finished", "future", "parts", "submission")

    def __init__(self, submission: Submission, future: asyncio.Future[Outcome]) -> None:
        self.submission, self.future = submission, future
        self.parts: list[Segment] = []
        self.finished = False


class Segment:
    """One submit_sm to send: its encoded body (everything after the header)."""

    __slots__ = ("body", "message", "order", "part", "retries", "sending")

    def __init__(self, message: _Message, part: int, body: bytes, order: int) -> None:
        self.message, self.part, self.body, self.order = message, part, body, order
        self.retries = 0
        self.sending = False  # in a window: sent, not answered

    def __lt__(self, other: Segment) -> bool:
        return self.order < other.order

    @property
    def sendable(self) -> bool:
        """Not in a window, and its message still wants it (no part refused, caller waiting)."""
        return not self.sending and self.message.submission.pending(self.part)


class Outbox:
    """See the module. ``settled(message_id)`` is called when a message gets its outcome."""

    def __init__(self, config: BindConfig, deliveries: Deliveries, stats: ConnectorStats,
                 settled: Callable[[str], None]) -> None:
        self.config, self.stats = config, stats
        self._deliveries, self._settled = deliveries, settled
        self._heap: list[Segment] = []
        self._order = count()
        self._reference = random.randrange(256)
        self._bucket = TokenBucket(config.tps)
        self._backoff = Backoff(config.throttle_pause_min_s, config.throttle_pause_max_s)
        self.ready = asyncio.Event()  # set when there may be something new to send
        self.idle = asyncio.Event()  # set when every message has its outcome
        self.idle.set()
        self._unsettled = 0

    def __len__(self) -> int:
        """Messages without an outcome yet."""
        return self._unsettled

    def add(self, message: Outbound) -> asyncio.Future[Outcome]:
        """Queue ``message``; the future of its outcome (already set if it cannot be sent)."""
        config = self.config
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        try:
            bodies = submit_bodies(message, self._reference, config.data_codings,
                                   config.use_payload, config.source_ton, config.source_npi,
                                   config.service_type)
            encoded = [pdu.encode(pdu.Pdu(pdu.SUBMIT_SM, 0, body=body))[16:] for body in bodies]
        except ValueError as error:
            self.stats.rejected += 1
            future.set_result(refusal(message, error))
            return future
        if len(bodies) > 1:
            self._reference = (self._reference + 1) % 256
        entry = _Message(Submission(message.message_id, len(bodies)), future)
        for number, body in enumerate(encoded, start=1):
            segment = Segment(entry, number, body, next(self._order))
            entry.parts.append(segment)
            heappush(self._heap, segment)
        future.add_done_callback(
            lambda done: self._drop(entry, "the caller stopped waiting") if done.cancelled()
            else None)
        self._unsettled += 1
        self.idle.clear()
        return future

    # The sender's side --------------------------------------------------------------------

    def peek(self) -> Segment | None:
        """The next segment to send, if any (those no longer wanted are discarded)."""
        heap = self._heap
        while heap and not heap[0].sendable:
            heappop(heap)
        return heap[0] if heap else None

    def reserve(self) -> float:
        """Take a token for one segment: the seconds to wait before sending it."""
        return self._bucket.reserve()

    def take(self) -> Segment:
        """Remove the segment ``peek`` gave, as it is sent."""
        segment = heappop(self._heap)
        segment.sending = True
        self.stats.segments_sent += 1
        return segment

    def answered(self, segment: Segment, sent_at: float, status: int,
                 smsc_id: str | None) -> None:
        """The SMSC answered ``segment`` (sent at ``sent_at``, monotonic) with ``status``."""
        segment.sending = False
        self.ready.set()
        message = segment.message
        submission = message.submission
        if status == pdu.ESME_ROK:
            self._backoff.accepted(sent_at)
            self._accepted(segment, smsc_id)
        elif (status in RETRIABLE and segment.retries < self.config.throttle_retries
              and not submission.refused and not message.future.cancelled()):
            segment.retries += 1
            pause = self._backoff.refused(sent_at)
            if pause is not None:
                log.info("SMSC busy (0x%X): pausing %.2fs", status, pause)
                self._bucket.pause(pause)
            heappush(self._heap, segment)
            self.stats.segments_resent += 1
            return
        else:
            submission.refuse(segment.part, status,
                              f"part {segment.part}: command_status 0x{status:08X}")
            self._drop(message, f"not sent: part {segment.part} was refused")
        self._check(message)

    def unanswered(self, segment: Segment, detail: str) -> None:
        """``segment`` was sent and will get no answer (bind lost, timed out)."""
        segment.sending = False
        segment.message.submission.unanswered(segment.part, detail)
        self._check(segment.message)
        self.ready.set()

    def drop_all(self, detail: str) -> None:
        """Refuse every segment not yet sent (the connector closes)."""
        for segment in list(self._heap):
            self._drop(segment.message, detail)
        self._heap.clear()

    # Outcomes -----------------------------------------------------------------------------

    def _accepted(self, segment: Segment, smsc_id: str | None) -> None:
        submission = segment.message.submission
        if not smsc_id:
            log.warning("part %d of %s accepted without a readable id", segment.part,
                        submission.message_id)
        else:
            try:
                self._deliveries.accepted(submission.message_id, segment.part,
                                          submission.parts, smsc_id)
            except ValueError as error:  # an id not in the route's base: no receipt matches
                log.warning("%s", error)
        submission.accept(segment.part, smsc_id or "")

    def _drop(self, message: _Message, detail: str) -> None:
        for segment in message.parts:
            if not segment.sending and message.submission.pending(segment.part):
                message.submission.refuse(segment.part, None, detail)
        self._check(message)

    def _check(self, message: _Message) -> None:
        if message.finished or not message.submission.settled:
            return
        message.finished = True
        outcome = message.submission.outcome()
        if isinstance(outcome, Accepted):
            self.stats.accepted += 1
        elif isinstance(outcome, Ambiguous):
            self.stats.ambiguous += 1
        else:
            self.stats.rejected += 1
        if not message.future.done():
            message.future.set_result(outcome)
        self._settled(outcome.message_id)
        self._unsettled -= 1
        if self._unsettled == 0:
            self.idle.set()
