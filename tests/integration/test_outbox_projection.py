"""The outbox: one row per message, its status following dispatch and receipts, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
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
    TRANSACTIONAL,
    UNKNOWN,
    Campaign,
    message_id,
)
from portevoix.projections.outbox import (
    Outbox,
    OutboxMessage,
    campaigns,
    message,
    messages,
    outbox_page,
)
from portevoix.projections.paging import CursorError
from portevoix.projections.tracking import ProjectionRunner
from portevoix.storage import Storage

TEXT = "Bonjour, votre rendez-vous est confirmé. STOP au 36180"
STAT = {"sent": "UNKNOWN", "delivered_to_operator": "ENROUTE", "received": "DELIVRD",
        "failed": "UNDELIV", "expired": "EXPIRED"}


def settings(**changes: Any) -> dict[str, Any]:
    return {
        "test": False, "proof_required": False, "sender": "PORTEVOIX", "kind": MARKETING,
        "text": TEXT, "scheduled_at": None, "delivery_policy": AT_MOST_ONCE,
        "reference": "spring-sale", "channel": "web", **changes,
    }


def recipients(count: int, start: int = 0) -> list[list[Any]]:
    """``[e164, country, operator, segments, price, wholesale, text]``; every tenth has a text
    of its own."""
    return [
        [f"+3361{start + i:07d}", "FR", "orange-fr", 1 + i % 2, 50 * (1 + i % 2),
         30 * (1 + i % 2), f"Hello Marie {i}" if i % 10 == 0 else ""]
        for i in range(count)
    ]


class Sends:
    """Campaigns recorded on the ledger's log, as the send service saves them."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.customer, self.reseller = uuid4(), uuid4()

    def submit(self, count: int, customer: UUID | None = None, **changes: Any) -> Campaign:
        campaign = Campaign.submit(uuid4(), customer or self.customer, self.reseller,
                                   settings(**changes), recipients(count))
        self.ledger.save(campaign)
        return campaign

    def send(self, campaign: Campaign, results: list[list[Any]]) -> None:
        campaign.start_sending([result[0] for result in results])
        self.ledger.save(campaign)
        campaign.record_results(results)
        self.ledger.save(campaign)

    def receipts(self, campaign: Campaign, *items: tuple[int, str]) -> None:
        campaign.record_receipts(
            [[index, status, STAT[status], 0, "2026-05-04T10:00:00+00:00"]
             for index, status in items])
        self.ledger.save(campaign)


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
def runner(ledger: Ledger, storage: Storage) -> Iterator[ProjectionRunner]:
    runner = ProjectionRunner(ledger, Outbox(), storage.projection_engine())
    with storage.schema_lock():
        runner.create_tables()
    yield runner
    runner.engine.dispose()


@pytest.fixture
def sends(ledger: Ledger) -> Sends:
    return Sends(ledger)


def row(runner: ProjectionRunner, campaign: Campaign, index: int) -> OutboxMessage:
    found = message(runner.engine, message_id(campaign.id, index))
    assert found is not None
    return found


def table_rows(runner: ProjectionRunner) -> list[tuple[object, ...]]:
    with runner.engine.connect() as conn:
        return [tuple(r) for table in (messages, campaigns) for r in conn.execute(
            select(table).order_by(*table.primary_key.columns))]


def test_a_2500_recipient_campaign_becomes_2500_scheduled_rows(
    sends: Sends, runner: ProjectionRunner
) -> None:
    campaign = sends.submit(2_500, kind=TRANSACTIONAL)

    runner.catch_up()

    with runner.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(messages)).scalar()
    first, second = row(runner, campaign, 0), row(runner, campaign, 2_499)
    assert count == 2_500
    assert (first.text, second.text) == ("Hello Marie 0", TEXT)
    assert (second.e164, second.segments, second.price, second.sender, second.kind) == (
        "+33610002499", 2, 100, "PORTEVOIX", TRANSACTIONAL)
    assert (second.status, second.colour, second.smsc_ids, second.sent_at) == (
        "scheduled", "grey", "", None)


@pytest.mark.parametrize(("changes", "status"), [
    ({"test": True}, "test"),
    ({"proof_required": True}, "awaiting_approval"),
    ({}, "scheduled"),
])
def test_messages_start_as_their_campaign_does(
    sends: Sends, runner: ProjectionRunner, changes: dict[str, Any], status: str
) -> None:
    campaign = sends.submit(3, **changes)

    runner.catch_up()

    assert row(runner, campaign, 2).status == status


def test_campaign_split_across_pages_gives_the_same_rows(
    sends: Sends, runner: ProjectionRunner, ledger: Ledger, storage: Storage
) -> None:
    sends.submit(2_100)
    runner.catch_up()
    expected = table_rows(runner)
    small_pages = ProjectionRunner(ledger, Outbox(), storage.projection_engine(), page_size=1)

    small_pages.rebuild()

    assert table_rows(small_pages) == expected
    small_pages.engine.dispose()


@pytest.mark.parametrize("catch_up_between", [False, True])
def test_dispatch_results_and_receipts_set_status_colour_and_details(
    sends: Sends, runner: ProjectionRunner, catch_up_between: bool
) -> None:
    campaign = sends.submit(12)
    if catch_up_between:
        runner.catch_up()
    sends.send(campaign, [
        *([i, SUBMITTED, [f"smsc-{i}"], ""] for i in range(6)),
        [6, REJECTED, [], "88: throttled"], [7, UNKNOWN, [], "bind lost"],
    ])
    if catch_up_between:
        runner.catch_up()
    campaign.start_sending([8])
    sends.ledger.save(campaign)
    sends.receipts(campaign, (0, "delivered_to_operator"), (1, "received"), (2, "failed"),
                   (3, "expired"))

    runner.catch_up()

    seen = {i: (row(runner, campaign, i).status, row(runner, campaign, i).colour)
            for i in range(10)}
    assert seen == {
        0: ("delivered_to_operator", "light_green"), 1: ("received", "green"),
        2: ("failed", "red"), 3: ("expired", "orange"), 4: ("sent", "blue"),
        5: ("sent", "blue"), 6: ("rejected", "red"), 7: ("unknown", "orange"),
        8: ("sending", "blue"), 9: ("scheduled", "grey"),
    }
    received, rejected = row(runner, campaign, 1), row(runner, campaign, 6)
    assert (received.smsc_ids, received.stat, received.error_code) == ("smsc-1", "DELIVRD", "0")
    assert received.done_at is not None and received.sent_at is not None
    assert (rejected.reason, rejected.smsc_ids) == ("88: throttled", "")


@pytest.mark.parametrize("catch_up_between", [False, True])
def test_late_receipts_never_move_a_status_back(
    sends: Sends, runner: ProjectionRunner, catch_up_between: bool
) -> None:
    campaign = sends.submit(3)
    sends.send(campaign, [[i, SUBMITTED, [f"s{i}"], ""] for i in range(3)])
    sends.receipts(campaign, (0, "received"), (1, "delivered_to_operator"), (2, "failed"))
    if catch_up_between:
        runner.catch_up()
    before = row(runner, campaign, 0) if catch_up_between else None

    sends.receipts(campaign, (0, "delivered_to_operator"), (1, "sent"), (2, "received"))
    runner.catch_up()

    assert [row(runner, campaign, i).status for i in range(3)] == [
        "received", "delivered_to_operator", "failed"]
    assert before is None or row(runner, campaign, 0).done_at == before.done_at


def test_a_requeued_message_is_scheduled_again_and_flagged_a_possible_duplicate(
    sends: Sends, runner: ProjectionRunner
) -> None:
    campaign = sends.submit(2, delivery_policy=AT_LEAST_ONCE)
    campaign.start_sending([0, 1])
    sends.ledger.save(campaign)
    runner.catch_up()
    campaign.recover()
    sends.ledger.save(campaign)
    runner.catch_up()
    requeued = row(runner, campaign, 0)

    sends.send(campaign, [[0, SUBMITTED, ["again"], ""]])
    runner.catch_up()

    assert (requeued.status, requeued.colour, requeued.possible_duplicate) == (
        "scheduled", "grey", True)
    assert (row(runner, campaign, 0).status, row(runner, campaign, 0).possible_duplicate) == (
        "sent", True)


def test_a_receipt_of_an_earlier_attempt_waits_for_the_message_to_be_sent_again(
    sends: Sends, runner: ProjectionRunner
) -> None:
    campaign = sends.submit(1, delivery_policy=AT_LEAST_ONCE)
    sends.send(campaign, [[0, AMBIGUOUS, ["part-1"], "bind lost after 1 of 2 segments"]])
    sends.receipts(campaign, (0, "received"))
    runner.catch_up()
    waiting = row(runner, campaign, 0)

    sends.send(campaign, [[0, SUBMITTED, ["a", "b"], ""]])
    sends.receipts(campaign, (0, "delivered_to_operator"))
    runner.catch_up()

    assert (waiting.status, waiting.smsc_ids) == ("scheduled", "part-1")
    assert (row(runner, campaign, 0).status, row(runner, campaign, 0).smsc_ids) == (
        "delivered_to_operator", "a,b")


@pytest.mark.parametrize("catch_up_between", [False, True])
def test_approval_schedules_and_cancellation_cancels_every_message(
    sends: Sends, runner: ProjectionRunner, catch_up_between: bool
) -> None:
    approved = sends.submit(1_500, proof_required=True)
    cancelled = sends.submit(1_500)
    if catch_up_between:
        runner.catch_up()

    approved.approve()
    cancelled.cancel("wrong list")
    sends.ledger.save(approved, cancelled)
    runner.catch_up()

    with runner.engine.connect() as conn:
        found = {status: count for status, count in conn.execute(
            select(messages.c.status, func.count()).group_by(messages.c.status))}
    assert found == {"scheduled": 1_500, "cancelled": 1_500}
    assert row(runner, cancelled, 1_499).reason == "wrong list"


def test_outbox_filters_by_period_kind_status_keyword_and_campaign(
    sends: Sends, runner: ProjectionRunner
) -> None:
    first = sends.submit(20)
    second = sends.submit(20, kind=TRANSACTIONAL, text="Code 4711 pour Zoé")
    sends.send(second, [[i, SUBMITTED, [f"x{i}"], ""] for i in range(5)])
    other_customer = sends.submit(20, customer=uuid4())
    runner.catch_up()
    created = row(runner, second, 0).created_at

    def ids(**filters: Any) -> set[str]:
        found, _ = outbox_page(runner.engine, sends.customer, limit=1_000, **filters)
        return {m.message_id for m in found}

    def of(campaign: Campaign, *indexes: int) -> set[str]:
        return {message_id(campaign.id, i) for i in indexes}

    assert ids() == of(first, *range(20)) | of(second, *range(20))
    assert ids(since=created) == of(second, *range(20))
    assert ids(until=created) == of(first, *range(20))
    assert ids(since=created + timedelta(seconds=1)) == set()
    assert ids(kind=TRANSACTIONAL) == of(second, *range(20))
    assert ids(status="sent") == of(second, *range(5))
    assert ids(campaign_id=first.id) == of(first, *range(20))
    own_text = of(second, *(i for i in range(20) if i % 10))  # 0 and 10 have their own
    assert ids(keyword="pour zoé") == ids(keyword="CODE 4711") == own_text
    assert ids(keyword="marie 1") == of(first, 10) | of(second, 10)
    assert ids(keyword="10000012") == of(first, 12) | of(second, 12)
    assert ids(keyword="06 10 00 00 12") == of(first, 12) | of(second, 12)
    assert ids(keyword="+3361000001") == of(first, *range(10, 20)) | of(second, *range(10, 20))
    assert ids(keyword="00 33 6 1000 0019") == of(first, 19) | of(second, 19)
    assert ids(keyword="+44 7700") == set()
    assert ids(keyword="4711", kind=MARKETING) == set()
    assert ids(keyword="100%") == set()
    assert ids(campaign_id=other_customer.id) == set()


def test_keyset_pages_cover_every_message_once_newest_first(
    sends: Sends, runner: ProjectionRunner
) -> None:
    older, newer = sends.submit(1_234), sends.submit(1_111)
    runner.catch_up()

    seen: list[OutboxMessage] = []
    cursor: str | None = None
    pages = 0
    while True:
        found, cursor = outbox_page(runner.engine, sends.customer, limit=100, after=cursor)
        seen.extend(found)
        pages += 1
        if cursor is None:
            break

    expected = [message_id(newer.id, i) for i in reversed(range(1_111))] + [
        message_id(older.id, i) for i in reversed(range(1_234))]
    assert [m.message_id for m in seen] == expected
    assert pages == 24


def test_a_filtered_page_ends_on_its_last_row(sends: Sends, runner: ProjectionRunner) -> None:
    campaign = sends.submit(10)
    runner.catch_up()

    first, cursor = outbox_page(runner.engine, sends.customer, limit=5, campaign_id=campaign.id)
    rest, end = outbox_page(runner.engine, sends.customer, limit=5, campaign_id=campaign.id,
                            after=cursor)

    assert [m.position for m in first + rest] == list(reversed(range(10)))
    assert end is None


def test_a_cursor_that_no_page_gave_is_refused(runner: ProjectionRunner) -> None:
    with pytest.raises(CursorError):
        outbox_page(runner.engine, uuid4(), after="yesterday|abc")


def test_an_unknown_message_is_none(runner: ProjectionRunner) -> None:
    assert message(runner.engine, message_id(uuid4(), 0)) is None


def test_rebuild_gives_the_same_rows(sends: Sends, runner: ProjectionRunner) -> None:
    campaign = sends.submit(1_500, proof_required=True)
    runner.catch_up()
    campaign.approve()
    sends.ledger.save(campaign)
    sends.send(campaign, [[i, SUBMITTED, [f"s{i}"], ""] for i in range(1_200)])
    runner.catch_up()
    sends.receipts(campaign, *((i, "received") for i in range(0, 1_200, 3)))
    sends.receipts(campaign, *((i, "delivered_to_operator") for i in range(0, 1_200, 2)))
    sends.submit(5, test=True)
    runner.catch_up()
    before = table_rows(runner)

    runner.rebuild()

    assert table_rows(runner) == before
