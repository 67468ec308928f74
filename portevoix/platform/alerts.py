"""Low-balance alerts: mail each pending crossing of a wallet's threshold to whoever pays.

``projections/alerts.py`` turns every ``Account.LowBalanceReached`` into a pending alert;
``send_pending_alerts`` mails them to the account owner's contact address and marks them
sent. Delivery is at least once: a crash after the mail and before the mark mails it again.
A relay failure leaves the alert pending for the next call; an owner without a contact
address (a domain group's shared wallet) is marked with that outcome and not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

log = logging.getLogger("portevoix.alerts")


@dataclass(frozen=True)
class PendingAlert:
    alert_id: UUID
    account_id: UUID
    threshold: int  # ledger units
    available: int  # ledger units, just after the crossing
    reached_at: datetime


class AlertStore(Protocol):
    def pending(self, limit: int = 100) -> list[PendingAlert]: ...

    def mark_sent(self, alert_id: UUID, at: datetime, outcome: str) -> None: ...


class Mailer(Protocol):
    def reply(self, to: str, subject: str, body: str, in_reply_to: str = "") -> object: ...


@dataclass(frozen=True)
class Recipient:
    email: str
    scale: int  # the account's decimals: 3 shows 1500 as 1.500


def amount(units: int, scale: int) -> str:
    """Ledger units as a decimal number of the account's unit (no float)."""
    sign, units = ("-" if units < 0 else ""), abs(units)
    if not scale:
        return f"{sign}{units}"
    whole, part = divmod(units, 10**scale)
    return f"{sign}{whole}.{part:0{scale}d}"


def send_pending_alerts(store: AlertStore, recipient: Callable[[UUID], Recipient | None],
                        mailer: Mailer, clock: Callable[[], datetime],
                        limit: int = 100) -> int:
    """Mail at most ``limit`` pending alerts (one pass); returns how many were mailed.
    ``recipient(account_id)`` names the owner's contact, or None when there is none."""
    mailed = 0
    for alert in store.pending(limit):
        to = recipient(alert.account_id)
        if to is None:
            store.mark_sent(alert.alert_id, clock(), "no contact address")
            continue
        body = (f"Your available balance is {amount(alert.available, to.scale)}, below the "
                f"alert threshold of {amount(alert.threshold, to.scale)} "
                f"(since {alert.reached_at.isoformat()}).\n")
        try:
            mailer.reply(to.email, "Low balance", body)
        except Exception as error:  # OSError, smtplib.SMTPException: try again next time
            log.warning("alert %s to %s: %s", alert.alert_id, to.email, error)
            continue
        store.mark_sent(alert.alert_id, clock(), f"mailed to {to.email}")
        mailed += 1
    return mailed
