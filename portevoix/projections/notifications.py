"""Notification e-mails waiting to be sent, queued from the ledger's campaign events.

``notify_campaigns`` holds what later events need to know of a tracked campaign (its address,
reference, size, the numbers of a small one, its dispatch outcomes so far); it is rebuilt
from the log like any projection. ``notifications`` is the queue ``platform/notifications.py``
mails from and marks: it is kept out of this projection's tables (``queue_metadata``) so
that a rebuild never drops what was mailed, and a row's id derives from its campaign and
what it tells (``confirmation``, ``delivery:3``...), so replaying an event queues nothing
twice. Rules (which campaigns, which messages, how fresh) are ``platform/notifications.py``'s;
the options come from ``options(customer_id)`` when the event is applied, and are read again
when the mail is due.

Refused requests record no campaign and so no event: ``NotificationsTable.queue_refusal``
writes their row directly (``http.php`` with ``email_rep``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    insert,
    select,
    text,
    update,
)

from portevoix.platform import notifications as rules
from portevoix.platform.campaigns import REJECTED, SUBMITTED, UNKNOWN, Campaign
from portevoix.platform.notifications import (
    COMPLETION,
    CONFIRMATION,
    DELIVERY,
    REFUSAL,
    Notification,
)
from portevoix.platform.smpp.receipts import EXPIRED, FAILED, RECEIVED
from portevoix.projections.bulk import insert_rows, select_rows, update_rows
from portevoix.projections.paging import as_datetime
from portevoix.projections.tracking import EventHandlers, Projection

metadata = MetaData()

notify_campaigns = Table(
    "notify_campaigns",
    metadata,
    Column("campaign_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("notify_email", String(254), nullable=False),  # "": the contact address
    Column("reference", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("recipients", Integer, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("deferred", Boolean, nullable=False),
    Column("numbers", Text, nullable=False),  # comma-joined, small campaigns only
    Column("accepted", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("unknown_fate", Integer, nullable=False),
    Column("cancelled", Boolean, nullable=False),
)
MUTABLE = ("deferred", "numbers", "accepted", "rejected", "unknown_fate", "cancelled")

queue_metadata = MetaData()

notifications = Table(
    "notifications",
    queue_metadata,
    Column("notification_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("campaign_id", Uuid),  # None: a refused request
    Column("kind", String(16), nullable=False),
    Column("address", String(254), nullable=False),  # "": the contact address
    Column("facts", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),  # None: still to mail
    Column("outcome", String(200), nullable=False),
    Index("ix_notifications_pending", "created_at",
          sqlite_where=text("sent_at IS NULL"), postgresql_where=text("sent_at IS NULL")),
)

Options = Callable[[UUID], Mapping[str, object]]


class _Page:
    """The tracked campaigns a page touches and the notifications it queues."""

    def __init__(self, conn: Connection, options: Options, now: datetime) -> None:
        self.conn, self.options, self.now = conn, options, now
        self.campaigns: dict[UUID, dict[str, Any]] = {}
        self.new: set[UUID] = set()
        self.changed: set[UUID] = set()
        self.queued: dict[UUID, dict[str, Any]] = {}
        self._options: dict[UUID, Mapping[str, object]] = {}

    def preload(self, events: Sequence[Any]) -> None:
        submitted = {e.originator_id for e in events if isinstance(e, Campaign.Submitted)}
        wanted = {e.originator_id for e in events if isinstance(e, _LATER)} - submitted
        for row in select_rows(self.conn, notify_campaigns.c.campaign_id, list(wanted)):
            self.campaigns[row["campaign_id"]] = row

    def campaign(self, event: Any, changes: bool = True) -> dict[str, Any] | None:
        """The tracked campaign of ``event`` (to be written back if the handler ``changes``
        it), or None if it is not tracked."""
        found = self.campaigns.get(event.originator_id)
        if found is not None and changes:
            self.changed.add(event.originator_id)
        return found

    def queue(self, campaign: dict[str, Any], kind: str, key: str, facts: dict[str, Any],
              at: datetime) -> None:
        customer_id = campaign["customer_id"]
        if not rules.fresh(at, self.now):
            return
        if customer_id not in self._options:
            self._options[customer_id] = self.options(customer_id)
        if not rules.switched_on(kind, self._options[customer_id]):
            return
        notification_id = uuid5(campaign["campaign_id"], key)
        self.queued[notification_id] = {
            "notification_id": notification_id, "customer_id": customer_id,
            "campaign_id": campaign["campaign_id"], "kind": kind,
            "address": campaign["notify_email"], "created_at": at, "sent_at": None,
            "outcome": "", "facts": {"reference": campaign["reference"],
                                     "timezone": campaign["timezone"], **facts},
        }

    def flush(self) -> None:
        insert_rows(self.conn, notify_campaigns, [self.campaigns[i] for i in self.new])
        update_rows(self.conn, notify_campaigns,
                    [self.campaigns[i] for i in self.changed - self.new], MUTABLE)
        if not self.queued:
            return
        queued = list(self.queued)
        existing = {row["notification_id"] for row in select_rows(
            self.conn, notifications.c.notification_id, queued, [notifications.c.notification_id])}
        rows = [self.queued[i] for i in queued if i not in existing]
        if rows:
            self.conn.execute(insert(notifications), rows)


_LATER = (Campaign.RecipientsAdded, Campaign.Rescheduled, Campaign.Dispatched,
          Campaign.ReceiptsRecorded, Campaign.Cancelled, Campaign.Closed)

handles = EventHandlers()


@handles
def submitted(event: Campaign.Submitted, page: _Page) -> None:
    settings = event.settings
    if not rules.tracked(settings):
        return
    scheduled_at = as_datetime(settings.get("scheduled_at"))
    campaign = {
        "campaign_id": event.originator_id, "customer_id": event.customer_id,
        "notify_email": str(settings.get("notify_email") or ""),
        "reference": str(settings.get("reference") or "")[:200],
        "timezone": str(settings.get("timezone") or "UTC"),
        "recipients": event.totals["recipients"], "price": event.totals["price"],
        "deferred": scheduled_at is not None, "numbers": "", "accepted": 0, "rejected": 0,
        "unknown_fate": 0, "cancelled": False,
    }
    page.campaigns[event.originator_id] = campaign
    page.new.add(event.originator_id)
    if rules.confirms(settings):
        status = "awaiting_approval" if settings.get("proof_required") else "scheduled"
        page.queue(campaign, CONFIRMATION, CONFIRMATION, {
            "recipients": event.totals["recipients"], "segments": event.totals["segments"],
            "price": event.totals["price"], "status": status,
            "scheduled_at": scheduled_at.isoformat() if scheduled_at else None,
        }, event.timestamp)


@handles
def recipients_added(event: Campaign.RecipientsAdded, page: _Page) -> None:
    campaign = page.campaign(event)
    if campaign is None or not rules.per_message(campaign["recipients"]):
        return
    numbers = campaign["numbers"].split(",") if campaign["numbers"] else []
    numbers.extend(row[0] for row in event.rows)
    campaign["numbers"] = ",".join(numbers)


@handles
def rescheduled(event: Campaign.Rescheduled, page: _Page) -> None:
    campaign = page.campaign(event)
    if campaign is not None:
        campaign["deferred"] = event.scheduled_at is not None


@handles
def dispatched(event: Campaign.Dispatched, page: _Page) -> None:
    campaign = page.campaign(event)
    if campaign is None:
        return
    for index, outcome, _, reason in event.results:
        if outcome == SUBMITTED:
            campaign["accepted"] += 1
        elif outcome == UNKNOWN:
            campaign["unknown_fate"] += 1
        elif outcome == REJECTED:
            campaign["rejected"] += 1
            _message_refused(page, campaign, index, event.timestamp,
                             {"status": REJECTED, "reason": reason or ""})


@handles
def receipts_recorded(event: Campaign.ReceiptsRecorded, page: _Page) -> None:
    campaign = page.campaign(event, changes=False)
    if campaign is None or not rules.per_message(campaign["recipients"]):
        return
    for index, status, stat, error_code, done_at in event.items:
        if status == RECEIVED:
            page.queue(campaign, DELIVERY, f"{DELIVERY}:{index}",
                       {"number": _number(campaign, index), "done_at": _iso(done_at)},
                       event.timestamp)
        elif status in (FAILED, EXPIRED):
            _message_refused(page, campaign, index, event.timestamp, {
                "status": status, "stat": stat or "",
                "error_code": "" if error_code is None else str(error_code)})


@handles
def cancelled(event: Campaign.Cancelled, page: _Page) -> None:
    campaign = page.campaign(event)
    if campaign is not None:
        campaign["cancelled"] = True


@handles
def closed(event: Campaign.Closed, page: _Page) -> None:
    campaign = page.campaign(event, changes=False)
    if campaign is None or not rules.completes(campaign["recipients"], campaign["deferred"],
                                               campaign["cancelled"]):
        return
    page.queue(campaign, COMPLETION, COMPLETION, {
        "recipients": campaign["recipients"], "submitted": campaign["accepted"],
        "rejected": campaign["rejected"], "unknown": campaign["unknown_fate"],
        "charged": campaign["price"] - event.released_price,
        "released": event.released_price, "deferred": campaign["deferred"],
    }, event.timestamp)


def _message_refused(page: _Page, campaign: dict[str, Any], index: int, at: datetime,
                     facts: dict[str, Any]) -> None:
    if rules.per_message(campaign["recipients"]):
        page.queue(campaign, REFUSAL, f"{REFUSAL}:{index}",
                   {"number": _number(campaign, index), **facts}, at)


def _number(campaign: dict[str, Any], index: int) -> str:
    numbers = campaign["numbers"].split(",") if campaign["numbers"] else []
    return numbers[index] if index < len(numbers) else f"recipient {index + 1}"


def _iso(value: datetime | str | None) -> str | None:
    found = as_datetime(value)
    return found.isoformat() if found else None


class Notifications(Projection):
    """Queues notifications; ``options`` gives a customer's options, ``clock`` the time the
    freshness of events is judged at."""

    name = "notifications"
    metadata = metadata

    def __init__(self, options: Options, clock: Callable[[], datetime]) -> None:
        self.options, self.clock = options, clock

    def apply_page(self, events: Sequence[Any], conn: Connection) -> None:
        page = _Page(conn, self.options, self.clock())
        page.preload(events)
        handles.apply(events, page)
        page.flush()


class NotificationsTable:
    """The queue: pending rows and their marks for ``platform.notifications.send_pending``,
    and the refusals of requests that recorded nothing."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self) -> None:
        queue_metadata.create_all(self.engine)

    def pending(self, limit: int = 200) -> list[Notification]:
        query = (select(notifications).where(notifications.c.sent_at.is_(None))
                 .order_by(notifications.c.created_at).limit(limit))
        with self.engine.connect() as conn:
            return [_notification(row._asdict()) for row in conn.execute(query)]

    def mark(self, notification_id: UUID, at: datetime, outcome: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(notifications)
                         .where(notifications.c.notification_id == notification_id)
                         .values(sent_at=at, outcome=outcome[:200]))

    def queue_refusal(self, customer_id: UUID, address: str, facts: dict[str, Any],
                      at: datetime, campaign_id: UUID | None = None) -> UUID:
        """Queue a refusal mail for a request (or numbers of one) that no event records."""
        notification_id = uuid4()
        with self.engine.begin() as conn:
            conn.execute(insert(notifications).values(
                notification_id=notification_id, customer_id=customer_id,
                campaign_id=campaign_id, kind=REFUSAL, address=address, facts=facts,
                created_at=at, sent_at=None, outcome=""))
        return notification_id

    def rows(self) -> list[dict[str, Any]]:
        """Every row, oldest first (for the tests and the operator's console)."""
        with self.engine.connect() as conn:
            return [row._asdict() for row in conn.execute(
                select(notifications).order_by(notifications.c.created_at))]


def _notification(row: dict[str, Any]) -> Notification:
    created_at = as_datetime(row["created_at"])  # SQLite gives them back naive
    assert created_at is not None  # the column is not nullable
    return Notification(notification_id=row["notification_id"], customer_id=row["customer_id"],
                        campaign_id=row["campaign_id"], kind=row["kind"],
                        address=row["address"], facts=dict(row["facts"]),
                        created_at=created_at)
