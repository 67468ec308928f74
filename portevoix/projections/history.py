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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Engine, bindparam, func, select

from portevoix.batches import Batches
from portevoix.projections.outbox import CANCELLED, REJECTED, TEST, messages
from portevoix.projections.paging import as_datetime

_NOT_SENT = (TEST, CANCELLED, REJECTED)
_IN_CHUNK = 900
REMEMBER_S = 60.0  # far longer than the outbox lags a followed log
REMEMBER_MAX = 500_000  # sends remembered at most (the oldest are forgotten first)
BATCHED_AT_MOST = 50  # pairs of a send looked up with other sends' (bigger: on its own)


class SentHistory:
    def __init__(self, engine: Engine, catch_up: Callable[[], object],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.engine, self.catch_up, self.monotonic = engine, catch_up, monotonic
        self._caught_up_once = False
        self._batcher: Batches[_Lookup, set[tuple[str, str]]] | None = None
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

    def start_batching(self) -> None:
        """Look up the pairs of small sends from many threads together: one query a batch
        (what arrived while the previous one ran), not one a send."""
        if self._batcher is None:
            self._batcher = Batches(self._query, "sent-history", max_batch=200)

    def stop_batching(self) -> None:
        if self._batcher is not None:
            self._batcher.stop()
            self._batcher = None

    def sent_since(self, customer_id: UUID, since: datetime,
                   pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those ``(e164, text)`` pairs the customer sent (or has scheduled) since then."""
        self._catch_up_once()
        wanted = set(pairs)
        found = self._remembered(customer_id, wanted)
        lookup = _Lookup(customer_id, since, wanted)
        batcher = self._batcher
        if batcher is not None and len(wanted) <= BATCHED_AT_MOST:
            return found | batcher.submit(lookup).result(timeout=30)
        return found | self._query([lookup])[0]

    def _query(self, lookups: Sequence[_Lookup]) -> list[set[tuple[str, str]]]:
        """Each lookup's pairs found in the outbox, in one query (chunked on SQLite)."""
        customers = sorted({lookup.customer_id for lookup in lookups})
        numbers = sorted({number for lookup in lookups for number, _ in lookup.wanted})
        since = min(lookup.since for lookup in lookups)
        rows: list[tuple[UUID, str, str, datetime]] = []
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                # One round trip, the customers and numbers as arrays, through the driver:
                # SQLAlchemy's statement execution took most of a busy web worker's time
                # spent on this look-up, measured. In autocommit, one statement: no BEGIN
                # before it, no ROLLBACK after it when the pool takes the connection back.
                driver = conn.connection.driver_connection
                assert driver is not None
                driver.autocommit = True
                try:
                    with driver.cursor() as cursor:
                        cursor.execute(_SENT_TO_PG, (_array(map(str, customers)),
                                                     _array(numbers), since))
                        rows.extend(cursor.fetchall())
                finally:
                    driver.autocommit = False
            else:
                for first in range(0, len(numbers), _IN_CHUNK):
                    rows.extend(conn.execute(_SENT_TO, {
                        "customers": customers, "numbers": numbers[first:first + _IN_CHUNK],
                        "since": since}).tuples())
        return [{(number, text) for customer, number, text, at in rows
                 if customer == lookup.customer_id and (number, text) in lookup.wanted
                 and _after(at, lookup.since)} for lookup in lookups]

    def count_since(self, customer_id: UUID, since: datetime) -> int:
        """Messages the customer sent (or has scheduled) since then."""
        self.catch_up()
        query = select(func.count()).select_from(messages).where(
            messages.c.customer_id == customer_id, messages.c.created_at >= since,
            messages.c.status.not_in(_NOT_SENT),
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


_SENT_COLUMNS = (messages.c.customer_id, messages.c.e164, messages.c.text,
                 messages.c.created_at)
_RECENT = (messages.c.customer_id.in_(bindparam("customers", expanding=True)),
           messages.c.created_at >= bindparam("since"), messages.c.status.not_in(_NOT_SENT))
# Built once: the same statement shape whatever the lookups, so it is compiled once.
_SENT_TO = select(*_SENT_COLUMNS).where(
    *_RECENT, messages.c.e164.in_(bindparam("numbers", expanding=True)))
_SENT_TO_PG = (f"SELECT customer_id, e164, text, created_at FROM {messages.name}"
               " WHERE customer_id = ANY(%s::uuid[]) AND e164 = ANY(%s::text[])"
               " AND created_at >= %s AND status NOT IN"
               f" ({', '.join(repr(status) for status in _NOT_SENT)})")


def _array(values: Iterable[str]) -> str:
    """A PostgreSQL array literal: psycopg would look at every element of a list to choose
    how to send it (a twentieth of a busy web worker's time, measured)."""
    quoted = (value.replace("\\", "\\\\").replace('"', '\\"') for value in values)
    return "{" + ",".join(f'"{value}"' for value in quoted) + "}"


def _after(at: datetime, since: datetime) -> bool:
    aware = as_datetime(at)
    return aware is not None and aware >= since


@dataclass(frozen=True)
class _Lookup:
    customer_id: UUID
    since: datetime
    wanted: set[tuple[str, str]]
