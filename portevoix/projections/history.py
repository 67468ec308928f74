"""What a customer sent before, from the outbox: the 24-hour duplicate rule, daily quotas.

The outbox is a projection: it lags the log by the projector's poll (a fraction of a second
when the projections are followed: the web app, ``serve`` and ``portevoix projector`` follow
them). The duplicate rule does not wait for it on every send: it reads the outbox as it is
(brought up to date once, at a process's first send, for one-shot commands) and adds what
this process recorded in the last ``REMEMBER_S`` seconds (``remember``). So a send is a
duplicate of any send of this process, and of another process's send once the outbox shows
it: two processes given the same text to the same number within the same fraction of a
second may both send it. Daily quotas count exactly: the outbox is brought up to date for
them each time.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import ARRAY, Engine, String, any_, func, literal, select

from portevoix.projections.outbox import CANCELLED, REJECTED, TEST, messages

_NOT_SENT = (TEST, CANCELLED, REJECTED)
_IN_CHUNK = 900
REMEMBER_S = 60.0  # far longer than the outbox lags a followed log
REMEMBER_MAX = 500_000  # sends remembered at most (the oldest are forgotten first)


class SentHistory:
    def __init__(self, engine: Engine, catch_up: Callable[[], object],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.engine, self.catch_up, self.monotonic = engine, catch_up, monotonic
        self._caught_up_once = False
        self._lock = threading.Lock()
        self._recent: deque[tuple[float, tuple[UUID, str, str]]] = deque()
        self._recent_keys: Counter[tuple[UUID, str, str]] = Counter()

    def remember(self, customer_id: UUID, pairs: Sequence[tuple[str, str]]) -> None:
        """``(e164, text)`` pairs just recorded for the customer, before the outbox has them."""
        now = self.monotonic()
        with self._lock:
            for number, text in pairs:
                key = (customer_id, number, text)
                self._recent.append((now, key))
                self._recent_keys[key] += 1
            self._forget_old(now)

    def _forget_old(self, now: float) -> None:
        recent, keys = self._recent, self._recent_keys
        while recent and (now - recent[0][0] > REMEMBER_S or len(recent) > REMEMBER_MAX):
            _, key = recent.popleft()
            keys[key] -= 1
            if not keys[key]:
                del keys[key]

    def _remembered(self, customer_id: UUID, wanted: set[tuple[str, str]]) -> set[tuple[str, str]]:
        with self._lock:
            self._forget_old(self.monotonic())
            if not self._recent_keys:
                return set()
            return {pair for pair in wanted if (customer_id, *pair) in self._recent_keys}

    def _catch_up_once(self) -> None:
        if not self._caught_up_once:
            self._caught_up_once = True
            self.catch_up()

    def sent_since(self, customer_id: UUID, since: datetime,
                   pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those ``(e164, text)`` pairs the customer sent (or has scheduled) since then."""
        self._catch_up_once()
        wanted = set(pairs)
        numbers = sorted({number for number, _ in wanted})
        found = self._remembered(customer_id, wanted)
        recent = (messages.c.customer_id == customer_id, messages.c.created_at >= since,
                  messages.c.status.not_in(_NOT_SENT))
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":  # one round trip, the numbers as an array
                batches = [messages.c.e164 == any_(literal(numbers, ARRAY(String)))]
            else:
                batches = [messages.c.e164.in_(numbers[first:first + _IN_CHUNK])
                           for first in range(0, len(numbers), _IN_CHUNK)]
            for among in batches:
                query = select(messages.c.e164, messages.c.text).where(*recent, among)
                found.update(pair for pair in conn.execute(query).tuples() if pair in wanted)
        return found

    def count_since(self, customer_id: UUID, since: datetime) -> int:
        """Messages the customer sent (or has scheduled) since then."""
        self.catch_up()
        query = select(func.count()).select_from(messages).where(
            messages.c.customer_id == customer_id, messages.c.created_at >= since,
            messages.c.status.not_in(_NOT_SENT),
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())
