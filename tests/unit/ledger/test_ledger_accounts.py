"""Accounts: opening, system accounts, floors and credit lines, closing."""

from __future__ import annotations

from uuid import uuid4

import pytest

from portevoix.ledger.accounts import account_id_for
from portevoix.ledger.errors import (
    AccountClosedError,
    AccountExistsError,
    AccountNotEmptyError,
    InsufficientFundsError,
    InvalidFloorError,
    SystemAccountError,
)
from portevoix.ledger.services import ISSUANCE, WALLET
from portevoix.ledger.transfers import TransferOrder

# Opening ------------------------------------------------------------------------------


def test_opening_an_account_gives_the_id_derived_from_owner_purpose_and_unit(book):
    owner = uuid4()

    account_id = book.ledger.open_account(owner, WALLET, "SMS", 0)

    assert account_id == account_id_for(owner, WALLET, "SMS")
    account = book.account(account_id)
    assert (account.owner_id, account.purpose, account.unit, account.scale) == (
        owner, WALLET, "SMS", 0,
    )
    assert (account.floor, account.balance, account.available, account.closed) == (0, 0, 0, False)


def test_opening_an_account_again_returns_the_same_id_and_records_nothing(book):
    owner = uuid4()
    first = book.ledger.open_account(owner, WALLET, "SMS", 0)
    before = book.recorded()

    again = book.ledger.open_account(owner, WALLET, "SMS", 0)

    assert again == first
    assert book.recorded() == before


def test_reopening_an_account_with_another_scale_is_refused(book):
    owner = uuid4()
    book.ledger.open_account(owner, WALLET, "EUR", 2)
    before = book.recorded()

    with pytest.raises(AccountExistsError) as refused:
        book.ledger.open_account(owner, WALLET, "EUR", 4)

    assert refused.value.account_id == account_id_for(owner, WALLET, "EUR")
    assert book.account(refused.value.account_id).scale == 2
    assert book.recorded() == before


def test_opening_in_another_unit_opens_a_second_account_of_the_same_owner(book):
    owner = uuid4()
    sms = book.ledger.open_account(owner, WALLET, "SMS", 0)

    eur = book.ledger.open_account(owner, WALLET, "EUR", 2)

    assert eur != sms
    assert (book.account(sms).unit, book.account(eur).unit) == ("SMS", "EUR")


def test_reopening_a_wallet_as_a_system_account_is_refused(book):
    owner = uuid4()
    book.ledger.open_account(owner, ISSUANCE, "SMS", 0, floor=0)
    before = book.recorded()

    with pytest.raises(AccountExistsError):
        book.ledger.open_account(owner, ISSUANCE, "SMS", 0, floor=None)

    assert book.recorded() == before


def test_opening_a_wallet_with_a_floor_above_zero_is_refused(book):
    owner = uuid4()
    before = book.recorded()

    with pytest.raises(InvalidFloorError):
        book.ledger.open_account(owner, WALLET, "SMS", 0, floor=100)

    assert book.recorded() == before


# System accounts ----------------------------------------------------------------------


def test_system_account_records_no_event_for_the_transfers_it_takes_part_in(book):
    wallet = book.wallet(balance=500)
    spent = book.pay(wallet, book.issuance, 100)
    held = book.hold(wallet, book.issuance, 50)
    book.ledger.post(held.id, 20, uuid4())
    book.ledger.void(held.id)
    reserved = book.hold(book.issuance, wallet, 30)

    book.ledger.post(reserved.id)

    assert [type(e).__name__ for e in book.events_of(book.issuance)] == ["Opened"]
    issuance = book.account(book.issuance)
    assert (issuance.version, issuance.credits_posted, issuance.debits_posted) == (1, 0, 0)
    assert book.ledger.get_transfer(spent.id).status == "posted"
    assert book.available(wallet) == 500 - 100 - 20 + 30


def test_system_account_can_be_debited_without_limit(book):
    wallet = book.wallet()

    book.ledger.grant(uuid4(), book.issuer, wallet, 10**12)

    assert book.available(wallet) == 10**12


@pytest.mark.parametrize(
    ("command", "action"),
    [
        (lambda ledger, account: ledger.close_account(account), "close"),
        (lambda ledger, account: ledger.change_floor(account, -100), "have a floor"),
        (
            lambda ledger, account: ledger.set_low_balance_threshold(account, 10),
            "have a low-balance threshold",
        ),
    ],
    ids=["close", "floor", "threshold"],
)
def test_system_account_refuses_settings_of_wallets_and_records_nothing(book, command, action):
    before = book.state()

    with pytest.raises(SystemAccountError) as refused:
        command(book.ledger, book.issuance)

    assert (refused.value.account_id, refused.value.action) == (book.issuance, action)
    assert book.state() == before


# Floors and credit lines --------------------------------------------------------------


def test_wallet_cannot_spend_below_a_zero_floor(book):
    wallet = book.wallet(balance=100)
    before = book.state()

    with pytest.raises(InsufficientFundsError) as refused:
        book.pay(wallet, book.issuance, 101)

    assert (refused.value.amount, refused.value.available, refused.value.floor) == (101, 100, 0)
    assert book.state() == before


def test_wallet_can_spend_its_whole_balance_down_to_a_zero_floor(book):
    wallet = book.wallet(balance=100)

    book.pay(wallet, book.issuance, 100)

    assert book.available(wallet) == 0


def test_credit_line_lets_a_wallet_go_below_zero_down_to_its_floor(book):
    wallet = book.wallet(balance=100)
    book.ledger.change_floor(wallet, -500)

    book.pay(wallet, book.issuance, 600)

    assert book.available(wallet) == -500
    assert book.account(wallet).floor == -500


def test_credit_line_refuses_a_transfer_past_its_floor_and_records_nothing(book):
    wallet = book.wallet(balance=100)
    book.ledger.change_floor(wallet, -500)
    book.pay(wallet, book.issuance, 600)
    before = book.state()

    with pytest.raises(InsufficientFundsError) as refused:
        book.pay(wallet, book.issuance, 1)

    assert (refused.value.available, refused.value.floor) == (-500, -500)
    assert book.state() == before


def test_hold_beyond_floor_is_refused_and_records_nothing(book):
    wallet = book.wallet(balance=100, floor=-50)
    before = book.state()

    with pytest.raises(InsufficientFundsError):
        book.hold(wallet, book.issuance, 151)

    assert book.state() == before


def test_raising_the_floor_up_to_available_is_allowed(book):
    wallet = book.wallet(balance=100)

    book.ledger.change_floor(wallet, 100)

    assert book.account(wallet).floor == 100


@pytest.mark.parametrize(("balance", "floor"), [(100, 101), (0, 1)])
def test_raising_the_floor_above_available_is_refused_and_records_nothing(book, balance, floor):
    wallet = book.wallet(balance=balance)
    before = book.state()

    with pytest.raises(InvalidFloorError) as refused:
        book.ledger.change_floor(wallet, floor)

    assert (refused.value.floor, refused.value.available) == (floor, balance)
    assert book.state() == before


@pytest.mark.parametrize("floor", [-10.5, -10.0, True, False], ids=repr)
def test_floor_that_is_not_an_integer_is_refused_and_records_nothing(book, floor):
    wallet = book.wallet(balance=100)
    before = book.state()

    with pytest.raises(InvalidFloorError):
        book.ledger.change_floor(wallet, floor)

    assert book.state() == before
    assert type(book.account(wallet).floor) is int


@pytest.mark.parametrize("floor", [-10.5, True], ids=repr)
def test_opening_a_wallet_with_a_floor_that_is_not_an_integer_is_refused(book, floor):
    before = book.recorded()

    with pytest.raises(InvalidFloorError):
        book.ledger.open_account(uuid4(), WALLET, "SMS", 0, floor=floor)

    assert book.recorded() == before


def test_closing_a_credit_line_that_is_in_use_is_refused(book):
    wallet = book.wallet(floor=-500)
    book.pay(wallet, book.issuance, 200)
    before = book.state()

    with pytest.raises(InvalidFloorError):
        book.ledger.change_floor(wallet, 0)

    assert book.state() == before


def test_pending_holds_count_against_the_floor(book):
    wallet = book.wallet(balance=100)
    book.hold(wallet, book.issuance, 80)
    before = book.state()

    with pytest.raises(InsufficientFundsError) as refused:
        book.pay(wallet, book.issuance, 21)

    assert refused.value.available == 20
    assert book.state() == before


# Closing ------------------------------------------------------------------------------


def test_closing_an_empty_wallet_marks_it_closed(book):
    wallet = book.wallet()

    book.ledger.close_account(wallet)

    assert book.account(wallet).closed is True


def test_closing_a_wallet_that_was_emptied_is_allowed(book):
    wallet = book.wallet(balance=100)
    book.pay(wallet, book.issuance, 100)

    book.ledger.close_account(wallet)

    assert book.account(wallet).closed is True


def test_closing_a_wallet_with_a_balance_is_refused_and_records_nothing(book):
    wallet = book.wallet(balance=30)
    before = book.state()

    with pytest.raises(AccountNotEmptyError) as refused:
        book.ledger.close_account(wallet)

    assert (refused.value.balance, refused.value.pending) == (30, 0)
    assert book.state() == before


def test_closing_a_wallet_with_a_negative_balance_is_refused(book):
    wallet = book.wallet(floor=-100)
    book.pay(wallet, book.issuance, 40)
    before = book.state()

    with pytest.raises(AccountNotEmptyError) as refused:
        book.ledger.close_account(wallet)

    assert refused.value.balance == -40
    assert book.state() == before


@pytest.mark.parametrize("side", ["debit", "credit"])
def test_closing_a_wallet_with_a_pending_transfer_is_refused(book, side):
    wallet = book.wallet(floor=-100)
    if side == "debit":
        book.hold(wallet, book.issuance, 25)
    else:
        book.hold(book.issuance, wallet, 25)
    before = book.state()

    with pytest.raises(AccountNotEmptyError) as refused:
        book.ledger.close_account(wallet)

    assert (refused.value.balance, refused.value.pending) == (0, 25)
    assert book.state() == before


def test_closing_a_closed_account_again_is_refused(book):
    wallet = book.wallet()
    book.ledger.close_account(wallet)
    before = book.state()

    with pytest.raises(AccountClosedError):
        book.ledger.close_account(wallet)

    assert book.state() == before


@pytest.mark.parametrize("pending", [False, True], ids=["single-phase", "pending"])
@pytest.mark.parametrize("side", ["debit", "credit"])
def test_closed_account_refuses_transfers_and_records_nothing(book, side, pending):
    closed = book.wallet()
    book.ledger.close_account(closed)
    other = book.wallet(balance=100)
    debit, credit = (closed, other) if side == "debit" else (other, closed)
    before = book.state()

    with pytest.raises(AccountClosedError) as refused:
        book.ledger.transfer(TransferOrder(uuid4(), debit, credit, 10, pending=pending))

    assert refused.value.account_id == closed
    assert book.state() == before


@pytest.mark.parametrize(
    "command",
    [
        lambda ledger, account: ledger.change_floor(account, -10),
        lambda ledger, account: ledger.set_low_balance_threshold(account, 10),
    ],
    ids=["floor", "threshold"],
)
def test_closed_account_refuses_new_settings(book, command):
    wallet = book.wallet()
    book.ledger.close_account(wallet)
    before = book.state()

    with pytest.raises(AccountClosedError):
        command(book.ledger, wallet)

    assert book.state() == before
