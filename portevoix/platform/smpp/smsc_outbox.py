"""The SMSC simulator's outbox: deliver_sm (receipts and replies) on their way to receivers.

A deliver_sm goes to a receiver or transceiver bind of its system_id, round-robin among them.
With none bound it waits in a backlog, sent when one binds; one due later waits on a timeline
with a single timer for the earliest, and everything due within the same millisecond goes in
one pass (the sessions write it in one batch). A bind that closes hands back what it did not
acknowledge, which goes to the next receiver: at least once, as SMSCs deliver.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from portevoix.platform.smpp.pdu import ShortMessage

if TYPE_CHECKING:
    from portevoix.platform.smpp.smsc_sessions import SessionHandler

BATCH_S = 0.001  # what falls due this close together goes out in one pass


@dataclass(slots=True)
class Outbound:
    """A deliver_sm for a receiver of ``system_id``: a receipt, or a reply (``receipt``
    False), due ``delay_s`` after it was scheduled."""

    system_id: str
    body: ShortMessage
    delay_s: float = 0.0
    receipt: bool = True


class Outbox:
    """Where each deliver_sm goes, and when. Runs on the simulator's event loop."""

    def __init__(self) -> None:
        self._receivers: dict[str, list[SessionHandler]] = defaultdict(list)
        self._turns: dict[str, int] = {}
        self._backlog: dict[str, deque[Outbound]] = defaultdict(deque)
        self._timeline: list[tuple[float, int, Outbound]] = []
        self._tiebreak = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = math.inf

    def bound_system_ids(self) -> list[str]:
        return [system_id for system_id, sessions in self._receivers.items() if sessions]

    def waiting(self) -> int:
        """deliver_sm not sent yet: in the backlog or on the timeline."""
        return len(self._timeline) + sum(map(len, self._backlog.values()))

    def schedule(self, outbound: Outbound) -> None:
        """Send ``outbound`` now, or ``delay_s`` from now."""
        if outbound.delay_s <= 0:
            self.deliver(outbound)
            return
        loop = asyncio.get_running_loop()
        due = loop.time() + outbound.delay_s
        heapq.heappush(self._timeline, (due, next(self._tiebreak), outbound))
        if due < self._timer_due:
            self._arm(loop)

    def deliver(self, outbound: Outbound) -> SessionHandler | None:
        """Send ``outbound`` on the next receiver of its system_id, or hold it until one
        binds; returns the session it went to."""
        sessions = self._receivers.get(outbound.system_id)
        if not sessions:
            self._backlog[outbound.system_id].append(outbound)
            return None
        turn = (self._turns.get(outbound.system_id, -1) + 1) % len(sessions)
        self._turns[outbound.system_id] = turn
        session = sessions[turn]
        session.send(outbound)
        return session

    def add_receiver(self, session: SessionHandler, system_id: str) -> None:
        """``session`` takes its share of ``system_id``'s deliver_sm, the backlog first."""
        self._receivers[system_id].append(session)
        backlog = self._backlog.pop(system_id, None)
        while backlog:
            session.send(backlog.popleft())

    def remove_receiver(self, session: SessionHandler, system_id: str,
                        unacknowledged: list[Outbound]) -> None:
        """``session`` takes no more; what it did not acknowledge goes to the others."""
        receivers = self._receivers.get(system_id, [])
        if session in receivers:
            receivers.remove(session)
        for outbound in unacknowledged:
            self.deliver(outbound)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        self.close()
        self._timer_due = math.inf
        if self._timeline:
            self._timer_due = self._timeline[0][0]
            self._timer = loop.call_at(self._timer_due, self._on_timer, loop)

    def _on_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        horizon = loop.time() + BATCH_S
        timeline = self._timeline
        while timeline and timeline[0][0] <= horizon:
            self.deliver(heapq.heappop(timeline)[2])
        self._arm(loop)
