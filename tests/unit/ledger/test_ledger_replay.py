"""Replay equals live: what a command returns, a reload and a snapshot all agree."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import uuid4

from portevoix.ledger.accounts import Account
from portevoix.ledger.services import WALLET, Ledger
from portevoix.ledger.transfers import TransferOrder

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def state_of(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def full_replay(ledger: Ledger, aggregate_id: Any) -> Any:
    """The aggregate folded from all its events, ignoring any snapshot."""
    aggregate = None
    for recorded in ledger.events.get(aggregate_id):
        aggregate = recorded.mutate(aggregate)
    return aggregate


class EveryThirdEvent(Ledger):
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Account: 3}


def test_transfer_returned_by_a_post_equals_its_reload(book):
    payer = book.wallet(balance=100)
    held = book.hold(payer, book.issuance, 60, timeout_s=300)
    book.ledger.post(held.id, 10, uuid4())

    live = book.ledger.post(held.id, 15, uuid4())

    reloaded = book.ledger.get_transfer(held.id)
    assert state_of(reloaded) == state_of(live)
    assert sorted(reloaded.settlements.values()) == [10, 15]


def test_busy_wallet_is_snapshotted_every_interval():
    ledger = EveryThirdEvent(env=POPO)
    issuer = uuid4()
    ledger.open_account(issuer, "issuance", "SMS", 0, floor=None)
    wallet = ledger.open_account(uuid4(), WALLET, "SMS", 0)

    for amount in (10, 20, 30, 40, 50, 60, 70):  # wallet versions 2 to 8
        ledger.grant(uuid4(), issuer, wallet, amount)

    assert [s.originator_version for s in ledger.snapshots.get(wallet)] == [3, 6]


def test_wallet_reloaded_from_a_snapshot_equals_its_full_replay():
    ledger = EveryThirdEvent(env=POPO)
    issuer = uuid4()
    issuance = ledger.open_account(issuer, "issuance", "SMS", 0, floor=None)
    wallet = ledger.open_account(uuid4(), WALLET, "SMS", 0)
    ledger.set_low_balance_threshold(wallet, 50)
    ledger.grant(uuid4(), issuer, wallet, 100)
    ledger.change_floor(wallet, -20)
    ledger.transfer(TransferOrder(uuid4(), wallet, issuance, 110, pending=True))

    reloaded = ledger.account(wallet)
    assert list(ledger.snapshots.get(wallet))
    assert state_of(reloaded) == state_of(full_replay(ledger, wallet))
    assert (reloaded.available, reloaded.floor, reloaded.below_threshold) == (-10, -20, True)
