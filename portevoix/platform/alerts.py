"""Low-balance alerts: each pending crossing of a wallet's threshold, to whoever pays, by
e-mail, by SMS or both (the customer's ``low_balance_channel`` and ``low_balance_number``).

``projections/alerts.py`` turns every ``Account.LowBalanceReached`` into a pending alert;
``send_pending_alerts`` sends it and marks it sent. Delivery is at least once: a crash after
the mail and before the mark mails it again. A relay failure, or no relay at all, leaves
the alert pending for the next call; an owner without a contact address (a domain group's
shared wallet) is marked with that outcome and not retried.

The SMS is an ordinary send through ``submit`` (reference ``alert:<alert id>``, so sending
it again is the same campaign) and is charged like any other, as the seeds' services charge
theirs (000 §7: "1 crédit SMS sera débité de votre compte"; 001 §7). Its text carries the
time of the crossing, so the 24-hour duplicate rule never takes an alert for the previous
one. An account that cannot pay for it gets its refusal (code 83) recorded as the alert's
outcome, and the e-mail, if chosen, still goes. The SMS goes first: it is the idempotent
half, so a mail failure that makes the whole alert wait sends the SMS only once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from portevoix.platform import codes

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


class SmsSender(Protocol):
    """Sends ``text`` to ``number`` for ``customer_id`` (charged), once per ``reference``;
    returns the seeds' result code (80 or 81 when recorded, the refusal's otherwise)."""

    def __call__(self, customer_id: UUID, number: str, text: str, reference: str) -> int: ...


EMAIL, SMS, EMAIL_AND_SMS = "email", "sms", "email_and_sms"
RECORDED_CODES = frozenset({codes.SENT, codes.DEFERRED})


@dataclass(frozen=True)
class Recipient:
    email: str
    scale: int  # the account's decimals: 3 shows 1500 as 1.500
    channel: str = EMAIL  # email, sms or email_and_sms
    number: str = ""  # for sms
    customer_id: UUID | None = None  # who pays for the SMS
    unit: str = ""

    @property
    def mails(self) -> bool:
        return self.channel in (EMAIL, EMAIL_AND_SMS)

    @property
    def texts(self) -> bool:
        return self.channel in (SMS, EMAIL_AND_SMS)


def amount(units: int, scale: int) -> str:
    """Ledger units as a decimal number of the account's unit (no float)."""
    sign, units = ("-" if units < 0 else ""), abs(units)
    if not scale:
        return f"{sign}{units}"
    whole, part = divmod(units, 10**scale)
    return f"{sign}{whole}.{part:0{scale}d}"


def sms_text(alert: PendingAlert, to: Recipient) -> str:
    """The alert by SMS: short, GSM characters only, with the time of the crossing."""
    unit = f" {to.unit}" if to.unit else ""
    return (f"Low balance: {amount(alert.available, to.scale)}{unit} left, below your alert "
            f"threshold of {amount(alert.threshold, to.scale)}{unit} "
            f"({alert.reached_at:%Y-%m-%d %H:%M} UTC).")


def send_pending_alerts(store: AlertStore, recipient: Callable[[UUID], Recipient | None],
                        mailer: Mailer | None, clock: Callable[[], datetime],
                        limit: int = 100, send_sms: SmsSender | None = None) -> int:
    """Send at most ``limit`` pending alerts (one pass); returns how many were sent.
    ``recipient(account_id)`` names the owner's contact, or None when there is none."""
    sent = 0
    for alert in store.pending(limit):
        to = recipient(alert.account_id)
        if to is None:
            store.mark_sent(alert.alert_id, clock(), "no contact address")
            continue
        outcomes = []
        if to.texts:
            try:
                outcomes.append(_text(alert, to, send_sms))
            except Exception as error:  # the store is down: try again next time
                log.warning("alert %s by SMS to %s: %s", alert.alert_id, to.number, error)
                continue
        if to.mails:
            if mailer is None:
                continue  # pending until a relay is configured
            body = (f"Your available balance is {amount(alert.available, to.scale)}, below "
                    f"the alert threshold of {amount(alert.threshold, to.scale)} "
                    f"(since {alert.reached_at.isoformat()}).\n")
            try:
                mailer.reply(to.email, "Low balance", body)
            except Exception as error:  # OSError, smtplib.SMTPException: try again next time
                log.warning("alert %s to %s: %s", alert.alert_id, to.email, error)
                continue
            outcomes.append(f"mailed to {to.email}")
        store.mark_sent(alert.alert_id, clock(), "; ".join(outcomes))
        sent += 1
    return sent


def _text(alert: PendingAlert, to: Recipient, send_sms: SmsSender | None) -> str:
    if not to.number or to.customer_id is None or send_sms is None:
        return "no number to send the alert SMS to"
    code = send_sms(to.customer_id, to.number, sms_text(alert, to), f"alert:{alert.alert_id}")
    verb = "sent" if code in RECORDED_CODES else "refused"
    return f"SMS to {to.number} {verb}: code {code}"
