"""Linked transfers commit together or not at all; a batch records each group on its own."""

from __future__ import annotations

from uuid import uuid4

import pytest

from portevoix.ledger import services
from portevoix.ledger.errors import (
    InsufficientFundsError,
    LedgerError,
    LinkedTransferError,
    SameAccountError,
    TransferIdReusedError,
    TransferNotFoundError,
)
from portevoix.ledger.transfers import TransferOrder

# Linked groups --------------------------------------------------------------------------


def test_linked_transfers_are_all_recorded(book):
    customer, reseller = book.wallet(balance=100), book.wallet(balance=100)
    legs = [
        TransferOrder(uuid4(), customer, book.issuance, 60, pending=True),
        TransferOrder(uuid4(), reseller, book.issuance, 40, pending=True),
    ]

    placed = book.ledger.transfer_linked(legs)

    assert [t.id for t in placed] == [leg.id for leg in legs]
    assert (book.available(customer), book.available(reseller)) == (40, 60)


def test_linked_group_whose_second_leg_cannot_be_paid_records_neither_leg(book):
    customer, reseller = book.wallet(balance=100), book.wallet(balance=10)
    legs = [
        TransferOrder(uuid4(), customer, book.issuance, 60, pending=True),
        TransferOrder(uuid4(), reseller, book.issuance, 40, pending=True),
    ]
    before = book.state()

    with pytest.raises(LinkedTransferError) as refused:
        book.ledger.transfer_linked(legs)

    assert refused.value.index == 1
    assert isinstance(refused.value.cause, InsufficientFundsError)
    assert refused.value.cause.account_id == reseller
    assert book.state() == before
    for leg in legs:
        with pytest.raises(TransferNotFoundError):
            book.ledger.get_transfer(leg.id)


def test_linked_group_with_an_invalid_first_leg_names_it(book):
    wallet = book.wallet(balance=100)
    legs = [
        TransferOrder(uuid4(), wallet, wallet, 10),
        TransferOrder(uuid4(), wallet, book.issuance, 10),
    ]
    before = book.state()

    with pytest.raises(LinkedTransferError) as refused:
        book.ledger.transfer_linked(legs)

    assert refused.value.index == 0
    assert isinstance(refused.value.cause, SameAccountError)
    assert book.state() == before


@pytest.mark.parametrize(
    ("first", "second", "pending"),
    [(60, 41, False), (60, 41, True), (100, 1, True)],
    ids=["payments", "holds", "second-tips-over"],
)
def test_legs_debiting_the_same_wallet_are_checked_together(book, first, second, pending):
    wallet = book.wallet(balance=100)
    legs = [
        TransferOrder(uuid4(), wallet, book.issuance, first, pending=pending),
        TransferOrder(uuid4(), wallet, book.issuance, second, pending=pending),
    ]
    before = book.state()

    with pytest.raises(LinkedTransferError) as refused:
        book.ledger.transfer_linked(legs)

    assert refused.value.index == 1
    assert refused.value.cause.amount == first + second
    assert book.state() == before


def test_legs_debiting_the_same_wallet_up_to_its_floor_are_recorded(book):
    wallet = book.wallet(balance=100, floor=-20)
    legs = [
        TransferOrder(uuid4(), wallet, book.issuance, 60),
        TransferOrder(uuid4(), wallet, book.issuance, 60),
    ]

    book.ledger.transfer_linked(legs)

    assert book.available(wallet) == -20


def test_retried_linked_group_returns_the_same_transfers_and_records_nothing(book):
    wallet = book.wallet(balance=100)
    legs = [
        TransferOrder(uuid4(), wallet, book.issuance, 60),
        TransferOrder(uuid4(), wallet, book.issuance, 40),
    ]
    book.ledger.transfer_linked(legs)
    before = book.state()

    again = book.ledger.transfer_linked(legs)

    assert [t.id for t in again] == [leg.id for leg in legs]
    assert book.state() == before


def test_linked_group_reusing_one_recorded_id_is_refused_and_records_nothing(book):
    wallet = book.wallet(balance=100)
    recorded = book.pay(wallet, book.issuance, 10)
    legs = [
        TransferOrder(uuid4(), wallet, book.issuance, 20),
        TransferOrder(recorded.id, wallet, book.issuance, 10),
    ]
    before = book.state()

    with pytest.raises(TransferIdReusedError) as refused:
        book.ledger.transfer_linked(legs)

    assert refused.value.transfer_id == recorded.id
    assert book.state() == before


def test_linked_group_using_one_id_twice_is_refused_at_once_and_records_nothing(
    book, monkeypatch
):
    monkeypatch.setattr(services, "RETRY_FOR_S", 0.2)  # a collision loop gives up quickly
    wallet = book.wallet(balance=100)
    reused = uuid4()
    legs = [
        TransferOrder(reused, wallet, book.issuance, 20),
        TransferOrder(reused, wallet, book.issuance, 30),
    ]
    before = book.state()

    with pytest.raises(LedgerError) as refused:
        book.ledger.transfer_linked(legs)

    cause = getattr(refused.value, "cause", refused.value)
    assert isinstance(cause, TransferIdReusedError), repr(refused.value)
    assert book.state() == before


# Batches --------------------------------------------------------------------------------


def test_batch_records_the_groups_that_can_be_paid_and_returns_the_others_errors(book):
    rich, poor = book.wallet(balance=100), book.wallet(balance=5)
    groups = [
        [TransferOrder(uuid4(), rich, book.issuance, 30)],
        [
            TransferOrder(uuid4(), rich, book.issuance, 10),
            TransferOrder(uuid4(), poor, book.issuance, 10),
        ],
        [TransferOrder(uuid4(), rich, poor, 50, pending=True)],
    ]

    outcomes = book.ledger.execute(groups)

    assert [t.id for t in outcomes[0]] == [groups[0][0].id]
    assert isinstance(outcomes[1], LinkedTransferError)
    assert outcomes[1].index == 1
    assert [t.id for t in outcomes[2]] == [groups[2][0].id]
    assert (book.available(rich), book.available(poor)) == (20, 5)
    for order in groups[1]:
        with pytest.raises(TransferNotFoundError):
            book.ledger.get_transfer(order.id)


def test_batch_checks_each_group_against_what_earlier_groups_spent(book):
    wallet = book.wallet(balance=100)
    groups = [
        [TransferOrder(uuid4(), wallet, book.issuance, 70)],
        [TransferOrder(uuid4(), wallet, book.issuance, 40)],
        [TransferOrder(uuid4(), wallet, book.issuance, 30)],
    ]

    outcomes = book.ledger.execute(groups)

    assert isinstance(outcomes[1], InsufficientFundsError)
    assert outcomes[1].available == 30
    assert outcomes[2][0].id == groups[2][0].id
    assert book.available(wallet) == 0


def test_batch_with_a_duplicate_id_and_the_same_body_records_the_transfer_once(book):
    wallet = book.wallet(balance=100)
    order = TransferOrder(uuid4(), wallet, book.issuance, 30)
    before = book.recorded()

    outcomes = book.ledger.execute([[order], [order]])

    assert outcomes[0][0].id == outcomes[1][0].id == order.id
    assert book.available(wallet) == 70
    assert book.topics_since(before).count("portevoix.ledger:Transfer.Created") == 1


def test_batch_with_a_duplicate_id_and_another_body_refuses_the_second(book):
    wallet = book.wallet(balance=100)
    first = TransferOrder(uuid4(), wallet, book.issuance, 30)
    other = TransferOrder(first.id, wallet, book.issuance, 31)

    outcomes = book.ledger.execute([[first], [other]])

    assert outcomes[0][0].amount == 30
    assert isinstance(outcomes[1], TransferIdReusedError)
    assert outcomes[1].transfer_id == first.id
    assert book.available(wallet) == 70
    assert book.ledger.get_transfer(first.id).amount == 30


def test_batch_reusing_a_recorded_id_with_another_body_refuses_that_group_only(book):
    wallet = book.wallet(balance=100)
    recorded = book.pay(wallet, book.issuance, 10)
    fresh = TransferOrder(uuid4(), wallet, book.issuance, 20)
    reused = TransferOrder(recorded.id, wallet, book.issuance, 11)

    outcomes = book.ledger.execute([[fresh], [reused]])

    assert outcomes[0][0].id == fresh.id
    assert isinstance(outcomes[1], TransferIdReusedError)
    assert book.available(wallet) == 70
    assert book.ledger.get_transfer(recorded.id).amount == 10


def test_batch_sent_again_returns_the_recorded_transfers_and_records_nothing(book):
    wallet = book.wallet(balance=100)
    groups = [
        [TransferOrder(uuid4(), wallet, book.issuance, 60)],
        [TransferOrder(uuid4(), wallet, book.issuance, 40)],
    ]
    book.ledger.execute(groups)
    before = book.state()

    again = book.ledger.execute(groups)

    assert [[t.id for t in outcome] for outcome in again] == [
        [groups[0][0].id], [groups[1][0].id],
    ]
    assert book.state() == before


def test_batch_with_a_group_using_one_id_twice_still_records_the_other_groups(
    book, monkeypatch
):
    monkeypatch.setattr(services, "RETRY_FOR_S", 0.2)  # a collision loop gives up quickly
    wallet = book.wallet(balance=100)
    good = TransferOrder(uuid4(), wallet, book.issuance, 10)
    reused = uuid4()
    bad_group = [
        TransferOrder(reused, wallet, book.issuance, 20),
        TransferOrder(reused, wallet, book.issuance, 30),
    ]

    outcomes = book.ledger.execute([[good], bad_group])

    assert [t.id for t in outcomes[0]] == [good.id]
    assert isinstance(getattr(outcomes[1], "cause", outcomes[1]), TransferIdReusedError)
    assert book.available(wallet) == 90
