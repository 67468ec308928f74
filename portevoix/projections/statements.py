"""Questions asked of the ledger's projections: balances per account, statements by period,
reservations past their timeout."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Engine, and_, select

from portevoix.ledger.transfers import PENDING
from portevoix.projections.balances import balances, statement_lines, transfers
from portevoix.projections.tenancy import tenants


@dataclass(frozen=True)
class BalanceRow:
    account_id: UUID
    owner_id: UUID
    owner_kind: str
    owner_name: str
    purpose: str
    unit: str
    scale: int
    balance: int
    available: int
    pending_out: int
    pending_in: int
    floor: int | None
    below_threshold: bool


@dataclass(frozen=True)
class StatementLine:
    at: datetime
    transfer_id: UUID
    counterparty_id: UUID
    kind: str
    reference: str
    entry: str
    amount: int
    balance_change: int
    available_change: int
    balance_after: int
    available_after: int


def balance_rows(engine: Engine, owner_ids: Collection[UUID] | None = None) -> list[BalanceRow]:
    """Every account's balances (of ``owner_ids`` only, when given), with its owner's name."""
    query = (
        select(balances, tenants.c.kind, tenants.c.name.label("owner_name"))
        .join(tenants, tenants.c.tenant_id == balances.c.owner_id, isouter=True)
        .order_by(tenants.c.kind, tenants.c.name, balances.c.purpose)
    )
    if owner_ids is not None:
        query = query.where(balances.c.owner_id.in_(list(owner_ids)))
    with engine.connect() as conn:
        return [
            BalanceRow(
                account_id=row.account_id, owner_id=row.owner_id,
                owner_kind=row.kind or "", owner_name=row.owner_name or row.name,
                purpose=row.purpose, unit=row.unit, scale=row.scale,
                balance=row.credits_posted - row.debits_posted,
                available=row.credits_posted - row.debits_posted - row.debits_pending,
                pending_out=row.debits_pending, pending_in=row.credits_pending,
                floor=row.floor, below_threshold=row.below_threshold,
            )
            for row in conn.execute(query)
        ]


def statement(
    engine: Engine, account_id: UUID, since: datetime | None = None,
    until: datetime | None = None, limit: int = 10_000,
) -> list[StatementLine]:
    """The account's movements in ``[since, until)``, oldest first, with running balances."""
    conditions = [statement_lines.c.account_id == account_id]
    if since is not None:
        conditions.append(statement_lines.c.at >= since)
    if until is not None:
        conditions.append(statement_lines.c.at < until)
    query = (
        select(statement_lines).where(and_(*conditions))
        .order_by(statement_lines.c.line_id).limit(limit)
    )
    with engine.connect() as conn:
        return [
            StatementLine(
                at=row.at, transfer_id=row.transfer_id, counterparty_id=row.counterparty_id,
                kind=row.kind, reference=row.reference, entry=row.entry, amount=row.amount,
                balance_change=row.balance_change, available_change=row.available_change,
                balance_after=row.balance_after, available_after=row.available_after,
            )
            for row in conn.execute(query)
        ]


def reservations_due(engine: Engine, now: datetime) -> list[UUID]:
    """Pending transfers whose timeout has passed (the ledger checks again before voiding)."""
    query = select(transfers.c.transfer_id).where(
        transfers.c.status == PENDING, transfers.c.timeout_at <= now
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())
