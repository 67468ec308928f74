"""Replies as rows for the portals, and whose a reply is (``reply_owner``, from the outbox).

One row per reply (``Reply.Received``); forwarding sets ``forwarded`` (the channel, or
``none`` when the customer forwards nothing) or ``forwarding_error``. ``unforwarded`` lists
the replies the forwarding job takes up again. ``reply_owner`` is the look-up the inbox is
given: the customer of the most recent message to the reply's source number from the address
the reply was sent to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
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

from portevoix.platform.replies import Reply
from portevoix.projections.outbox import messages
from portevoix.projections.paging import as_datetime
from portevoix.projections.tracking import EventHandlers, Projection

metadata = MetaData()

replies = Table(
    "replies",
    metadata,
    Column("reply_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, index=True),  # None: no customer sent to this number
    Column("source", String(24), nullable=False),
    Column("destination", String(24), nullable=False),
    Column("text", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("is_stop", Boolean, nullable=False),
    Column("is_start", Boolean, nullable=False),
    Column("forwarded", String(8)),  # email, sms, url, none; None: not (yet)
    Column("forwarding_error", Text, nullable=False),
    Index("ix_replies_unforwarded", "received_at",
          sqlite_where=text("forwarded IS NULL AND customer_id IS NOT NULL"),
          postgresql_where=text("forwarded IS NULL AND customer_id IS NOT NULL")),
)

handles = EventHandlers()


@handles
def received(event: Reply.Received, conn: Connection) -> None:
    conn.execute(insert(replies).values(
        reply_id=event.originator_id, customer_id=event.customer_id, source=event.source,
        destination=event.destination, text=event.text, received_at=event.received_at,
        is_stop=event.is_stop, is_start=event.is_start, forwarded=None, forwarding_error="",
    ))


@handles
def forwarded(event: Reply.Forwarded, conn: Connection) -> None:
    conn.execute(update(replies).where(replies.c.reply_id == event.originator_id)
                 .values(forwarded=event.channel, forwarding_error=""))


@handles
def forwarding_failed(event: Reply.ForwardingFailed, conn: Connection) -> None:
    conn.execute(update(replies).where(replies.c.reply_id == event.originator_id)
                 .values(forwarding_error=event.error))


class Replies(Projection):
    name = "replies"
    metadata = metadata

    def apply_page(self, events: Sequence[Any], conn: Connection) -> None:
        handles.apply(events, conn)


def customer_replies(engine: Engine, customer_id: UUID, limit: int = 50) -> list[dict[str, Any]]:
    """A customer's replies, newest first."""
    query = (select(replies).where(replies.c.customer_id == customer_id)
             .order_by(replies.c.received_at.desc()).limit(limit))
    with engine.connect() as conn:
        rows = [row._asdict() for row in conn.execute(query)]
    for row in rows:
        row["received_at"] = as_datetime(row["received_at"])  # SQLite gives them back naive
    return rows


def unforwarded(engine: Engine, since: datetime, limit: int = 100) -> list[UUID]:
    """Replies with a customer, received since ``since``, not forwarded (nor found to have
    nowhere to go): crashed, failed, or still being forwarded. Oldest first."""
    query = (select(replies.c.reply_id)
             .where(replies.c.forwarded.is_(None), replies.c.customer_id.is_not(None),
                    replies.c.received_at >= since)
             .order_by(replies.c.received_at).limit(limit))
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(query)]


def _variants(address: str) -> list[str]:
    """An address as the SMSC may write it and as the outbox does: with and without "+"
    for numbers (a sender ID such as ``SMSPlus`` is only itself)."""
    bare = address.removeprefix("+")
    return [address] if not bare.isdigit() else [bare, "+" + bare]


def reply_owner(engine: Engine, catch_up: Callable[[], object] = lambda: None
                ) -> Callable[[str, str], UUID | None]:
    """``owner(source, destination)`` for the inbox: the customer of the most recent
    message to ``source`` sent from ``destination``, or None. ``catch_up`` brings the
    outbox up to date first (a reply can follow its message within a second)."""

    def owner(source: str, destination: str) -> UUID | None:
        catch_up()
        query = (
            select(messages.c.customer_id)
            .where(messages.c.e164.in_(_variants(source)))
            .where(messages.c.sender.in_(_variants(destination)))
            .order_by(messages.c.created_at.desc()).limit(1)
        )
        with engine.connect() as conn:
            found = conn.execute(query).scalar()
        return found if isinstance(found, UUID) else None

    return owner
