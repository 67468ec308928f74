"""Balances, statements and transfers of the ledger, projected from its events.

Transfer events are the source of every movement, on both sides, so the balances of system
accounts (which record nothing per transfer on their aggregate) are here like everyone's, and
the sum of all balances is zero. A page of events is folded in memory (rows of the touched
accounts and transfers are read once) and written with a few bulk statements, which is what
makes a rebuild fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    bindparam,
    select,
    update,
)

from portevoix.ledger.accounts import Account
from portevoix.ledger.transfers import PENDING, POSTED, Transfer
from portevoix.projections.bulk import chunks, insert_rows
from portevoix.projections.tracking import EventHandlers, PagedProjection

metadata = MetaData()

balances = Table(
    "ledger_balances",
    metadata,
    Column("account_id", Uuid, primary_key=True),
    Column("owner_id", Uuid, nullable=False, index=True),
    Column("purpose", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("unit", String(12), nullable=False),
    Column("scale", Integer, nullable=False),
    Column("floor", BigInteger),
    Column("low_balance_threshold", BigInteger),
    Column("below_threshold", Boolean, nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("credits_posted", BigInteger, nullable=False),
    Column("credits_pending", BigInteger, nullable=False),
    Column("debits_posted", BigInteger, nullable=False),
    Column("debits_pending", BigInteger, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

statement_lines = Table(
    "ledger_statement_lines",
    metadata,
    Column("line_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("account_id", Uuid, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("transfer_id", Uuid, nullable=False),
    Column("counterparty_id", Uuid, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("entry", String(30), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("balance_change", BigInteger, nullable=False),
    Column("available_change", BigInteger, nullable=False),
    Column("balance_after", BigInteger, nullable=False),
    Column("available_after", BigInteger, nullable=False),
    Index("ix_statement_account_at", "account_id", "at"),
)

transfers = Table(
    "ledger_transfers",
    metadata,
    Column("transfer_id", Uuid, primary_key=True),
    Column("debit_account_id", Uuid, nullable=False, index=True),
    Column("credit_account_id", Uuid, nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("unit", String(12), nullable=False),
    Column("pending", Boolean, nullable=False),
    Column("status", String(10), nullable=False),
    Column("posted", BigInteger, nullable=False),
    Column("voided", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("timeout_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_transfers_pending_timeout", "status", "timeout_at"),
)

# How each leg of a transfer event moves the two sides: (entry, balance sign, available sign)
# for the debit side, then the credit side. Pending legs move availability, not balance.
MOVES = {
    "single": (("debit", -1, -1), ("credit", 1, 1)),
    "hold": (("hold", 0, -1), ("credit_expected", 0, 0)),
    "post": (("hold_posted", -1, 0), ("expected_credit_posted", 1, 1)),
    "void": (("hold_released", 0, 1), ("expected_credit_released", 0, 0)),
}
_TOTALS = {  # which totals each entry changes: (column, sign)
    "debit": (("debits_posted", 1),),
    "credit": (("credits_posted", 1),),
    "hold": (("debits_pending", 1),),
    "credit_expected": (("credits_pending", 1),),
    "hold_posted": (("debits_pending", -1), ("debits_posted", 1)),
    "expected_credit_posted": (("credits_pending", -1), ("credits_posted", 1)),
    "hold_released": (("debits_pending", -1),),
    "expected_credit_released": (("credits_pending", -1),),
}


class _Page:
    """The rows a page of events touches, read once, changed in memory, written in bulk."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.accounts: dict[UUID, dict[str, Any]] = {}
        self.new_accounts: set[UUID] = set()
        self.transfers: dict[UUID, dict[str, Any]] = {}
        self.new_transfers: set[UUID] = set()
        self.lines: list[dict[str, Any]] = []

    def preload(self, events: Sequence[Any]) -> None:
        """Read the rows of the accounts and transfers that the page changes but did not
        create."""
        account_ids, transfer_ids, created = set(), set(), set()
        for e in events:
            if isinstance(e, Transfer.Created | Account.Opened):
                created.add(e.originator_id)
            if isinstance(e, Transfer.Event):
                transfer_ids.add(e.originator_id)
                account_ids.update((e.debit_account_id, e.credit_account_id))
            elif isinstance(e, Account.Event):
                account_ids.add(e.originator_id)
        account_ids -= created
        transfer_ids -= created
        for chunk in chunks(list(account_ids)):
            for row in self.conn.execute(select(balances).where(balances.c.account_id.in_(chunk))):
                self.accounts[row.account_id] = row._asdict()
        for chunk in chunks(list(transfer_ids)):
            for row in self.conn.execute(
                select(transfers).where(transfers.c.transfer_id.in_(chunk))
            ):
                self.transfers[row.transfer_id] = row._asdict()

    def move(self, event: Any, transfer: dict[str, Any], how: str, amount: int) -> None:
        """Record the two legs of ``amount`` moving as ``how`` for this transfer event."""
        sides = (transfer["debit_account_id"], transfer["credit_account_id"])
        for side, (entry, balance_sign, available_sign) in enumerate(MOVES[how]):
            account = self.accounts[sides[side]]
            for column, sign in _TOTALS[entry]:
                account[column] += sign * amount
            account["updated_at"] = event.timestamp
            self.lines.append({
                "account_id": sides[side],
                "at": event.timestamp,
                "transfer_id": transfer["transfer_id"],
                "counterparty_id": sides[1 - side],
                "kind": transfer["kind"],
                "reference": transfer["reference"],
                "entry": entry,
                "amount": amount,
                "balance_change": balance_sign * amount,
                "available_change": available_sign * amount,
                "balance_after": account["credits_posted"] - account["debits_posted"],
                "available_after": account["credits_posted"] - account["debits_posted"]
                - account["debits_pending"],
            })

    def flush(self) -> None:
        conn = self.conn
        insert_rows(conn, balances, [self.accounts[i] for i in self.new_accounts])
        changed = [row for i, row in self.accounts.items() if i not in self.new_accounts]
        if changed:
            conn.execute(
                update(balances).where(balances.c.account_id == bindparam("b_account_id")),
                [_prefixed(row, "account_id") for row in changed],
            )
        insert_rows(conn, transfers, [self.transfers[i] for i in self.new_transfers])
        updated = [row for i, row in self.transfers.items() if i not in self.new_transfers]
        if updated:
            conn.execute(
                update(transfers).where(transfers.c.transfer_id == bindparam("b_transfer_id")),
                [_prefixed(row, "transfer_id") for row in updated],
            )
        insert_rows(conn, statement_lines, self.lines)


def _prefixed(row: dict[str, Any], key: str) -> dict[str, Any]:
    values = {k: v for k, v in row.items() if k != key}
    values[f"b_{key}"] = row[key]
    return values


handles = EventHandlers()


@handles
def account_opened(event: Account.Opened, page: _Page) -> None:
    page.accounts[event.originator_id] = {
        "account_id": event.originator_id, "owner_id": event.owner_id,
        "purpose": event.purpose, "name": event.name, "unit": event.unit,
        "scale": event.scale, "floor": event.floor, "low_balance_threshold": None,
        "below_threshold": False, "closed": False, "credits_posted": 0,
        "credits_pending": 0, "debits_posted": 0, "debits_pending": 0,
        "opened_at": event.timestamp, "updated_at": event.timestamp,
    }
    page.new_accounts.add(event.originator_id)

@handles
def floor_changed(event: Account.FloorChanged, page: _Page) -> None:
    page.accounts[event.originator_id]["floor"] = event.floor

@handles
def threshold_set(event: Account.LowBalanceThresholdSet, page: _Page) -> None:
    account = page.accounts[event.originator_id]
    account["low_balance_threshold"] = event.threshold
    available = account["credits_posted"] - account["debits_posted"]
    available -= account["debits_pending"]
    account["below_threshold"] = event.threshold is not None and available < event.threshold

@handles
def low_balance_reached(event: Account.LowBalanceReached, page: _Page) -> None:
    page.accounts[event.originator_id]["below_threshold"] = True

@handles
def balance_restored(event: Account.BalanceRestored, page: _Page) -> None:
    page.accounts[event.originator_id]["below_threshold"] = False

@handles
def account_closed(event: Account.Closed, page: _Page) -> None:
    page.accounts[event.originator_id]["closed"] = True

@handles
def transfer_created(event: Transfer.Created, page: _Page) -> None:
    row = {
        "transfer_id": event.originator_id, "debit_account_id": event.debit_account_id,
        "credit_account_id": event.credit_account_id, "amount": event.amount,
        "unit": event.unit, "pending": event.pending,
        "status": PENDING if event.pending else POSTED,
        "posted": 0 if event.pending else event.amount, "voided": 0,
        "kind": event.kind, "reference": event.reference,
        "created_at": event.timestamp, "timeout_at": event.timeout_at,
        "updated_at": event.timestamp,
    }
    page.transfers[event.originator_id] = row
    page.new_transfers.add(event.originator_id)
    page.move(event, row, "hold" if event.pending else "single", event.amount)

@handles
def transfer_posted(event: Transfer.Posted, page: _Page) -> None:
    row = page.transfers[event.originator_id]
    row["posted"] += event.amount
    row["updated_at"] = event.timestamp
    if row["posted"] == row["amount"]:
        row["status"] = POSTED
    page.move(event, row, "post", event.amount)

@handles
def transfer_voided(event: Transfer.Voided, page: _Page) -> None:
    row = page.transfers[event.originator_id]
    row["voided"] += event.amount
    row["updated_at"] = event.timestamp
    row["status"] = event.reason if row["posted"] == 0 else POSTED
    page.move(event, row, "void", event.amount)


class Balances(PagedProjection):
    """``ledger_balances``, ``ledger_statement_lines`` and ``ledger_transfers``."""

    name = "ledger_balances"
    metadata = metadata
    handlers = handles
    page_type = _Page
