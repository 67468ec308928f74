"""Concurrent writers in separate processes never take a wallet below its floor: racing
and retrying, or taking turns behind the store's fence with group commits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from portevoix.ledger.errors import InsufficientFundsError
from portevoix.ledger.services import ISSUANCE, REVENUE, WALLET, Ledger
from portevoix.ledger.transfers import TransferOrder
from portevoix.ledger.writer import LedgerWriter
from portevoix.projections.balances import Balances, balances
from portevoix.projections.tracking import ProjectionRunner
from portevoix.storage import Storage

WORKER = Path(__file__).with_name("reserve_worker.py")


def test_four_processes_racing_for_600_units_reserve_exactly_600(postgres_url: str) -> None:
    storage = Storage(postgres_url)
    ledger = Ledger(env=storage.event_store_env("ledger"))
    platform = uuid4()
    ledger.open_account(platform, ISSUANCE, "SMS", 0, None)
    revenue = ledger.open_account(platform, REVENUE, "SMS", 0, None)
    wallet = ledger.open_account(uuid4(), WALLET, "SMS", 0)
    ledger.grant(uuid4(), platform, wallet, 600)

    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), postgres_url, str(wallet), str(revenue), "250"],
            stdout=subprocess.PIPE, text=True,
        )
        for _ in range(4)
    ]
    results = [json.loads(worker.communicate(timeout=240)[0]) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0, 0, 0]
    assert sum(r["reserved"] for r in results) == 600
    assert sum(r["refused"] for r in results) == 400
    account = ledger.account(wallet)
    assert (account.available, account.debits_pending, account.balance) == (0, 600, 600)
    runner = ProjectionRunner(ledger, Balances(), storage.projection_engine())
    runner.create_tables()
    runner.catch_up()
    with runner.engine.connect() as conn:
        row = conn.execute(select(balances).where(balances.c.account_id == wallet)).one()
    assert (row.credits_posted, row.debits_pending, row.debits_posted) == (600, 600, 0)


def test_three_fenced_processes_with_writers_reserve_exactly_what_there_is(
        database_url: str) -> None:
    storage = Storage(database_url)
    ledger = Ledger(env=storage.event_store_env("ledger"), fence=storage.ledger_fence())
    platform = uuid4()
    ledger.open_account(platform, ISSUANCE, "SMS", 0, None)
    revenue = ledger.open_account(platform, REVENUE, "SMS", 0, None)
    wallet = ledger.open_account(uuid4(), WALLET, "SMS", 0)
    ledger.grant(uuid4(), platform, wallet, 500)
    ledger.transfer(_hold(wallet, revenue))  # remembered here, then changed by the others

    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), database_url, str(wallet), str(revenue), "200",
             "fenced"], stdout=subprocess.PIPE, text=True,
        )
        for _ in range(3)
    ]
    results = [json.loads(worker.communicate(timeout=240)[0]) for worker in workers]
    writer = LedgerWriter(ledger).start()
    with pytest.raises(InsufficientFundsError):  # it sees what the others did: no collision
        writer.place([_hold(wallet, revenue)])
    writer.stop()

    assert [worker.returncode for worker in workers] == [0, 0, 0]
    assert sum(r["reserved"] for r in results) == 499
    assert sum(r["refused"] for r in results) == 101
    account = ledger.account(wallet)
    assert (account.available, account.debits_pending) == (0, 500)
    assert ledger.collisions == 0
    ledger.close()


def _hold(wallet: UUID, revenue: UUID) -> TransferOrder:
    return TransferOrder(uuid4(), wallet, revenue, 1, pending=True)
