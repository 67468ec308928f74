"""Bad input: each refusal raises its own error and records nothing."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import pytest

from portevoix.ledger.errors import (
    AccountNotFoundError,
    InvalidAmountError,
    InvalidTimeoutError,
    PostExceedsPendingError,
    SameAccountError,
    SettlementIdReusedError,
    TransferIdReusedError,
    TransferNotFoundError,
    TransferNotPendingError,
    UnitMismatchError,
)
from portevoix.ledger.transfers import TransferOrder

BAD_AMOUNTS = [0, -1, -100, 10.0, 0.5, True, False, "10", None]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
@pytest.mark.parametrize("pending", [False, True], ids=["single-phase", "pending"])
def test_transfer_of_a_non_positive_or_non_integer_amount_is_refused_and_records_nothing(
    book, amount, pending
):
    payer, payee = book.wallet(balance=100), book.wallet()
    before = book.state()

    with pytest.raises(InvalidAmountError) as refused:
        book.ledger.transfer(TransferOrder(uuid4(), payer, payee, amount, pending=pending))

    assert refused.value.amount is amount
    assert book.state() == before


@pytest.mark.parametrize("amount", [0, -5, 10.0, True], ids=repr)
def test_post_of_a_non_positive_or_non_integer_amount_is_refused_and_records_nothing(
    book, amount
):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 50)
    before = book.state()

    with pytest.raises(InvalidAmountError):
        book.ledger.post(held.id, amount, uuid4())

    assert book.state() == before
    assert book.ledger.get_transfer(held.id).posted == 0


@pytest.mark.parametrize("missing_side", ["debit", "credit"])
def test_transfer_with_an_unknown_account_is_refused_and_records_nothing(book, missing_side):
    known, unknown = book.wallet(balance=100), uuid4()
    debit, credit = (unknown, known) if missing_side == "debit" else (known, unknown)
    before = book.state()

    with pytest.raises(AccountNotFoundError) as refused:
        book.ledger.transfer(TransferOrder(uuid4(), debit, credit, 10))

    assert refused.value.account_id == unknown
    assert book.state() == before


def test_asking_for_an_unknown_account_is_refused(book):
    unknown = uuid4()

    with pytest.raises(AccountNotFoundError) as refused:
        book.account(unknown)

    assert refused.value.account_id == unknown


def test_grant_to_an_unknown_account_is_refused_and_records_nothing(book):
    before = book.state()

    with pytest.raises(AccountNotFoundError):
        book.ledger.grant(uuid4(), book.issuer, uuid4(), 10)

    assert book.state() == before


@pytest.mark.parametrize(
    ("debit_unit", "credit_unit"),
    [(("SMS", 0), ("EUR", 0)), (("EUR", 2), ("EUR", 4))],
    ids=["other-unit", "other-scale"],
)
@pytest.mark.parametrize("pending", [False, True], ids=["single-phase", "pending"])
def test_transfer_between_units_or_scales_is_refused_and_records_nothing(
    book, debit_unit, credit_unit, pending
):
    payer = book.wallet(floor=-1000, unit=debit_unit[0], scale=debit_unit[1])
    payee = book.wallet(unit=credit_unit[0], scale=credit_unit[1])
    before = book.state()

    with pytest.raises(UnitMismatchError) as refused:
        book.ledger.transfer(TransferOrder(uuid4(), payer, payee, 10, pending=pending))

    assert (refused.value.debit_unit, refused.value.credit_unit) == (
        f"{debit_unit[0]}/{debit_unit[1]}", f"{credit_unit[0]}/{credit_unit[1]}",
    )
    assert book.state() == before


def test_transfer_to_the_same_account_is_refused_and_records_nothing(book):
    wallet = book.wallet(balance=100)
    before = book.state()

    with pytest.raises(SameAccountError) as refused:
        book.ledger.transfer(TransferOrder(uuid4(), wallet, wallet, 10))

    assert refused.value.account_id == wallet
    assert book.state() == before


# Idempotency by id ---------------------------------------------------------------------


def test_same_transfer_id_with_the_same_body_returns_the_same_transfer_and_records_nothing(book):
    payer, payee = book.wallet(balance=100), book.wallet()
    order = TransferOrder(uuid4(), payer, payee, 40, reference="invoice 7")
    first = book.ledger.transfer(order)
    before = book.state()

    again = book.ledger.transfer(order)

    assert (again.id, again.amount, again.version) == (first.id, 40, first.version)
    assert book.state() == before
    assert book.available(payer) == 60


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 41},
        {"pending": True},
        {"reference": "invoice 8"},
        {"kind": "grant"},
        {"swap": True},
    ],
    ids=["amount", "pending", "reference", "kind", "sides"],
)
def test_same_transfer_id_with_another_body_is_refused_and_records_nothing(book, change):
    payer, payee = book.wallet(balance=100), book.wallet(balance=100)
    order = TransferOrder(uuid4(), payer, payee, 40, reference="invoice 7")
    book.ledger.transfer(order)
    before = book.state()
    if change.pop("swap", False):
        change = {"debit_account_id": payee, "credit_account_id": payer}
    reused = replace(order, **change)

    with pytest.raises(TransferIdReusedError) as refused:
        book.ledger.transfer(reused)

    assert refused.value.transfer_id == order.id
    assert book.state() == before


# Two-phase refusals ---------------------------------------------------------------------


def test_posting_more_than_reserved_is_refused_and_records_nothing(book):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 50)
    book.ledger.post(held.id, 30, uuid4())
    before = book.state()

    with pytest.raises(PostExceedsPendingError) as refused:
        book.ledger.post(held.id, 21, uuid4())

    assert (refused.value.amount, refused.value.remaining) == (21, 20)
    assert book.state() == before


@pytest.mark.parametrize("amount", [None, 10], ids=["all-that-remains", "explicit"])
def test_posting_a_voided_transfer_is_refused_and_records_nothing(book, amount):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 50)
    book.ledger.void(held.id)
    before = book.state()

    with pytest.raises(TransferNotPendingError) as refused:
        book.ledger.post(held.id, amount, uuid4())

    assert refused.value.status == "voided"
    assert book.state() == before


@pytest.mark.parametrize("amount", [None, 10], ids=["all-that-remains", "explicit"])
def test_posting_a_single_phase_transfer_is_refused_and_records_nothing(book, amount):
    payer = book.wallet(balance=100)
    paid = book.pay(payer, book.issuance, 50)
    before = book.state()

    with pytest.raises(TransferNotPendingError) as refused:
        book.ledger.post(paid.id, amount, uuid4())

    assert refused.value.status == "posted"
    assert book.state() == before


def test_voiding_a_single_phase_transfer_is_refused_and_records_nothing(book):
    payer = book.wallet(balance=100)
    paid = book.pay(payer, book.issuance, 50)
    before = book.state()

    with pytest.raises(TransferNotPendingError) as refused:
        book.ledger.void(paid.id)

    assert refused.value.status == "posted"
    assert book.state() == before


@pytest.mark.parametrize(
    ("pending", "timeout_s"),
    [(False, 60), (True, 0), (True, -1), (True, 1.5), (True, True)],
    ids=["on-single-phase", "zero", "negative", "float", "bool"],
)
def test_invalid_timeout_is_refused_and_records_nothing(book, pending, timeout_s):
    payer = book.wallet(balance=100)
    before = book.state()

    with pytest.raises(InvalidTimeoutError) as refused:
        book.ledger.transfer(
            TransferOrder(uuid4(), payer, book.issuance, 10, pending=pending, timeout_s=timeout_s)
        )

    assert refused.value.timeout_s is timeout_s
    assert book.state() == before


@pytest.mark.parametrize(
    "command",
    [
        lambda ledger, transfer_id: ledger.post(transfer_id),
        lambda ledger, transfer_id: ledger.post(transfer_id, 5, uuid4()),
        lambda ledger, transfer_id: ledger.void(transfer_id),
        lambda ledger, transfer_id: ledger.get_transfer(transfer_id),
    ],
    ids=["post-all", "post-part", "void", "get"],
)
def test_unknown_transfer_is_refused_and_records_nothing(book, command):
    book.wallet(balance=100)
    unknown = uuid4()
    before = book.state()

    with pytest.raises(TransferNotFoundError) as refused:
        command(book.ledger, unknown)

    assert refused.value.transfer_id == unknown
    assert book.state() == before


def test_an_account_id_is_not_a_transfer(book):
    wallet = book.wallet(balance=100)

    with pytest.raises(TransferNotFoundError):
        book.ledger.get_transfer(wallet)


# Settlements ----------------------------------------------------------------------------


def test_same_settlement_id_with_another_amount_is_refused_and_records_nothing(book):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 50)
    settlement = uuid4()
    book.ledger.post(held.id, 10, settlement)
    before = book.state()

    with pytest.raises(SettlementIdReusedError) as refused:
        book.ledger.post(held.id, 11, settlement)

    assert (refused.value.transfer_id, refused.value.settlement_id) == (held.id, settlement)
    assert book.state() == before


def test_same_settlement_id_with_the_same_amount_changes_nothing(book):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 50)
    settlement = uuid4()
    book.ledger.post(held.id, 10, settlement)
    before = book.state()

    again = book.ledger.post(held.id, 10, settlement)

    assert (again.posted, again.remaining) == (10, 40)
    assert book.state() == before


def test_same_settlement_after_the_transfer_was_fully_posted_changes_nothing(book):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 50)
    settlement = uuid4()
    book.ledger.post(held.id, 50, settlement)
    before = book.state()

    again = book.ledger.post(held.id, 50, settlement)

    assert (again.status, again.posted) == ("posted", 50)
    assert book.state() == before


def test_posting_all_that_remains_again_changes_nothing(book):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 50)
    book.ledger.post(held.id)
    before = book.state()

    again = book.ledger.post(held.id)

    assert (again.status, again.posted) == ("posted", 50)
    assert book.state() == before


@pytest.mark.parametrize(("recorded", "retried"), [(10, 10.0), (1, True)], ids=["float", "bool"])
def test_retried_transfer_with_an_equal_but_non_integer_amount_is_refused(
    book, recorded, retried
):
    payer = book.wallet(balance=100)
    order = TransferOrder(uuid4(), payer, book.issuance, recorded)
    book.ledger.transfer(order)
    before = book.state()

    with pytest.raises(InvalidAmountError):
        book.ledger.transfer(replace(order, amount=retried))

    assert book.state() == before


@pytest.mark.parametrize(("recorded", "retried"), [(10, 10.0), (1, True)], ids=["float", "bool"])
def test_retried_settlement_with_an_equal_but_non_integer_amount_is_refused(
    book, recorded, retried
):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 50)
    settlement = uuid4()
    book.ledger.post(held.id, recorded, settlement)
    before = book.state()

    with pytest.raises(InvalidAmountError):
        book.ledger.post(held.id, retried, settlement)

    assert book.state() == before
