"""Low-balance warnings: one event when a wallet crosses below its threshold, one when back."""

from __future__ import annotations

from uuid import uuid4

REACHED = "portevoix.ledger:Account.LowBalanceReached"
RESTORED = "portevoix.ledger:Account.BalanceRestored"


def warnings_of(book, wallet):
    """The wallet's low-balance events as (name, threshold, available)."""
    return [
        (type(e).__name__, e.threshold, e.available)
        for e in book.events_of(wallet)
        if type(e).__name__ in {"LowBalanceReached", "BalanceRestored"}
    ]


def test_crossing_below_the_threshold_records_one_low_balance_event(book):
    wallet = book.wallet(balance=500)
    book.ledger.set_low_balance_threshold(wallet, 100)
    before = book.recorded()

    book.pay(wallet, book.issuance, 450)

    assert book.topics_since(before).count(REACHED) == 1
    assert warnings_of(book, wallet) == [("LowBalanceReached", 100, 50)]
    assert book.account(wallet).below_threshold is True


def test_going_further_below_records_no_second_low_balance_event(book):
    wallet = book.wallet(balance=500)
    book.ledger.set_low_balance_threshold(wallet, 100)
    book.pay(wallet, book.issuance, 450)
    before = book.recorded()

    book.pay(wallet, book.issuance, 20)
    book.hold(wallet, book.issuance, 10)

    topics = book.topics_since(before)
    assert REACHED not in topics
    assert RESTORED not in topics
    assert warnings_of(book, wallet) == [("LowBalanceReached", 100, 50)]


def test_coming_back_above_the_threshold_records_balance_restored(book):
    wallet = book.wallet(balance=500)
    book.ledger.set_low_balance_threshold(wallet, 100)
    book.pay(wallet, book.issuance, 450)
    before = book.recorded()

    book.ledger.grant(uuid4(), book.issuer, wallet, 80)

    assert book.topics_since(before).count(RESTORED) == 1
    assert warnings_of(book, wallet) == [
        ("LowBalanceReached", 100, 50), ("BalanceRestored", 100, 130),
    ]
    assert book.account(wallet).below_threshold is False


def test_staying_below_while_credited_records_no_balance_restored(book):
    wallet = book.wallet(balance=500)
    book.ledger.set_low_balance_threshold(wallet, 100)
    book.pay(wallet, book.issuance, 450)
    before = book.recorded()

    book.ledger.grant(uuid4(), book.issuer, wallet, 49)

    assert RESTORED not in book.topics_since(before)
    assert book.account(wallet).below_threshold is True


def test_reaching_exactly_the_threshold_is_not_low(book):
    wallet = book.wallet(balance=500)
    book.ledger.set_low_balance_threshold(wallet, 100)
    before = book.recorded()

    book.pay(wallet, book.issuance, 400)

    assert REACHED not in book.topics_since(before)


def test_a_hold_crossing_the_threshold_warns_and_its_void_restores(book):
    wallet = book.wallet(balance=500)
    book.ledger.set_low_balance_threshold(wallet, 100)
    held = book.hold(wallet, book.issuance, 450)

    book.ledger.void(held.id)

    assert warnings_of(book, wallet) == [
        ("LowBalanceReached", 100, 50), ("BalanceRestored", 100, 500),
    ]


def test_a_warning_is_recorded_again_after_each_restore(book):
    wallet = book.wallet(balance=500)
    book.ledger.set_low_balance_threshold(wallet, 100)

    for _ in range(2):
        book.pay(wallet, book.issuance, 450)
        book.ledger.grant(uuid4(), book.issuer, wallet, 450)

    assert [name for name, _, _ in warnings_of(book, wallet)] == [
        "LowBalanceReached", "BalanceRestored", "LowBalanceReached", "BalanceRestored",
    ]


def test_without_a_threshold_no_warning_is_recorded(book):
    wallet = book.wallet(balance=500)
    before = book.recorded()

    book.pay(wallet, book.issuance, 500)

    assert REACHED not in book.topics_since(before)


def test_removing_the_threshold_stops_the_warnings(book):
    wallet = book.wallet(balance=500)
    book.ledger.set_low_balance_threshold(wallet, 100)
    book.ledger.set_low_balance_threshold(wallet, None)
    before = book.recorded()

    book.pay(wallet, book.issuance, 450)

    assert REACHED not in book.topics_since(before)
    assert book.account(wallet).low_balance_threshold is None
