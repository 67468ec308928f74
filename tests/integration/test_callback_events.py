"""Status callbacks queued from the ledger's campaign events and grouped in deliveries, on
SQLite and PostgreSQL: one event per status a message reaches, forward only, only for
campaigns with a callback URL; whole-campaign moves across pages; a rebuild delivers
nothing twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from portevoix.ledger.services import Ledger
from portevoix.platform.campaigns import (
    AMBIGUOUS,
    AT_LEAST_ONCE,
    AT_MOST_ONCE,
    REJECTED,
    SUBMITTED,
    TRANSACTIONAL,
    UNKNOWN,
    Campaign,
    message_id,
)
from portevoix.projections.callback_log import CallbackLog, deliveries
from portevoix.projections.callbacks import StatusCallbacks, events
from portevoix.projections.tracking import ProjectionRunner
from portevoix.storage import Storage

URL = "https://crm.example.com/sms/status"
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def settings(**changes: Any) -> dict[str, Any]:
    return {
        "test": False, "proof_required": False, "sender": "PORTEVOIX", "kind": TRANSACTIONAL,
        "text": "Bonjour", "scheduled_at": None, "delivery_policy": AT_MOST_ONCE,
        "reference": "rdv-42", "channel": "json_api", "callback_url": URL, **changes,
    }


class Sends:
    """Campaigns recorded on the ledger's log, as the send service and dispatcher do."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger, self.customer = ledger, uuid4()

    def submit(self, count: int, **changes: Any) -> Campaign:
        rows = [[f"+3361{i:07d}", "FR", "orange-fr", 1, 50, 30, ""] for i in range(count)]
        campaign = Campaign.submit(uuid4(), self.customer, uuid4(), settings(**changes), rows)
        self.ledger.save(campaign)
        return campaign

    def send(self, campaign: Campaign, results: list[list[Any]]) -> None:
        campaign.start_sending([result[0] for result in results])
        self.ledger.save(campaign)
        campaign.record_results(results)
        self.ledger.save(campaign)

    def receipts(self, campaign: Campaign, *items: tuple[int, str, str]) -> None:
        campaign.record_receipts([[index, status, stat, 0, "2026-05-04T10:00:00+00:00"]
                                  for index, status, stat in items])
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
    runner = ProjectionRunner(ledger, StatusCallbacks(), storage.projection_engine())
    with storage.schema_lock():
        runner.create_tables()
    yield runner
    runner.engine.dispose()


@pytest.fixture
def log(runner: ProjectionRunner) -> CallbackLog:
    found = CallbackLog(runner.engine)
    found.create_tables()
    return found


@pytest.fixture
def sends(ledger: Ledger) -> Sends:
    return Sends(ledger)


def told(runner: ProjectionRunner, campaign: Campaign | None = None) -> dict[int, list[str]]:
    """The statuses queued for each message (of ``campaign``), in order."""
    runner.catch_up()
    query = select(events.c.message_id, events.c.status).order_by(events.c.seq)
    if campaign is not None:
        query = query.where(events.c.campaign_id == campaign.id)
    found: dict[int, list[str]] = {}
    with runner.engine.connect() as conn:
        for key, status in conn.execute(query):
            found.setdefault(int(key.rsplit(".", 1)[1]), []).append(status)
    return found


def count(runner: ProjectionRunner, table: Any) -> int:
    with runner.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_campaign_without_a_callback_url_queues_nothing(
        sends: Sends, runner: ProjectionRunner) -> None:
    campaign = sends.submit(3, callback_url="")
    sends.send(campaign, [[i, SUBMITTED, [f"s{i}"], ""] for i in range(3)])

    assert told(runner) == {}


def test_a_test_campaign_queues_nothing(sends: Sends, runner: ProjectionRunner) -> None:
    sends.submit(3, test=True)

    assert told(runner) == {}


def test_a_campaign_from_before_callbacks_existed_queues_nothing(
        sends: Sends, runner: ProjectionRunner) -> None:
    old = settings()
    del old["callback_url"]
    campaign = Campaign.submit(uuid4(), sends.customer, uuid4(), old,
                               [["+33612345678", "FR", "orange-fr", 1, 50, 30, ""]])
    sends.ledger.save(campaign)

    assert told(runner) == {}


@pytest.mark.parametrize("catch_up_between", [False, True])
def test_each_status_a_message_reaches_is_queued_once_in_order(
        sends: Sends, runner: ProjectionRunner, catch_up_between: bool) -> None:
    campaign = sends.submit(5)
    if catch_up_between:
        runner.catch_up()
    sends.send(campaign, [[0, SUBMITTED, ["s0"], ""], [1, SUBMITTED, ["s1"], ""],
                          [2, REJECTED, [], "88: throttled"], [3, UNKNOWN, [], "bind lost"]])
    if catch_up_between:
        runner.catch_up()
    sends.receipts(campaign, (0, "delivered_to_operator", "ENROUTE"),
                   (1, "failed", "UNDELIV"), (3, "received", "DELIVRD"))
    sends.receipts(campaign, (0, "received", "DELIVRD"))

    assert told(runner) == {
        0: ["scheduled", "sending", "sent", "delivered_to_operator", "received"],
        1: ["scheduled", "sending", "sent", "failed"],
        2: ["scheduled", "sending", "rejected"],
        3: ["scheduled", "sending", "unknown", "received"],
        4: ["scheduled"],
    }


def test_a_late_receipt_never_moves_a_status_back(sends: Sends, runner: ProjectionRunner) -> None:
    campaign = sends.submit(1)
    sends.send(campaign, [[0, SUBMITTED, ["s0"], ""]])
    sends.receipts(campaign, (0, "received", "DELIVRD"))
    runner.catch_up()

    sends.receipts(campaign, (0, "delivered_to_operator", "ENROUTE"))

    assert told(runner) == {0: ["scheduled", "sending", "sent", "received"]}


def test_a_requeued_message_stays_sending_rather_than_going_back(
        sends: Sends, runner: ProjectionRunner) -> None:
    campaign = sends.submit(1, delivery_policy=AT_LEAST_ONCE)
    sends.send(campaign, [[0, AMBIGUOUS, [], "bind lost"]])

    sends.send(campaign, [[0, SUBMITTED, ["s0"], ""]])

    assert told(runner) == {0: ["scheduled", "sending", "sent"]}


def test_the_receipt_of_an_event_carries_its_stat_and_error_code(
        sends: Sends, runner: ProjectionRunner) -> None:
    campaign = sends.submit(1)
    sends.send(campaign, [[0, SUBMITTED, ["s0"], ""]])
    campaign.record_receipts([[0, "failed", "UNDELIV", 11, "2026-05-04T10:00:00+00:00"]])
    sends.ledger.save(campaign)
    runner.catch_up()

    with runner.engine.connect() as conn:
        found = conn.execute(select(events).where(events.c.status == "failed")).one()

    assert (found.stat, found.error_code, found.number, found.reference, found.url) == (
        "UNDELIV", "11", "+33610000000", "rdv-42", URL)


@pytest.mark.parametrize("catch_up_between", [False, True])
def test_a_cancelled_send_tells_each_message_cancelled(
        sends: Sends, runner: ProjectionRunner, catch_up_between: bool) -> None:
    campaign = sends.submit(3, scheduled_at=datetime(2034, 12, 4, 12, 30, tzinfo=UTC))
    if catch_up_between:
        runner.catch_up()  # the cancellation then moves the campaign in SQL

    campaign.cancel("cancelled by the customer")
    sends.ledger.save(campaign)

    assert told(runner) == {i: ["scheduled", "cancelled"] for i in range(3)}
    with runner.engine.connect() as conn:
        reasons = set(conn.execute(select(events.c.reason).where(
            events.c.status == "cancelled")).scalars())
    assert reasons == {"cancelled by the customer"}


@pytest.mark.parametrize("catch_up_between", [False, True])
def test_a_send_awaiting_approval_is_told_scheduled_once_approved(
        sends: Sends, runner: ProjectionRunner, catch_up_between: bool) -> None:
    campaign = sends.submit(3, proof_required=True)
    waiting = told(runner) if catch_up_between else {}

    campaign.approve()
    sends.ledger.save(campaign)
    sends.send(campaign, [[0, SUBMITTED, ["s0"], ""]])

    assert waiting == {}
    assert told(runner) == {0: ["scheduled", "sending", "sent"], 1: ["scheduled"],
                            2: ["scheduled"]}


def test_a_campaign_split_across_pages_queues_the_same_events(
        sends: Sends, runner: ProjectionRunner, ledger: Ledger, storage: Storage) -> None:
    campaign = sends.submit(2_100, proof_required=True)
    campaign.approve()
    sends.ledger.save(campaign)
    sends.send(campaign, [[i, SUBMITTED, [f"s{i}"], ""] for i in range(0, 2_100, 7)])
    expected = told(runner)
    small_pages = ProjectionRunner(ledger, StatusCallbacks(), storage.projection_engine(),
                                   page_size=1)

    small_pages.rebuild()

    assert told(small_pages) == expected
    assert sum(map(len, expected.values())) == 2_100 + 2 * 300
    small_pages.engine.dispose()


def test_events_are_grouped_by_endpoint_in_deliveries_of_a_hundred_in_order(
        sends: Sends, runner: ProjectionRunner, log: CallbackLog) -> None:
    first = sends.submit(150)
    second = sends.submit(60, callback_url=URL + "/other")
    runner.catch_up()

    claimed = log.claim(NOW)

    with runner.engine.connect() as conn:
        rows = conn.execute(select(deliveries).order_by(deliveries.c.seq)).all()
    assert claimed == 210 and log.claim(NOW) == 0
    assert [(r.url, r.events, r.state) for r in rows] == [
        (URL, 100, "pending"), (URL, 50, "pending"), (URL + "/other", 60, "pending")]
    numbers = [e["message_id"] for r in rows[:2] for e in json.loads(r.body)["events"]]
    assert numbers == [message_id(first.id, i) for i in range(150)]
    assert {e["campaign_id"] for e in json.loads(rows[2].body)["events"]} == {str(second.id)}
    assert log.due_endpoints(NOW) == [(sends.customer, URL), (sends.customer, URL + "/other")]


def test_a_rebuild_does_not_deliver_again(
        sends: Sends, runner: ProjectionRunner, log: CallbackLog) -> None:
    campaign = sends.submit(3)
    runner.catch_up()
    log.claim(NOW)
    sends.send(campaign, [[0, SUBMITTED, ["s0"], ""]])
    runner.catch_up()
    log.claim(NOW)
    before = count(runner, deliveries)

    runner.rebuild()
    log.claim(NOW)

    assert (before, count(runner, deliveries)) == (2, 2)
    with runner.engine.connect() as conn:
        queued = conn.execute(select(func.count()).select_from(events).where(
            events.c.callback_id.is_(None))).scalar_one()
    assert (count(runner, events), queued) == (5, 0)


def test_events_of_customers_sharing_a_url_go_in_separate_deliveries(
        sends: Sends, runner: ProjectionRunner, log: CallbackLog, ledger: Ledger) -> None:
    sends.submit(2)
    other = Sends(ledger)
    other.submit(2)
    runner.catch_up()

    log.claim(NOW)

    with runner.engine.connect() as conn:
        owners = conn.execute(select(deliveries.c.customer_id, deliveries.c.events)).all()
    assert sorted(owners, key=lambda r: str(r[0])) == sorted(
        [(sends.customer, 2), (other.customer, 2)], key=lambda r: str(r[0]))
