"""Credit packs: degressive tiers, and purchases paid by card, cheque or bank transfer."""

from __future__ import annotations

from uuid import uuid4

import pytest

from portevoix.ledger.errors import (
    InvalidAmountError,
    InvalidTariffError,
    PurchaseNotAwaitingPaymentError,
    PurchaseNotFoundError,
    QuantityBelowTiersError,
    TransferIdReusedError,
    UnitMismatchError,
    UnknownPaymentMethodError,
)
from portevoix.ledger.packs import Tier, tier_for

# 0.19 EUR from 100 SMS, 0.15 EUR from 1,000, 0.105 EUR from 50,000 (in 10**-4 EUR).
TIERS = [Tier(100, 1900), Tier(1000, 1500), Tier(50000, 1050)]


@pytest.fixture
def seller(book):
    """The book's issuer sells SMS packs at TIERS; returns the tariff id."""
    return book.ledger.publish_tariff(book.issuer, "standard", "SMS", "EUR", 4, TIERS)


# Tiers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit_price"),
    [(100, 1900), (101, 1900), (999, 1900), (1000, 1500), (49999, 1500), (50000, 1050),
     (10**6, 1050)],
)
def test_tier_is_the_largest_whose_minimum_the_quantity_reaches(quantity, unit_price):
    tier = tier_for(TIERS, quantity)

    assert tier.unit_price == unit_price


@pytest.mark.parametrize("quantity", [1, 99])
def test_quantity_below_the_first_tier_is_refused(quantity):
    with pytest.raises(QuantityBelowTiersError) as refused:
        tier_for(TIERS, quantity)

    assert (refused.value.quantity, refused.value.minimum) == (quantity, 100)


@pytest.mark.parametrize("quantity", [0, -100, 100.0, True])
def test_quantity_that_is_not_a_positive_integer_is_refused(quantity):
    with pytest.raises(InvalidAmountError):
        tier_for(TIERS, quantity)


# Tariffs --------------------------------------------------------------------------------


def test_published_tariff_keeps_its_tiers(book, seller):
    tariff = book.ledger.tariff(seller)

    assert tariff.tiers == TIERS
    assert (tariff.unit, tariff.currency, tariff.price_scale) == ("SMS", "EUR", 4)


INVALID_TIERS = {
    "empty": [],
    "equal-quantities": [Tier(100, 1900), Tier(100, 1500)],
    "falling-quantities": [Tier(1000, 1500), Tier(100, 1900)],
    "dearer-larger-tier": [Tier(100, 1500), Tier(1000, 1501)],
    "zero-price": [Tier(100, 0)],
    "negative-price": [Tier(100, 1900), Tier(1000, -1)],
    "float-price": [Tier(100, 19.0)],
    "zero-quantity": [Tier(0, 1900)],
    "negative-quantity": [Tier(-10, 1900)],
}


@pytest.mark.parametrize("tiers", INVALID_TIERS.values(), ids=INVALID_TIERS.keys())
def test_publishing_an_invalid_tariff_is_refused_and_records_nothing(book, tiers):
    before = book.recorded()

    with pytest.raises(InvalidTariffError):
        book.ledger.publish_tariff(book.issuer, "bad", "SMS", "EUR", 4, tiers)

    assert book.recorded() == before


@pytest.mark.parametrize("tiers", INVALID_TIERS.values(), ids=INVALID_TIERS.keys())
def test_revising_a_tariff_to_invalid_tiers_is_refused_and_records_nothing(book, seller, tiers):
    before = book.recorded()

    with pytest.raises(InvalidTariffError):
        book.ledger.revise_tariff(seller, tiers)

    assert book.recorded() == before
    assert book.ledger.tariff(seller).tiers == TIERS


def test_equal_prices_across_tiers_are_allowed(book):
    tiers = [Tier(100, 1500), Tier(1000, 1500)]

    tariff_id = book.ledger.publish_tariff(book.issuer, "flat", "SMS", "EUR", 4, tiers)

    assert book.ledger.tariff(tariff_id).tiers == tiers


def test_publishing_the_same_tariff_again_returns_its_id_and_records_nothing(book, seller):
    before = book.recorded()

    again = book.ledger.publish_tariff(book.issuer, "standard", "SMS", "EUR", 4, TIERS)

    assert again == seller
    assert book.recorded() == before


@pytest.mark.parametrize(
    "terms",
    [
        {"tiers": [Tier(100, 1800)]},
        {"currency": "USD"},
        {"price_scale": 2},
        {"unit": "MMS"},
    ],
    ids=["tiers", "currency", "price-scale", "unit"],
)
def test_publishing_a_tariff_name_again_with_other_terms_is_refused(book, seller, terms):
    published = {"unit": "SMS", "currency": "EUR", "price_scale": 4, "tiers": TIERS}
    before = book.recorded()

    with pytest.raises(InvalidTariffError):
        book.ledger.publish_tariff(book.issuer, "standard", **{**published, **terms})

    assert book.recorded() == before
    assert book.ledger.tariff(seller).tiers == TIERS


def test_revised_tariff_prices_the_next_purchase(book, seller):
    wallet = book.wallet()
    book.ledger.revise_tariff(seller, [Tier(100, 2000)])

    purchase = book.ledger.purchase_pack(uuid4(), seller, wallet, 1000, "card")

    assert (purchase.unit_price, purchase.amount_due, purchase.tariff_version) == (
        2000, 2_000_000, 2,
    )


# Purchases ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "amount_due"),
    [(100, 190_000), (999, 1_898_100), (1000, 1_500_000), (1234, 1_851_000),
     (50000, 52_500_000), (123_457, 129_629_850)],
)
def test_amount_due_is_quantity_times_the_tier_price_exactly(book, seller, quantity, amount_due):
    wallet = book.wallet()

    purchase = book.ledger.purchase_pack(uuid4(), seller, wallet, quantity, "card")

    assert purchase.amount_due == amount_due
    assert type(purchase.amount_due) is int
    assert (purchase.currency, purchase.price_scale) == ("EUR", 4)


def test_card_purchase_credits_the_wallet_at_once(book, seller):
    wallet = book.wallet()

    purchase = book.ledger.purchase_pack(uuid4(), seller, wallet, 1000, "card")

    assert purchase.status == "paid"
    totals = book.totals(wallet)
    assert (totals.available, totals.credits_posted, totals.credits_pending) == (1000, 1000, 0)
    assert book.ledger.get_transfer(purchase.transfer_id).status == "posted"


def test_purchase_credits_in_the_wallets_smallest_unit(book):
    seller = uuid4()
    book.ledger.open_account(seller, "issuance", "SMS", 2, floor=None)
    tariff_id = book.ledger.publish_tariff(seller, "hundredths", "SMS", "EUR", 4, TIERS)
    wallet = book.wallet(scale=2)

    purchase = book.ledger.purchase_pack(uuid4(), tariff_id, wallet, 250, "card")

    assert purchase.credit_amount == 250 * 100
    assert book.available(wallet) == 250 * 100
    assert purchase.amount_due == 250 * 1900


@pytest.mark.parametrize("method", ["cheque", "bank_transfer"])
def test_deferred_payment_leaves_the_credit_pending(book, seller, method):
    wallet = book.wallet()

    purchase = book.ledger.purchase_pack(uuid4(), seller, wallet, 1000, method)

    assert purchase.status == "awaiting_payment"
    totals = book.totals(wallet)
    assert (totals.available, totals.credits_posted, totals.credits_pending) == (0, 0, 1000)


@pytest.mark.parametrize("method", ["cheque", "bank_transfer"])
def test_confirmed_payment_makes_the_credit_available(book, seller, method):
    wallet = book.wallet()
    purchase = book.ledger.purchase_pack(uuid4(), seller, wallet, 1000, method)

    confirmed = book.ledger.confirm_payment(purchase.id, "finance@reseller")

    assert (confirmed.status, confirmed.confirmed_by) == ("paid", "finance@reseller")
    totals = book.totals(wallet)
    assert (totals.available, totals.credits_posted, totals.credits_pending) == (1000, 1000, 0)
    assert book.ledger.get_transfer(purchase.transfer_id).status == "posted"


@pytest.mark.parametrize("method", ["cheque", "bank_transfer"])
def test_rejected_payment_releases_the_credit_and_credits_nothing(book, seller, method):
    wallet = book.wallet()
    purchase = book.ledger.purchase_pack(uuid4(), seller, wallet, 1000, method)

    rejected = book.ledger.reject_payment(purchase.id, "cheque bounced")

    assert (rejected.status, rejected.rejection_reason) == ("rejected", "cheque bounced")
    totals = book.totals(wallet)
    assert (totals.available, totals.credits_posted, totals.credits_pending) == (0, 0, 0)
    assert book.ledger.get_transfer(purchase.transfer_id).status == "voided"


@pytest.mark.parametrize(
    ("method", "settle_first", "status"),
    [
        ("cheque", "confirm_payment", "paid"),
        ("cheque", "reject_payment", "rejected"),
        ("card", None, "paid"),
    ],
    ids=["confirmed", "rejected", "card"],
)
@pytest.mark.parametrize("settle_again", ["confirm_payment", "reject_payment"])
def test_settling_a_payment_that_is_not_awaited_is_refused_and_records_nothing(
    book, seller, method, settle_first, status, settle_again
):
    wallet = book.wallet()
    purchase = book.ledger.purchase_pack(uuid4(), seller, wallet, 1000, method)
    if settle_first:
        getattr(book.ledger, settle_first)(purchase.id, "first")
    before = book.state()

    with pytest.raises(PurchaseNotAwaitingPaymentError) as refused:
        getattr(book.ledger, settle_again)(purchase.id, "again")

    assert refused.value.status == status
    assert book.state() == before


def test_unknown_payment_method_is_refused_and_records_nothing(book, seller):
    wallet = book.wallet()
    before = book.state()

    with pytest.raises(UnknownPaymentMethodError) as refused:
        book.ledger.purchase_pack(uuid4(), seller, wallet, 1000, "bitcoin")

    assert refused.value.method == "bitcoin"
    assert set(refused.value.known) == {"card", "cheque", "bank_transfer"}
    assert book.state() == before


def test_purchase_below_the_first_tier_is_refused_and_records_nothing(book, seller):
    wallet = book.wallet()
    before = book.state()

    with pytest.raises(QuantityBelowTiersError):
        book.ledger.purchase_pack(uuid4(), seller, wallet, 99, "card")

    assert book.state() == before


def test_purchase_into_a_wallet_of_another_unit_is_refused_and_records_nothing(book, seller):
    wallet = book.wallet(unit="EUR", scale=2)
    before = book.state()

    with pytest.raises(UnitMismatchError):
        book.ledger.purchase_pack(uuid4(), seller, wallet, 1000, "card")

    assert book.state() == before


def test_purchase_sent_again_returns_the_same_purchase_and_records_nothing(book, seller):
    wallet = book.wallet()
    purchase_id = uuid4()
    first = book.ledger.purchase_pack(purchase_id, seller, wallet, 1000, "cheque")
    before = book.state()

    again = book.ledger.purchase_pack(purchase_id, seller, wallet, 1000, "cheque")

    assert (again.id, again.version) == (first.id, first.version)
    assert book.state() == before


@pytest.mark.parametrize(("quantity", "method"), [(1001, "cheque"), (1000, "card")])
def test_purchase_id_reused_for_another_purchase_is_refused(book, seller, quantity, method):
    wallet = book.wallet()
    purchase_id = uuid4()
    book.ledger.purchase_pack(purchase_id, seller, wallet, 1000, "cheque")
    before = book.state()

    with pytest.raises(TransferIdReusedError):
        book.ledger.purchase_pack(purchase_id, seller, wallet, quantity, method)

    assert book.state() == before


@pytest.mark.parametrize("command", ["confirm_payment", "reject_payment", "purchase"])
def test_unknown_purchase_is_refused(book, command):
    unknown = uuid4()
    arguments = (unknown,) if command == "purchase" else (unknown, "finance")

    with pytest.raises(PurchaseNotFoundError) as refused:
        getattr(book.ledger, command)(*arguments)

    assert refused.value.purchase_id == unknown
