"""Address books as rows: contacts, distribution lists and their members, consent history;
and each customer's bad numbers, from the sends that failed on them.

The address book's events carry contacts sealed (``contacts/sealing.py``): the projection
opens them with their keys, and skips a contact whose key is gone (erased): a projection
rebuilt after an erasure has no trace of it. Events hold up to 1,000 contacts, so each is a
bulk insert (COPY on PostgreSQL) or a handful of statements. ``member_count`` changes by the
rows actually inserted or deleted, so it equals the membership.

On PostgreSQL the searched text columns (``e164``, ``search_name``) use the "C" collation:
a prefix is then a range of the index, and a page in that order is read from it.

Bad numbers: a message the SMSC refused for its destination (``invalid_number``, from
ESME_RINVDSTADR/RINVDSTTON) or whose receipt failed with a "no such subscriber" network
error (``BAD_NUMBER_ERRORS``). The number and customer come from the outbox's row of that
message, so ``BadNumbers`` runs after the ``Outbox`` in the same catch-up.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
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
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from portevoix.contacts.book import AddressBook
from portevoix.contacts.fields import ContactFields, search_name
from portevoix.contacts.sealing import Sealer
from portevoix.platform import campaigns as domain
from portevoix.platform.campaigns import Campaign, message_id
from portevoix.platform.smpp import receipts
from portevoix.platform.smpp.results import INVALID_NUMBER
from portevoix.projections.bulk import chunks, insert_rows, select_rows, update_rows
from portevoix.projections.outbox import messages as outbox_messages
from portevoix.projections.tracking import EventHandlers, Projection


def _text(length: int | None = None) -> String:
    """A string compared bytewise on PostgreSQL, for prefix ranges read from an index."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


metadata = MetaData()

contact_books = Table(
    "contact_books",
    metadata,
    Column("book_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False, unique=True),
)

contacts = Table(
    "contacts",
    metadata,
    Column("contact_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("e164", _text(16), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("email", String(254), nullable=False),
    Column("company", String(100), nullable=False),
    Column("custom", Text, nullable=False),  # JSON list of up to 10 strings
    Column("notes", Text, nullable=False),
    Column("search_name", _text(310), nullable=False),
    Column("blocked", Boolean, nullable=False),
    Column("consent_source", String(16)),  # None: no consent (or withdrawn)
    Column("consent_at", DateTime(timezone=True)),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_contacts_customer_e164", "customer_id", "e164", "contact_id"),
    Index("ix_contacts_customer_name", "customer_id", "search_name", "contact_id"),
    Index("ix_contacts_customer_added", "customer_id", "added_at", "contact_id"),
)

contact_lists = Table(
    "contact_lists",
    metadata,
    Column("list_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("description", String(500), nullable=False),
    Column("member_count", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deleted", Boolean, nullable=False),
)

list_members = Table(
    "list_members",
    metadata,
    Column("list_id", Uuid, primary_key=True),
    Column("contact_id", Uuid, primary_key=True),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Index("ix_list_members_contact", "contact_id"),
)

# Each consent given or withdrawn, for the data-protection export.
contact_consents = Table(
    "contact_consents",
    metadata,
    Column("entry_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("contact_id", Uuid, nullable=False, index=True),
    Column("action", String(12), nullable=False),  # given, withdrawn
    Column("source", String(100), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("wording", String(500), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),  # when given or withdrawn
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

GIVEN, WITHDRAWN = "given", "withdrawn"


def contact_row(contact_id: UUID, customer_id: UUID, fields: ContactFields, blocked: bool,
                at: datetime) -> dict[str, Any]:
    return {
        "contact_id": contact_id, "customer_id": customer_id, "e164": fields.number,
        "last_name": fields.last_name, "first_name": fields.first_name,
        "email": fields.email, "company": fields.company,
        "custom": json.dumps(fields.custom, ensure_ascii=False) if fields.custom else "[]",
        "notes": fields.notes, "search_name": search_name(fields), "blocked": blocked,
        "consent_source": None, "consent_at": None, "added_at": at, "updated_at": at,
    }


class _Target:
    """What a page's handlers work with: its connection, the keys, whose book is whose."""

    def __init__(self, conn: Connection, sealer: Sealer, owners: dict[UUID, UUID]) -> None:
        self.conn, self.sealer, self.owners = conn, sealer, owners

    def customer_of(self, book_id: UUID) -> UUID:
        found = self.owners.get(book_id)
        if found is None:
            found = self.conn.execute(select(contact_books.c.customer_id).where(
                contact_books.c.book_id == book_id)).scalar_one()
            self.owners[book_id] = found
        return found

    def open(self, items: Sequence[dict[str, Any]]) -> list[tuple[UUID, dict[str, Any]]]:
        """The contacts of ``items`` that still have a key, opened."""
        ids = [UUID(item["id"]) for item in items]
        opened = self.sealer.open_many(
            [(i, item["sealed"]) for i, item in zip(ids, items, strict=True)], self.conn)
        return [(i, data) for i, data in zip(ids, opened, strict=True) if data is not None]

    def existing(self, ids: Sequence[UUID]) -> set[UUID]:
        return {r["contact_id"] for r in select_rows(
            self.conn, contacts.c.contact_id, list(ids), [contacts.c.contact_id])}

    def count_members(self, changes: dict[UUID, int]) -> None:
        rows = [{"b_list_id": list_id, "delta": delta}
                for list_id, delta in changes.items() if delta]
        if rows:
            self.conn.execute(
                update(contact_lists)
                .where(contact_lists.c.list_id == bindparam("b_list_id"))
                .values(member_count=contact_lists.c.member_count + bindparam("delta")), rows)

    def add_members(self, list_id: UUID, ids: Sequence[UUID], at: datetime) -> None:
        insert_rows(self.conn, list_members, [
            {"list_id": list_id, "contact_id": i, "added_at": at} for i in ids])
        self.count_members({list_id: len(ids)})

    def remove_contacts(self, ids: Sequence[UUID]) -> None:
        """Delete contacts, their memberships (counted out) and consent history."""
        conn = self.conn
        for chunk in chunks(list(ids)):
            counts = conn.execute(
                select(list_members.c.list_id, func.count())
                .where(list_members.c.contact_id.in_(chunk))
                .group_by(list_members.c.list_id)).all()
            self.count_members({list_id: -int(n) for list_id, n in counts})
            for table in (list_members, contact_consents, contacts):
                conn.execute(delete(table).where(table.c.contact_id.in_(chunk)))


handles = EventHandlers()


@handles
def opened(event: AddressBook.Opened, target: _Target) -> None:
    target.conn.execute(insert(contact_books).values(
        book_id=event.originator_id, customer_id=event.customer_id))
    target.owners[event.originator_id] = event.customer_id


@handles
def contacts_added(event: AddressBook.ContactsAdded, target: _Target) -> None:
    customer_id, at = target.customer_of(event.originator_id), event.timestamp
    consents = {item["id"]: item["consent"] for item in event.contacts if item.get("consent")}
    rows, history = [], []
    for contact_id, data in target.open(event.contacts):
        row = contact_row(contact_id, customer_id, ContactFields.from_personal(data),
                          False, at)
        consent = consents.get(str(contact_id))
        if consent:
            given_at = datetime.fromisoformat(consent["given_at"])
            row["consent_source"], row["consent_at"] = consent["source"], given_at
            history.append({"contact_id": contact_id, "action": GIVEN,
                            "source": consent["source"], "channel": consent["channel"],
                            "wording": data.get("w", ""), "at": given_at,
                            "recorded_at": at})
        rows.append(row)
    insert_rows(target.conn, contacts, rows)
    insert_rows(target.conn, contact_consents, history)
    ids = [row["contact_id"] for row in rows]
    for list_id in event.list_ids:
        target.add_members(list_id, ids, at)


@handles
def contacts_updated(event: AddressBook.ContactsUpdated, target: _Target) -> None:
    customer_id, at = target.customer_of(event.originator_id), event.timestamp
    columns = ("e164", "last_name", "first_name", "email", "company", "custom", "notes",
               "search_name", "updated_at")
    update_rows(target.conn, contacts, [
        contact_row(contact_id, customer_id, ContactFields.from_personal(data), False, at)
        for contact_id, data in target.open(event.contacts)], columns)


@handles
def contacts_deleted(event: AddressBook.ContactsDeleted, target: _Target) -> None:
    target.remove_contacts([UUID(i) for i in event.ids])


@handles
def contacts_erased(event: AddressBook.ContactsErased, target: _Target) -> None:
    ids = [UUID(i) for i in event.ids]
    target.sealer.drop_cached(ids)  # keys another process forgot, still cached in this one
    target.remove_contacts(ids)


@handles
def contacts_blocked(event: AddressBook.ContactsBlocked, target: _Target) -> None:
    for chunk in chunks([UUID(i) for i in event.ids]):
        target.conn.execute(update(contacts).where(contacts.c.contact_id.in_(chunk)).values(
            blocked=event.blocked, updated_at=event.timestamp))


@handles
def list_created(event: AddressBook.ListCreated, target: _Target) -> None:
    target.conn.execute(insert(contact_lists).values(
        list_id=event.list_id, customer_id=target.customer_of(event.originator_id),
        name=event.name, description=event.description, member_count=0,
        created_at=event.timestamp, deleted=False))


@handles
def list_changed(event: AddressBook.ListChanged, target: _Target) -> None:
    target.conn.execute(update(contact_lists).where(contact_lists.c.list_id == event.list_id)
                        .values(name=event.name, description=event.description))


@handles
def list_deleted(event: AddressBook.ListDeleted, target: _Target) -> None:
    target.conn.execute(delete(list_members).where(list_members.c.list_id == event.list_id))
    target.conn.execute(update(contact_lists).where(contact_lists.c.list_id == event.list_id)
                        .values(deleted=True, member_count=0))


@handles
def members_added(event: AddressBook.MembersAdded, target: _Target) -> None:
    ids = [UUID(i) for i in dict.fromkeys(event.ids)]
    present = target.existing(ids)  # deleted or erased since the command: skipped
    already = {r["contact_id"] for r in target.conn.execute(
        select(list_members.c.contact_id).where(list_members.c.list_id == event.list_id,
                                                list_members.c.contact_id.in_(ids))
    ).mappings()}
    target.add_members(event.list_id, [i for i in ids if i in present and i not in already],
                       event.timestamp)


@handles
def members_removed(event: AddressBook.MembersRemoved, target: _Target) -> None:
    removed = target.conn.execute(delete(list_members).where(
        list_members.c.list_id == event.list_id,
        list_members.c.contact_id.in_([UUID(i) for i in event.ids]))).rowcount
    target.count_members({event.list_id: -removed})


@handles
def consent_given(event: AddressBook.ConsentGiven, target: _Target) -> None:
    consent = event.consent
    opened = target.sealer.open_many([(event.contact_id, consent["sealed"])], target.conn)[0]
    if opened is None or not target.existing([event.contact_id]):
        return
    given_at = datetime.fromisoformat(consent["given_at"])
    target.conn.execute(update(contacts).where(contacts.c.contact_id == event.contact_id)
                        .values(consent_source=consent["source"], consent_at=given_at))
    target.conn.execute(insert(contact_consents).values(
        contact_id=event.contact_id, action=GIVEN, source=consent["source"],
        channel=consent["channel"], wording=opened.get("w", ""), at=given_at,
        recorded_at=event.timestamp))


@handles
def consent_withdrawn(event: AddressBook.ConsentWithdrawn, target: _Target) -> None:
    if not target.existing([event.contact_id]):
        return
    target.conn.execute(update(contacts).where(contacts.c.contact_id == event.contact_id)
                        .values(consent_source=None, consent_at=None))
    target.conn.execute(insert(contact_consents).values(
        contact_id=event.contact_id, action=WITHDRAWN, source=event.source, channel="",
        wording="", at=event.at, recorded_at=event.timestamp))


class ContactBook(Projection):
    """``contacts``, ``contact_lists``, ``list_members``, ``contact_consents``."""

    name = "contacts"
    metadata = metadata

    def __init__(self, sealer: Sealer) -> None:
        self.sealer = sealer
        self._owners: dict[UUID, UUID] = {}  # book → customer: never changes

    def apply_page(self, events: Sequence[Any], conn: Connection) -> None:
        handles.apply(events, _Target(conn, self.sealer, self._owners))


# Bad numbers ---------------------------------------------------------------------------

bad_numbers_metadata = MetaData()

bad_numbers = Table(
    "bad_numbers",
    bad_numbers_metadata,
    Column("customer_id", Uuid, primary_key=True),
    Column("e164", _text(20), primary_key=True),
    Column("reason", String(200), nullable=False),  # the latest failure's
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False),
    Index("ix_bad_numbers_customer_seen", "customer_id", "last_seen"),
)

# GSM MAP errors (3GPP TS 29.002) in a failed receipt's err / network_error_code that say the
# number has no subscriber: unknown (1), unidentified (5), illegal (9).
BAD_NUMBER_ERRORS = frozenset({1, 5, 9})


def _error_number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def bad_number_reason(outcome_or_status: str, detail: Any, receipt: bool) -> str | None:
    """Why a dispatch result or receipt marks its number bad, or None if it does not."""
    if receipt:
        code = _error_number(detail)
        if outcome_or_status == receipts.FAILED and code in BAD_NUMBER_ERRORS:
            return f"receipt error {code}"
        return None
    if outcome_or_status == domain.REJECTED and str(detail or "").startswith(INVALID_NUMBER):
        return str(detail)[:200]
    return None


class BadNumbers(Projection):
    """``bad_numbers``: per customer, each number a send failed on as invalid or unknown."""

    name = "bad_numbers"
    metadata = bad_numbers_metadata

    def apply_page(self, events: Sequence[Any], conn: Connection) -> None:
        failures: list[tuple[str, str, datetime]] = []  # message id, reason, when
        for e in events:
            if isinstance(e, Campaign.Dispatched):  # type: ignore[attr-defined]
                found = [(i, bad_number_reason(outcome, reason, False))
                         for i, outcome, _, reason in e.results]
            elif isinstance(e, Campaign.ReceiptsRecorded):  # type: ignore[attr-defined]
                found = [(item[0], bad_number_reason(item[1], item[3], True))
                         for item in e.items]
            else:
                continue
            failures.extend((message_id(e.originator_id, i), why, e.timestamp)
                            for i, why in found if why)
        if not failures:
            return
        numbers = {r["message_id"]: (r["customer_id"], r["e164"]) for r in select_rows(
            conn, outbox_messages.c.message_id, list({f[0] for f in failures}),
            [outbox_messages.c.customer_id, outbox_messages.c.e164])}
        seen: dict[tuple[UUID, str], dict[str, Any]] = {}
        counts: Counter[tuple[UUID, str]] = Counter()
        for key, reason, at in failures:
            number = numbers.get(key)
            if number is None:
                continue
            counts[number] += 1
            entry = seen.setdefault(number, {"first_seen": at})
            entry.update(last_seen=at, reason=reason)
        self._write(conn, seen, counts)

    @staticmethod
    def _write(conn: Connection, seen: dict[tuple[UUID, str], dict[str, Any]],
               counts: Counter[tuple[UUID, str]]) -> None:
        stored = set()
        for customer_id in {c for c, _ in seen}:
            mine = [e for c, e in seen if c == customer_id]
            for chunk in chunks(mine):
                stored |= {(customer_id, e) for e in conn.execute(
                    select(bad_numbers.c.e164).where(bad_numbers.c.customer_id == customer_id,
                                                     bad_numbers.c.e164.in_(chunk))).scalars()}
        known = [k for k in seen if k in stored]
        if known:
            conn.execute(
                update(bad_numbers).where(and_(
                    bad_numbers.c.customer_id == bindparam("b_customer"),
                    bad_numbers.c.e164 == bindparam("b_e164")))
                .values(count=bad_numbers.c.count + bindparam("b_count"),
                        last_seen=bindparam("b_last"), reason=bindparam("b_reason")),
                [{"b_customer": c, "b_e164": e, "b_count": counts[(c, e)],
                  "b_last": seen[(c, e)]["last_seen"], "b_reason": seen[(c, e)]["reason"]}
                 for c, e in known])
        insert_rows(conn, bad_numbers, [
            {"customer_id": c, "e164": e, "reason": seen[(c, e)]["reason"],
             "first_seen": seen[(c, e)]["first_seen"], "last_seen": seen[(c, e)]["last_seen"],
             "count": counts[(c, e)]}
            for c, e in seen if (c, e) not in stored])
