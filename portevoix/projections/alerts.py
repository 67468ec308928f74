"""Low-balance alerts waiting to be mailed: one ``alerts_outbox`` row per ``LowBalanceReached``.

The row is written in the transaction that advances this projection's position, so each
crossing of a threshold is one row, once; ``platform/alerts.py`` mails the pending rows and
marks them here. A rebuild replays the log and would list every past crossing as pending
again, so ``mark_sent`` results are kept by the rebuild only if the table is not dropped:
rebuild this projection with ``send_pending_alerts`` stopped and mark the old rows by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Uuid,
    insert,
    select,
    update,
)

from portevoix.ledger.accounts import Account
from portevoix.platform.alerts import PendingAlert
from portevoix.projections.paging import as_datetime
from portevoix.projections.tracking import EventHandlers, Projection

metadata = MetaData()

alerts_outbox = Table(
    "alerts_outbox",
    metadata,
    Column("alert_id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=False),
    Column("kind", String(16), nullable=False),  # low_balance
    Column("threshold", BigInteger, nullable=False),
    Column("available", BigInteger, nullable=False),
    Column("reached_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), index=True),  # None: still to mail
    Column("outcome", String(200), nullable=False),
)

handles = EventHandlers()


@handles
def low_balance_reached(event: Account.LowBalanceReached, conn: Connection) -> None:
    conn.execute(insert(alerts_outbox).values(
        alert_id=uuid5(event.originator_id, f"low_balance:{event.originator_version}"),
        account_id=event.originator_id, kind="low_balance", threshold=event.threshold,
        available=event.available, reached_at=event.timestamp, sent_at=None, outcome="",
    ))


class Alerts(Projection):
    name = "alerts"
    metadata = metadata

    def apply_page(self, events: Sequence[Any], conn: Connection) -> None:
        handles.apply(events, conn)


def _alert(row: dict[str, Any]) -> PendingAlert:
    reached_at = as_datetime(row["reached_at"])  # SQLite gives them back naive
    assert reached_at is not None  # the column is not nullable
    return PendingAlert(alert_id=row["alert_id"], account_id=row["account_id"],
                        threshold=row["threshold"], available=row["available"],
                        reached_at=reached_at)


class AlertsTable:
    """The pending alerts and their marking, for ``platform.alerts.send_pending_alerts``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def pending(self, limit: int = 100) -> list[PendingAlert]:
        query = (select(alerts_outbox).where(alerts_outbox.c.sent_at.is_(None))
                 .order_by(alerts_outbox.c.reached_at).limit(limit))
        with self.engine.connect() as conn:
            return [_alert(row._asdict()) for row in conn.execute(query)]

    def mark_sent(self, alert_id: UUID, at: datetime, outcome: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(alerts_outbox).where(alerts_outbox.c.alert_id == alert_id)
                         .values(sent_at=at, outcome=outcome[:200]))
