"""The topics under which ledger events and snapshots are stored: a refactor must not move them."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.utils import resolve_topic

from portevoix.ledger.accounts import Account
from portevoix.ledger.packs import PackTariff, Purchase, Tier
from portevoix.ledger.transfers import Transfer

EVENT_TOPICS = {
    "portevoix.ledger:Account.Opened",
    "portevoix.ledger:Account.Held",
    "portevoix.ledger:Account.HoldSettled",
    "portevoix.ledger:Account.HoldReleased",
    "portevoix.ledger:Account.Debited",
    "portevoix.ledger:Account.Credited",
    "portevoix.ledger:Account.CreditExpected",
    "portevoix.ledger:Account.ExpectedCreditSettled",
    "portevoix.ledger:Account.ExpectedCreditReleased",
    "portevoix.ledger:Account.FloorChanged",
    "portevoix.ledger:Account.LowBalanceThresholdSet",
    "portevoix.ledger:Account.LowBalanceReached",
    "portevoix.ledger:Account.BalanceRestored",
    "portevoix.ledger:Account.Closed",
    "portevoix.ledger:Transfer.Created",
    "portevoix.ledger:Transfer.Posted",
    "portevoix.ledger:Transfer.Voided",
    "portevoix.ledger:PackTariff.Published",
    "portevoix.ledger:PackTariff.Revised",
    "portevoix.ledger:Purchase.Placed",
    "portevoix.ledger:Purchase.PaymentConfirmed",
    "portevoix.ledger:Purchase.PaymentRejected",
}


def record_every_event(book):
    """Trigger each kind of ledger event at least once; returns the ids of one of each
    aggregate."""
    ledger = book.ledger
    payer, payee = book.wallet(balance=1000), book.wallet()
    ledger.set_low_balance_threshold(payer, 500)
    ledger.change_floor(payer, -100)
    held = book.hold(payer, payee, 600)  # Held, CreditExpected, LowBalanceReached
    ledger.post(held.id, 100, uuid4())  # HoldSettled, ExpectedCreditSettled
    ledger.void(held.id)  # HoldReleased, ExpectedCreditReleased, BalanceRestored
    book.pay(payee, payer, 100)  # Debited, Credited
    ledger.close_account(book.wallet())
    tariff = ledger.publish_tariff(book.issuer, "standard", "SMS", "EUR", 4, [Tier(100, 1900)])
    ledger.revise_tariff(tariff, [Tier(100, 1800)])
    paid = ledger.purchase_pack(uuid4(), tariff, payer, 100, "cheque")
    ledger.confirm_payment(paid.id, "finance")
    rejected = ledger.purchase_pack(uuid4(), tariff, payer, 100, "bank_transfer")
    ledger.reject_payment(rejected.id, "never came")
    return {Account: payer, Transfer: held.id, PackTariff: tariff, Purchase: paid.id}


def test_every_ledger_event_is_stored_under_its_pinned_topic(book):
    record_every_event(book)

    topics = {n.topic for n in book.notifications()}

    assert topics == EVENT_TOPICS


def test_every_stored_topic_resolves_to_the_class_that_records_it(book):
    record_every_event(book)

    events = book.events()

    assert {f"portevoix.ledger:{type(e).__qualname__}" for e in events} == EVENT_TOPICS


@pytest.mark.parametrize(
    ("aggregate", "topic"),
    [
        (Account, "portevoix.ledger:Account"),
        (Transfer, "portevoix.ledger:Transfer"),
        (PackTariff, "portevoix.ledger:PackTariff"),
        (Purchase, "portevoix.ledger:Purchase"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_snapshots_store_the_pinned_aggregate_topic(book, aggregate, topic):
    aggregate_id = record_every_event(book)[aggregate]

    book.ledger.take_snapshot(aggregate_id)

    (snapshot,) = book.ledger.snapshots.get(aggregate_id)
    assert snapshot.topic == topic
    assert resolve_topic(topic) is aggregate


@pytest.mark.parametrize(
    ("topic", "event_class"),
    [
        ("portevoix.ledger:Account.Created", Account.Created),
        ("portevoix.ledger:PackTariff.Created", PackTariff.Created),
        ("portevoix.ledger:Purchase.Created", Purchase.Created),
    ],
    ids=["Account", "PackTariff", "Purchase"],
)
def test_unused_created_events_keep_their_pinned_topics(topic, event_class):
    resolved = resolve_topic(topic)

    assert resolved is event_class
