"""The ledger application: one method per use case, each a Work saved at once.

Every command runs in a :class:`~portevoix.ledger.work.Work` and records all its events in one
save, so linked transfers commit together or not at all. When a concurrent writer changed an
account first (the save collides on the account's version), the command runs again on fresh
state; a refused command records nothing.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid5

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    LRUCache,
)
from eventsourcing.persistence import IntegrityError, StoredEvent

from portevoix.ledger.accounts import Account, account_id_for
from portevoix.ledger.errors import (
    AccountExistsError,
    AccountNotFoundError,
    InvalidTariffError,
    LedgerError,
    PurchaseNotFoundError,
    SettlementIdRequiredError,
    TransferIdReusedError,
    UnitMismatchError,
)
from portevoix.ledger.fencing import Heads
from portevoix.ledger.packs import PackTariff, Purchase, Tier, settles_at_once, tier_for
from portevoix.ledger.transfers import Transfer, TransferOrder
from portevoix.ledger.work import Work
from portevoix.log_changes import changed_since

T = TypeVar("T")
A = TypeVar("A")

WALLET, ISSUANCE, REVENUE = "wallet", "issuance", "revenue"
# How long a command keeps retrying when concurrent writers keep winning the race.
RETRY_FOR_S = 30.0
# Past this many events written by others, every remembered aggregate is forgotten at once.
_FORGET_ALL_AFTER = 5_000


class ConcurrencyError(LedgerError):
    """Concurrent writers kept changing the same accounts for longer than we retry."""


@dataclass(frozen=True)
class Posting:
    """Post ``amount`` (all that remains when None) of a pending transfer, once per
    ``settlement_id``."""

    transfer_id: UUID
    amount: int | None
    settlement_id: UUID


def utcnow() -> datetime:
    return datetime.now(UTC)


class Ledger(Application[UUID]):
    """Accounts, transfers and pack purchases."""

    name = "ledger"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Account: 1000}

    def __init__(self, env: dict[str, str] | None = None,
                 clock: Callable[[], datetime] = utcnow,
                 fence: Callable[[], AbstractContextManager[Heads]] | None = None) -> None:
        """``fence`` is what writers of every process sharing the store take turns on
        (``portevoix.fences``); without one, concurrent writers collide and retry."""
        super().__init__(env)
        self.clock, self.fence = clock, fence
        # The last event of the log when this process last saved behind the fence: anything
        # after it, another process wrote (and the aggregates it changed are stale here).
        self._seen_head: int | None = None
        self.collisions = 0  # saves that lost a race and ran again
        # The aggregates as this process last saved them. Batches trust them without asking
        # the store (a stale one makes the save collide, and the batch runs again on fresh
        # state), which saves a round trip per account on the busiest path.
        self._saved: LRUCache[UUID, Any] = LRUCache(maxsize=20_000)
        self._fence_holder: int | None = None  # the thread holding the fence (``fenced``)

    def close(self) -> None:
        close_fence = getattr(self.fence, "close", None)
        if close_fence is not None:
            close_fence()
        super().close()

    # Accounts ---------------------------------------------------------------------------

    def open_account(
        self, owner_id: UUID, purpose: str, unit: str, scale: int,
        floor: int | None = 0, name: str = "",
    ) -> UUID:
        """Open ``owner_id``'s account for ``purpose``; opening it again is a no-op.

        ``floor=None`` opens a system account (issuance, revenue): no floor, no balance kept
        on the aggregate.
        """
        account = Account.open(owner_id, purpose, unit, scale, floor, name)
        try:
            self.save(account)
        except IntegrityError:
            existing = self.account(account.id)
            # The floor itself may have moved since (a credit line), but not its existence.
            if (existing.unit, existing.scale, existing.purpose, existing.is_wallet) != (
                    unit, scale, purpose, floor is not None):
                raise AccountExistsError(account.id) from None
        return account.id

    def account(self, account_id: UUID) -> Account:
        try:
            account: Account = self.repository.get(account_id)
        except AggregateNotFoundError:
            raise AccountNotFoundError(account_id) from None
        if not isinstance(account, Account):
            raise AccountNotFoundError(account_id)
        return account

    def change_floor(self, account_id: UUID, floor: int) -> None:
        self.run(lambda work: self._change(work.account(account_id), work,
                                            lambda a: a.change_floor(floor)))

    def set_low_balance_threshold(self, account_id: UUID, threshold: int | None) -> None:
        self.run(lambda work: self._change(work.account(account_id), work,
                                            lambda a: a.set_low_balance_threshold(threshold)))

    def close_account(self, account_id: UUID) -> None:
        self.run(lambda work: self._change(work.account(account_id), work, Account.close))

    @staticmethod
    def _change(account: Account, work: Work, command: Callable[[Account], None]) -> None:
        command(account)
        work.collect(account)

    # Transfers --------------------------------------------------------------------------

    def transfer(self, order: TransferOrder) -> Transfer:
        """Record one transfer (idempotent by id)."""
        return self.run(lambda work: work.place([order]))[0]

    def transfer_linked(self, orders: Sequence[TransferOrder]) -> list[Transfer]:
        """Record transfers that commit together or not at all."""
        return self.run(lambda work: work.place(orders))

    def execute(
        self, groups: Sequence[Sequence[TransferOrder]]
    ) -> list[list[Transfer] | LedgerError]:
        """Record many linked groups in one save; each group succeeds or fails on its own.

        The first attempt skips looking up each new transfer id (a reused id collides at the
        save and sends the batch round again, with the look-ups).
        """

        def run(work: Work) -> list[list[Transfer] | LedgerError]:
            outcomes: list[list[Transfer] | LedgerError] = []
            for group in groups:
                try:
                    outcomes.append(work.place(group))
                except LedgerError as error:
                    outcomes.append(error)
            return outcomes

        return self.run(run, optimistic=True)

    def post(
        self, transfer_id: UUID, amount: int | None = None, settlement_id: UUID | None = None
    ) -> Transfer:
        """Post ``amount`` of a pending transfer, once per ``settlement_id``; with no amount,
        all that remains (then the settlement id may be left out: that post is done once)."""
        if settlement_id is None:
            if amount is not None:
                raise SettlementIdRequiredError(transfer_id)
            settlement_id = uuid5(transfer_id, "post")
        posting = Posting(transfer_id, amount, settlement_id)
        return self.run(lambda work: work.post(*_posting_args(posting)))

    def settle(self, postings: Sequence[Posting]) -> list[Transfer | LedgerError]:
        """Many posts in one save, each succeeding or failing on its own."""
        return self.run(lambda work: _each(postings, lambda p: work.post(*_posting_args(p))),
                         optimistic=True)

    def void(self, transfer_id: UUID) -> Transfer:
        """Release what a pending transfer still reserves (again: no change)."""
        return self.run(lambda work: work.void(transfer_id))

    def void_many(self, transfer_ids: Sequence[UUID]) -> list[Transfer | LedgerError]:
        return self.run(lambda work: _each(transfer_ids, work.void), optimistic=True)

    def expire(self, transfer_ids: Sequence[UUID]) -> list[UUID]:
        """Void those of ``transfer_ids`` whose timeout has passed; returns their ids."""

        def run(work: Work) -> list[UUID]:
            expired = []
            for transfer_id in transfer_ids:
                transfer = work.find(transfer_id, Transfer)
                if transfer is not None and transfer.is_due_to_expire(work.now):
                    work.void(transfer_id, expiring=True)
                    expired.append(transfer_id)
            return expired

        return self.run(run)

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """The aggregate as recorded now, if it exists and is a ``kind``: a read, so it
        takes no turn at the fence."""
        try:
            found: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

    def get_transfer(self, transfer_id: UUID) -> Transfer:
        return self.run(lambda work: work.transfer(transfer_id))

    def grant(self, transfer_id: UUID, issuer_id: UUID, account_id: UUID, amount: int,
              reference: str = "") -> Transfer:
        """Credit ``amount`` from the issuer's issuance account, as a gift (kind ``grant``)."""
        unit = self.account(account_id).unit
        return self.transfer(TransferOrder(
            id=transfer_id, debit_account_id=account_id_for(issuer_id, ISSUANCE, unit),
            credit_account_id=account_id, amount=amount, kind="grant", reference=reference,
        ))

    # Packs ------------------------------------------------------------------------------

    def publish_tariff(self, seller_id: UUID, name: str, unit: str, currency: str,
                       price_scale: int, tiers: Sequence[Tier]) -> UUID:
        """Publish the seller's tariff ``name``; publishing it again as it is changes nothing."""
        tariff = PackTariff.publish(seller_id, name, unit, currency, price_scale, tiers)
        try:
            self.save(tariff)
        except IntegrityError:
            existing = self.tariff(tariff.id)
            if (existing.unit, existing.currency, existing.price_scale, existing.tiers) != (
                    unit, currency, price_scale, list(tiers)):
                raise InvalidTariffError(f"{name!r} is published with other terms; "
                                         "revise it") from None
        return tariff.id

    def revise_tariff(self, tariff_id: UUID, tiers: Sequence[Tier]) -> None:
        def run(work: Work) -> None:
            tariff = self._tariff(work, tariff_id)
            tariff.revise(tiers)
            work.collect(tariff)

        self.run(run)

    def tariff(self, tariff_id: UUID) -> PackTariff:
        return self.run(lambda work: self._tariff(work, tariff_id))

    @staticmethod
    def _tariff(work: Work, tariff_id: UUID) -> PackTariff:
        tariff = work.find(tariff_id, PackTariff)
        if tariff is None:
            raise InvalidTariffError(f"no tariff {tariff_id}")
        return tariff

    def purchase_pack(self, purchase_id: UUID, tariff_id: UUID, buyer_account_id: UUID,
                      quantity: int, method: str) -> Purchase:
        """Buy ``quantity`` units at the tariff's tier price; the seller's issuance account
        credits the buyer's wallet, at once for a card, pending the payment otherwise."""
        settle_now = settles_at_once(method)

        def run(work: Work) -> Purchase:
            existing = work.find(purchase_id, Purchase)
            tariff = self._tariff(work, tariff_id)
            buyer = work.account(buyer_account_id)
            if existing is not None:
                if (existing.tariff_id, existing.buyer_account_id, existing.quantity,
                        existing.method) != (tariff_id, buyer_account_id, quantity, method):
                    raise TransferIdReusedError(purchase_id)
                return existing
            if tariff.unit != buyer.unit:
                raise UnitMismatchError(tariff.unit, buyer.unit)
            tier = tier_for(tariff.tiers, quantity)
            transfer_id = uuid5(purchase_id, "credit")
            seller_account_id = account_id_for(tariff.seller_id, ISSUANCE, tariff.unit)
            work.place([TransferOrder(
                id=transfer_id, debit_account_id=seller_account_id,
                credit_account_id=buyer_account_id, amount=quantity * 10**buyer.scale,
                pending=not settle_now, kind="purchase", reference=str(purchase_id),
            )])
            purchase = Purchase(
                id=purchase_id, buyer_account_id=buyer_account_id,
                seller_account_id=seller_account_id, tariff_id=tariff_id,
                tariff_version=tariff.version, quantity=quantity,
                credit_amount=quantity * 10**buyer.scale, unit_price=tier.unit_price,
                amount_due=quantity * tier.unit_price, currency=tariff.currency,
                price_scale=tariff.price_scale, method=method, transfer_id=transfer_id,
            )
            work.add(purchase)
            return purchase

        return self.run(run)

    def confirm_payment(self, purchase_id: UUID, confirmed_by: str) -> Purchase:
        """Finance saw the cheque or transfer arrive: the pending credit is posted."""

        def run(work: Work) -> Purchase:
            purchase = self._purchase(work, purchase_id)
            purchase.confirm_payment(confirmed_by)
            work.post(purchase.transfer_id, None, uuid5(purchase.transfer_id, "paid"))
            work.collect(purchase)
            return purchase

        return self.run(run)

    def reject_payment(self, purchase_id: UUID, reason: str) -> Purchase:
        """The payment never came or bounced: the pending credit is voided."""

        def run(work: Work) -> Purchase:
            purchase = self._purchase(work, purchase_id)
            purchase.reject_payment(reason)
            work.void(purchase.transfer_id)
            work.collect(purchase)
            return purchase

        return self.run(run)

    def purchase(self, purchase_id: UUID) -> Purchase:
        return self.run(lambda work: self._purchase(work, purchase_id))

    @staticmethod
    def _purchase(work: Work, purchase_id: UUID) -> Purchase:
        purchase = work.find(purchase_id, Purchase)
        if purchase is None:
            raise PurchaseNotFoundError(purchase_id)
        return purchase

    # The one way anything is recorded -------------------------------------------------

    def run(self, command: Callable[[Work], T], optimistic: bool = False) -> T:
        """Run ``command`` in a Work and record its events in one save, again on collision.

        Other parts of the platform run their commands here too (the send pipeline records a
        campaign with its holds, a dispatched batch with its charges): their aggregates join
        the work with ``work.add`` and ``work.find``, and everything is saved at once."""
        with self.fenced():
            return self._run(command, optimistic)

    @contextmanager
    def fenced(self) -> Iterator[None]:
        """Hold the fence for every command this thread runs meanwhile: a busy writer keeps
        its turn for several saves, and asks once what the others changed before it."""
        if self.fence is None or self._fence_holder == threading.get_ident():
            yield
            return
        with self.fence() as heads:
            head = heads.before
            self._forget_what_others_changed(
                head if head is not None else self.recorder.max_notification_id() or 0)
            self._fence_holder = threading.get_ident()
            try:
                yield
            finally:
                self._fence_holder = None
                if heads.before is None:  # this fence does not read heads: read it inside
                    heads.after = self.recorder.max_notification_id()
        self._seen_head = heads.after

    def _forget_what_others_changed(self, head: int) -> None:
        """Drop from ``_saved`` the aggregates other processes changed since this one last
        saved (they are read again, fast-forwarded, when a command asks for them)."""
        changed = changed_since(self.recorder, self._seen_head, head, _FORGET_ALL_AFTER)
        if changed is None:
            self._saved = LRUCache(maxsize=self._saved.maxsize)
        for aggregate_id in changed or ():
            self._forget(aggregate_id)
        self._seen_head = head

    def _run(self, command: Callable[[Work], T], optimistic: bool) -> T:
        deadline = time.monotonic() + RETRY_FOR_S
        attempt = 0
        while True:
            load = self._load_saved if optimistic else self.repository.get
            work = Work(load, self._rebuild, self.clock(), check_existing=not optimistic)
            result = command(work)
            if not work.events:
                return result
            try:
                self._save_events(work.events)
            except IntegrityError:
                for aggregate_id in work.loaded_ids:
                    self._forget(aggregate_id)
                attempt += 1
                self.collisions += 1
                optimistic = False
                if time.monotonic() > deadline:
                    raise ConcurrencyError(f"gave up after {attempt} collisions") from None
                time.sleep(random.uniform(0, min(0.05, 0.0005 * 2**attempt)))
                continue
            for aggregate in work.aggregates:
                self._saved.put(aggregate.id, aggregate)
            self._snapshot_busy_accounts(work)
            return result

    def _save_events(self, events: list[Any]) -> None:
        """Record domain events, and stored events encoded already (``Work.add_stored``), in
        one insert: ``save(*events)`` without asking of each whether it is an event or an
        aggregate (a runtime protocol check: a tenth of a busy writer's time, measured)."""
        encode = self.mapper.to_stored_event
        self.recorder.insert_events(
            [event if isinstance(event, StoredEvent) else encode(event) for event in events])

    def _rebuild(self, events: Sequence[StoredEvent]) -> Any:
        aggregate = None
        for stored in events:
            event: Any = self.mapper.to_domain_event(stored)
            aggregate = event.mutate(aggregate)
        return aggregate

    def _load_saved(self, aggregate_id: UUID) -> Any:
        try:
            saved = self._saved.get(aggregate_id)
        except KeyError:
            return self.repository.get(aggregate_id)
        return _copy_of_account(saved) if type(saved) is Account else deepcopy(saved)

    def _forget(self, aggregate_id: UUID) -> None:
        with contextlib.suppress(KeyError):
            self._saved.get(aggregate_id, evict=True)

    def _snapshot_busy_accounts(self, work: Work) -> None:
        """Snapshot each account whose version passed a multiple of the interval, from the
        state the work just saved (not read back from the store)."""
        interval = self.snapshotting_intervals[Account]
        due = {recorded.originator_id for recorded in work.events
               if isinstance(recorded, Account.Event)
               and recorded.originator_version % interval == 0}
        if due and self.snapshots is not None:
            self.snapshots.put([Account.Snapshot.take(work.account(account_id))
                                for account_id in due])


def _copy_of_account(account: Account) -> Account:
    """A copy to change: every attribute of an account is an immutable value but its list
    of pending events (a deep copy took a twelfth of a busy writer's time, measured)."""
    copy = object.__new__(Account)
    copy.__dict__.update(account.__dict__)
    copy._pending_events = []
    return copy


def _posting_args(posting: Posting) -> tuple[UUID, int | None, UUID]:
    return posting.transfer_id, posting.amount, posting.settlement_id


def _each(items: Sequence[Any], apply: Callable[[Any], Transfer]) -> list[Transfer | LedgerError]:
    outcomes: list[Transfer | LedgerError] = []
    for item in items:
        try:
            outcomes.append(apply(item))
        except LedgerError as error:
            outcomes.append(error)
    return outcomes
