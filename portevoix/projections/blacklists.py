"""Opt-outs and platform blocks as rows, for the portals' lists and the exports.

One row per listed number: a customer's opt-outs carry the customer and how the number came
(``stop_reply``, ``manual``, ``import``), the platform's blocks no customer, the source
``platform_block`` and the reason. ``since`` is when the number was (last) listed. Sends never
read this table: ``Blacklists.blocked`` answers them from the aggregates.

Events hold up to 1,000 numbers, so each is one bulk insert or one delete.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    MetaData,
    String,
    Table,
    Uuid,
    delete,
    insert,
    select,
)

from portevoix.platform.blacklists import PLATFORM_BLOCK, STOP_REPLY, BlockList, OptOutList
from portevoix.projections.bulk import insert_rows
from portevoix.projections.tracking import EventHandlers, Projection

metadata = MetaData()

# Whose each list is (the events after a list's creation do not repeat it).
blacklist_lists = Table(
    "blacklist_lists",
    metadata,
    Column("list_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, unique=True),  # None: the platform's block list
    Column("opened_at", DateTime(timezone=True), nullable=False),
)

blacklist_entries = Table(
    "blacklist_entries",
    metadata,
    Column("list_id", Uuid, primary_key=True),
    Column("e164", String(16), primary_key=True),
    Column("customer_id", Uuid, index=True),  # None: blocked by the platform
    Column("source", String(16), nullable=False),  # stop_reply, manual, import, platform_block
    Column("reason", String(200), nullable=False),  # a block's reason; "" for opt-outs
    Column("since", DateTime(timezone=True), nullable=False),
)

handles = EventHandlers()


def _list_opened(conn: Connection, event: Any, customer_id: UUID | None) -> None:
    conn.execute(insert(blacklist_lists).values(
        list_id=event.originator_id, customer_id=customer_id, opened_at=event.timestamp))


def _delete(conn: Connection, event: Any) -> None:
    conn.execute(delete(blacklist_entries)
                 .where(blacklist_entries.c.list_id == event.originator_id)
                 .where(blacklist_entries.c.e164.in_(event.numbers)))


def _insert(conn: Connection, event: Any, customer_id: UUID | None, source: str,
            reason: str) -> None:
    insert_rows(conn, blacklist_entries, [
        {"list_id": event.originator_id, "e164": number, "customer_id": customer_id,
         "source": source, "reason": reason, "since": event.timestamp}
        for number in event.numbers
    ])


@handles
def opt_out_list_opened(event: OptOutList.Opened, conn: Connection) -> None:
    _list_opened(conn, event, event.customer_id)


@handles
def block_list_opened(event: BlockList.Opened, conn: Connection) -> None:
    _list_opened(conn, event, None)


@handles
def opted_out(event: OptOutList.OptedOut, conn: Connection) -> None:
    customer_id = conn.execute(select(blacklist_lists.c.customer_id)
                               .where(blacklist_lists.c.list_id == event.originator_id)
                               ).scalar_one()
    if event.source == STOP_REPLY:  # it may come from a number the customer had listed
        _delete(conn, event)
    _insert(conn, event, customer_id, event.source, "")


@handles
def opted_in(event: OptOutList.OptedIn, conn: Connection) -> None:
    _delete(conn, event)


@handles
def blocked(event: BlockList.Blocked, conn: Connection) -> None:
    _insert(conn, event, None, PLATFORM_BLOCK, event.reason)


@handles
def unblocked(event: BlockList.Unblocked, conn: Connection) -> None:
    _delete(conn, event)


class BlacklistEntries(Projection):
    """``blacklist_lists`` and ``blacklist_entries``."""

    name = "blacklists"
    metadata = metadata

    def apply_page(self, events: Sequence[Any], conn: Connection) -> None:
        handles.apply(events, conn)
