"""Reading address books: search pages, lists, recipients of a send, duplicates, bad numbers,
and the export a data-protection request asks for.

Every query first brings the contacts projection up to date (``catch_up``), so a command's
effect is seen by the next read. Pages are keyset-paginated; each search mode reads one
index in order (measured at 1,000,000 contacts: see ``bench/contacts_book.py``):

    number given   (customer_id, e164, contact_id)        E.164 prefix
    text given     (customer_id, search_name, contact_id) prefix of "last first company"
    list given     list_members (list_id, contact_id)     a list's members
    otherwise      (customer_id, added_at, contact_id)    newest first
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Engine, Row, and_, exists, func, or_, select, true

from portevoix.contacts.fields import (
    CUSTOM_KEYS,
    MAX_CUSTOM,
    VALUE_KEYS,
    Consent,
    ContactFields,
    fold,
    values,
)
from portevoix.projections.bulk import chunks, select_rows
from portevoix.projections.contacts import (
    GIVEN,
    bad_numbers,
    contact_consents,
    contact_lists,
    contacts,
    list_members,
)
from portevoix.projections.paging import CursorError, as_datetime

STREAM_BATCH = 5_000
MAX_PAGE = 500
_NON_DIGITS = re.compile(r"[^0-9]")


@dataclass(frozen=True)
class Contact:
    contact_id: UUID
    customer_id: UUID
    fields: ContactFields
    blocked: bool
    consent_source: str | None
    consent_at: datetime | None
    added_at: datetime
    updated_at: datetime

    @property
    def has_consent(self) -> bool:
        return self.consent_source is not None


@dataclass(frozen=True)
class Page:
    contacts: list[Contact]
    next: str | None  # the cursor of the next page, None on the last


@dataclass(frozen=True)
class ListSummary:
    list_id: UUID
    name: str
    description: str
    member_count: int
    created_at: datetime


@dataclass(frozen=True)
class DuplicateGroup:
    e164: str
    contacts: list[Contact] = field(default_factory=list)


@dataclass(frozen=True)
class BadNumber:
    e164: str
    reason: str
    first_seen: datetime
    last_seen: datetime
    count: int
    contact_ids: list[UUID]  # the customer's contacts carrying it


def number_prefix(number: str, country_code: str = "33") -> str:
    """What a typed number searches: "+33 6 12" and "0033612" → "+33612"; a national
    "06 12" → "+33612" (``country_code`` of the customer's country); bare digits such as
    "336" are read as international."""
    text = number.strip()
    digits = _NON_DIGITS.sub("", text)
    if not digits:
        return ""
    if text.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:] if len(digits) > 2 else ""
    if digits.startswith("0"):
        return f"+{country_code}{digits[1:]}"
    return "+" + digits


def _upper_bound(prefix: str) -> str:
    """The smallest string after every string starting with ``prefix`` (bytewise)."""
    return prefix + "\U0010ffff"


# Each search mode's order: number, name, list (joined: see ``search``), newest first.
_ORDER: dict[str, list[Any]] = {
    "n": [contacts.c.e164, contacts.c.contact_id],
    "s": [contacts.c.search_name, contacts.c.contact_id],
    "l": [contacts.c.contact_id],
    "a": [contacts.c.added_at.desc(), contacts.c.contact_id.desc()],
}


def _contact(row: Any) -> Contact:
    fields = ContactFields(
        number=row.e164, last_name=row.last_name, first_name=row.first_name,
        email=row.email, company=row.company, custom=tuple(json.loads(row.custom)),
        notes=row.notes, consent=None if row.consent_source is None else Consent(
            source=row.consent_source, given_at=as_datetime(row.consent_at) or row.added_at))
    return Contact(row.contact_id, row.customer_id, fields, bool(row.blocked),
                   row.consent_source, as_datetime(row.consent_at),
                   as_datetime(row.added_at) or row.added_at,
                   as_datetime(row.updated_at) or row.updated_at)


class ContactDirectory:
    """Read queries on the contacts projection; ``blacklisted`` (``Blacklists.blocked``)
    tells the consent export which numbers are opted out or platform-blocked."""

    def __init__(self, engine: Engine, catch_up: Callable[[], object],
                 blacklisted: Callable[[UUID, Iterable[str]], dict[str, str]] | None = None,
                 country_code: str = "33",
                 catch_up_sends: Callable[[], object] | None = None) -> None:
        self.engine, self.catch_up = engine, catch_up
        self.catch_up_sends = catch_up_sends  # the outbox, then the bad numbers
        self.blacklisted, self.country_code = blacklisted, country_code

    # Search ----------------------------------------------------------------------------

    def search(self, customer_id: UUID, text: str = "", number: str = "",
               list_id: UUID | None = None, added_from: datetime | None = None,
               added_to: datetime | None = None, blocked: bool | None = None,
               after: str | None = None, limit: int = 50) -> Page:
        """A page of the customer's contacts matching every filter given; ``after`` is the
        previous page's ``next``. ``added_to`` is exclusive."""
        self.catch_up()
        limit = max(1, min(limit, MAX_PAGE))
        c = contacts.c
        prefix = number_prefix(number, self.country_code) if number else ""
        name = fold(text)
        mode = "n" if prefix else "s" if name else "l" if list_id is not None else "a"
        where: list[ColumnElement[bool]] = [c.customer_id == customer_id]
        if mode == "n":
            where += [c.e164 >= prefix, c.e164 < _upper_bound(prefix)]
        elif mode == "s":
            where += [c.search_name >= name, c.search_name < _upper_bound(name)]
        if list_id is not None and mode != "l":
            where.append(exists().where(list_members.c.list_id == list_id,
                                        list_members.c.contact_id == c.contact_id))
        if added_from is not None:
            where.append(c.added_at >= added_from)
        if added_to is not None:
            where.append(c.added_at < added_to)
        if blocked is not None:
            where.append(c.blocked.is_(blocked))
        if after:
            where.append(self._after(after, mode))
        query = select(contacts).where(*where).order_by(*_ORDER[mode]).limit(limit + 1)
        if mode == "l":  # the list's members read in order, each joined: the list's index
            query = (select(contacts).join(list_members, and_(
                list_members.c.contact_id == c.contact_id, list_members.c.list_id == list_id))
                .where(*where).order_by(list_members.c.contact_id).limit(limit + 1))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        found = [_contact(r) for r in rows[:limit]]
        if len(rows) <= limit:
            return Page(found, None)
        last, row = found[-1], rows[limit - 1]
        key = {"n": row.e164, "s": row.search_name, "l": "",
               "a": last.added_at.isoformat()}[mode]
        return Page(found, f"{mode}|{key}|{last.contact_id}")

    @staticmethod
    def _after(cursor: str, expected: str) -> ColumnElement[bool]:
        mode, _, rest = cursor.partition("|")
        key, _, last = rest.rpartition("|")
        try:
            last_id = UUID(last)
        except ValueError:
            raise CursorError(cursor) from None
        c = contacts.c
        if mode != expected:
            raise CursorError(cursor)
        if mode == "n":
            return or_(c.e164 > key, and_(c.e164 == key, c.contact_id > last_id))
        if mode == "s":
            return or_(c.search_name > key, and_(c.search_name == key, c.contact_id > last_id))
        if mode == "l":
            return list_members.c.contact_id > last_id
        try:
            at = as_datetime(key)
        except ValueError:
            raise CursorError(cursor) from None
        return or_(c.added_at < at, and_(c.added_at == at, c.contact_id < last_id))

    def contact(self, customer_id: UUID, contact_id: UUID) -> Contact | None:
        self.catch_up()
        with self.engine.connect() as conn:
            row = conn.execute(select(contacts).where(
                contacts.c.contact_id == contact_id,
                contacts.c.customer_id == customer_id)).first()
        return None if row is None else _contact(row)

    def existing(self, customer_id: UUID, contact_ids: Sequence[UUID]) -> set[UUID]:
        """Which of ``contact_ids`` are contacts of this customer (projection caught up)."""
        self.catch_up()
        found: set[UUID] = set()
        with self.engine.connect() as conn:
            for chunk in chunks(list(dict.fromkeys(contact_ids))):
                found.update(conn.execute(select(contacts.c.contact_id).where(
                    contacts.c.customer_id == customer_id,
                    contacts.c.contact_id.in_(chunk))).scalars())
        return found

    def latest_consent(self, contact_id: UUID) -> Consent | None:
        """The consent last given by the contact (None if none, or withdrawn since)."""
        self.catch_up()
        h = contact_consents.c
        with self.engine.connect() as conn:
            row = conn.execute(select(contact_consents).where(h.contact_id == contact_id)
                               .order_by(h.recorded_at.desc(), h.entry_id.desc()).limit(1)
                               ).first()
        if row is None or row.action != GIVEN:
            return None
        return Consent(row.source, as_datetime(row.at) or row.at, row.wording, row.channel)

    def contacts_with_number(self, customer_id: UUID, e164: str) -> list[UUID]:
        self.catch_up()
        with self.engine.connect() as conn:
            return list(conn.execute(select(contacts.c.contact_id).where(
                contacts.c.customer_id == customer_id, contacts.c.e164 == e164)).scalars())

    def memberships(self, contact_ids: Sequence[UUID]) -> dict[UUID, set[UUID]]:
        """Each contact's lists."""
        self.catch_up()
        found: dict[UUID, set[UUID]] = {i: set() for i in contact_ids}
        with self.engine.connect() as conn:
            for row in select_rows(conn, list_members.c.contact_id, list(contact_ids),
                                   [list_members.c.list_id]):
                found[row["contact_id"]].add(row["list_id"])
        return found

    # Lists -----------------------------------------------------------------------------

    def lists(self, customer_id: UUID) -> list[ListSummary]:
        """The customer's lists (not deleted), by name, with their member counts."""
        self.catch_up()
        with self.engine.connect() as conn:
            rows = conn.execute(select(contact_lists).where(
                contact_lists.c.customer_id == customer_id,
                contact_lists.c.deleted.is_(False)).order_by(
                func.lower(contact_lists.c.name))).all()
        return [self._summary(r) for r in rows]

    def list_by_name(self, customer_id: UUID, name: str) -> ListSummary | None:
        """The list whose name is ``name`` ignoring case, accents and repeated spaces."""
        wanted = fold(name)
        return next((s for s in self.lists(customer_id) if fold(s.name) == wanted), None)

    @staticmethod
    def _summary(row: Row[Any]) -> ListSummary:
        return ListSummary(row.list_id, row.name, row.description, row.member_count,
                           as_datetime(row.created_at) or row.created_at)

    def numbers_in_list(self, list_id: UUID) -> set[str]:
        self.catch_up()
        with self.engine.connect() as conn:
            return set(conn.execute(select(contacts.c.e164).join(
                list_members, list_members.c.contact_id == contacts.c.contact_id).where(
                list_members.c.list_id == list_id)).scalars())

    def numbers_in_book(self, customer_id: UUID) -> set[str]:
        self.catch_up()
        with self.engine.connect() as conn:
            return set(conn.execute(select(contacts.c.e164).where(
                contacts.c.customer_id == customer_id)).scalars())

    def recipients(self, customer_id: UUID, list_ids: Sequence[UUID],
                   require_consent: bool = False) -> Iterator[tuple[str, dict[str, str]]]:
        """The numbers a send to ``list_ids`` goes to, each once, with its personalisation
        values (the first contact found for it): blocked contacts skipped, and those without
        consent too when ``require_consent`` (marketing). Streamed by batches; opt-outs and
        platform blocks are the send path's business."""
        self.catch_up()
        c = contacts.c
        # Driven by the lists' members (a contact in two lists comes twice: ``seen``).
        query = select(c.e164, c.last_name, c.first_name, c.email, c.company, c.custom).join(
            list_members, list_members.c.contact_id == c.contact_id).where(
            list_members.c.list_id.in_(list(dict.fromkeys(list_ids))),
            c.customer_id == customer_id, c.blocked.is_(False),
            c.consent_source.is_not(None) if require_consent else true())
        seen: set[str] = set()
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=STREAM_BATCH).execute(query)
            for row in result:
                if row.e164 in seen:
                    continue
                seen.add(row.e164)
                found = dict(zip(VALUE_KEYS[:5], row[:5], strict=True))
                custom = json.loads(row.custom)
                found.update(zip(CUSTOM_KEYS, custom + [""] * (MAX_CUSTOM - len(custom)),
                                 strict=True))
                yield row.e164, found

    # Duplicates, bad numbers -------------------------------------------------------------

    def duplicates(self, customer_id: UUID, limit: int = 50) -> list[DuplicateGroup]:
        """Numbers carried by more than one of the customer's contacts, with those contacts
        (oldest first: the one a merge usually keeps)."""
        self.catch_up()
        c = contacts.c
        with self.engine.connect() as conn:
            numbers = list(conn.execute(
                select(c.e164).where(c.customer_id == customer_id).group_by(c.e164)
                .having(func.count() > 1).order_by(c.e164).limit(limit)).scalars())
            rows = conn.execute(select(contacts).where(
                c.customer_id == customer_id, c.e164.in_(numbers)).order_by(
                c.e164, c.added_at, c.contact_id)).all() if numbers else []
        groups: dict[str, DuplicateGroup] = {n: DuplicateGroup(n) for n in numbers}
        for row in rows:
            groups[row.e164].contacts.append(_contact(row))
        return list(groups.values())

    def bad_numbers(self, customer_id: UUID, since: datetime | None = None,
                    limit: int = 100) -> list[BadNumber]:
        """The customer's bad numbers, most recently failed first, each with the contacts
        that carry it."""
        self.catch_up()
        if self.catch_up_sends is not None:
            self.catch_up_sends()
        b = bad_numbers.c
        where = [b.customer_id == customer_id]
        if since is not None:
            where.append(b.last_seen >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(select(bad_numbers).where(*where).order_by(
                b.last_seen.desc(), b.e164).limit(limit)).all()
            carriers: dict[str, list[UUID]] = {r.e164: [] for r in rows}
            if carriers:
                for contact_id, e164 in conn.execute(select(
                        contacts.c.contact_id, contacts.c.e164).where(
                        contacts.c.customer_id == customer_id,
                        contacts.c.e164.in_(list(carriers)))):
                    carriers[e164].append(contact_id)
        return [BadNumber(r.e164, r.reason, as_datetime(r.first_seen) or r.first_seen,
                          as_datetime(r.last_seen) or r.last_seen, r._mapping["count"],
                          carriers[r.e164])
                for r in rows]

    # Data protection ---------------------------------------------------------------------

    def consent_export(self, customer_id: UUID, contact_id: UUID) -> dict[str, Any] | None:
        """Everything kept about one contact, JSON-able: its fields, consent history,
        lists, blocked state, and whether its number is opted out (STOP) or blocked by the
        platform (which win over any consent). None for a contact not in the book."""
        found = self.contact(customer_id, contact_id)
        if found is None:
            return None
        with self.engine.connect() as conn:
            history = conn.execute(select(contact_consents).where(
                contact_consents.c.contact_id == contact_id).order_by(
                contact_consents.c.recorded_at, contact_consents.c.entry_id)).all()
            lists = conn.execute(select(contact_lists.c.list_id, contact_lists.c.name).join(
                list_members, list_members.c.list_id == contact_lists.c.list_id).where(
                list_members.c.contact_id == contact_id).order_by(contact_lists.c.name)).all()
        number = found.fields.number
        barred = self.blacklisted(customer_id, [number]) if self.blacklisted else {}
        fields = values(found.fields)
        return {
            "contact_id": str(contact_id),
            "fields": {**fields, "notes": found.fields.notes},
            "added_at": found.added_at.isoformat(),
            "updated_at": found.updated_at.isoformat(),
            "blocked": found.blocked,
            "consent": {
                "current": None if found.consent_source is None else {
                    "source": found.consent_source,
                    "given_at": found.consent_at.isoformat() if found.consent_at else None},
                "history": [{
                    "action": h.action, "source": h.source, "channel": h.channel,
                    "wording": h.wording, "at": (as_datetime(h.at) or h.at).isoformat(),
                    "recorded_at": (as_datetime(h.recorded_at) or h.recorded_at).isoformat(),
                } for h in history],
            },
            "lists": [{"list_id": str(i), "name": n} for i, n in lists],
            "opted_out": barred.get(number) == "opted_out",
            "platform_blocked": barred.get(number) == "platform_block",
        }
