"""Ledger accounts: a unit, a floor, and the totals that decide what can still be spent.

An account is kept in one unit (``SMS`` credits, ``EUR``...) at a scale: amounts are integers
in ``10**-scale`` of the unit, never floats. A *wallet* has a floor (0 unless a credit line
lowers it) and records every movement, so its available balance is enforced under concurrent
writers by the event store's optimistic concurrency. A *system* account (issuance, revenue) has
no floor; it records nothing per transfer, so the platform's revenue account, touched by every
send of every reseller, is never a point of write contention. Its balances, like everyone's,
are projections of the transfer events.
"""

from __future__ import annotations

import functools
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from portevoix.ledger.errors import (
    AccountClosedError,
    AccountNotEmptyError,
    InsufficientFundsError,
    InvalidFloorError,
    SystemAccountError,
)


@functools.lru_cache(maxsize=65_536)  # a hash each call; the send path asks often
def account_id_for(owner_id: UUID, purpose: str, unit: str) -> UUID:
    """The id of ``owner_id``'s account for ``purpose`` in ``unit``: the same on every call."""
    return uuid5(owner_id, f"account:{purpose}:{unit}")


class Account(Aggregate):
    """A ledger account. Wallets enforce their floor; system accounts only exist."""

    TOPIC = "portevoix.ledger:Account"

    class Created(Aggregate.Created):
        """Unused: accounts are created by ``Opened``. Declared to pin its topic."""

        TOPIC = "portevoix.ledger:Account.Created"

    class Opened(Aggregate.Created):
        TOPIC = "portevoix.ledger:Account.Opened"
        owner_id: UUID
        purpose: str
        unit: str
        scale: int
        floor: int | None
        name: str

    @staticmethod
    def create_id(owner_id: UUID, purpose: str, unit: str) -> UUID:
        return account_id_for(owner_id, purpose, unit)

    @event(Opened)
    def __init__(
        self, owner_id: UUID, purpose: str, unit: str, scale: int, floor: int | None, name: str
    ) -> None:
        self.owner_id, self.purpose, self.name = owner_id, purpose, name
        self.unit, self.scale, self.floor = unit, scale, floor
        self.credits_posted = self.credits_pending = 0
        self.debits_posted = self.debits_pending = 0
        self.low_balance_threshold: int | None = None
        self.below_threshold = False
        self.closed = False

    @classmethod
    def open(
        cls, owner_id: UUID, purpose: str, unit: str, scale: int, floor: int | None, name: str
    ) -> Account:
        """A new account; a wallet's floor is 0 or below (a credit line), never above."""
        if floor is not None and (type(floor) is not int or floor > 0):
            raise InvalidFloorError(account_id_for(owner_id, purpose, unit), floor, 0)
        return cls(
            owner_id=owner_id, purpose=purpose, unit=unit, scale=scale, floor=floor, name=name
        )

    @property
    def is_wallet(self) -> bool:
        """Wallets have a floor and track their balance; system accounts have neither."""
        return self.floor is not None

    @property
    def balance(self) -> int:
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int:
        return self.credits_posted - self.debits_posted - self.debits_pending

    def ensure_open(self) -> None:
        if self.closed:
            raise AccountClosedError(self.id)

    def ensure_can_pay(self, amount: int) -> None:
        """Refuse spending ``amount`` more if it would take a wallet below its floor."""
        if self.floor is not None and self.available - amount < self.floor:
            raise InsufficientFundsError(self.id, amount, self.available, self.floor)

    # Debit side -------------------------------------------------------------------------

    def hold(self, transfer_id: UUID, amount: int) -> None:
        self.ensure_open()
        self.ensure_can_pay(amount)
        if self.is_wallet:
            before = self.available
            self._held(transfer_id, amount)
            self._watch_threshold(before)

    def settle_hold(self, transfer_id: UUID, amount: int) -> None:
        if self.is_wallet:
            self._hold_settled(transfer_id, amount)

    def release_hold(self, transfer_id: UUID, amount: int) -> None:
        if self.is_wallet:
            before = self.available
            self._hold_released(transfer_id, amount)
            self._watch_threshold(before)

    def debit(self, transfer_id: UUID, amount: int) -> None:
        self.ensure_open()
        self.ensure_can_pay(amount)
        if self.is_wallet:
            before = self.available
            self._debited(transfer_id, amount)
            self._watch_threshold(before)

    # Credit side ------------------------------------------------------------------------

    def credit(self, transfer_id: UUID, amount: int) -> None:
        self.ensure_open()
        if self.is_wallet:
            before = self.available
            self._credited(transfer_id, amount)
            self._watch_threshold(before)

    def expect_credit(self, transfer_id: UUID, amount: int) -> None:
        self.ensure_open()
        if self.is_wallet:
            self._credit_expected(transfer_id, amount)

    def settle_expected_credit(self, transfer_id: UUID, amount: int) -> None:
        if self.is_wallet:
            before = self.available
            self._expected_credit_settled(transfer_id, amount)
            self._watch_threshold(before)

    def release_expected_credit(self, transfer_id: UUID, amount: int) -> None:
        if self.is_wallet:
            self._expected_credit_released(transfer_id, amount)

    # Settings ---------------------------------------------------------------------------

    def change_floor(self, floor: int) -> None:
        """Lower the floor to open a credit line, or raise it back (never above available)."""
        self.ensure_open()
        if not self.is_wallet:
            raise SystemAccountError(self.id, "have a floor")
        if type(floor) is not int or floor > self.available:
            raise InvalidFloorError(self.id, floor, self.available)
        self._floor_changed(floor)

    def set_low_balance_threshold(self, threshold: int | None) -> None:
        self.ensure_open()
        if not self.is_wallet:
            raise SystemAccountError(self.id, "have a low-balance threshold")
        self._low_balance_threshold_set(threshold)

    def close(self) -> None:
        self.ensure_open()
        if not self.is_wallet:
            raise SystemAccountError(self.id, "close")
        pending = self.debits_pending + self.credits_pending
        if self.balance or pending:
            raise AccountNotEmptyError(self.id, self.balance, pending)
        self._closed()

    def _watch_threshold(self, available_before: int) -> None:
        threshold = self.low_balance_threshold
        if threshold is None:
            return
        if available_before >= threshold > self.available:
            self._low_balance_reached(threshold, self.available)
        elif available_before < threshold <= self.available and self.below_threshold:
            self._balance_restored(threshold, self.available)

    # Events: replayed on every load, so they hold no checks ----------------------------

    @event("Held", topic="portevoix.ledger:Account.Held")
    def _held(self, transfer_id: UUID, amount: int) -> None:
        self.debits_pending += amount

    @event("HoldSettled", topic="portevoix.ledger:Account.HoldSettled")
    def _hold_settled(self, transfer_id: UUID, amount: int) -> None:
        self.debits_pending -= amount
        self.debits_posted += amount

    @event("HoldReleased", topic="portevoix.ledger:Account.HoldReleased")
    def _hold_released(self, transfer_id: UUID, amount: int) -> None:
        self.debits_pending -= amount

    @event("Debited", topic="portevoix.ledger:Account.Debited")
    def _debited(self, transfer_id: UUID, amount: int) -> None:
        self.debits_posted += amount

    @event("Credited", topic="portevoix.ledger:Account.Credited")
    def _credited(self, transfer_id: UUID, amount: int) -> None:
        self.credits_posted += amount

    @event("CreditExpected", topic="portevoix.ledger:Account.CreditExpected")
    def _credit_expected(self, transfer_id: UUID, amount: int) -> None:
        self.credits_pending += amount

    @event("ExpectedCreditSettled", topic="portevoix.ledger:Account.ExpectedCreditSettled")
    def _expected_credit_settled(self, transfer_id: UUID, amount: int) -> None:
        self.credits_pending -= amount
        self.credits_posted += amount

    @event("ExpectedCreditReleased", topic="portevoix.ledger:Account.ExpectedCreditReleased")
    def _expected_credit_released(self, transfer_id: UUID, amount: int) -> None:
        self.credits_pending -= amount

    @event("FloorChanged", topic="portevoix.ledger:Account.FloorChanged")
    def _floor_changed(self, floor: int) -> None:
        self.floor = floor

    @event("LowBalanceThresholdSet", topic="portevoix.ledger:Account.LowBalanceThresholdSet")
    def _low_balance_threshold_set(self, threshold: int | None) -> None:
        self.low_balance_threshold = threshold
        self.below_threshold = threshold is not None and self.available < threshold

    @event("LowBalanceReached", topic="portevoix.ledger:Account.LowBalanceReached")
    def _low_balance_reached(self, threshold: int, available: int) -> None:
        self.below_threshold = True

    @event("BalanceRestored", topic="portevoix.ledger:Account.BalanceRestored")
    def _balance_restored(self, threshold: int, available: int) -> None:
        self.below_threshold = False

    @event("Closed", topic="portevoix.ledger:Account.Closed")
    def _closed(self) -> None:
        self.closed = True
