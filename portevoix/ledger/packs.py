"""Credit packs: degressive price tiers (data a seller publishes) and purchases against them.

A tariff sells units of an account's unit (``SMS`` credits, say) for a currency: each tier
gives a price per unit from a minimum quantity up, e.g. 100 SMS at 0.19 € down to 0.105 € at
50,000. Prices are integers in ``10**-price_scale`` of the currency. A purchase credits the
buyer's wallet from the seller's issuance account: a card settles at once; a cheque or a bank
transfer leaves the credit pending until finance confirms the payment (or rejects it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from portevoix.ledger.errors import (
    InvalidTariffError,
    PurchaseNotAwaitingPaymentError,
    QuantityBelowTiersError,
    UnknownPaymentMethodError,
)
from portevoix.ledger.transfers import require_positive

# Which payment methods settle at once; the others wait for finance to confirm them.
PAYMENT_METHODS: dict[str, bool] = {"card": True, "cheque": False, "bank_transfer": False}
PAID, AWAITING_PAYMENT, REJECTED = "paid", "awaiting_payment", "rejected"


def settles_at_once(method: str) -> bool:
    try:
        return PAYMENT_METHODS[method]
    except KeyError:
        raise UnknownPaymentMethodError(method, tuple(PAYMENT_METHODS)) from None


@dataclass(frozen=True)
class Tier:
    """From ``min_quantity`` units up, each unit costs ``unit_price``."""

    min_quantity: int
    unit_price: int


def validate_tiers(tiers: Sequence[Tier]) -> None:
    """Tiers start at a positive quantity, rise strictly, and never get dearer."""
    if not tiers:
        raise InvalidTariffError("a tariff needs at least one tier")
    previous: Tier | None = None
    for tier in tiers:
        if type(tier.min_quantity) is not int or tier.min_quantity <= 0:
            raise InvalidTariffError(f"minimum quantity {tier.min_quantity!r} is not positive")
        if type(tier.unit_price) is not int or tier.unit_price <= 0:
            raise InvalidTariffError(f"unit price {tier.unit_price!r} is not positive")
        if previous and tier.min_quantity <= previous.min_quantity:
            raise InvalidTariffError("tier quantities must rise strictly")
        if previous and tier.unit_price > previous.unit_price:
            raise InvalidTariffError("a larger pack may not cost more per unit")
        previous = tier


def tier_for(tiers: Sequence[Tier], quantity: int) -> Tier:
    """The tier that prices ``quantity`` units: the largest whose minimum it reaches."""
    require_positive(quantity)
    chosen = None
    for tier in tiers:
        if quantity >= tier.min_quantity:
            chosen = tier
    if chosen is None:
        raise QuantityBelowTiersError(quantity, tiers[0].min_quantity)
    return chosen


def tariff_id_for(seller_id: UUID, name: str) -> UUID:
    return uuid5(seller_id, f"tariff:{name}")


class PackTariff(Aggregate):
    """A seller's published price tiers for packs of one unit, revisable over time."""

    TOPIC = "portevoix.ledger:PackTariff"

    class Created(Aggregate.Created):
        TOPIC = "portevoix.ledger:PackTariff.Created"

    class Published(Aggregate.Created):
        TOPIC = "portevoix.ledger:PackTariff.Published"
        seller_id: UUID
        name: str
        unit: str
        currency: str
        price_scale: int
        tiers: list[dict[str, int]]

    @staticmethod
    def create_id(seller_id: UUID, name: str) -> UUID:
        return tariff_id_for(seller_id, name)

    @event(Published)
    def __init__(
        self,
        seller_id: UUID,
        name: str,
        unit: str,
        currency: str,
        price_scale: int,
        tiers: list[dict[str, int]],
    ) -> None:
        self.seller_id, self.name, self.unit = seller_id, name, unit
        self.currency, self.price_scale = currency, price_scale
        self.tier_rows = tiers

    @classmethod
    def publish(
        cls, seller_id: UUID, name: str, unit: str, currency: str, price_scale: int,
        tiers: Sequence[Tier],
    ) -> PackTariff:
        validate_tiers(tiers)
        return cls(
            seller_id=seller_id, name=name, unit=unit, currency=currency,
            price_scale=price_scale, tiers=_rows(tiers),
        )

    @property
    def tiers(self) -> list[Tier]:
        return [Tier(row["min_quantity"], row["unit_price"]) for row in self.tier_rows]

    def revise(self, tiers: Sequence[Tier]) -> None:
        validate_tiers(tiers)
        self._revised(_rows(tiers))

    @event("Revised", topic="portevoix.ledger:PackTariff.Revised")
    def _revised(self, tiers: list[dict[str, int]]) -> None:
        self.tier_rows = tiers


def _rows(tiers: Sequence[Tier]) -> list[dict[str, int]]:
    return [{"min_quantity": t.min_quantity, "unit_price": t.unit_price} for t in tiers]


class Purchase(Aggregate):
    """A pack bought at a tariff's price, and whether its payment came in."""

    TOPIC = "portevoix.ledger:Purchase"

    class Created(Aggregate.Created):
        TOPIC = "portevoix.ledger:Purchase.Created"

    class Placed(Aggregate.Created):
        TOPIC = "portevoix.ledger:Purchase.Placed"
        buyer_account_id: UUID
        seller_account_id: UUID
        tariff_id: UUID
        tariff_version: int
        quantity: int
        credit_amount: int
        unit_price: int
        amount_due: int
        currency: str
        price_scale: int
        method: str
        transfer_id: UUID

    @event(Placed)
    def __init__(
        self,
        id: UUID,
        buyer_account_id: UUID,
        seller_account_id: UUID,
        tariff_id: UUID,
        tariff_version: int,
        quantity: int,
        credit_amount: int,
        unit_price: int,
        amount_due: int,
        currency: str,
        price_scale: int,
        method: str,
        transfer_id: UUID,
    ) -> None:
        self.buyer_account_id, self.seller_account_id = buyer_account_id, seller_account_id
        self.tariff_id, self.tariff_version = tariff_id, tariff_version
        self.quantity, self.credit_amount = quantity, credit_amount
        self.unit_price, self.amount_due = unit_price, amount_due
        self.currency, self.price_scale, self.method = currency, price_scale, method
        self.transfer_id = transfer_id
        self.status = PAID if PAYMENT_METHODS[method] else AWAITING_PAYMENT
        self.confirmed_by = ""
        self.rejection_reason = ""

    def confirm_payment(self, confirmed_by: str) -> None:
        if self.status != AWAITING_PAYMENT:
            raise PurchaseNotAwaitingPaymentError(self.id, self.status)
        self._payment_confirmed(confirmed_by)

    def reject_payment(self, reason: str) -> None:
        if self.status != AWAITING_PAYMENT:
            raise PurchaseNotAwaitingPaymentError(self.id, self.status)
        self._payment_rejected(reason)

    @event("PaymentConfirmed", topic="portevoix.ledger:Purchase.PaymentConfirmed")
    def _payment_confirmed(self, confirmed_by: str) -> None:
        self.status, self.confirmed_by = PAID, confirmed_by

    @event("PaymentRejected", topic="portevoix.ledger:Purchase.PaymentRejected")
    def _payment_rejected(self, reason: str) -> None:
        self.status, self.rejection_reason = REJECTED, reason
