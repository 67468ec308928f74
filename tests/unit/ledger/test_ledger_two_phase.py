"""Two-phase transfers: a hold reserves, posts settle it in parts, a void or a timeout ends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from portevoix.ledger.errors import TransferNotPendingError
from portevoix.ledger.services import Posting

# Holding --------------------------------------------------------------------------------


def test_hold_reserves_the_amount_on_both_sides_without_moving_it(book):
    payer, payee = book.wallet(balance=100), book.wallet()

    held = book.hold(payer, payee, 30)

    assert (held.status, held.posted, held.voided, held.remaining) == ("pending", 0, 0, 30)
    payer_totals, payee_totals = book.totals(payer), book.totals(payee)
    assert (payer_totals.debits_pending, payer_totals.debits_posted) == (30, 0)
    assert payer_totals.available == 70
    assert (payee_totals.credits_pending, payee_totals.credits_posted) == (30, 0)
    assert payee_totals.available == 0


def test_hold_then_full_post_moves_the_whole_amount(book):
    payer, payee = book.wallet(balance=100), book.wallet()
    held = book.hold(payer, payee, 30)

    posted = book.ledger.post(held.id)

    assert (posted.status, posted.posted, posted.voided, posted.remaining) == ("posted", 30, 0, 0)
    payer_totals, payee_totals = book.totals(payer), book.totals(payee)
    assert (payer_totals.debits_pending, payer_totals.debits_posted) == (0, 30)
    assert payer_totals.available == 70
    assert (payee_totals.credits_pending, payee_totals.credits_posted) == (0, 30)
    assert payee_totals.available == 30


def test_void_of_a_hold_gives_back_the_whole_amount(book):
    payer, payee = book.wallet(balance=100), book.wallet()
    held = book.hold(payer, payee, 30)

    voided = book.ledger.void(held.id)

    assert (voided.status, voided.posted, voided.voided) == ("voided", 0, 30)
    assert book.totals(payer).available == 100
    assert book.totals(payer).debits_pending == 0
    assert book.totals(payee).credits_pending == 0


def test_partial_posts_then_void_settle_exactly_what_was_reserved(book):
    payer, payee = book.wallet(balance=1000), book.wallet()
    held = book.hold(payer, payee, 600)
    for part in (100, 150, 50):
        book.ledger.post(held.id, part, uuid4())
    available_before_void = book.available(payer)

    voided = book.ledger.void(held.id)

    assert (voided.posted, voided.voided) == (300, 300)
    assert voided.posted + voided.voided == 600
    assert voided.status == "posted"
    assert book.available(payer) - available_before_void == voided.voided
    assert book.available(payer) == 700
    assert book.available(payee) == 300
    assert book.totals(payer).debits_pending == 0
    assert book.totals(payee).credits_pending == 0


def test_partial_posts_that_reach_the_amount_post_the_transfer(book):
    payer, payee = book.wallet(balance=100), book.wallet()
    held = book.hold(payer, payee, 60)
    book.ledger.post(held.id, 20, uuid4())

    last = book.ledger.post(held.id, 40, uuid4())

    assert (last.status, last.posted, last.remaining) == ("posted", 60, 0)
    assert book.available(payee) == 60


def test_settle_posts_many_parts_in_one_save_and_reports_each_refusal(book):
    payer = book.wallet(balance=1000)
    first = book.hold(payer, book.issuance, 100)
    second = book.hold(payer, book.issuance, 100)
    before = book.recorded()

    outcomes = book.ledger.settle([
        Posting(first.id, 60, uuid4()),
        Posting(second.id, 101, uuid4()),
        Posting(second.id, None, uuid4()),
    ])

    assert outcomes[0].posted == 60
    assert type(outcomes[1]).__name__ == "PostExceedsPendingError"
    assert outcomes[2].status == "posted"
    assert book.available(payer) == 1000 - 60 - 100 - 40
    assert book.topics_since(before) == [
        "portevoix.ledger:Transfer.Posted",
        "portevoix.ledger:Account.HoldSettled",
        "portevoix.ledger:Transfer.Posted",
        "portevoix.ledger:Account.HoldSettled",
    ]


def test_voiding_twice_is_a_no_op(book):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 30)
    book.ledger.void(held.id)
    before = book.state()

    again = book.ledger.void(held.id)

    assert (again.status, again.voided) == ("voided", 30)
    assert book.state() == before


def test_voiding_the_rest_of_a_partly_posted_transfer_twice_is_a_no_op(book):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 30)
    book.ledger.post(held.id, 10, uuid4())
    book.ledger.void(held.id)
    before = book.state()

    again = book.ledger.void(held.id)

    assert (again.posted, again.voided) == (10, 20)
    assert book.state() == before


def test_voiding_a_fully_posted_hold_is_refused(book):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 30)
    book.ledger.post(held.id)
    before = book.state()

    with pytest.raises(TransferNotPendingError) as refused:
        book.ledger.void(held.id)

    assert refused.value.status == "posted"
    assert book.state() == before


def test_void_many_voids_each_and_reports_each_refusal(book):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 30)
    paid = book.pay(payer, book.issuance, 10)

    outcomes = book.ledger.void_many([held.id, paid.id])

    assert outcomes[0].status == "voided"
    assert isinstance(outcomes[1], TransferNotPendingError)
    assert book.available(payer) == 90


# Timeouts -------------------------------------------------------------------------------


def test_hold_deadline_is_its_timeout_after_the_ledgers_clock(timed_book, clock):
    payer = timed_book.wallet(balance=100)
    placed_at = clock.now

    held = timed_book.hold(payer, timed_book.issuance, 30, timeout_s=60)

    assert timed_book.ledger.get_transfer(held.id).timeout_at == placed_at + timedelta(seconds=60)


def test_expire_voids_a_hold_past_its_timeout_with_status_expired(timed_book, clock):
    payer = timed_book.wallet(balance=100)
    held = timed_book.hold(payer, timed_book.issuance, 30, timeout_s=60)
    clock.advance(61)

    expired = timed_book.ledger.expire([held.id])

    assert expired == [held.id]
    transfer = timed_book.ledger.get_transfer(held.id)
    assert (transfer.status, transfer.voided, transfer.remaining) == ("expired", 30, 0)
    assert timed_book.available(payer) == 100
    assert timed_book.totals(payer).debits_pending == 0


def test_expire_leaves_a_hold_that_is_not_due_and_records_nothing(timed_book, clock):
    payer = timed_book.wallet(balance=100)
    held = timed_book.hold(payer, timed_book.issuance, 30, timeout_s=60)
    untimed = timed_book.hold(payer, timed_book.issuance, 10)
    clock.advance(30)
    before = timed_book.state()

    expired = timed_book.ledger.expire([held.id, untimed.id, uuid4()])

    assert expired == []
    assert timed_book.ledger.get_transfer(held.id).status == "pending"
    assert timed_book.state() == before


def test_expire_voids_only_the_rest_of_a_partly_posted_hold(timed_book, clock):
    payer = timed_book.wallet(balance=100)
    held = timed_book.hold(payer, timed_book.issuance, 30, timeout_s=60)
    timed_book.ledger.post(held.id, 12, uuid4())
    clock.advance(61)

    timed_book.ledger.expire([held.id])

    transfer = timed_book.ledger.get_transfer(held.id)
    assert (transfer.posted, transfer.voided) == (12, 18)
    assert timed_book.available(payer) == 88


@pytest.mark.parametrize("seconds", [60, 61, 86400])
def test_posting_a_hold_at_or_past_its_timeout_before_the_sweep_is_refused(
    timed_book, clock, seconds
):
    payer = timed_book.wallet(balance=100)
    held = timed_book.hold(payer, timed_book.issuance, 30, timeout_s=60)
    clock.advance(seconds)
    before = timed_book.state()

    with pytest.raises(TransferNotPendingError) as refused:
        timed_book.ledger.post(held.id, 10, uuid4())

    assert refused.value.status == "expired"
    assert timed_book.state() == before


def test_posting_an_expired_hold_is_refused(timed_book, clock):
    payer = timed_book.wallet(balance=100)
    held = timed_book.hold(payer, timed_book.issuance, 30, timeout_s=60)
    clock.advance(61)
    timed_book.ledger.expire([held.id])
    before = timed_book.state()

    with pytest.raises(TransferNotPendingError) as refused:
        timed_book.ledger.post(held.id, 10, uuid4())

    assert refused.value.status == "expired"
    assert timed_book.state() == before


def test_expiring_or_voiding_an_expired_hold_again_changes_nothing(timed_book, clock):
    payer = timed_book.wallet(balance=100)
    held = timed_book.hold(payer, timed_book.issuance, 30, timeout_s=60)
    clock.advance(61)
    timed_book.ledger.expire([held.id])
    before = timed_book.state()

    expired_again = timed_book.ledger.expire([held.id])
    voided = timed_book.ledger.void(held.id)

    assert expired_again == []
    assert voided.status == "expired"
    assert timed_book.state() == before


@pytest.mark.parametrize("seconds", [0, 59])
def test_posting_a_hold_before_its_timeout_is_allowed(timed_book, clock, seconds):
    payer = timed_book.wallet(balance=100)
    held = timed_book.hold(payer, timed_book.issuance, 30, timeout_s=60)
    clock.advance(seconds)

    posted = timed_book.ledger.post(held.id)

    assert posted.status == "posted"


@pytest.mark.parametrize(
    "start",
    [datetime(2024, 1, 1, tzinfo=UTC), datetime(2099, 1, 1, tzinfo=UTC)],
    ids=["clock-behind-wall-clock", "clock-ahead-of-wall-clock"],
)
def test_timeout_is_measured_on_the_ledgers_clock(book_at, start):
    book = book_at(start)
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 30, timeout_s=60)
    posted_in_time = book.ledger.post(held.id, 10, uuid4())
    book.clock.advance(61)

    expired = book.ledger.expire([held.id])

    assert posted_in_time.posted == 10
    assert expired == [held.id]
