"""The 24-hour duplicate rule's memory: this process's sends count before the outbox shows
them, are forgotten after ``REMEMBER_S``, and the outbox is caught up once per process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from portevoix.projections import history
from portevoix.projections.history import SentHistory
from portevoix.projections.outbox import metadata
from portevoix.storage import Storage

SINCE = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(hours=24)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_remembered_sends_count_until_forgotten_and_the_outbox_is_caught_up_once(
        database_url: str) -> None:
    engine = Storage(database_url).projection_engine()
    metadata.create_all(engine)
    catch_ups: list[int] = []
    clock = Clock()
    sent = SentHistory(engine, lambda: catch_ups.append(1), monotonic=clock)
    customer, other = uuid4(), uuid4()

    sent.remember(customer, [("+33612345678", "Bonjour")])
    found = sent.sent_since(customer, SINCE, [("+33612345678", "Bonjour"),
                                               ("+33612345678", "Salut")])
    not_for_another = sent.sent_since(other, SINCE, [("+33612345678", "Bonjour")])
    clock.now += history.REMEMBER_S + 1
    forgotten = sent.sent_since(customer, SINCE, [("+33612345678", "Bonjour")])

    assert found == {("+33612345678", "Bonjour")}
    assert not_for_another == set()
    assert forgotten == set()  # by then, the outbox shows it (it is empty here)
    assert catch_ups == [1]
    engine.dispose()
