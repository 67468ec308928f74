"""The campaign journal: one row per campaign, its money and how many messages are where.

Counts are kept per message status (``COUNTS``; before dispatch every message is "pending")
and always sum to the recipients. A message counted in one status moves to the next, so each
change needs the message's previous status. The dispatch events carry it by the domain's own
rules: ``Sending`` takes pending messages, ``Dispatched`` answers sending ones (a requeued
one is pending again), ``Cancelled`` ends a campaign none of whose messages started. Only
receipts need to look a message up, and the dispatcher records a message's receipts after its
result, so a message is "sent" unless ``journal_message_status`` says otherwise: it holds the
messages whose result was not "sent" (rejected, unknown, requeued: the exceptions) and those
a receipt moved. That is a row per exception and per message with a receipt, never the
100,000 rows of a campaign up front nor an update per message sent. A campaign that had a
message requeued has its later results looked up too, to bring that message's row up to date
when it is sent again.

That keeps the journal independent of the outbox projection (each runs at its own pace;
counting the outbox's rows at query time would scan every message of every campaign shown),
and it follows the outbox's rules (``outbox.receipt_applies``), so its counts equal a
GROUP BY over the outbox's messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    and_,
    or_,
    select,
    tuple_,
)

from portevoix.platform.campaigns import CANCELLED, DONE, REQUEUED, Campaign, message_id
from portevoix.projections import outbox
from portevoix.projections.bulk import insert_rows, select_rows, update_rows
from portevoix.projections.outbox import (
    AWAITING_APPROVAL,
    OUTCOME_STATUS,
    SCHEDULED,
    SENDING,
    SENT,
    initial_status,
    receipt_applies,
)
from portevoix.projections.paging import (
    CursorError,
    as_datetime,
    decode_cursor,
    encode_cursor,
    typed,
)
from portevoix.projections.tracking import EventHandlers, PagedProjection

PENDING = "pending"
COUNTS = (PENDING, SENDING, SENT, outbox.DELIVERED_TO_OPERATOR, outbox.RECEIVED, outbox.FAILED,
          outbox.EXPIRED, outbox.REJECTED, outbox.UNKNOWN, outbox.CANCELLED)
# Which count a message of each outbox status is in.
BUCKET = {status: status for status in COUNTS} | {
    outbox.TEST: PENDING, AWAITING_APPROVAL: PENDING, SCHEDULED: PENDING}

metadata = MetaData()

journal = Table(
    "campaign_journal",
    metadata,
    Column("campaign_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("reseller_id", Uuid, nullable=False),
    Column("sender", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(24), nullable=False),  # the campaign's: scheduled until closed
    Column("reference", String(200), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("recipients", Integer, nullable=False),
    Column("segments", Integer, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("wholesale", BigInteger, nullable=False),
    Column("charged_price", BigInteger, nullable=False),
    Column("charged_wholesale", BigInteger, nullable=False),
    Column("released_price", BigInteger, nullable=False),
    Column("released_wholesale", BigInteger, nullable=False),
    *(Column(name, Integer, nullable=False) for name in COUNTS),
    Column("requeues", Integer, nullable=False),  # ambiguous messages sent again
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("scheduled_at", DateTime(timezone=True)),
    Column("due_at", DateTime(timezone=True), nullable=False),  # scheduled_at or created_at
    Column("first_sent_at", DateTime(timezone=True)),
    Column("last_sent_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_journal_customer_created", "customer_id", "created_at", "campaign_id"),
    Index("ix_journal_due", "status", "due_at"),
)

message_statuses = Table(
    "journal_message_status",
    metadata,
    Column("message_id", String(48), primary_key=True),
    Column("campaign_id", Uuid, nullable=False),
    Column("status", String(24), nullable=False),
)

# What events change in a journal row.
_CHANGING = tuple(c.name for c in journal.columns if c.name not in (
    "campaign_id", "customer_id", "reseller_id", "sender", "kind", "reference", "channel",
    "recipients", "segments", "price", "wholesale", "created_at", "scheduled_at", "due_at"))


class _Page:
    """The campaigns and message statuses a page touches, read once, written in bulk."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.campaigns: dict[UUID, dict[str, Any]] = {}
        self.new_campaigns: set[UUID] = set()
        self.statuses: dict[str, dict[str, Any]] = {}
        self.new_statuses: set[str] = set()
        self.changed_statuses: set[str] = set()

    def preload(self, events: Sequence[Any]) -> None:
        """Read the campaigns the page changes but did not create, and the statuses of the
        messages their receipts concern (and their results, where messages were requeued)."""
        submitted: set[UUID] = set()
        earlier: list[Any] = []
        for e in events:
            if isinstance(e, Campaign.Submitted):
                submitted.add(e.originator_id)
            elif isinstance(e, Campaign.Event) and e.originator_id not in submitted:
                earlier.append(e)
        for row in select_rows(self.conn, journal.c.campaign_id,
                               list({e.originator_id for e in earlier})):
            self.campaigns[row["campaign_id"]] = row
        wanted: list[str] = []
        for e in earlier:
            if isinstance(e, Campaign.ReceiptsRecorded):
                wanted.extend(message_id(e.originator_id, item[0]) for item in e.items)
            elif isinstance(e, Campaign.Dispatched) and self.campaigns[e.originator_id][
                    "requeues"]:
                wanted.extend(message_id(e.originator_id, result[0]) for result in e.results)
        for row in select_rows(self.conn, message_statuses.c.message_id,
                               list(dict.fromkeys(wanted))):
            self.statuses[row["message_id"]] = row

    def set_status(self, campaign_id: UUID, key: str, status: str) -> None:
        found = self.statuses.get(key)
        if found is None:
            self.statuses[key] = {"message_id": key, "campaign_id": campaign_id,
                                  "status": status}
            self.new_statuses.add(key)
        else:
            found["status"] = status
            if key not in self.new_statuses:
                self.changed_statuses.add(key)

    def flush(self) -> None:
        conn = self.conn
        insert_rows(conn, journal, [self.campaigns[i] for i in self.new_campaigns])
        update_rows(conn, journal, [row for i, row in self.campaigns.items()
                                    if i not in self.new_campaigns], _CHANGING)
        insert_rows(conn, message_statuses, [self.statuses[k] for k in self.new_statuses])
        update_rows(conn, message_statuses, [self.statuses[k] for k in self.changed_statuses],
                    ("status",))


def _move(row: dict[str, Any], source: str, target: str, count: int) -> None:
    row[source] -= count
    row[target] += count


handles = EventHandlers()


@handles
def submitted(event: Campaign.Submitted, page: _Page) -> None:
    settings, totals = event.settings, event.totals
    scheduled_at = as_datetime(settings.get("scheduled_at"))
    page.campaigns[event.originator_id] = {
        "campaign_id": event.originator_id, "customer_id": event.customer_id,
        "reseller_id": event.reseller_id, "sender": settings["sender"],
        "kind": settings["kind"], "status": initial_status(settings),
        "reference": settings.get("reference") or "", "channel": settings.get("channel") or "",
        "recipients": totals["recipients"], "segments": totals["segments"],
        "price": totals["price"], "wholesale": totals["wholesale"], "charged_price": 0,
        "charged_wholesale": 0, "released_price": 0, "released_wholesale": 0,
        **dict.fromkeys(COUNTS, 0), PENDING: totals["recipients"], "requeues": 0,
        "created_at": event.timestamp, "scheduled_at": scheduled_at,
        "due_at": scheduled_at or event.timestamp, "first_sent_at": None,
        "last_sent_at": None, "closed_at": None, "updated_at": event.timestamp,
    }
    page.new_campaigns.add(event.originator_id)


@handles
def approved(event: Campaign.Approved, page: _Page) -> None:
    row = page.campaigns[event.originator_id]
    row["status"], row["updated_at"] = SCHEDULED, event.timestamp


@handles
def rescheduled(event: Campaign.Rescheduled, page: _Page) -> None:
    row = page.campaigns[event.originator_id]
    row["scheduled_at"], row["updated_at"] = event.scheduled_at, event.timestamp


@handles
def cancelled(event: Campaign.Cancelled, page: _Page) -> None:
    row = page.campaigns[event.originator_id]
    row["status"], row["updated_at"] = CANCELLED, event.timestamp
    _move(row, PENDING, outbox.CANCELLED, row[PENDING])


@handles
def sending(event: Campaign.Sending, page: _Page) -> None:
    row = page.campaigns[event.originator_id]
    _move(row, PENDING, SENDING, len(event.indexes))
    row["updated_at"] = event.timestamp


@handles
def dispatched(event: Campaign.Dispatched, page: _Page) -> None:
    campaign_id, at = event.originator_id, event.timestamp
    row = page.campaigns[campaign_id]
    prefix = campaign_id.hex
    for index, outcome, *_ in event.results:
        status = OUTCOME_STATUS[outcome]
        _move(row, SENDING, BUCKET[status], 1)
        key = f"{prefix}.{index}"
        if status != SENT or key in page.statuses:
            page.set_status(campaign_id, key, status)
        if outcome == REQUEUED:
            row["requeues"] += 1
    row["charged_price"] += event.price
    row["charged_wholesale"] += event.wholesale
    row["first_sent_at"] = row["first_sent_at"] or at
    row["last_sent_at"] = row["updated_at"] = at


@handles
def receipts_recorded(event: Campaign.ReceiptsRecorded, page: _Page) -> None:
    campaign_id = event.originator_id
    row = page.campaigns[campaign_id]
    prefix = campaign_id.hex
    for index, status, *_ in event.items:
        key = f"{prefix}.{index}"
        known = page.statuses.get(key)
        previous = SENT if known is None else known["status"]
        if receipt_applies(previous, status):
            _move(row, BUCKET[previous], BUCKET[status], 1)
            page.set_status(campaign_id, key, status)
    row["updated_at"] = event.timestamp


@handles
def closed(event: Campaign.Closed, page: _Page) -> None:
    row = page.campaigns[event.originator_id]
    row["released_price"], row["released_wholesale"] = (
        event.released_price, event.released_wholesale)
    row["closed_at"] = row["updated_at"] = event.timestamp
    if row["status"] in (SCHEDULED, AWAITING_APPROVAL):
        row["status"] = DONE


class Journal(PagedProjection):
    """``campaign_journal`` (and ``journal_message_status``, what receipts move from)."""

    name = "campaign_journal"
    metadata = metadata
    handlers = handles
    page_type = _Page


# Queries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalEntry:
    campaign_id: UUID
    customer_id: UUID
    reseller_id: UUID
    sender: str
    kind: str
    status: str
    reference: str
    channel: str
    recipients: int
    segments: int
    price: int
    wholesale: int
    charged_price: int
    charged_wholesale: int
    released_price: int
    released_wholesale: int
    pending: int
    sending: int
    sent: int
    delivered_to_operator: int
    received: int
    failed: int
    expired: int
    rejected: int
    unknown: int
    cancelled: int
    requeues: int
    created_at: datetime
    scheduled_at: datetime | None
    due_at: datetime
    first_sent_at: datetime | None
    last_sent_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime

    @property
    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTS}


def journal_page(
    engine: Engine, customer_id: UUID, *, since: datetime | None = None,
    until: datetime | None = None, status: str | None = None, limit: int = 50,
    after: str | None = None,
) -> tuple[list[JournalEntry], str | None]:
    """A customer's campaigns created in ``[since, until)``, of one status, newest first;
    ``after`` is the cursor a previous page returned, and None is returned on the last."""
    conditions: list[ColumnElement[bool]] = [journal.c.customer_id == customer_id]
    if since is not None:
        conditions.append(journal.c.created_at >= as_datetime(since))
    if until is not None:
        conditions.append(journal.c.created_at < as_datetime(until))
    if status is not None:
        conditions.append(journal.c.status == status)
    if after is not None:
        created_at, key = decode_cursor(after)
        try:
            after_id = UUID(hex=key)
        except ValueError:
            raise CursorError(after) from None
        order = (journal.c.created_at, journal.c.campaign_id)
        conditions.append(tuple_(*order) < tuple_(*typed(order, (created_at, after_id))))
    query = (
        select(journal).where(and_(*conditions))
        .order_by(journal.c.created_at.desc(), journal.c.campaign_id.desc())
        .limit(limit + 1)
    )
    with engine.connect() as conn:
        rows = [_entry(row._asdict()) for row in conn.execute(query)]
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.campaign_id.hex)


def campaign(engine: Engine, campaign_id: UUID) -> JournalEntry | None:
    with engine.connect() as conn:
        row = conn.execute(select(journal).where(journal.c.campaign_id == campaign_id)).first()
    return None if row is None else _entry(row._asdict())


def due_campaigns(engine: Engine, now: datetime, limit: int = 100) -> list[UUID]:
    """The dispatcher's work list: campaigns scheduled (approved, not cancelled, not a test),
    not closed, with no time set or a time at or before ``now``; the longest due first.
    As ``Campaign.is_due``: a campaign stays due until it is closed, its messages all sent
    or not (the dispatcher loads it and decides)."""
    query = (
        select(journal.c.campaign_id)
        .where(journal.c.status == SCHEDULED, journal.c.closed_at.is_(None),
               or_(journal.c.scheduled_at.is_(None),
                   journal.c.scheduled_at <= as_datetime(now)))
        .order_by(journal.c.due_at, journal.c.campaign_id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def _entry(values: dict[str, Any]) -> JournalEntry:
    for name in ("created_at", "scheduled_at", "due_at", "first_sent_at", "last_sent_at",
                 "closed_at", "updated_at"):
        values[name] = as_datetime(values[name])  # SQLite gives them back naive
    return JournalEntry(**values)
