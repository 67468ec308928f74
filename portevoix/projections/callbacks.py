"""Status callbacks to send: one ``callback_events`` row each time a message of a campaign
with a callback URL reaches a status.

The statuses and the forward-only rule are the outbox's (``outbox.STAGE``, and
``outbox.receipt_applies`` for receipts), but this projection keeps its own state (runners
are not ordered): ``callback_campaigns`` (the URL, the client's reference, where messages
not yet sent stand) and ``callback_messages`` (each message's number and last status told),
only for campaigns with a URL and not in test mode. A status is told only when it is further
than the last one told: a message requeued after an ambiguous submission (the at-least-once
policy) stays "sending" to the customer rather than going back to "scheduled", so a
customer never sees a status go back. "test" and "awaiting_approval" are not told; an
approved campaign's messages become "scheduled".

Pages are folded in memory like the outbox's (new messages bulk loaded, COPY on PostgreSQL);
approving or cancelling a campaign an earlier page loaded is one INSERT ... SELECT of its
events and one UPDATE, however many messages it has.

``projections/callback_log.py`` groups the queued rows into deliveries and writes their
``callback_id`` here (the alerts' precedent). A rebuild queues every event again with no
delivery; the log recognises them by event id and does not deliver them twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    insert,
    literal,
    select,
    text,
    update,
)

from portevoix.platform import campaigns as domain
from portevoix.platform.campaigns import Campaign, message_id
from portevoix.projections import outbox
from portevoix.projections.bulk import insert_rows, select_rows, update_rows
from portevoix.projections.tracking import EventHandlers, PagedProjection

# The statuses told (in stage order); "test" and "awaiting_approval" are not.
TOLD = (outbox.SCHEDULED, outbox.SENDING, outbox.UNKNOWN, outbox.SENT,
        outbox.DELIVERED_TO_OPERATOR, outbox.RECEIVED, outbox.FAILED, outbox.EXPIRED,
        outbox.REJECTED, outbox.CANCELLED)
_SEQ = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

campaigns = Table(
    "callback_campaigns",
    metadata,
    Column("campaign_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("url", String(500), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("status", String(24), nullable=False),  # of its messages not yet sent
)

messages = Table(
    "callback_messages",
    metadata,
    Column("message_id", String(48), primary_key=True),
    Column("campaign_id", Uuid, nullable=False),
    Column("position", Integer, nullable=False),
    Column("e164", String(20), nullable=False),
    Column("status", String(24), nullable=False),  # the last status told (or not to tell)
    Index("ix_callback_messages_campaign", "campaign_id", "status"),
)

events = Table(
    "callback_events",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),  # the order they happened
    Column("customer_id", Uuid, nullable=False),
    Column("url", String(500), nullable=False),
    Column("campaign_id", Uuid, nullable=False),
    Column("message_id", String(48), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("number", String(20), nullable=False),
    Column("status", String(24), nullable=False),
    Column("stat", String(16), nullable=False),
    Column("error_code", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("callback_id", Uuid),  # the delivery that carries it; None: still queued
    Index("ix_callback_events_queued", "seq", postgresql_where=text("callback_id IS NULL"),
          sqlite_where=text("callback_id IS NULL")),
    Index("ix_callback_events_delivery", "callback_id"),
)


def _further(current: str, status: str) -> bool:
    return outbox.STAGE[status] > outbox.STAGE[current]


class _Page:
    """The rows a page of events touches, read once, changed in memory, written in bulk."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.campaigns: dict[UUID, dict[str, Any]] = {}
        self.new_campaigns: set[UUID] = set()
        self.changed_campaigns: set[UUID] = set()
        self.created: dict[str, dict[str, Any]] = {}  # messages first seen in this page
        self.loaded: dict[str, dict[str, Any]] = {}  # messages of earlier pages
        self.changed: set[str] = set()
        self.by_campaign: dict[UUID, list[dict[str, Any]]] = {}
        self.told: list[dict[str, Any]] = []  # callback_events rows, in order
        # Whole campaigns of earlier pages moved in SQL: (campaign, from, to, at, reason).
        self.transitions: list[tuple[UUID, tuple[str, ...], str, datetime, str]] = []

    def preload(self, events: Sequence[Any]) -> None:
        """Read the campaigns with a URL the page names but did not submit, then the
        messages of those campaigns that the page changes."""
        submitted: set[UUID] = set()
        headers: set[UUID] = set()
        for e in events:
            if isinstance(e, Campaign.Submitted):
                submitted.add(e.originator_id)
            elif isinstance(e, Campaign.Event) and e.originator_id not in submitted:
                headers.add(e.originator_id)
        for header in select_rows(self.conn, campaigns.c.campaign_id, list(headers)):
            self.campaigns[header["campaign_id"]] = header
        wanted = [message_id(e.originator_id, i) for e in events
                  if isinstance(e, Campaign.Event) and e.originator_id in self.campaigns
                  and e.originator_id not in submitted for i in outbox.message_indexes(e)]
        columns = [messages.c.campaign_id, messages.c.e164, messages.c.status]
        for row in select_rows(self.conn, messages.c.message_id, list(dict.fromkeys(wanted)),
                               columns):
            self.loaded[row["message_id"]] = row
            self.by_campaign.setdefault(row["campaign_id"], []).append(row)

    def message(self, campaign_id: UUID, index: int) -> dict[str, Any] | None:
        """A message of a campaign with a URL (None for the others)."""
        if campaign_id not in self.campaigns:
            return None
        key = message_id(campaign_id, index)
        found = self.created.get(key)
        if found is None:
            found = self.loaded[key]
            self.changed.add(key)
        return found

    def tell(self, campaign_id: UUID, row: dict[str, Any], status: str, at: datetime,
             stat: str = "", error_code: str = "", reason: str = "") -> None:
        """Move ``row`` to ``status`` and queue its event, if that is further."""
        if _further(row["status"], status):
            self.queue(campaign_id, row, status, at, stat, error_code, reason)

    def queue(self, campaign_id: UUID, row: dict[str, Any], status: str, at: datetime,
              stat: str = "", error_code: str = "", reason: str = "") -> None:
        row["status"] = status
        header = self.campaigns[campaign_id]
        self.told.append({
            "customer_id": header["customer_id"], "url": header["url"],
            "campaign_id": campaign_id, "message_id": row["message_id"],
            "reference": header["reference"], "number": row["e164"], "status": status,
            "stat": stat, "error_code": error_code, "reason": reason, "occurred_at": at,
            "callback_id": None,
        })

    def transition(self, campaign_id: UUID, sources: tuple[str, ...], status: str,
                   at: datetime, reason: str = "") -> None:
        """Move every message of the campaign in one of ``sources`` to ``status``. Messages
        of earlier pages move in SQL at flush (those this page loaded too: by the domain's
        rules nothing in the page changed them before, as none had started)."""
        header = self.campaigns.get(campaign_id)
        if header is None:
            return
        header["status"] = status
        if campaign_id not in self.new_campaigns:
            self.changed_campaigns.add(campaign_id)
            self.transitions.append((campaign_id, sources, status, at, reason))
            for row in self.by_campaign.get(campaign_id, ()):
                if row["status"] in sources:
                    row["status"] = status  # told by the SQL transition
            return
        for row in self.by_campaign.get(campaign_id, ()):
            if row["status"] in sources:
                self.tell(campaign_id, row, status, at, reason=reason)

    def flush(self) -> None:
        conn = self.conn
        insert_rows(conn, campaigns, [self.campaigns[i] for i in self.new_campaigns])
        if self.changed_campaigns:
            conn.execute(
                update(campaigns).where(campaigns.c.campaign_id == bindparam("b_campaign_id")),
                [{"b_campaign_id": i, "status": self.campaigns[i]["status"]}
                 for i in self.changed_campaigns],
            )
        for campaign_id, sources, status, at, reason in self.transitions:
            self._transition(campaign_id, sources, status, at, reason)
        insert_rows(conn, messages, list(self.created.values()))
        update_rows(conn, messages, [self.loaded[key] for key in self.changed], ["status"])
        insert_rows(conn, events, self.told)

    def _transition(self, campaign_id: UUID, sources: tuple[str, ...], status: str,
                    at: datetime, reason: str) -> None:
        header, m = self.campaigns[campaign_id], messages.c
        if status in TOLD:  # approval and cancellation only move messages forward
            chosen = select(
                literal(header["customer_id"], Uuid), literal(header["url"], String),
                m.campaign_id, m.message_id, literal(header["reference"], String), m.e164,
                literal(status, String), literal("", String), literal("", String),
                literal(reason, Text), literal(at, DateTime(timezone=True)),
            ).where(m.campaign_id == campaign_id, m.status.in_(sources)).order_by(m.position)
            names = ["customer_id", "url", "campaign_id", "message_id", "reference", "number",
                     "status", "stat", "error_code", "reason", "occurred_at"]
            self.conn.execute(insert(events).from_select(names, chosen))
        self.conn.execute(update(messages).where(m.campaign_id == campaign_id,
                                                 m.status.in_(sources)).values(status=status))


handles = EventHandlers()


@handles
def submitted(event: Campaign.Submitted, page: _Page) -> None:
    settings = event.settings
    url = str(settings.get("callback_url") or "")
    if not url or settings["test"]:
        return
    page.campaigns[event.originator_id] = {
        "campaign_id": event.originator_id, "customer_id": event.customer_id, "url": url,
        "reference": str(settings.get("reference") or ""),
        "status": outbox.initial_status(settings),
    }
    page.new_campaigns.add(event.originator_id)


@handles
def recipients_added(event: Campaign.RecipientsAdded, page: _Page) -> None:
    header = page.campaigns.get(event.originator_id)
    if header is None:
        return
    campaign_id, status, at = header["campaign_id"], header["status"], event.timestamp
    told = status in TOLD
    rows = page.by_campaign.setdefault(campaign_id, [])
    prefix = campaign_id.hex
    for index, row in enumerate(event.rows, start=event.first):
        key = f"{prefix}.{index}"
        message = {"message_id": key, "campaign_id": campaign_id, "position": index,
                   "e164": row[0], "status": status}
        page.created[key] = message
        rows.append(message)
        if told:
            page.queue(campaign_id, message, status, at)


@handles
def approved(event: Campaign.Approved, page: _Page) -> None:
    page.transition(event.originator_id, (outbox.AWAITING_APPROVAL,), outbox.SCHEDULED,
                    event.timestamp)


@handles
def cancelled(event: Campaign.Cancelled, page: _Page) -> None:
    page.transition(event.originator_id, (outbox.AWAITING_APPROVAL, outbox.SCHEDULED),
                    outbox.CANCELLED, event.timestamp, reason=event.reason)


@handles
def sending(event: Campaign.Sending, page: _Page) -> None:
    for index in event.indexes:
        row = page.message(event.originator_id, index)
        if row is not None:
            page.tell(event.originator_id, row, outbox.SENDING, event.timestamp)


@handles
def dispatched(event: Campaign.Dispatched, page: _Page) -> None:
    for index, result, _, reason in event.results:
        row = page.message(event.originator_id, index)
        if row is not None and result != domain.REQUEUED:  # a requeued one stays "sending"
            page.tell(event.originator_id, row, outbox.OUTCOME_STATUS[result],
                      event.timestamp, reason=reason or "")


@handles
def receipts_recorded(event: Campaign.ReceiptsRecorded, page: _Page) -> None:
    for index, status, stat, error_code, _ in event.items:
        row = page.message(event.originator_id, index)
        if row is not None and outbox.receipt_applies(row["status"], status):
            page.tell(event.originator_id, row, status, event.timestamp, stat=stat or "",
                      error_code="" if error_code is None else str(error_code))


class StatusCallbacks(PagedProjection):
    """``callback_events`` (and the campaign and message state they are derived with)."""

    name = "status_callbacks"
    metadata = metadata
    handlers = handles
    page_type = _Page
