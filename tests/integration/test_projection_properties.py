"""Property: whatever the ledger went through, and whenever the projection caught up, the
tables equal a rebuild from the log, match the wallets' own totals and sum to zero."""

from __future__ import annotations

from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portevoix.ledger.errors import LedgerError
from portevoix.ledger.services import ISSUANCE, REVENUE, WALLET, Ledger
from portevoix.ledger.transfers import PENDING, TransferOrder
from portevoix.projections.balances import Balances, balances, statement_lines, transfers
from portevoix.projections.tracking import ProjectionRunner
from portevoix.storage import Storage

operations = st.lists(
    st.tuples(
        st.sampled_from(["grant", "pay", "hold", "post", "void", "catch_up"]),
        st.integers(min_value=0, max_value=3),  # which wallet
        st.integers(min_value=0, max_value=3),  # which other wallet
        st.integers(min_value=-5, max_value=3_000),  # amount, some invalid
    ),
    max_size=40,
)


def snapshot(runner: ProjectionRunner) -> dict[str, list[tuple[object, ...]]]:
    with runner.engine.connect() as conn:
        return {
            table.name: sorted(
                (tuple(row) for row in conn.execute(select(table))), key=repr
            )
            for table in (balances, statement_lines, transfers)
        }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_projection_equals_rebuild_and_the_wallets(ops: list[tuple[str, int, int, int]]) -> None:
    storage = Storage("memory://")
    ledger = Ledger(env=storage.event_store_env("ledger"))
    runner = ProjectionRunner(ledger, Balances(), storage.projection_engine(), page_size=7)
    runner.create_tables()
    platform = uuid4()
    ledger.open_account(platform, ISSUANCE, "SMS", 0, None)
    revenue = ledger.open_account(platform, REVENUE, "SMS", 0, None)
    wallets = [ledger.open_account(uuid4(), WALLET, "SMS", 0) for _ in range(4)]
    ledger.change_floor(wallets[3], -500)
    holds: list[UUID] = []

    for name, which, other, amount in ops:
        wallet = wallets[which]
        try:
            if name == "grant":
                ledger.grant(uuid4(), platform, wallet, amount)
            elif name == "pay":
                ledger.transfer(TransferOrder(uuid4(), wallet, wallets[other], amount))
            elif name == "hold":
                holds.append(ledger.transfer(
                    TransferOrder(uuid4(), wallet, revenue, amount, pending=True)).id)
            elif name == "post" and holds:
                ledger.post(holds[which % len(holds)], amount, settlement_id=uuid4())
            elif name == "void" and holds:
                ledger.void(holds[other % len(holds)])
            elif name == "catch_up":
                runner.catch_up()
        except LedgerError:
            pass

    runner.catch_up()
    live = snapshot(runner)
    runner.rebuild()
    assert snapshot(runner) == live
    with runner.engine.connect() as conn:
        rows = {row.account_id: row for row in conn.execute(select(balances))}
        pending = conn.execute(select(transfers).where(transfers.c.status == PENDING)).all()
    assert sum(r.credits_posted - r.debits_posted for r in rows.values()) == 0
    for wallet in wallets:
        account, row = ledger.account(wallet), rows[wallet]
        assert (row.credits_posted, row.debits_posted, row.debits_pending) == (
            account.credits_posted, account.debits_posted, account.debits_pending)
        assert account.available >= account.floor
    assert all(t.posted + t.voided <= t.amount for t in pending)
