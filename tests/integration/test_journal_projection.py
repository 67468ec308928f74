"""The campaign journal: counts and money per campaign, the dispatcher's work list, on SQLite
and PostgreSQL; its counts checked against the outbox's messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select

from portevoix.ledger.services import Ledger
from portevoix.platform.campaigns import (
    AMBIGUOUS,
    AT_LEAST_ONCE,
    AT_MOST_ONCE,
    MARKETING,
    REJECTED,
    SUBMITTED,
    Campaign,
)
from portevoix.projections.journal import (
    BUCKET,
    COUNTS,
    Journal,
    JournalEntry,
    campaign,
    due_campaigns,
    journal,
    journal_page,
    message_statuses,
)
from portevoix.projections.outbox import Outbox, messages
from portevoix.projections.tracking import ProjectionRunner
from portevoix.storage import Storage

CHARGED = {"unknown", "sent", "delivered_to_operator", "received", "failed", "expired"}


def settings(**changes: Any) -> dict[str, Any]:
    return {
        "test": False, "proof_required": False, "sender": "MAIRIE", "kind": MARKETING,
        "text": "Collecte des encombrants jeudi. STOP au 36180", "scheduled_at": None,
        "delivery_policy": AT_MOST_ONCE, "reference": "encombrants", "channel": "web",
        **changes,
    }


class Sends:
    """Campaigns recorded on the ledger's log, as the send service and dispatcher save them."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.customer, self.reseller = uuid4(), uuid4()

    def submit(self, count: int, customer: UUID | None = None, **changes: Any) -> Campaign:
        rows = [[f"+3361{i:07d}", "FR", "orange-fr", 1 + i % 3, 40 * (1 + i % 3),
                 25 * (1 + i % 3), ""] for i in range(count)]
        found = Campaign.submit(uuid4(), customer or self.customer, self.reseller,
                                settings(**changes), rows)
        self.ledger.save(found)
        return found

    def send(self, found: Campaign, results: list[list[Any]]) -> None:
        found.start_sending([result[0] for result in results])
        self.ledger.save(found)
        found.record_results(results)
        self.ledger.save(found)

    def receipts(self, found: Campaign, *items: tuple[int, str]) -> None:
        found.record_receipts([[i, status, "", 0, ""] for i, status in items])
        self.ledger.save(found)

    def close(self, found: Campaign) -> None:
        found.close()
        self.ledger.save(found)


@pytest.fixture
def storage(database_url: str) -> Storage:
    return Storage(database_url)


@pytest.fixture
def ledger(storage: Storage) -> Iterator[Ledger]:
    with storage.schema_lock():
        ledger = Ledger(env=storage.event_store_env("ledger"))
    yield ledger
    ledger.close()


@pytest.fixture
def runners(ledger: Ledger, storage: Storage) -> Iterator[list[ProjectionRunner]]:
    """The journal's runner, then the outbox's (to check the counts against)."""
    engine = storage.projection_engine()
    found = [ProjectionRunner(ledger, Journal(), engine),
             ProjectionRunner(ledger, Outbox(), engine)]
    with storage.schema_lock():
        for runner in found:
            runner.create_tables()
    yield found
    engine.dispose()


@pytest.fixture
def runner(runners: list[ProjectionRunner]) -> ProjectionRunner:
    return runners[0]


@pytest.fixture
def sends(ledger: Ledger) -> Sends:
    return Sends(ledger)


def catch_up(runners: list[ProjectionRunner]) -> None:
    for runner in runners:
        runner.catch_up()


def outbox_counts(runner: ProjectionRunner, campaign_id: UUID) -> dict[str, int]:
    """The journal's counts as the outbox's messages give them."""
    with runner.engine.connect() as conn:
        found = conn.execute(
            select(messages.c.status, func.count()).where(messages.c.campaign_id == campaign_id)
            .group_by(messages.c.status)).all()
    counts = dict.fromkeys(COUNTS, 0)
    for status, count in found:
        counts[BUCKET[status]] += count
    return counts


def outbox_charged(runner: ProjectionRunner, campaign_id: UUID) -> int:
    with runner.engine.connect() as conn:
        return int(conn.execute(
            select(func.coalesce(func.sum(messages.c.price), 0))
            .where(messages.c.campaign_id == campaign_id, messages.c.status.in_(CHARGED))
        ).scalar_one())


def entry_of(runner: ProjectionRunner, campaign_id: UUID) -> JournalEntry:
    found = campaign(runner.engine, campaign_id)
    assert found is not None
    return found


def table_rows(runner: ProjectionRunner) -> list[tuple[object, ...]]:
    with runner.engine.connect() as conn:
        return [tuple(r) for table in (journal, message_statuses) for r in conn.execute(
            select(table).order_by(*table.primary_key.columns))]


def busy_week(sends: Sends, runners: list[ProjectionRunner], catch_up_between: bool) -> Campaign:
    """A 2,500-recipient send: results of every kind, receipts in and out of order, a batch
    still in flight."""
    found = sends.submit(2_500)

    def step() -> None:
        if catch_up_between:
            catch_up(runners)

    step()
    sends.send(found, [
        [i, SUBMITTED, [f"s{i}"], ""] if i % 10 < 7
        else [i, REJECTED, [f"s{i}"] if i % 2 else [], "invalid destination"] if i % 10 < 9
        else [i, AMBIGUOUS, [f"s{i}"] if i % 20 == 9 else [], "bind lost"]
        for i in range(1_200)
    ])
    step()
    sends.receipts(found, *((i, "delivered_to_operator") for i in range(0, 1_200, 2)))
    step()
    sends.receipts(found, *((i, "received") for i in range(0, 1_200, 3)),
                   *((i, "failed") for i in range(1, 1_200, 10)))
    step()
    sends.receipts(found, *((i, "delivered_to_operator") for i in range(0, 1_200, 6)),
                   *((i, "expired") for i in range(9, 1_200, 20)),
                   *((i, "received") for i in range(7, 1_200, 10)))  # rejected: ignored
    found.start_sending(list(range(1_200, 1_300)))
    sends.ledger.save(found)
    return found


@pytest.mark.parametrize("catch_up_between", [False, True])
def test_counts_and_money_match_the_messages_however_the_events_are_paged(
    sends: Sends, runners: list[ProjectionRunner], catch_up_between: bool
) -> None:
    found = busy_week(sends, runners, catch_up_between)

    catch_up(runners)

    entry = entry_of(runners[0], found.id)
    assert entry.counts == outbox_counts(runners[1], found.id)
    assert sum(entry.counts.values()) == entry.recipients == 2_500
    assert (entry.sending, entry.pending, entry.rejected) == (100, 1_200, 240)
    assert entry.charged_price == found.charged_price == outbox_charged(runners[1], found.id)
    assert entry.charged_wholesale == found.charged_wholesale
    assert (entry.price, entry.segments) == (found.totals["price"], found.totals["segments"])


@pytest.mark.parametrize("catch_up_between", [False, True])
def test_requeued_messages_count_as_pending_until_sent_again(
    sends: Sends, runners: list[ProjectionRunner], catch_up_between: bool
) -> None:
    found = sends.submit(4, delivery_policy=AT_LEAST_ONCE)
    sends.send(found, [[0, AMBIGUOUS, ["part"], "bind lost"], [1, AMBIGUOUS, [], "bind lost"],
                       [2, SUBMITTED, ["s2"], ""]])
    sends.receipts(found, (0, "received"), (2, "delivered_to_operator"))
    if catch_up_between:
        catch_up(runners)
    before = entry_of(runners[0], found.id) if catch_up_between else None

    sends.send(found, [[0, SUBMITTED, ["s0"], ""], [1, SUBMITTED, ["s1"], ""]])
    sends.receipts(found, (0, "delivered_to_operator"), (1, "received"))
    catch_up(runners)

    entry = entry_of(runners[0], found.id)
    assert before is None or (before.pending, before.delivered_to_operator) == (3, 1)
    assert entry.counts == outbox_counts(runners[1], found.id)
    assert (entry.pending, entry.delivered_to_operator, entry.received, entry.requeues) == (
        1, 2, 1, 2)


def test_closing_records_what_was_released(
    sends: Sends, runners: list[ProjectionRunner]
) -> None:
    found = sends.submit(30)
    sends.send(found, [[i, SUBMITTED if i % 3 else REJECTED, [], ""] for i in range(30)])
    released = found.close()
    sends.ledger.save(found)

    catch_up(runners)

    entry = entry_of(runners[0], found.id)
    assert (entry.released_price, entry.released_wholesale) == released
    assert entry.released_price + entry.charged_price == entry.price
    assert (entry.status, entry.sent, entry.rejected) == ("done", 20, 10)
    assert entry.closed_at is not None and entry.first_sent_at is not None


def test_cancelling_moves_every_message_to_cancelled(
    sends: Sends, runners: list[ProjectionRunner]
) -> None:
    found = sends.submit(1_500, proof_required=True)
    catch_up(runners)

    found.cancel("wrong list")
    found.close()
    sends.ledger.save(found)
    catch_up(runners)

    entry = entry_of(runners[0], found.id)
    assert (entry.status, entry.cancelled, entry.pending) == ("cancelled", 1_500, 0)
    assert entry.released_price == entry.price
    assert entry.counts == outbox_counts(runners[1], found.id)


def test_due_campaigns_honour_scheduled_at_approval_cancellation_and_closing(
    sends: Sends, runner: ProjectionRunner
) -> None:
    now = datetime.now(UTC)
    later = sends.submit(2, scheduled_at=now + timedelta(hours=1))
    earlier = sends.submit(2, scheduled_at=now - timedelta(hours=1))
    at_once = sends.submit(2)
    awaiting = sends.submit(2, proof_required=True)
    sends.submit(2, test=True)
    cancelled = sends.submit(2)
    cancelled.cancel("changed my mind")
    sends.close(cancelled)
    done = sends.submit(2)
    sends.send(done, [[0, SUBMITTED, ["a"], ""], [1, SUBMITTED, ["b"], ""]])
    sends.close(done)
    runner.catch_up()
    due_now = due_campaigns(runner.engine, now + timedelta(minutes=1))
    first_only = due_campaigns(runner.engine, now + timedelta(minutes=1), limit=1)

    awaiting.approve()
    sends.ledger.save(awaiting)
    runner.catch_up()

    assert due_now == [earlier.id, at_once.id]
    assert first_only == [earlier.id]
    assert due_campaigns(runner.engine, now + timedelta(hours=2)) == [
        earlier.id, at_once.id, awaiting.id, later.id]


def test_journal_pages_by_period_and_status_newest_first(
    sends: Sends, runner: ProjectionRunner
) -> None:
    found = [sends.submit(1) for _ in range(7)]
    found[2].cancel("no")
    sends.ledger.save(found[2])
    sends.submit(1, customer=uuid4())
    runner.catch_up()
    middle = entry_of(runner, found[3].id).created_at

    seen: list[UUID] = []
    cursor: str | None = None
    while True:
        page, cursor = journal_page(runner.engine, sends.customer, limit=3, after=cursor)
        seen.extend(e.campaign_id for e in page)
        if cursor is None:
            break

    newest_first = [c.id for c in reversed(found)]
    assert seen == newest_first
    assert [e.campaign_id for e in journal_page(runner.engine, sends.customer,
                                                since=middle)[0]] == newest_first[:4]
    assert [e.campaign_id for e in journal_page(runner.engine, sends.customer,
                                                until=middle)[0]] == newest_first[4:]
    assert [e.campaign_id for e in journal_page(runner.engine, sends.customer,
                                                status="cancelled")[0]] == [found[2].id]


def test_an_unknown_campaign_is_none(runner: ProjectionRunner) -> None:
    assert campaign(runner.engine, uuid4()) is None


def test_rebuild_and_small_pages_give_the_same_rows(
    sends: Sends, runners: list[ProjectionRunner], ledger: Ledger, storage: Storage
) -> None:
    busy_week(sends, runners, catch_up_between=True)
    requeued = sends.submit(3, delivery_policy=AT_LEAST_ONCE)
    sends.send(requeued, [[0, AMBIGUOUS, ["p"], "bind lost"]])
    catch_up(runners)
    sends.send(requeued, [[0, SUBMITTED, ["q"], ""]])
    sends.receipts(requeued, (0, "received"))
    catch_up(runners)
    before = table_rows(runners[0])
    small_pages = ProjectionRunner(ledger, Journal(), storage.projection_engine(), page_size=2)

    runners[0].rebuild()
    after_rebuild = table_rows(runners[0])
    small_pages.rebuild()

    assert after_rebuild == before
    assert table_rows(small_pages) == before
    small_pages.engine.dispose()
