"""The status-callback deliveries and every attempt at them: what
``platform/callback_delivery.py`` posts and records, and what ``GET /api/v1/callbacks`` lists.

``claim`` groups the events ``projections/callbacks.py`` queued, per customer and URL, in
deliveries of at most ``MAX_EVENTS`` (the body is built then and kept, so every attempt
posts the same bytes), and marks the events with their delivery. These tables are not the
projection's (``log_metadata``): a rebuild of the projection keeps them, and ``claim``
recognises an event queued again by its id (``callback_delivery_events``) and links it to
the delivery that carried it instead of delivering it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    ARRAY,
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
    Text,
    Uuid,
    and_,
    any_,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from portevoix.platform.callbacks import (
    FAILED,
    MAX_EVENTS,
    PENDING,
    Attempt,
    CallbackStateError,
    Delivery,
    StatusEvent,
    body,
    event_id,
)
from portevoix.projections.bulk import chunks, insert_rows, select_rows
from portevoix.projections.callbacks import events
from portevoix.projections.paging import CursorError, as_datetime, decode_cursor, encode_cursor

_SEQ = BigInteger().with_variant(Integer, "sqlite")

log_metadata = MetaData()

deliveries = Table(
    "callback_deliveries",
    log_metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),  # the order they are posted in
    Column("callback_id", Uuid, nullable=False, unique=True),
    Column("customer_id", Uuid, nullable=False),
    Column("url", String(500), nullable=False),
    Column("state", String(16), nullable=False),  # pending, delivered, failed
    Column("events", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("tries", Integer, nullable=False),  # attempts since queued or retried
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),  # when pending
    Column("finished_at", DateTime(timezone=True)),  # when delivered or failed
    Index("ix_callback_deliveries_customer", "customer_id", "seq"),
    Index("ix_callback_deliveries_customer_state", "customer_id", "state", "seq"),
    Index("ix_callback_deliveries_pending", "customer_id", "url", "seq",
          postgresql_where=text("state = 'pending'"), sqlite_where=text("state = 'pending'")),
)

delivery_events = Table(
    "callback_delivery_events",
    log_metadata,
    Column("event_key", String(80), primary_key=True),  # callbacks.event_id
    Column("callback_id", Uuid, nullable=False),
    Column("campaign_id", Uuid, nullable=False),
    Column("message_id", String(48), nullable=False),
    Index("ix_callback_delivery_events_campaign", "campaign_id", "callback_id"),
    Index("ix_callback_delivery_events_message", "message_id", "callback_id"),
)

attempts = Table(
    "callback_attempts",
    log_metadata,
    Column("attempt_id", _SEQ, primary_key=True, autoincrement=True),
    Column("callback_id", Uuid, nullable=False, index=True),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("http_status", Integer),  # None: no answer
    Column("error", String(200), nullable=False),
    Column("duration_ms", Integer, nullable=False),
)


def _event(row: dict[str, Any]) -> StatusEvent:
    occurred_at = as_datetime(row["occurred_at"])  # SQLite gives them back naive
    assert occurred_at is not None
    return StatusEvent(
        message_id=row["message_id"], campaign_id=row["campaign_id"],
        reference=row["reference"], number=row["number"], status=row["status"],
        occurred_at=occurred_at, stat=row["stat"], error_code=row["error_code"],
        reason=row["reason"])


def _delivery(row: dict[str, Any], tried: Sequence[Attempt] = ()) -> Delivery:
    created_at = as_datetime(row["created_at"])
    assert created_at is not None
    return Delivery(
        callback_id=row["callback_id"], customer_id=row["customer_id"], url=row["url"],
        state=row["state"], events=row["events"], body=row["body"], tries=row["tries"],
        created_at=created_at, next_attempt_at=as_datetime(row["next_attempt_at"]),
        finished_at=as_datetime(row["finished_at"]), attempts=tuple(tried))


class CallbackLog:
    """The deliveries: the job's store (``callback_delivery.DeliveryStore``) and the
    API's queries. ``claim_limit`` bounds the events grouped in one round."""

    def __init__(self, engine: Engine, claim_limit: int = 10_000) -> None:
        self.engine, self.claim_limit = engine, claim_limit

    def create_tables(self) -> None:
        log_metadata.create_all(self.engine)

    # The job -----------------------------------------------------------------------------

    def claim(self, now: datetime) -> int:
        """Group queued events in new deliveries, due ``now``; returns how many events."""
        with self.engine.connect() as conn:
            queued = select(events).where(events.c.callback_id.is_(None)).order_by(
                events.c.seq).limit(self.claim_limit)
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # one claimer at a time
            else:
                queued = queued.with_for_update(skip_locked=True)
            rows = [row._asdict() for row in conn.execute(queued)]
            if not rows:
                conn.rollback()
                return 0
            self._group(conn, rows, now)
            conn.commit()
        return len(rows)

    def _group(self, conn: Connection, rows: list[dict[str, Any]], now: datetime) -> None:
        keys = [event_id(row["message_id"], row["status"]) for row in rows]
        carried = {found["event_key"]: found["callback_id"] for found in select_rows(
            conn, delivery_events.c.event_key, keys, [delivery_events.c.callback_id])}
        by_endpoint: dict[tuple[UUID, str], list[dict[str, Any]]] = {}
        for row, key in zip(rows, keys, strict=True):
            if key not in carried:  # else queued again by a rebuild: delivered already
                by_endpoint.setdefault((row["customer_id"], row["url"]), []).append(row)
        created, links = [], []
        for (customer_id, url), queued in by_endpoint.items():
            for batch in chunks(queued, MAX_EVENTS):
                callback_id = uuid4()
                created.append({
                    "callback_id": callback_id, "customer_id": customer_id, "url": url,
                    "state": PENDING, "events": len(batch),
                    "body": body([_event(row) for row in batch]), "tries": 0,
                    "created_at": now, "next_attempt_at": now, "finished_at": None,
                })
                links.extend({"event_key": event_id(row["message_id"], row["status"]),
                              "callback_id": callback_id, "campaign_id": row["campaign_id"],
                              "message_id": row["message_id"]} for row in batch)
        insert_rows(conn, deliveries, created)  # in order: seq is the posting order
        insert_rows(conn, delivery_events, links)
        self._mark(conn, [row["seq"] for row in rows])

    @staticmethod
    def _mark(conn: Connection, seqs: list[int]) -> None:
        """Each event gets the delivery that carries it, in one UPDATE (an UPDATE per
        event or per delivery took 2 to 3 times longer on PostgreSQL)."""
        link, e = delivery_events.c, events.c
        carrier = select(link.callback_id).where(
            link.event_key == e.message_id + ":" + e.status).scalar_subquery()
        if conn.dialect.name == "postgresql":
            conn.execute(update(events).where(e.seq == any_(bindparam(
                "seqs", type_=ARRAY(BigInteger)))).values(callback_id=carrier), {"seqs": seqs})
            return
        for part in chunks(seqs):
            conn.execute(update(events).where(e.seq.in_(part)).values(callback_id=carrier))

    def due_endpoints(self, now: datetime) -> list[tuple[UUID, str]]:
        """Each (customer, URL) whose oldest pending delivery is due, oldest first."""
        d = deliveries.c
        heads = (select(func.min(d.seq).label("head")).where(d.state == PENDING)
                 .group_by(d.customer_id, d.url).subquery())
        query = (select(d.customer_id, d.url).join(heads, d.seq == heads.c.head)
                 .where(d.next_attempt_at <= now).order_by(d.seq))
        with self.engine.connect() as conn:
            return [(row.customer_id, row.url) for row in conn.execute(query)]

    def oldest_pending(self, customer_id: UUID, url: str) -> Delivery | None:
        d = deliveries.c
        query = (select(deliveries).where(d.customer_id == customer_id, d.url == url,
                                          d.state == PENDING).order_by(d.seq).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _delivery(row._asdict())

    def record_attempt(self, delivery: Delivery, attempt: Attempt, state: str, tries: int,
                       next_attempt_at: datetime | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(attempts).values(
                callback_id=delivery.callback_id, attempted_at=attempt.at,
                http_status=attempt.http_status, error=attempt.error[:200],
                duration_ms=attempt.duration_ms))
            conn.execute(
                update(deliveries).where(deliveries.c.callback_id == delivery.callback_id)
                .values(state=state, tries=tries, next_attempt_at=next_attempt_at,
                        finished_at=None if state == PENDING else attempt.at))

    # The API -----------------------------------------------------------------------------

    def page(self, customer_id: UUID, *, state: str | None = None,
             campaign_id: UUID | None = None, message_id: str | None = None,
             limit: int = 50, after: str | None = None) -> tuple[list[Delivery], str | None]:
        """A customer's deliveries, newest first, in a state, carrying an event of a
        campaign or a message; keyset pages as the outbox's (the cursor returned is None on
        the last page)."""
        d = deliveries.c
        conditions: list[ColumnElement[bool]] = [d.customer_id == customer_id]
        if state is not None:
            conditions.append(d.state == state)
        link = delivery_events.c
        if campaign_id is not None:
            conditions.append(d.callback_id.in_(
                select(link.callback_id).where(link.campaign_id == campaign_id)))
        if message_id is not None:
            conditions.append(d.callback_id.in_(
                select(link.callback_id).where(link.message_id == message_id)))
        if after is not None:
            _, key = decode_cursor(after)
            if not key.isdigit():
                raise CursorError(after)
            conditions.append(d.seq < int(key))
        query = select(deliveries).where(and_(*conditions)).order_by(d.seq.desc()).limit(
            limit + 1)
        with self.engine.connect() as conn:
            rows = [row._asdict() for row in conn.execute(query)]
            tried = self._attempts(conn, [row["callback_id"] for row in rows[:limit]])
        found = [_delivery(row, tried.get(row["callback_id"], ())) for row in rows[:limit]]
        if len(rows) <= limit:
            return found, None
        last = rows[limit - 1]
        return found, encode_cursor(found[-1].created_at, str(last["seq"]))

    def delivery(self, customer_id: UUID, callback_id: UUID) -> Delivery | None:
        """One of the customer's deliveries (None when it is not theirs)."""
        d = deliveries.c
        with self.engine.connect() as conn:
            row = conn.execute(select(deliveries).where(
                d.callback_id == callback_id, d.customer_id == customer_id)).first()
            if row is None:
                return None
            tried = self._attempts(conn, [callback_id])
        return _delivery(row._asdict(), tried.get(callback_id, ()))

    def retry(self, customer_id: UUID, callback_id: UUID, now: datetime) -> Delivery | None:
        """A failed delivery, pending again with all its attempts ahead (due ``now``);
        None when it is not the customer's; CallbackStateError when it is not failed."""
        d = deliveries.c
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(deliveries)
                .where(d.callback_id == callback_id, d.customer_id == customer_id,
                       d.state == FAILED)
                .values(state=PENDING, tries=0, next_attempt_at=now, finished_at=None)
            ).rowcount
        found = self.delivery(customer_id, callback_id)
        if found is not None and moved != 1:
            raise CallbackStateError(callback_id, found.state)
        return found

    @staticmethod
    def _attempts(conn: Connection, callback_ids: list[UUID]) -> dict[UUID, list[Attempt]]:
        found: dict[UUID, list[Attempt]] = {}
        if not callback_ids:
            return found
        query = (select(attempts).where(attempts.c.callback_id.in_(callback_ids))
                 .order_by(attempts.c.attempt_id))
        for row in conn.execute(query):
            at = as_datetime(row.attempted_at)
            assert at is not None
            found.setdefault(row.callback_id, []).append(
                Attempt(at, row.http_status, row.error, row.duration_ms))
        return found
