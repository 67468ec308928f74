"""The 24-hour duplicate rule's memory: this process's sends count before the outbox shows
them, are forgotten after ``REMEMBER_S``, and the outbox is caught up once per process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
import sqlalchemy

from portevoix.projections import history
from portevoix.projections.history import SentHistory
from portevoix.projections.outbox import messages, metadata
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


def test_batched_look_ups_answer_each_sender_for_its_own_customer_and_time(
        database_url: str) -> None:
    engine = Storage(database_url).projection_engine()
    metadata.create_all(engine)
    sent = SentHistory(engine, lambda: None)
    customers = [uuid4() for _ in range(3)]
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(messages.insert(), [
            _row(customers[0], "+33611111111", "Bonjour", now - timedelta(hours=1)),
            _row(customers[1], "+33611111111", "Bonjour", now - timedelta(hours=30)),
            _row(customers[2], "+33622222222", "Salut", now - timedelta(minutes=5)),
        ])
    sent.start_batching()
    with ThreadPoolExecutor(3) as pool:
        found = list(pool.map(
            lambda customer: sent.sent_since(customer, now - timedelta(hours=24), [
                ("+33611111111", "Bonjour"), ("+33622222222", "Salut")]), customers))
    sent.stop_batching()

    assert found == [{("+33611111111", "Bonjour")}, set(), {("+33622222222", "Salut")}]
    engine.dispose()


def test_the_postgresql_look_up_is_one_statement_outside_any_transaction(
        postgres_url: str) -> None:
    engine = Storage(postgres_url).projection_engine()
    metadata.create_all(engine)
    sent = SentHistory(engine, lambda: None)
    customer, now = uuid4(), datetime(2026, 6, 1, 12, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(messages.insert(), [_row(customer, "+33611111111", "Bonjour", now)])
    states: list[tuple[psycopg.pq.TransactionStatus, bool]] = []
    listen = sqlalchemy.event.listen
    listen(engine, "reset", lambda driver, record, state: states.append(
        (driver.info.transaction_status, driver.autocommit)))

    found = sent.sent_since(customer, now - timedelta(hours=1), [("+33611111111", "Bonjour")])

    assert found == {("+33611111111", "Bonjour")}
    # Given back idle (no BEGIN went before the look-up: no ROLLBACK goes after it), and
    # out of autocommit as the pool's other users expect.
    assert states == [(psycopg.pq.TransactionStatus.IDLE, False)]
    engine.dispose()


def _row(customer: UUID, e164: str, text: str, at: datetime) -> dict[str, object]:
    return {"message_id": uuid4().hex, "campaign_id": uuid4(), "position": 0,
            "customer_id": customer, "e164": e164, "country": "FR", "operator": "",
            "text": text, "sender": "Shop", "kind": "transactional", "segments": 1,
            "price": 1000, "status": "sent", "colour": "blue", "reason": "", "stat": "",
            "error_code": "", "smsc_ids": "", "possible_duplicate": False, "created_at": at,
            "updated_at": at}


def test_the_array_literal_of_the_postgresql_look_up_keeps_every_string_as_it_is(
        postgres_url: str) -> None:
    values = ["+33612345678", 'a"b', "c\\d", "e,f", "{g}", "h i", ""]
    with psycopg.connect("host=127.0.0.1 port=5432 dbname=test") as conn:
        row = conn.execute("SELECT %s::text[]", (history._array(values),)).fetchone()
    assert row is not None and row[0] == values
