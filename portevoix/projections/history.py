"""What a customer sent before, from the outbox: the 24-hour duplicate rule, daily quotas.

The outbox is a projection, so the caller brings it up to date first (``catch_up``): a send
recorded a moment ago counts at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import ARRAY, Engine, String, any_, func, literal, select

from portevoix.projections.outbox import CANCELLED, REJECTED, TEST, messages

_NOT_SENT = (TEST, CANCELLED, REJECTED)
_IN_CHUNK = 900


class SentHistory:
    def __init__(self, engine: Engine, catch_up: Callable[[], object]) -> None:
        self.engine, self.catch_up = engine, catch_up

    def sent_since(self, customer_id: UUID, since: datetime,
                   pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those ``(e164, text)`` pairs the customer sent (or has scheduled) since then."""
        self.catch_up()
        wanted = set(pairs)
        numbers = sorted({number for number, _ in wanted})
        found: set[tuple[str, str]] = set()
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
