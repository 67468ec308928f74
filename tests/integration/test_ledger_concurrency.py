"""Concurrent writers in separate processes never take a wallet below its floor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

from sqlalchemy import select

from portevoix.ledger.services import ISSUANCE, REVENUE, WALLET, Ledger
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
