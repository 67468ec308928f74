"""A unit of work on the ledger: load each aggregate once, decide in memory, save once.

Every ledger command, one transfer or a batch of 500 linked reservations, runs in a Work. It
loads each account and transfer it touches once, applies the commands to those aggregates in
memory (each linked group of transfers wholly or not at all), and collects the events, which
the ledger then records in a single save. A concurrent writer that changed one of the same
accounts makes that save collide on the account's version; the ledger then runs the work again
from fresh state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from portevoix.ledger.accounts import Account
from portevoix.ledger.errors import (
    AccountNotFoundError,
    LedgerError,
    LinkedTransferError,
    TransferIdReusedError,
    TransferNotFoundError,
    UnitMismatchError,
)
from portevoix.ledger.transfers import Transfer, TransferOrder

A = TypeVar("A", bound=Aggregate)


class Work:
    """Aggregates loaded once, changed in memory; ``events`` is what to record."""

    def __init__(
        self, load: Callable[[UUID], Any], rebuild: Callable[[Sequence[StoredEvent]], Aggregate],
        now: datetime, check_existing: bool = True,
    ) -> None:
        """``rebuild`` makes an aggregate of its stored events (for ``add_stored``)."""
        self._load, self._rebuild = load, rebuild
        self.now = now
        self.check_existing = check_existing
        self.events: list[Any] = []  # domain events, and stored events (``add_stored``)
        self._aggregates: dict[UUID, Aggregate | _Stored | None] = {}

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """The aggregate with this id if it exists (and is a ``kind``), else None."""
        if aggregate_id not in self._aggregates:
            try:
                self._aggregates[aggregate_id] = self._load(aggregate_id)
            except AggregateNotFoundError:
                self._aggregates[aggregate_id] = None
        found = self._aggregates[aggregate_id]
        if isinstance(found, _Stored):
            found = self._aggregates[aggregate_id] = self._rebuild(found.events)
        return found if isinstance(found, kind) else None

    @property
    def loaded_ids(self) -> list[UUID]:
        return list(self._aggregates)

    @property
    def aggregates(self) -> list[Aggregate]:
        """Every aggregate the work loaded or created (not those it found missing, nor
        those it was given as stored events)."""
        return [a for a in self._aggregates.values() if isinstance(a, Aggregate)]

    def account(self, account_id: UUID) -> Account:
        account = self.find(account_id, Account)
        if account is None:
            raise AccountNotFoundError(account_id)
        return account

    def transfer(self, transfer_id: UUID) -> Transfer:
        transfer = self.find(transfer_id, Transfer)
        if transfer is None:
            raise TransferNotFoundError(transfer_id)
        return transfer

    def add(self, aggregate: Aggregate) -> None:
        """Take a new aggregate into the work (its events are collected with the rest)."""
        self._aggregates[aggregate.id] = aggregate
        self.collect(aggregate)

    def add_stored(self, aggregate_id: UUID, events: Sequence[StoredEvent]) -> None:
        """Take a new aggregate as its events, encoded already (by a web worker, for the
        writer's process): they are recorded as they are, and ``find`` rebuilds the
        aggregate only if a later command of the work asks for it."""
        self._aggregates[aggregate_id] = _Stored(events)
        self.events.extend(events)

    def collect(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            self.events.extend(aggregate.collect_events())

    # Transfers --------------------------------------------------------------------------

    def place(self, orders: Sequence[TransferOrder]) -> list[Transfer]:
        """Create the transfers of one linked group: all of them, or none and an error.

        A group whose every id names an existing transfer with the same body is a retry:
        its transfers are returned and nothing is recorded.
        """
        replay = self._replayed(orders, look_up=self.check_existing)
        if replay is not None:
            return replay
        try:
            units = self._check(orders)
        except LedgerError:
            if not self.check_existing:  # a refused group may be a retry: the store can tell
                replay = self._replayed(orders, look_up=True)
                if replay is not None:
                    return replay
            raise
        placed = []
        for order, unit in zip(orders, units, strict=True):
            transfer = Transfer.place(order, unit, self.now)
            debit = self.account(order.debit_account_id)
            credit = self.account(order.credit_account_id)
            if order.pending:
                debit.hold(transfer.id, order.amount)
                credit.expect_credit(transfer.id, order.amount)
            else:
                debit.debit(transfer.id, order.amount)
                credit.credit(transfer.id, order.amount)
            self.add(transfer)
            self.collect(debit, credit)
            placed.append(transfer)
        return placed

    def _replayed(
        self, orders: Sequence[TransferOrder], look_up: bool
    ) -> list[Transfer] | None:
        """The group's transfers if it was placed before with the same bodies; None if none
        of its ids is known. ``look_up`` asks the store, not only this work."""
        found: list[Transfer] = []
        for index, order in enumerate(orders):
            with _leg(orders, index):
                order.validate()  # 10.0 == 10 in Python: a float must not pass as a retry
            if look_up or order.id in self._aggregates:
                existing = self.find(order.id, Transfer)
                if existing is not None:
                    if existing.order != order:
                        raise TransferIdReusedError(order.id)
                    found.append(existing)
        if not found:
            return None
        if len(found) != len(orders):  # part of this group was placed in another group
            raise TransferIdReusedError(found[0].id)
        return found

    def _check(self, orders: Sequence[TransferOrder]) -> list[str]:
        """Every check of the group before anything changes; returns each leg's unit."""
        spending: dict[UUID, int] = {}
        units = []
        seen: set[UUID] = set()
        for index, order in enumerate(orders):
            with _leg(orders, index):
                if order.id in seen:
                    raise TransferIdReusedError(order.id)
                seen.add(order.id)
                order.validate()
                debit = self.account(order.debit_account_id)
                credit = self.account(order.credit_account_id)
                debit.ensure_open()
                credit.ensure_open()
                if (debit.unit, debit.scale) != (credit.unit, credit.scale):
                    raise UnitMismatchError(_unit(debit), _unit(credit))
                spending[debit.id] = spending.get(debit.id, 0) + order.amount
                debit.ensure_can_pay(spending[debit.id])
            units.append(debit.unit)
        return units

    def post(self, transfer_id: UUID, amount: int | None, settlement_id: UUID) -> Transfer:
        transfer = self.transfer(transfer_id)
        posted = transfer.post(settlement_id, amount, self.now)
        if posted:
            debit = self.account(transfer.debit_account_id)
            credit = self.account(transfer.credit_account_id)
            debit.settle_hold(transfer.id, posted)
            credit.settle_expected_credit(transfer.id, posted)
            self.collect(transfer, debit, credit)
        return transfer

    def void(self, transfer_id: UUID, *, expiring: bool = False) -> Transfer:
        transfer = self.transfer(transfer_id)
        released = transfer.expire(self.now) if expiring else transfer.void()
        if released:
            debit = self.account(transfer.debit_account_id)
            credit = self.account(transfer.credit_account_id)
            debit.release_hold(transfer.id, released)
            credit.release_expected_credit(transfer.id, released)
            self.collect(transfer, debit, credit)
        return transfer


class _Stored:
    """A new aggregate, as the stored events it was given as."""

    def __init__(self, events: Sequence[StoredEvent]) -> None:
        self.events = events


@contextmanager
def _leg(orders: Sequence[TransferOrder], index: int) -> Iterator[None]:
    """Let a refusal through as is for one transfer; name the leg for a linked group."""
    try:
        yield
    except LedgerError as error:
        if len(orders) == 1:
            raise
        raise LinkedTransferError(index, error) from error


def _unit(account: Account) -> str:
    return f"{account.unit}/{account.scale}"
