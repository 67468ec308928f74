"""The outbox: one row per message of every campaign, with what became of it.

Rows are created from ``RecipientsAdded`` (bulk loaded: COPY on PostgreSQL) and changed by the
dispatch and receipt events. A page of events is folded in memory, like the balances: the
messages it touches are read once, changed, and written back with one executemany; approving
or cancelling a campaign that an earlier page loaded is one UPDATE for the whole campaign.

``Sending`` and ``Dispatched`` set what they say (the domain only sends pending messages and
only answers sending ones); an ambiguous message requeued under the at-least-once policy is
scheduled again and flagged as a possible duplicate. Receipts only move a status forward
(``STAGE``, ``receipt_applies``): a late ENROUTE after DELIVRD is ignored, the first final
status wins, and a receipt for a message waiting to be sent again (of its earlier attempt)
is not its status yet.

Portal colours by status (``COLOUR``):

    grey         test, awaiting_approval, scheduled, cancelled   not sent, and will not be yet
    blue         sending, sent                                   with the SMSC
    light_green  delivered_to_operator                           on its way (ENROUTE, ACCEPTD)
    green        received                                        on the handset (DELIVRD)
    red          failed, rejected                                will not arrive
    orange       expired, unknown                                may or may not have arrived
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
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
    Text,
    Uuid,
    and_,
    bindparam,
    or_,
    select,
    tuple_,
    update,
)

from portevoix.platform import campaigns as domain
from portevoix.platform.campaigns import Campaign, message_id, parse_message_id
from portevoix.platform.smpp import receipts
from portevoix.projections.bulk import insert_rows, select_rows, update_rows
from portevoix.projections.paging import (
    CursorError,
    as_datetime,
    decode_cursor,
    encode_cursor,
    typed,
)
from portevoix.projections.tracking import EventHandlers, PagedProjection

# Message statuses: before dispatch, at dispatch, then from receipts.
TEST, AWAITING_APPROVAL, SCHEDULED, CANCELLED = (
    domain.TEST, domain.AWAITING_APPROVAL, domain.SCHEDULED, domain.CANCELLED)
SENDING, REJECTED = domain.SENDING, domain.REJECTED
SENT, DELIVERED_TO_OPERATOR, RECEIVED, FAILED, EXPIRED, UNKNOWN = (
    receipts.SENT, receipts.DELIVERED_TO_OPERATOR, receipts.RECEIVED, receipts.FAILED,
    receipts.EXPIRED, receipts.UNKNOWN)
# A dispatch outcome's status: the SMSC accepted it ("submitted") is "sent"; a requeued
# message is scheduled again.
OUTCOME_STATUS = {domain.SUBMITTED: SENT, domain.REJECTED: REJECTED, domain.UNKNOWN: UNKNOWN,
                  domain.REQUEUED: SCHEDULED}
# How far each status has come: a receipt never moves a message to an equal or lower stage.
STAGE = {
    TEST: 0, AWAITING_APPROVAL: 0, SCHEDULED: 1, SENDING: 2, UNKNOWN: 3, SENT: 4,
    DELIVERED_TO_OPERATOR: 5, RECEIVED: 6, FAILED: 6, EXPIRED: 6, REJECTED: 6, CANCELLED: 6,
}
COLOUR = {
    TEST: "grey", AWAITING_APPROVAL: "grey", SCHEDULED: "grey", CANCELLED: "grey",
    SENDING: "blue", SENT: "blue", DELIVERED_TO_OPERATOR: "light_green", RECEIVED: "green",
    FAILED: "red", REJECTED: "red", EXPIRED: "orange", UNKNOWN: "orange",
}
STATUSES = tuple(STAGE)

metadata = MetaData()

messages = Table(
    "outbox_messages",
    metadata,
    Column("message_id", String(48), primary_key=True),
    Column("campaign_id", Uuid, nullable=False),
    Column("position", Integer, nullable=False),  # the recipient's index in its campaign
    Column("customer_id", Uuid, nullable=False),
    Column("e164", String(20), nullable=False),
    Column("country", String(8), nullable=False),
    Column("operator", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("sender", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("segments", Integer, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("status", String(24), nullable=False),
    Column("colour", String(16), nullable=False),
    Column("reason", Text, nullable=False),  # why rejected, unknown or cancelled
    Column("stat", String(16), nullable=False),  # the receipt's stat word
    Column("error_code", String(16), nullable=False),  # the receipt's err
    Column("smsc_ids", Text, nullable=False),  # comma-joined, one per segment
    Column("possible_duplicate", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("scheduled_at", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("done_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Each index ends with the page order, so a filtered page is read in index order.
    Index("ix_outbox_customer_created", "customer_id", "created_at", "campaign_id", "position"),
    Index("ix_outbox_customer_status", "customer_id", "status", "created_at", "campaign_id",
          "position"),
    Index("ix_outbox_campaign", "campaign_id", "created_at", "position"),
    # Whose message a reply answers: the latest to that number from that sender.
    Index("ix_outbox_e164_sender", "e164", "sender", "created_at"),
    # Number search: prefix LIKE uses it on PostgreSQL whatever the database's collation.
    Index("ix_outbox_customer_e164", "customer_id", "e164",
          postgresql_ops={"e164": "varchar_pattern_ops"}),
)

# What a RecipientsAdded needs to know of its campaign when Submitted was in an earlier page.
campaigns = Table(
    "outbox_campaigns",
    metadata,
    Column("campaign_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("sender", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("status", String(24), nullable=False),  # of its messages not yet sent
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("scheduled_at", DateTime(timezone=True)),
)

# The columns the dispatch and receipt events change.
MUTABLE = ("status", "colour", "reason", "stat", "error_code", "smsc_ids",
           "possible_duplicate", "sent_at", "done_at", "updated_at")


def initial_status(settings: dict[str, Any]) -> str:
    """Where a campaign's messages start (as ``Campaign.__init__`` decides)."""
    if settings["test"]:
        return TEST
    return AWAITING_APPROVAL if settings["proof_required"] else SCHEDULED


def receipt_applies(current: str, received: str) -> bool:
    """Whether a receipt saying ``received`` moves a message that is ``current``: only a
    dispatched message (unknown or further), only forward; statuses we do not know are
    ignored."""
    stage = STAGE[current]
    return stage >= STAGE[UNKNOWN] and STAGE.get(received, -1) > stage


def _set_status(row: dict[str, Any], status: str, at: datetime) -> None:
    row["status"], row["colour"], row["updated_at"] = status, COLOUR[status], at


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
        # (campaign, from statuses, values): transitions of whole campaigns of earlier pages
        self.transitions: list[tuple[UUID, tuple[str, ...], dict[str, Any]]] = []

    def preload(self, events: Sequence[Any]) -> None:
        """Read the campaigns and messages the page changes but did not create."""
        submitted: set[UUID] = set()
        headers: set[UUID] = set()
        wanted: list[str] = []
        for e in events:
            if not isinstance(e, Campaign.Event):
                continue
            if isinstance(e, Campaign.Submitted):
                submitted.add(e.originator_id)
            elif e.originator_id in submitted:
                continue  # every message of a campaign submitted here is created here
            elif isinstance(e, Campaign.RecipientsAdded | Campaign.Approved
                            | Campaign.Cancelled):
                headers.add(e.originator_id)
            else:
                wanted.extend(message_id(e.originator_id, i) for i in message_indexes(e))
        for header in select_rows(self.conn, campaigns.c.campaign_id, list(headers)):
            self.campaigns[header["campaign_id"]] = header
        columns = [messages.c.campaign_id, *(messages.c[name] for name in MUTABLE)]
        for row in select_rows(self.conn, messages.c.message_id, list(dict.fromkeys(wanted)),
                               columns):
            self.loaded[row["message_id"]] = row
            self.by_campaign.setdefault(row["campaign_id"], []).append(row)

    def message(self, campaign_id: UUID, index: int) -> dict[str, Any]:
        key = message_id(campaign_id, index)
        found = self.created.get(key)
        if found is None:
            found = self.loaded[key]
            self.changed.add(key)
        return found

    def transition(self, campaign_id: UUID, sources: tuple[str, ...], status: str,
                   at: datetime, **values: Any) -> None:
        """Move every message of the campaign in one of ``sources`` to ``status``."""
        header = self.campaigns[campaign_id]
        header["status"] = status
        if campaign_id not in self.new_campaigns:
            self.changed_campaigns.add(campaign_id)
            self.transitions.append((campaign_id, sources, {
                "status": status, "colour": COLOUR[status], "updated_at": at, **values}))
        for row in self.by_campaign.get(campaign_id, ()):
            if row["status"] in sources:
                row.update(status=status, colour=COLOUR[status], updated_at=at, **values)
                if row["message_id"] in self.loaded:
                    self.changed.add(row["message_id"])

    def flush(self) -> None:
        conn = self.conn
        insert_rows(conn, campaigns, [self.campaigns[i] for i in self.new_campaigns])
        if self.changed_campaigns:
            conn.execute(
                update(campaigns).where(campaigns.c.campaign_id == bindparam("b_campaign_id")),
                [{"b_campaign_id": i, "status": self.campaigns[i]["status"]}
                 for i in self.changed_campaigns],
            )
        for campaign_id, sources, values in self.transitions:
            conn.execute(
                update(messages)
                .where(messages.c.campaign_id == campaign_id, messages.c.status.in_(sources))
                .values(values)
            )
        insert_rows(conn, messages, list(self.created.values()))
        update_rows(conn, messages, [self.loaded[key] for key in self.changed], MUTABLE)


def message_indexes(event: Any) -> Iterable[int]:
    """The indexes of the messages a campaign event changes."""
    if isinstance(event, Campaign.Dispatched):
        return (result[0] for result in event.results)
    if isinstance(event, Campaign.ReceiptsRecorded):
        return (item[0] for item in event.items)
    return getattr(event, "indexes", ())


handles = EventHandlers()


@handles
def submitted(event: Campaign.Submitted, page: _Page) -> None:
    settings = event.settings
    page.campaigns[event.originator_id] = {
        "campaign_id": event.originator_id, "customer_id": event.customer_id,
        "sender": settings["sender"], "kind": settings["kind"], "text": settings["text"],
        "status": initial_status(settings), "created_at": event.timestamp,
        "scheduled_at": as_datetime(settings.get("scheduled_at")),
    }
    page.new_campaigns.add(event.originator_id)


@handles
def recipients_added(event: Campaign.RecipientsAdded, page: _Page) -> None:
    header = page.campaigns[event.originator_id]
    campaign_id, customer_id, default_text = (
        header["campaign_id"], header["customer_id"], header["text"])
    sender, kind, status = header["sender"], header["kind"], header["status"]
    created_at, scheduled_at = header["created_at"], header["scheduled_at"]
    colour, prefix = COLOUR[status], campaign_id.hex
    rows = page.by_campaign.setdefault(campaign_id, [])
    for index, (e164, country, operator, segments, price, _, text) in enumerate(
        event.rows, start=event.first
    ):
        key = f"{prefix}.{index}"
        row = {
            "message_id": key, "campaign_id": campaign_id, "position": index,
            "customer_id": customer_id, "e164": e164, "country": country,
            "operator": operator, "text": text or default_text, "sender": sender,
            "kind": kind, "segments": segments, "price": price, "status": status,
            "colour": colour, "reason": "", "stat": "", "error_code": "", "smsc_ids": "",
            "possible_duplicate": False, "created_at": created_at,
            "scheduled_at": scheduled_at, "sent_at": None, "done_at": None,
            "updated_at": event.timestamp,
        }
        page.created[key] = row
        rows.append(row)


@handles
def approved(event: Campaign.Approved, page: _Page) -> None:
    page.transition(event.originator_id, (AWAITING_APPROVAL,), SCHEDULED, event.timestamp)


@handles
def rescheduled(event: Campaign.Rescheduled, page: _Page) -> None:
    header = page.campaigns[event.originator_id]
    header["scheduled_at"] = event.scheduled_at
    page.transition(event.originator_id, (AWAITING_APPROVAL, SCHEDULED), header["status"],
                    event.timestamp, scheduled_at=event.scheduled_at)


@handles
def cancelled(event: Campaign.Cancelled, page: _Page) -> None:
    page.transition(event.originator_id, (AWAITING_APPROVAL, SCHEDULED), CANCELLED,
                    event.timestamp, reason=event.reason)


@handles
def sending(event: Campaign.Sending, page: _Page) -> None:
    for index in event.indexes:
        _set_status(page.message(event.originator_id, index), SENDING, event.timestamp)


@handles
def dispatched(event: Campaign.Dispatched, page: _Page) -> None:
    at = event.timestamp
    for index, outcome, smsc_ids, reason in event.results:
        row = page.message(event.originator_id, index)
        _set_status(row, OUTCOME_STATUS[outcome], at)
        row["smsc_ids"], row["sent_at"], row["reason"] = ",".join(smsc_ids), at, reason or ""
        if outcome == domain.REQUEUED:
            row["possible_duplicate"] = True


@handles
def receipts_recorded(event: Campaign.ReceiptsRecorded, page: _Page) -> None:
    for index, status, stat, error_code, done_at in event.items:
        row = page.message(event.originator_id, index)
        if receipt_applies(row["status"], status):
            _set_status(row, status, event.timestamp)
            row["stat"] = stat or ""
            row["error_code"] = "" if error_code is None else str(error_code)
            row["done_at"] = as_datetime(done_at)


class Outbox(PagedProjection):
    """``outbox_messages`` (and ``outbox_campaigns``, what new recipients inherit)."""

    name = "outbox"
    metadata = metadata
    handlers = handles
    page_type = _Page


# Queries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxMessage:
    message_id: str
    campaign_id: UUID
    position: int
    customer_id: UUID
    e164: str
    country: str
    operator: str
    text: str
    sender: str
    kind: str
    segments: int
    price: int
    status: str
    colour: str
    reason: str
    stat: str
    error_code: str
    smsc_ids: str
    possible_duplicate: bool
    created_at: datetime
    scheduled_at: datetime | None
    sent_at: datetime | None
    done_at: datetime | None
    updated_at: datetime


_NUMBER = re.compile(r"\+?[0-9]+")
_NUMBER_PUNCTUATION = re.compile(r"[\s.()/-]")


def outbox_page(
    engine: Engine, customer_id: UUID, *, since: datetime | None = None,
    until: datetime | None = None, kind: str | None = None, status: str | None = None,
    keyword: str | None = None, campaign_id: UUID | None = None, limit: int = 50,
    after: str | None = None,
) -> tuple[list[OutboxMessage], str | None]:
    """A customer's messages, newest first: created in ``[since, until)``, of a kind, a status,
    a campaign, whose text or number contains ``keyword`` (see ``_matches``); at most ``limit``
    after the cursor ``after`` a previous page returned. The cursor returned is None on the
    last page.

    The order is (created_at, campaign_id, position) descending: the message id, its index
    compared as a number (as text "….10" would come before "….9")."""
    conditions: list[ColumnElement[bool]] = [messages.c.customer_id == customer_id]
    if since is not None:
        conditions.append(messages.c.created_at >= as_datetime(since))
    if until is not None:
        conditions.append(messages.c.created_at < as_datetime(until))
    if kind is not None:
        conditions.append(messages.c.kind == kind)
    if status is not None:
        conditions.append(messages.c.status == status)
    if campaign_id is not None:
        conditions.append(messages.c.campaign_id == campaign_id)
    if keyword and keyword.strip():
        conditions.append(_matches(keyword.strip()))
    if after is not None:
        created_at, key = decode_cursor(after)
        try:
            after_campaign, after_position = parse_message_id(key)
        except ValueError:
            raise CursorError(after) from None
        order = (messages.c.created_at, messages.c.campaign_id, messages.c.position)
        conditions.append(
            tuple_(*order) < tuple_(*typed(order, (created_at, after_campaign, after_position)))
        )
    query = (
        select(messages).where(and_(*conditions))
        .order_by(messages.c.created_at.desc(), messages.c.campaign_id.desc(),
                  messages.c.position.desc())
        .limit(limit + 1)
    )
    with engine.connect() as conn:
        rows = [_message(row._asdict()) for row in conn.execute(query)]
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.message_id)


def _matches(keyword: str) -> ColumnElement[bool]:
    """Text containing ``keyword``, or a number containing it when it is one: written
    internationally ("+33 6 12", "0033 6 12") it matches the numbers it begins; with a national
    trunk 0 ("06 12 34") the numbers containing it without the 0."""
    in_text = messages.c.text.icontains(keyword, autoescape=True)
    number = _NUMBER_PUNCTUATION.sub("", keyword)
    if not _NUMBER.fullmatch(number):
        return in_text
    if number.startswith("00") and len(number) > 2:
        number = "+" + number[2:]
    if number.startswith("+"):
        return messages.c.e164.startswith(number, autoescape=True)
    national = number.removeprefix("0") or number
    return or_(messages.c.e164.contains(national, autoescape=True), in_text)


def message(engine: Engine, message_id: str) -> OutboxMessage | None:
    with engine.connect() as conn:
        row = conn.execute(select(messages).where(messages.c.message_id == message_id)).first()
    return None if row is None else _message(row._asdict())


def _message(values: dict[str, Any]) -> OutboxMessage:
    for name in ("created_at", "scheduled_at", "sent_at", "done_at", "updated_at"):
        values[name] = as_datetime(values[name])  # SQLite gives them back naive
    return OutboxMessage(**values)
