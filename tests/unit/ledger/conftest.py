"""Builders for the ledger's unit tests: a ledger on the in-memory store, and a clock to move."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from portevoix.ledger.accounts import Account
from portevoix.ledger.services import ISSUANCE, WALLET, Ledger
from portevoix.ledger.transfers import Transfer, TransferOrder

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class Clock:
    """The ledger's clock, standing still until a test moves it (from the wall clock's time
    unless told otherwise)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = datetime.now(UTC) if start is None else start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Totals:
    """What an account's aggregate says about its money."""

    credits_posted: int
    credits_pending: int
    debits_posted: int
    debits_pending: int
    available: int
    floor: int | None
    closed: bool


@dataclass(frozen=True)
class State:
    """What a refused command must leave as it was: the log's length and every balance."""

    notifications: int
    accounts: dict[UUID, Totals]


class Book:
    """A ledger on the in-memory store, one issuer with an SMS issuance account, and wallets."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock
        self.ledger = Ledger(env=POPO) if clock is None else Ledger(env=POPO, clock=clock)
        self.issuer = uuid4()
        self.issuance = self.ledger.open_account(self.issuer, ISSUANCE, "SMS", 0, floor=None)
        self.account_ids: list[UUID] = [self.issuance]

    # Arranging ------------------------------------------------------------------------

    def wallet(
        self, balance: int = 0, floor: int = 0, unit: str = "SMS", scale: int = 0
    ) -> UUID:
        """A new wallet, granted ``balance`` from the issuer's issuance account in ``unit``."""
        wallet_id = self.ledger.open_account(uuid4(), WALLET, unit, scale, floor=floor)
        self.account_ids.append(wallet_id)
        if balance:
            issuance = self.ledger.open_account(self.issuer, ISSUANCE, unit, scale, floor=None)
            if issuance not in self.account_ids:
                self.account_ids.append(issuance)
            self.ledger.grant(uuid4(), self.issuer, wallet_id, balance)
        return wallet_id

    def pay(self, debit: UUID, credit: UUID, amount: int) -> Transfer:
        return self.ledger.transfer(TransferOrder(uuid4(), debit, credit, amount))

    def hold(
        self, debit: UUID, credit: UUID, amount: int, timeout_s: int | None = None
    ) -> Transfer:
        return self.ledger.transfer(
            TransferOrder(uuid4(), debit, credit, amount, pending=True, timeout_s=timeout_s)
        )

    # Observing ------------------------------------------------------------------------

    def account(self, account_id: UUID) -> Account:
        return self.ledger.account(account_id)

    def available(self, account_id: UUID) -> int:
        return self.ledger.account(account_id).available

    def totals(self, account_id: UUID) -> Totals:
        account = self.ledger.account(account_id)
        return Totals(
            credits_posted=account.credits_posted,
            credits_pending=account.credits_pending,
            debits_posted=account.debits_posted,
            debits_pending=account.debits_pending,
            available=account.available,
            floor=account.floor,
            closed=account.closed,
        )

    def notifications(self) -> list[Any]:
        return list(self.ledger.recorder.select_notifications(start=1, limit=10**6))

    def recorded(self) -> int:
        """How many events the ledger has recorded so far."""
        return len(self.notifications())

    def events(self) -> list[Any]:
        return [self.ledger.mapper.to_domain_event(n) for n in self.notifications()]

    def topics_since(self, position: int) -> list[str]:
        """The topics of the events recorded after the first ``position`` ones."""
        return [n.topic for n in self.notifications()[position:]]

    def events_of(self, originator_id: UUID) -> list[Any]:
        return [e for e in self.events() if e.originator_id == originator_id]

    def state(self) -> State:
        return State(
            notifications=self.recorded(),
            accounts={account_id: self.totals(account_id) for account_id in self.account_ids},
        )


@pytest.fixture
def book() -> Book:
    return Book()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed_book(clock: Clock) -> Book:
    """A book whose ledger reads the test's ``clock``."""
    return Book(clock=clock)


@pytest.fixture
def book_at() -> Callable[[datetime], Book]:
    """``book_at(start)``: a book whose ledger clock starts at ``start`` (``book.clock``)."""
    return lambda start: Book(clock=Clock(start))
