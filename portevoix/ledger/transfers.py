"""Transfers: every movement of credit, from one account to another, single- or two-phase.

Modelled on TigerBeetle's transfers: the client chooses the id (the same id with the same body
is the same transfer; with another body it is an error), a *pending* transfer reserves its
amount until it is posted (in one or several partial settlements, each with its own id) or
voided, and it may carry a timeout after which it voids itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from portevoix.ledger.errors import (
    InvalidAmountError,
    InvalidTimeoutError,
    PostExceedsPendingError,
    SameAccountError,
    SettlementIdReusedError,
    TransferNotPendingError,
)

PENDING, POSTED, VOIDED, EXPIRED = "pending", "posted", "voided", "expired"


def require_positive(amount: object) -> int:
    """``amount`` as a positive ``int`` (``bool`` and floats refused), else InvalidAmountError."""
    if type(amount) is not int or amount <= 0:
        raise InvalidAmountError(amount)  # type: ignore[arg-type]
    return amount


@dataclass(frozen=True)
class TransferOrder:
    """What a client asks for; two orders with the same id must be equal to be the same."""

    id: UUID
    debit_account_id: UUID
    credit_account_id: UUID
    amount: int
    pending: bool = False
    timeout_s: int | None = None
    kind: str = "transfer"
    reference: str = ""

    def validate(self) -> None:
        """The checks that need no account: amount, sides, timeout."""
        require_positive(self.amount)
        if self.debit_account_id == self.credit_account_id:
            raise SameAccountError(self.debit_account_id)
        if self.timeout_s is not None and (
            not self.pending or type(self.timeout_s) is not int or self.timeout_s <= 0
        ):
            raise InvalidTimeoutError(self.timeout_s)


class Transfer(Aggregate):
    """One transfer and what became of its amount: posted, voided, or still reserved."""

    TOPIC = "portevoix.ledger:Transfer"

    class Created(Aggregate.Created):
        TOPIC = "portevoix.ledger:Transfer.Created"
        debit_account_id: UUID
        credit_account_id: UUID
        amount: int
        unit: str
        pending: bool
        timeout_s: int | None
        timeout_at: datetime | None
        kind: str
        reference: str

    @event(Created)
    def __init__(
        self,
        id: UUID,
        debit_account_id: UUID,
        credit_account_id: UUID,
        amount: int,
        unit: str,
        pending: bool,
        timeout_s: int | None,
        timeout_at: datetime | None,
        kind: str,
        reference: str,
    ) -> None:
        self.debit_account_id, self.credit_account_id = debit_account_id, credit_account_id
        self.amount, self.unit, self.pending = amount, unit, pending
        self.timeout_s, self.timeout_at = timeout_s, timeout_at
        self.kind, self.reference = kind, reference
        self.posted = 0 if pending else amount
        self.voided = 0
        self.status = PENDING if pending else POSTED
        self.settlements: dict[str, int] = {}

    @classmethod
    def place(cls, order: TransferOrder, unit: str, now: datetime) -> Transfer:
        """The transfer ``order`` asks for; its timeout counts from ``now`` (the ledger's
        clock)."""
        timeout_at = None if order.timeout_s is None else now + timedelta(seconds=order.timeout_s)
        return cls(
            id=order.id,
            debit_account_id=order.debit_account_id,
            credit_account_id=order.credit_account_id,
            amount=order.amount,
            unit=unit,
            pending=order.pending,
            timeout_s=order.timeout_s,
            timeout_at=timeout_at,
            kind=order.kind,
            reference=order.reference,
        )

    @property
    def order(self) -> TransferOrder:
        """The order this transfer was created from, to compare a retried order with."""
        return TransferOrder(
            id=self.id,
            debit_account_id=self.debit_account_id,
            credit_account_id=self.credit_account_id,
            amount=self.amount,
            pending=self.pending,
            timeout_s=self.timeout_s,
            kind=self.kind,
            reference=self.reference,
        )

    @property
    def remaining(self) -> int:
        """What is still reserved: the amount less what was posted or voided."""
        return self.amount - self.posted - self.voided if self.status == PENDING else 0

    def is_due_to_expire(self, now: datetime) -> bool:
        deadline = self.timeout_at
        return self.status == PENDING and deadline is not None and now >= deadline

    def post(self, settlement_id: UUID, amount: int | None, now: datetime) -> int:
        """Post ``amount`` of the reservation (all that remains when None); returns what was
        posted, 0 when this settlement was posted before (the same amount again)."""
        if amount is not None:
            require_positive(amount)
        known = self.settlements.get(str(settlement_id))
        if known is not None:
            if amount is not None and known != amount:
                raise SettlementIdReusedError(self.id, settlement_id)
            return 0
        if self.status != PENDING:
            raise TransferNotPendingError(self.id, self.status)
        if self.is_due_to_expire(now):
            raise TransferNotPendingError(self.id, EXPIRED)
        amount = self.remaining if amount is None else amount
        if amount > self.remaining:
            raise PostExceedsPendingError(self.id, amount, self.remaining)
        self._posted(settlement_id, amount, self.debit_account_id, self.credit_account_id)
        return amount

    def void(self) -> int:
        """Release what is still reserved and close; returns the released amount (0 if the
        transfer was voided before)."""
        if self.status != PENDING:
            if self.voided:  # voided (or expired) before: the same outcome again
                return 0
            raise TransferNotPendingError(self.id, self.status)
        released = self.remaining
        self._voided(released, VOIDED, self.debit_account_id, self.credit_account_id)
        return released

    def expire(self, now: datetime) -> int:
        """Void the rest of a reservation whose timeout has passed; returns the released
        amount (0 when it is not due)."""
        if not self.is_due_to_expire(now):
            return 0
        released = self.remaining
        self._voided(released, EXPIRED, self.debit_account_id, self.credit_account_id)
        return released

    # The account ids ride along so that projections need no look-up.
    @event("Posted", topic="portevoix.ledger:Transfer.Posted")
    def _posted(
        self, settlement_id: UUID, amount: int, debit_account_id: UUID, credit_account_id: UUID
    ) -> None:
        self.posted += amount
        self.settlements[str(settlement_id)] = amount
        if self.posted == self.amount:
            self.status = POSTED

    @event("Voided", topic="portevoix.ledger:Transfer.Voided")
    def _voided(
        self, amount: int, reason: str, debit_account_id: UUID, credit_account_id: UUID
    ) -> None:
        self.voided += amount
        self.status = reason if self.posted == 0 else POSTED
