"""The ledger's balances, statements and transfers tables, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select

from portevoix.ledger.services import ISSUANCE, REVENUE, WALLET, Ledger
from portevoix.ledger.transfers import TransferOrder
from portevoix.projections.balances import Balances, balances, statement_lines, transfers
from portevoix.projections.statements import reservations_due, statement
from portevoix.projections.tracking import ProjectionRunner
from portevoix.storage import Storage


class Books:
    """A platform, a reseller and a customer, with a few movements between them."""

    def __init__(self, ledger: Ledger) -> None:
        self.platform, self.customer = uuid4(), uuid4()
        ledger.open_account(self.platform, ISSUANCE, "SMS", 3, None)
        self.revenue = ledger.open_account(self.platform, REVENUE, "SMS", 3, None)
        self.wallet = ledger.open_account(self.customer, WALLET, "SMS", 3)
        ledger.grant(uuid4(), self.platform, self.wallet, 10_000)
        self.send = uuid4()
        ledger.transfer(TransferOrder(self.send, self.wallet, self.revenue, 4_000, pending=True))
        ledger.post(self.send, 1_500, settlement_id=uuid4())
        ledger.post(self.send, 1_000, settlement_id=uuid4())
        ledger.void(self.send)


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    ledger = Ledger(env=Storage(database_url).event_store_env("ledger"))
    yield ledger
    ledger.close()


@pytest.fixture
def runner(ledger: Ledger, database_url: str) -> Iterator[ProjectionRunner]:
    runner = ProjectionRunner(ledger, Balances(), Storage(database_url).projection_engine())
    runner.create_tables()
    yield runner
    runner.engine.dispose()


def table_rows(runner: ProjectionRunner) -> dict[str, list[tuple[object, ...]]]:
    with runner.engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(
                select(table).order_by(*table.primary_key.columns)
            )]
            for table in (balances, statement_lines, transfers)
        }


def balance_of(runner: ProjectionRunner, account_id: UUID) -> tuple[int, int, int]:
    with runner.engine.connect() as conn:
        row = conn.execute(select(balances).where(balances.c.account_id == account_id)).one()
    return row.credits_posted - row.debits_posted, row.debits_pending, row.credits_pending


def test_balances_follow_every_movement_including_system_accounts(
    ledger: Ledger, runner: ProjectionRunner
) -> None:
    books = Books(ledger)

    runner.catch_up()

    assert balance_of(runner, books.wallet) == (7_500, 0, 0)
    assert balance_of(runner, books.revenue) == (2_500, 0, 0)
    with runner.engine.connect() as conn:
        total = conn.execute(
            select(func.sum(balances.c.credits_posted - balances.c.debits_posted))
        ).scalar()
    assert total == 0


def test_statement_lines_carry_the_running_balance(
    ledger: Ledger, runner: ProjectionRunner
) -> None:
    books = Books(ledger)

    runner.catch_up()

    with runner.engine.connect() as conn:
        lines = conn.execute(
            select(statement_lines.c.entry, statement_lines.c.amount,
                   statement_lines.c.balance_after, statement_lines.c.available_after)
            .where(statement_lines.c.account_id == books.wallet)
            .order_by(statement_lines.c.line_id)
        ).all()
    assert [tuple(line) for line in lines] == [
        ("credit", 10_000, 10_000, 10_000),
        ("hold", 4_000, 10_000, 6_000),
        ("hold_posted", 1_500, 8_500, 6_000),
        ("hold_posted", 1_000, 7_500, 6_000),
        ("hold_released", 1_500, 7_500, 7_500),
    ]


def test_transfer_rows_show_what_became_of_each_reservation(
    ledger: Ledger, runner: ProjectionRunner
) -> None:
    books = Books(ledger)

    runner.catch_up()

    with runner.engine.connect() as conn:
        row = conn.execute(select(transfers).where(transfers.c.transfer_id == books.send)).one()
    assert (row.status, row.posted, row.voided, row.amount) == ("posted", 2_500, 1_500, 4_000)


def test_catching_up_again_applies_nothing_twice(ledger: Ledger, runner: ProjectionRunner) -> None:
    Books(ledger)
    runner.catch_up()
    before = table_rows(runner)

    applied = runner.catch_up()

    assert applied == 0
    assert table_rows(runner) == before


def test_rebuild_reproduces_the_tables_exactly(ledger: Ledger, runner: ProjectionRunner) -> None:
    Books(ledger)
    runner.catch_up()
    Books(ledger)
    runner.catch_up()
    before = table_rows(runner)

    runner.rebuild()

    assert table_rows(runner) == before


def test_two_runners_racing_apply_each_event_once(ledger: Ledger, database_url: str) -> None:
    books = Books(ledger)
    storage = Storage(database_url)
    runners = [ProjectionRunner(ledger, Balances(), storage.projection_engine(), page_size=3)
               for _ in range(2)]
    runners[0].create_tables()

    threads = [threading.Thread(target=r.catch_up) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert balance_of(runners[0], books.wallet) == (7_500, 0, 0)
    assert balance_of(runners[0], books.revenue) == (2_500, 0, 0)


def test_statement_is_filtered_by_period(ledger: Ledger, runner: ProjectionRunner) -> None:
    books = Books(ledger)
    runner.catch_up()
    now = datetime.now(UTC)

    everything = statement(runner.engine, books.wallet, since=now - timedelta(hours=1))
    nothing_yet = statement(runner.engine, books.wallet, since=now + timedelta(hours=1))
    nothing_before = statement(runner.engine, books.wallet, until=now - timedelta(hours=1))

    assert [line.entry for line in everything][:2] == ["credit", "hold"]
    assert (nothing_yet, nothing_before) == ([], [])


def test_reservations_past_their_timeout_are_found_and_expired(database_url: str) -> None:
    storage = Storage(database_url)
    placed_at = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    clock = [placed_at]
    ledger = Ledger(env=storage.event_store_env("ledger"), clock=lambda: clock[0])
    runner = ProjectionRunner(ledger, Balances(), storage.projection_engine())
    runner.create_tables()
    books = Books(ledger)
    held = ledger.transfer(TransferOrder(uuid4(), books.wallet, books.revenue, 500,
                                         pending=True, timeout_s=600))
    runner.catch_up()

    not_yet = reservations_due(runner.engine, placed_at + timedelta(seconds=599))
    clock[0] = placed_at + timedelta(seconds=600)
    due = reservations_due(runner.engine, clock[0])
    expired = ledger.expire(due)
    runner.catch_up()

    assert (not_yet, due, expired) == ([], [held.id], [held.id])
    assert balance_of(runner, books.wallet) == (7_500, 0, 0)
    ledger.close()
