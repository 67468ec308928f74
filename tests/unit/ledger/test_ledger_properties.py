"""Ledger invariants under random sequences of operations, valid and invalid mixed.

After every step: the books balance (folded from the Transfer events), no wallet is below its
floor, no transfer settles more than it reserved, each wallet's totals equal those folded
from the events, a refused command recorded nothing, and every aggregate a command changed
(or the ledger keeps in memory for its batches) equals its reload from the store (replay
equals live, snapshots included).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID, uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from portevoix.ledger.accounts import Account
from portevoix.ledger.errors import LedgerError
from portevoix.ledger.services import ISSUANCE, REVENUE, WALLET, Ledger, Posting
from portevoix.ledger.transfers import Transfer, TransferOrder

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
TRANSFER_CREATED = "portevoix.ledger:Transfer.Created"
TRANSFER_POSTED = "portevoix.ledger:Transfer.Posted"
TRANSFER_VOIDED = "portevoix.ledger:Transfer.Voided"
TOTALS = ("credits_posted", "credits_pending", "debits_posted", "debits_pending")



def mostly(valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any]) -> Any:
    """``valid`` nine times in ten, else ``invalid``."""
    return st.integers(min_value=0, max_value=9).flatmap(lambda n: invalid if n == 0 else valid)


amounts = mostly(
    st.integers(min_value=1, max_value=600),
    st.sampled_from([0, -3, 2.5, True]),  # refused: not a positive integer
)
post_amounts = mostly(st.integers(min_value=1, max_value=150), st.sampled_from([None, 0, -1]))
timeouts = st.one_of(st.none(), st.integers(min_value=1, max_value=120))
floors = st.one_of(st.just(0), st.integers(min_value=-1000, max_value=-1))


class SnapshottingLedger(Ledger):
    """Snapshots accounts every few events, so that reloads also start from snapshots."""

    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Account: 4}


class Clock:
    """The ledger's clock: starts at the wall clock's time and moves on demand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def state_of(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


class LiveAggregates:
    """Keeps the aggregates a command loads (and changes in memory) to compare with a reload.

    The ledger hands ``repository.get`` to each unit of work, so wrapping it on this ledger
    instance sees the very objects the command changes; snapshotting's versioned loads are
    left out.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.reload = ledger.repository.get
        self.loaded: dict[UUID, Any] = {}
        ledger.repository.get = self._load  # type: ignore[method-assign]

    def _load(self, aggregate_id: UUID, *args: Any, **kwargs: Any) -> Any:
        aggregate = self.reload(aggregate_id, *args, **kwargs)
        if not args and not kwargs:
            self.loaded[aggregate_id] = aggregate
        return aggregate

    def start(self) -> None:
        self.loaded = {}

    def assert_replay_equals_live(self, *returned: Any) -> None:
        live = dict(self.loaded)
        live.update({a.id: a for a in returned if isinstance(a, Transfer)})
        for aggregate_id, aggregate in live.items():
            assert state_of(self.reload(aggregate_id)) == state_of(aggregate), aggregate_id


def fold_totals(events: list[tuple[str, Any]]) -> dict[UUID, dict[str, int]]:
    """Every account's totals, folded from the Transfer events alone."""
    totals: dict[UUID, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TOTALS, 0))
    for topic, e in events:
        if topic == TRANSFER_CREATED:
            side = "pending" if e.pending else "posted"
            totals[e.debit_account_id][f"debits_{side}"] += e.amount
            totals[e.credit_account_id][f"credits_{side}"] += e.amount
        elif topic == TRANSFER_POSTED:
            totals[e.debit_account_id]["debits_pending"] -= e.amount
            totals[e.debit_account_id]["debits_posted"] += e.amount
            totals[e.credit_account_id]["credits_pending"] -= e.amount
            totals[e.credit_account_id]["credits_posted"] += e.amount
        elif topic == TRANSFER_VOIDED:
            totals[e.debit_account_id]["debits_pending"] -= e.amount
            totals[e.credit_account_id]["credits_pending"] -= e.amount
    return totals


class LedgerMachine(RuleBasedStateMachine):
    wallets = Bundle("wallets")
    systems = Bundle("systems")  # issuance and revenue: no floor, no events per transfer
    accounts = mostly(wallets, systems)

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.ledger = SnapshottingLedger(env=POPO, clock=self.clock)
        self.live = LiveAggregates(self.ledger)
        self.issuer = uuid4()
        self.account_ids = [
            self.ledger.open_account(self.issuer, ISSUANCE, "SMS", 0, floor=None),
            self.ledger.open_account(uuid4(), REVENUE, "SMS", 0, floor=None),
        ]
        self.transfer_ids: list[UUID] = []
        self.orders: list[TransferOrder] = []
        self.settlements: dict[UUID, tuple[UUID, int]] = {}
        self.events: list[tuple[str, Any]] = []

    # Helpers --------------------------------------------------------------------------

    def recorded(self) -> int:
        return len(self.ledger.recorder.select_notifications(start=1, limit=10**6))

    def attempt(self, command: Any) -> Any:
        """Run ``command``; a refusal must record nothing, a success must replay as live."""
        before = self.recorded()
        self.live.start()
        try:
            result = command()
        except LedgerError as error:
            assert self.recorded() == before, f"{error!r} recorded events"
            return None
        returned = result if isinstance(result, list) else [result]
        flat = [t for r in returned for t in (r if isinstance(r, list) else [r])]
        self.live.assert_replay_equals_live(*flat)
        return result

    def catch_up(self) -> None:
        new = self.ledger.recorder.select_notifications(start=len(self.events) + 1, limit=10**6)
        self.events.extend((n.topic, self.ledger.mapper.to_domain_event(n)) for n in new)

    def order(self, debit: UUID, credit: UUID, amount: Any, pending: bool = False,
              timeout_s: int | None = None) -> TransferOrder:
        order = TransferOrder(uuid4(), debit, credit, amount, pending=pending,
                              timeout_s=timeout_s)
        self.orders.append(order)
        return order

    # Setting up -----------------------------------------------------------------------

    @initialize(target=systems)
    def system_accounts(self) -> Any:
        return multiple(*self.account_ids[:2])

    @initialize(target=wallets, floors=st.lists(floors, min_size=2, max_size=2),
                balances=st.lists(st.integers(min_value=0, max_value=1000), min_size=2,
                                  max_size=2))
    def open_first_wallets(self, floors: list[int], balances: list[int]) -> Any:
        return multiple(*map(self.open_wallet, floors, balances))

    @rule(target=wallets, floor=floors, balance=st.integers(min_value=0, max_value=1000))
    def open_wallet(self, floor: int, balance: int) -> UUID:
        wallet = self.ledger.open_account(uuid4(), WALLET, "SMS", 0, floor=floor)
        self.account_ids.append(wallet)
        if balance:
            self.attempt(lambda: self.ledger.grant(uuid4(), self.issuer, wallet, balance))
        return wallet

    # Commands -------------------------------------------------------------------------

    @rule(account=wallets, amount=amounts)
    def grant(self, account: UUID, amount: Any) -> None:
        self.attempt(lambda: self.ledger.grant(uuid4(), self.issuer, account, amount))

    @rule(debit=accounts, credit=accounts, amount=amounts)
    def transfer(self, debit: UUID, credit: UUID, amount: Any) -> None:
        self.attempt(lambda: self.ledger.transfer(self.order(debit, credit, amount)))

    @rule(debit=accounts, credit=accounts, amount=amounts, timeout_s=timeouts)
    def hold(self, debit: UUID, credit: UUID, amount: Any, timeout_s: int | None) -> None:
        order = self.order(debit, credit, amount, pending=True, timeout_s=timeout_s)
        if self.attempt(lambda: self.ledger.transfer(order)) is not None:
            self.transfer_ids.append(order.id)

    @rule(debits=st.lists(accounts, min_size=2, max_size=3), credit=accounts,
          amount=st.integers(min_value=1, max_value=200), pending=st.booleans())
    def linked(self, debits: list[UUID], credit: UUID, amount: int, pending: bool) -> None:
        legs = [self.order(debit, credit, amount, pending=pending) for debit in debits]
        if self.attempt(lambda: self.ledger.transfer_linked(legs)) is not None and pending:
            self.transfer_ids += [leg.id for leg in legs]

    @rule(debits=st.lists(accounts, min_size=1, max_size=4), credit=accounts,
          amount=amounts, repeat_first=st.booleans())
    def batch(self, debits: list[UUID], credit: UUID, amount: Any, repeat_first: bool) -> None:
        groups = [[self.order(debit, credit, amount, pending=True)] for debit in debits]
        if repeat_first:
            groups.append(groups[0])
        outcomes = self.attempt(lambda: self.ledger.execute(groups))
        for group, outcome in zip(groups, outcomes or [], strict=False):
            if isinstance(outcome, list) and group[0].id not in self.transfer_ids:
                self.transfer_ids.append(group[0].id)

    @precondition(lambda self: bool(self.transfer_ids))
    @rule(data=st.data(), amount=post_amounts, same_settlement=st.booleans())
    def post(self, data: st.DataObject, amount: int | None, same_settlement: bool) -> None:
        transfer_id = data.draw(st.sampled_from(self.transfer_ids))
        settlement_id, _ = self.settlements.get(transfer_id, (uuid4(), 0))
        if not same_settlement:
            settlement_id = uuid4()
        result = self.attempt(lambda: self.ledger.post(transfer_id, amount, settlement_id))
        if result is not None and amount is not None:
            self.settlements[transfer_id] = (settlement_id, amount)

    @precondition(lambda self: bool(self.transfer_ids))
    @rule(data=st.data(), amount=st.integers(min_value=1, max_value=200))
    def settle(self, data: st.DataObject, amount: int) -> None:
        transfer_ids = data.draw(st.lists(st.sampled_from(self.transfer_ids), min_size=1,
                                          max_size=3))
        postings = [Posting(transfer_id, amount, uuid4()) for transfer_id in transfer_ids]
        self.attempt(lambda: self.ledger.settle(postings))

    @precondition(lambda self: bool(self.transfer_ids))
    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        transfer_id = data.draw(st.sampled_from(self.transfer_ids))
        self.attempt(lambda: self.ledger.void(transfer_id))

    @precondition(lambda self: bool(self.transfer_ids))
    @rule(data=st.data())
    def void_many(self, data: st.DataObject) -> None:
        transfer_ids = data.draw(st.lists(st.sampled_from(self.transfer_ids), min_size=1,
                                          max_size=3))
        self.attempt(lambda: self.ledger.void_many(transfer_ids))

    @rule(seconds=st.integers(min_value=0, max_value=150))
    def expire(self, seconds: int) -> None:
        self.clock.now += timedelta(seconds=seconds)
        self.attempt(lambda: self.ledger.expire(self.transfer_ids))

    @precondition(lambda self: bool(self.orders))
    @rule(data=st.data(), amount=amounts)
    def reuse_an_id(self, data: st.DataObject, amount: Any) -> None:
        placed = data.draw(st.sampled_from(self.orders))
        reused = TransferOrder(placed.id, placed.debit_account_id, placed.credit_account_id,
                               amount, pending=placed.pending, timeout_s=placed.timeout_s)
        self.attempt(lambda: self.ledger.transfer(reused))

    @rule(account=wallets, floor=st.integers(min_value=-1000, max_value=300))
    def change_floor(self, account: UUID, floor: int) -> None:
        self.attempt(lambda: self.ledger.change_floor(account, floor))

    @rule(account=wallets, threshold=st.one_of(st.none(), st.integers(0, 500)))
    def set_low_balance_threshold(self, account: UUID, threshold: int | None) -> None:
        self.attempt(lambda: self.ledger.set_low_balance_threshold(account, threshold))

    @rule(account=accounts)
    def close(self, account: UUID) -> None:
        self.attempt(lambda: self.ledger.close_account(account))

    # Invariants -----------------------------------------------------------------------

    @invariant()
    def books_balance(self) -> None:
        self.catch_up()
        totals = fold_totals(self.events)
        assert sum(t["credits_posted"] - t["debits_posted"] for t in totals.values()) == 0
        assert sum(t["credits_pending"] for t in totals.values()) == sum(
            t["debits_pending"] for t in totals.values()
        )

    @invariant()
    def no_wallet_is_below_its_floor(self) -> None:
        for account_id in self.account_ids:
            account = self.ledger.account(account_id)
            if account.is_wallet:
                assert account.available >= account.floor, account_id

    @invariant()
    def no_transfer_settles_more_than_it_reserved(self) -> None:
        self.catch_up()
        posted: dict[UUID, int] = defaultdict(int)
        for topic, e in self.events:
            if topic == TRANSFER_POSTED:
                posted[e.originator_id] += e.amount
        for transfer_id in self.transfer_ids:
            transfer = self.ledger.get_transfer(transfer_id)
            assert transfer.posted + transfer.voided <= transfer.amount
            assert transfer.posted == posted[transfer_id]
            if transfer.status == "pending":
                assert transfer.remaining == transfer.amount - transfer.posted - transfer.voided
                assert transfer.remaining > 0
            else:
                assert transfer.posted + transfer.voided == transfer.amount

    @invariant()
    def account_totals_equal_the_transfer_events(self) -> None:
        self.catch_up()
        folded = fold_totals(self.events)
        for account_id in self.account_ids:
            account = self.ledger.account(account_id)
            kept = {name: getattr(account, name) for name in TOTALS}
            if account.is_wallet:
                assert kept == folded[account_id], account_id
            else:  # a system account records nothing per transfer
                assert kept == dict.fromkeys(TOTALS, 0)
                assert account.version == 1

    @invariant()
    def what_the_ledger_trusts_without_reading_equals_the_store(self) -> None:
        # Batches decide on the aggregates as this process last saved them (the ledger's
        # private cache); those must be what the store holds.
        ids = self.account_ids + [order.id for order in self.orders]
        for aggregate_id in ids:
            try:
                trusted = self.ledger._saved.get(aggregate_id)
            except KeyError:
                continue
            assert state_of(trusted) == state_of(self.live.reload(aggregate_id)), aggregate_id

    @invariant()
    def reload_equals_a_full_replay_of_the_events(self) -> None:
        self.catch_up()
        replayed: dict[UUID, Any] = {}
        for _, e in self.events:
            if isinstance(e, Account.Event):
                replayed[e.originator_id] = e.mutate(replayed.get(e.originator_id))
        for account_id in self.account_ids:
            assert state_of(self.ledger.account(account_id)) == state_of(replayed[account_id])


LedgerMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_ledger_invariants_hold_under_random_operations = LedgerMachine.TestCase
