"""E-mail notifications of a customer's sends (seed 000 §7, "E-mails de confirmation"): the
request was recorded, a message could not be sent and why, a deferred or bulk send has
ended, a message reached the handset. Each kind has its option (``SWITCHES``).

Which sends notify, and how often (a 10,000-recipient campaign is not 10,000 mails):

- confirmation: one per recorded campaign; not for test sends, not for the platform's own
  sends (reply forwarding, proofs, alerts), and not for requests by e-mail, which the e-mail
  gateway answers itself, in reply to the request (refusals included).
- refusal: one per refused ``http.php`` request that gave ``email_rep`` (the whole request,
  or the numbers refused in a recorded one: ``queue_refusal``); and, in campaigns of at most
  ``PER_MESSAGE_LIMIT`` recipients, one per message the SMSC rejected or whose receipt says
  failed or expired.
- delivery: in campaigns of at most ``PER_MESSAGE_LIMIT`` recipients, one per message
  received (DELIVRD).
- completion: one when a deferred send, or a send to more than one recipient, is closed
  (not when cancelled): how many were accepted, rejected or of unknown fate, and what was
  charged. Beyond ``PER_MESSAGE_LIMIT`` recipients it is the only mail about the messages.

Where: the send's ``notify_email`` (``http.php``'s ``email_rep``, the requesting mail's
sender), else the customer's contact address.

When: ``projections/notifications.py`` queues them from the campaign events if the option is
on; ``send_pending`` (a background job) mails them and marks each with its outcome. The
option is read again then: switched off meanwhile, the mail is marked not sent. Delivery is
at least once: a crash between the mail and the mark mails it again. A relay that cannot be
reached or answers 4xx ends the pass, the rest waiting for the next run; a relay refusing an
address or a mail for good (5xx) marks that one not sent. Without a relay (``mailer`` None)
mails stay pending. A mail still pending ``MAX_AGE`` after its event is marked not sent, and
the projection queues nothing for older events: a first run or a rebuild replays the whole
log and must not mail its history.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portevoix.platform import codes
from portevoix.platform.alerts import amount

log = logging.getLogger("portevoix.notifications")

CONFIRMATION, REFUSAL, COMPLETION, DELIVERY = "confirmation", "refusal", "completion", "delivery"
SWITCHES = {CONFIRMATION: "confirmation_email", REFUSAL: "refusal_email",
            COMPLETION: "completion_email", DELIVERY: "delivery_email"}
PER_MESSAGE_LIMIT = 10  # the seeds' limit of numbers a mail may send to
MAX_AGE = timedelta(hours=24)
INTERNAL_CHANNELS = frozenset({"replies", "proof", "alerts", "platform"})
SELF_CONFIRMING_CHANNELS = frozenset({"email"})
LISTED_NUMBERS = 20  # refused numbers a refusal mail lists one by one


@dataclass(frozen=True)
class Notification:
    notification_id: UUID
    customer_id: UUID
    campaign_id: UUID | None  # None: a refused request, which recorded no campaign
    kind: str
    address: str  # "": the customer's contact address
    facts: dict[str, Any]  # what the mail says (see ``render``)
    created_at: datetime  # the event's time


@dataclass(frozen=True)
class Account:
    """What a mail needs of its customer."""

    contact_email: str
    options: Mapping[str, object]
    scale: int  # the wallet's decimals, for amounts
    unit: str


class NotificationStore(Protocol):
    def pending(self, limit: int = 200) -> list[Notification]: ...

    def mark(self, notification_id: UUID, at: datetime, outcome: str) -> None: ...


class Mailer(Protocol):
    def reply(self, to: str, subject: str, body: str, in_reply_to: str = "") -> object: ...


# Rules ------------------------------------------------------------------------------------


def switched_on(kind: str, options: Mapping[str, object]) -> bool:
    return bool(options.get(SWITCHES[kind]))


def tracked(settings: Mapping[str, Any]) -> bool:
    """Whether a campaign notifies at all: not a test, not one of the platform's own."""
    return not settings.get("test") and settings.get("channel") not in INTERNAL_CHANNELS


def confirms(settings: Mapping[str, Any]) -> bool:
    return tracked(settings) and settings.get("channel") not in SELF_CONFIRMING_CHANNELS


def per_message(recipients: int) -> bool:
    """Whether messages are notified one by one (else only in the completion summary)."""
    return recipients <= PER_MESSAGE_LIMIT


def completes(recipients: int, deferred: bool, cancelled: bool) -> bool:
    """A deferred or bulk send's end is notified, unless the customer cancelled it."""
    return not cancelled and (deferred or recipients > 1)


def fresh(at: datetime, now: datetime) -> bool:
    """Whether an event is recent enough to be notified."""
    return now - at < MAX_AGE


# Sending ----------------------------------------------------------------------------------


def send_pending(store: NotificationStore, account: Callable[[UUID], Account | None],
                 mailer: Mailer | None, clock: Callable[[], datetime],
                 limit: int = 200) -> int:
    """Mail at most ``limit`` pending notifications, oldest first; returns how many were
    mailed. ``account(customer_id)`` is None for a customer that no longer exists."""
    mailed = 0
    accounts: dict[UUID, Account | None] = {}
    for notification in store.pending(limit):
        if notification.customer_id not in accounts:
            accounts[notification.customer_id] = account(notification.customer_id)
        found = accounts[notification.customer_id]
        now = clock()
        to = (notification.address or found.contact_email) if found else ""
        skipped = _skipped(notification, found, to, now)
        if skipped:
            store.mark(notification.notification_id, now, skipped)
            continue
        if mailer is None:
            continue  # pending until a relay is configured, or too old
        assert found is not None  # _skipped said so
        subject, body = render(notification, found)
        try:
            mailer.reply(to, subject, body)
        except Exception as error:  # OSError, smtplib.SMTPException
            if not _refused_for_good(error):
                log.warning("notification %s to %s: %s; the rest wait for the next run",
                            notification.notification_id, to, error)
                break
            store.mark(notification.notification_id, now, f"not sent: {to} refused: {error}")
            continue
        store.mark(notification.notification_id, clock(), f"mailed to {to}")
        mailed += 1
    return mailed


def _skipped(notification: Notification, found: Account | None, to: str,
             now: datetime) -> str:
    """Why the notification is not to be mailed at all ("" if it is)."""
    if found is None:
        return "not sent: no such customer"
    if not switched_on(notification.kind, found.options):
        return f"not sent: option {SWITCHES[notification.kind]} is off"
    if not to:
        return "not sent: no address"
    if not fresh(notification.created_at, now):
        return f"not sent: still pending {MAX_AGE.total_seconds() / 3600:g} hours later"
    return ""


def _refused_for_good(error: Exception) -> bool:
    """A 5xx for the address or the mail; anything else (unreachable, 4xx) may pass later."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


# Texts ------------------------------------------------------------------------------------


def render(notification: Notification, account: Account) -> tuple[str, str]:
    """The subject and body of a notification (English; the portals will translate)."""
    facts = notification.facts
    text = _Text(account, str(facts.get("timezone") or "UTC"))
    name = _name(facts, notification.campaign_id)
    if notification.kind == CONFIRMATION:
        return _confirmation(facts, name, text, notification.campaign_id)
    if notification.kind == COMPLETION:
        return _completion(facts, name, text, notification.campaign_id)
    if notification.kind == DELIVERY:
        return (f"SMS delivered to {facts['number']}",
                f"Your message of the {name} reached {facts['number']}"
                f"{' at ' + text.time(facts['done_at']) if facts.get('done_at') else ''}.\n")
    if notification.kind == REFUSAL:
        return _refusal(facts, name)
    raise ValueError(f"unknown notification kind {notification.kind!r}")


class _Text:
    def __init__(self, account: Account, timezone: str) -> None:
        self.account = account
        try:
            self.zone, self.zone_name = ZoneInfo(timezone), timezone
        except (ZoneInfoNotFoundError, ValueError):
            self.zone, self.zone_name = ZoneInfo("UTC"), "UTC"

    def money(self, units: int) -> str:
        return f"{amount(units, self.account.scale)} {self.account.unit}".rstrip()

    def time(self, iso: str) -> str:
        at = datetime.fromisoformat(iso).astimezone(self.zone)
        return f"{at:%Y-%m-%d %H:%M} ({self.zone_name})"


def _name(facts: Mapping[str, Any], campaign_id: UUID | None) -> str:
    """How a mail names the send: the client's reference, and the campaign."""
    reference = str(facts.get("reference") or "")
    if campaign_id is None:
        return f"request {reference}" if reference else "request"
    return f"send {reference} (campaign {campaign_id})" if reference else (
        f"send (campaign {campaign_id})")


def _confirmation(facts: Mapping[str, Any], name: str, text: _Text,
                  campaign_id: UUID | None) -> tuple[str, str]:
    if facts.get("status") == "awaiting_approval":
        when = "It waits for your approval: check the proof sent to your mobile."
    elif facts.get("scheduled_at"):
        when = f"It will leave at {text.time(facts['scheduled_at'])}."
    else:
        when = "It leaves now."
    body = (f"Your {name} was recorded.\n"
            f"Recipients: {facts['recipients']}, SMS segments: {facts['segments']}, "
            f"amount reserved: {text.money(facts['price'])}.\n{when}\n")
    return f"SMS send recorded: {_short(facts, campaign_id)}", body


def _completion(facts: Mapping[str, Any], name: str, text: _Text,
                campaign_id: UUID | None) -> tuple[str, str]:
    lines = [
        f"Your {'deferred ' if facts.get('deferred') else ''}{name} has ended.",
        f"Recipients: {facts['recipients']}; accepted by the operators: {facts['submitted']}; "
        f"rejected: {facts['rejected']}; fate unknown: {facts['unknown']}.",
        f"Charged: {text.money(facts['charged'])}; released from the reservation: "
        f"{text.money(facts['released'])}.",
        "Delivery receipts may still arrive: the outbox shows each message's status.",
    ]
    return f"SMS send ended: {_short(facts, campaign_id)}", "\n".join(lines) + "\n"


def _refusal(facts: Mapping[str, Any], name: str) -> tuple[str, str]:
    if "number" in facts:  # one message of a campaign
        status = facts.get("status", "")
        why = {"rejected": "was rejected by the operator's SMS centre",
               "expired": "expired before it could be delivered"}.get(
            status, "could not be delivered")
        detail = ", ".join(str(part) for part in (facts.get("reason"), facts.get("stat"))
                           if part)
        error = facts.get("error_code")
        detail += f"{', ' if detail else ''}error {error}" if error not in (None, "", 0) else ""
        return (f"SMS not delivered to {facts['number']}",
                f"Your message of the {name} to {facts['number']} {why}"
                f"{f' ({detail})' if detail else ''}.\nIt is not charged.\n")
    if facts.get("code") is not None:  # the whole request
        code = int(facts["code"])
        body = (f"Your {name} was refused with code {code}: "
                f"{codes.MEANINGS.get(code, '')}.\n{facts.get('detail', '')}\n"
                "Nothing was sent and nothing was charged.\n")
        return f"SMS refused: code {code}", body
    refused: Sequence[Sequence[Any]] = facts.get("refused") or []
    lines = [f"In your {name}, {len(refused)} number(s) were refused and not charged:"]
    lines += [f"  {number}: code {code}, {detail}"
              for number, code, detail in refused[:LISTED_NUMBERS]]
    if len(refused) > LISTED_NUMBERS:
        lines.append(f"  and {len(refused) - LISTED_NUMBERS} more.")
    lines.append("The other numbers were recorded.")
    return f"SMS numbers refused: {len(refused)}", "\n".join(lines) + "\n"


def _short(facts: Mapping[str, Any], campaign_id: UUID | None) -> str:
    """How a subject names the send: the client's reference, else the campaign."""
    return str(facts.get("reference") or f"campaign {campaign_id}")
