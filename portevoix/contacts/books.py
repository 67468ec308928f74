"""The address books service: one method per use case of issue 7's address book and consent.

Each call loads the customer's ``AddressBook`` (created on first use), checks what the
contacts projection knows (a contact exists and is this customer's: the aggregate does not
hold contacts), seals the personal data (``sealing.py``) and saves every event of the call
at once: all or nothing. A refused call records nothing.

Erasure is crypto-shredding: the contacts' keys are deleted, then ``ContactsErased`` is
recorded and the projection drops their rows. The events stay (immutable) but can no
longer be read; the ledger (campaigns, their recipients and money) is untouched, which keeps
the ledger exact: what was sent and paid for remains accounted for.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError

from portevoix.contacts.book import SNAPSHOT_INTERVAL, AddressBook, book_id_for
from portevoix.contacts.directory import ContactDirectory
from portevoix.contacts.fields import (
    Consent,
    ContactFields,
    TooManyContactsError,
    UnknownContactError,
    merged,
)
from portevoix.contacts.sealing import Sealer

MAX_ADD = 10_000  # contacts a call
MANUAL = "manual"


def new_contact_id() -> UUID:
    """A time-ordered id (UUIDv7's layout: milliseconds, then random bits), so that ordering
    contacts by id orders them as added, and new rows land at the end of the indexes."""
    return new_contact_ids(1)[0]


def new_contact_ids(count: int) -> list[UUID]:
    """``count`` ids of this millisecond (one draw of random bits for them all)."""
    stamp = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | 0x2 << 62
    random = os.urandom(10 * count)
    bits = ~(0xF << 76) & ~(0x3 << 62) & ((1 << 80) - 1)
    return [UUID(int=stamp | (int.from_bytes(random[i:i + 10], "big") & bits))
            for i in range(0, 10 * count, 10)]


def _consent_clear(consent: Consent) -> dict[str, str]:
    """A consent's facts that identify no one (the wording is sealed)."""
    return {"source": consent.source, "given_at": consent.given_at.isoformat(),
            "channel": consent.channel}


class AddressBooks(Application[UUID]):
    """Customers' contacts, distribution lists, blocks, duplicates, consent and erasure."""

    name = "contacts"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {AddressBook: SNAPSHOT_INTERVAL}
    retries = 3  # a book changed concurrently by another process

    def __init__(self, sealer: Sealer, directory: ContactDirectory,
                 env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.sealer, self.directory = sealer, directory

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshot the book as saved, when its events crossed a multiple of the interval.
        The library would reload it from the store at that version, replaying up to 20
        events of 1,000 sealed contacts (decoding megabytes) for a state of a few lists."""
        assert self.snapshots is not None
        for book_id, book in processing_event.aggregates.items():
            if not isinstance(book, AddressBook):
                continue
            versions = [e.originator_version for e in processing_event.events
                        if e.originator_id == book_id]
            if any(v % SNAPSHOT_INTERVAL == 0 for v in versions):
                snapshot_class = getattr(type(book), "Snapshot", self.snapshot_class)
                assert snapshot_class is not None
                self.snapshots.put([snapshot_class.take(book)])

    # Lists ---------------------------------------------------------------------------

    def create_list(self, customer_id: UUID, name: str, description: str = "") -> UUID:
        list_id = new_contact_id()
        self._change(customer_id, lambda book: book.create_list(list_id, name, description))
        return list_id

    def change_list(self, customer_id: UUID, list_id: UUID, name: str,
                    description: str = "") -> None:
        self._change(customer_id, lambda book: book.change_list(list_id, name, description))

    def delete_list(self, customer_id: UUID, list_id: UUID) -> None:
        """The list goes; its contacts stay in the book."""
        self._change(customer_id, lambda book: book.delete_list(list_id))

    def add_to_list(self, customer_id: UUID, list_id: UUID, contact_ids: Sequence[UUID]
                    ) -> None:
        """Add contacts to a list (a copy from another list is this); members already in
        it are left as they are."""
        ids = self._existing(customer_id, contact_ids)
        self._change(customer_id, lambda book: book.add_members(list_id, ids))

    def remove_from_list(self, customer_id: UUID, list_id: UUID,
                         contact_ids: Sequence[UUID]) -> None:
        ids = self._existing(customer_id, contact_ids)
        self._change(customer_id, lambda book: book.remove_members(list_id, ids))

    def move(self, customer_id: UUID, contact_ids: Sequence[UUID], from_list: UUID,
             to_list: UUID) -> None:
        """Out of ``from_list``, into ``to_list``, in one save."""
        ids = self._existing(customer_id, contact_ids)

        def command(book: AddressBook) -> None:
            book.check_lists([from_list, to_list])
            book.add_members(to_list, ids)
            book.remove_members(from_list, ids)

        self._change(customer_id, command)

    def copy(self, customer_id: UUID, contact_ids: Sequence[UUID], to_list: UUID) -> None:
        self.add_to_list(customer_id, to_list, contact_ids)

    # Contacts ------------------------------------------------------------------------

    def add_contacts(self, customer_id: UUID, contacts: Sequence[ContactFields],
                     list_ids: Sequence[UUID] = (), source: str = MANUAL) -> list[UUID]:
        """Add up to 10,000 contacts (in events of 1,000, saved together) to the book and to
        ``list_ids``; returns their ids in order. All or nothing: one invalid contact or an
        unknown list refuses the call."""
        if len(contacts) > MAX_ADD:
            raise TooManyContactsError(len(contacts), MAX_ADD)
        for contact in contacts:
            contact.check()
        ids = new_contact_ids(len(contacts))
        sealed = self.sealer.seal_new(customer_id, [
            (i, self._personal(c)) for i, c in zip(ids, contacts, strict=True)])
        items = [{"id": str(i), "sealed": s,
                  "consent": _consent_clear(c.consent) if c.consent else None}
                 for i, s, c in zip(ids, sealed, contacts, strict=True)]
        lists = list(dict.fromkeys(list_ids))
        self._change(customer_id, lambda book: book.add_contacts(items, lists, source))
        return ids

    def add_contact(self, customer_id: UUID, contact: ContactFields,
                    list_ids: Sequence[UUID] = ()) -> UUID:
        return self.add_contacts(customer_id, [contact], list_ids)[0]

    def update_contacts(self, customer_id: UUID,
                        changes: Sequence[tuple[UUID, ContactFields]]) -> None:
        """Replace the fields of existing contacts (their consent is changed by
        ``give_consent`` and ``withdraw_consent``, not here)."""
        for _, fields in changes:
            fields.check()
        self._existing(customer_id, [i for i, _ in changes])
        sealed = self.sealer.seal_many(customer_id, [
            (i, fields.personal()) for i, fields in changes])
        items = [{"id": str(i), "sealed": s}
                 for (i, _), s in zip(changes, sealed, strict=True)]
        self._change(customer_id, lambda book: book.update_contacts(items))

    def update_contact(self, customer_id: UUID, contact_id: UUID, fields: ContactFields
                       ) -> None:
        self.update_contacts(customer_id, [(contact_id, fields)])

    def delete_contacts(self, customer_id: UUID, contact_ids: Sequence[UUID]) -> None:
        ids = self._existing(customer_id, contact_ids)
        self._change(customer_id, lambda book: book.delete_contacts(ids))

    def block(self, customer_id: UUID, contact_ids: Sequence[UUID], blocked: bool = True
              ) -> None:
        """A blocked contact stays in the book and its lists but is never sent to."""
        ids = self._existing(customer_id, contact_ids)
        self._change(customer_id, lambda book: book.block_contacts(ids, blocked))

    def merge_duplicates(self, customer_id: UUID, keep: UUID, others: Sequence[UUID]) -> None:
        """Keep one contact, fill its empty fields from the others (``fields.merged``), put
        it in every list of theirs, delete them; one save."""
        others = [i for i in dict.fromkeys(others) if i != keep]
        self._existing(customer_id, [keep, *others])
        kept = self._fields(customer_id, keep)
        fields = merged(kept, [self._fields(customer_id, i) for i in others])
        memberships = self.directory.memberships([keep, *others])
        wanted = set().union(*(memberships[i] for i in others)) - memberships[keep]
        (sealed,) = self.sealer.seal_many(customer_id, [(keep, fields.personal())])
        consent = fields.consent if kept.consent is None else None
        given = self._sealed_consent(customer_id, keep, consent) if consent else None

        def command(book: AddressBook) -> None:
            book.update_contacts([{"id": str(keep), "sealed": sealed}])
            for list_id in sorted(wanted & {UUID(i) for i in book.lists}):
                book.add_members(list_id, [keep])
            if given is not None:
                book.give_consent(keep, given)
            book.delete_contacts(others)

        self._change(customer_id, command)

    # Consent -------------------------------------------------------------------------

    def give_consent(self, customer_id: UUID, contact_id: UUID, consent: Consent) -> None:
        consent.check()
        self._existing(customer_id, [contact_id])
        given = self._sealed_consent(customer_id, contact_id, consent)
        self._change(customer_id, lambda book: book.give_consent(contact_id, given))

    def withdraw_consent(self, customer_id: UUID, contact_id: UUID, at: datetime,
                         source: str) -> None:
        """The consent's history is kept; sends requiring consent skip the contact."""
        self._existing(customer_id, [contact_id])
        self._change(customer_id, lambda book: book.withdraw_consent(contact_id, at, source))

    # Erasure -------------------------------------------------------------------------

    def erase(self, customer_id: UUID, contact_ids: Sequence[UUID]) -> int:
        """Erase contacts for good (see the module's docstring); returns how many."""
        ids = self._existing(customer_id, contact_ids)
        self.sealer.forget(ids)  # first: even if the save below fails, the data is gone
        self._change(customer_id, lambda book: book.erase_contacts(ids))
        return len(ids)

    def erase_number(self, customer_id: UUID, e164: str) -> int:
        """Erase every contact of the customer carrying ``e164``; returns how many."""
        ids = self.directory.contacts_with_number(customer_id, e164)
        return self.erase(customer_id, ids) if ids else 0

    # Internals -----------------------------------------------------------------------

    @staticmethod
    def _personal(contact: ContactFields) -> dict[str, Any]:
        data = contact.personal()
        if contact.consent is not None and contact.consent.wording:
            data["w"] = contact.consent.wording
        return data

    def _sealed_consent(self, customer_id: UUID, contact_id: UUID, consent: Consent
                        ) -> dict[str, Any]:
        (sealed,) = self.sealer.seal_many(customer_id, [(contact_id, {"w": consent.wording})])
        return {**_consent_clear(consent), "sealed": sealed}

    def _fields(self, customer_id: UUID, contact_id: UUID) -> ContactFields:
        found = self.directory.contact(customer_id, contact_id)
        if found is None:
            raise UnknownContactError(customer_id, [contact_id])
        consent = self.directory.latest_consent(contact_id) if found.has_consent else None
        return replace(found.fields, consent=consent)

    def _existing(self, customer_id: UUID, contact_ids: Sequence[UUID]) -> list[UUID]:
        """``contact_ids`` without repeats, or UnknownContactError naming those that are not
        this customer's contacts."""
        ids = list(dict.fromkeys(contact_ids))
        found = self.directory.existing(customer_id, ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise UnknownContactError(customer_id, missing)
        return ids

    def book(self, customer_id: UUID) -> AddressBook | None:
        try:
            found: AddressBook = self.repository.get(book_id_for(customer_id))
        except AggregateNotFoundError:
            return None
        return found

    def _change(self, customer_id: UUID, command: Callable[[AddressBook], None]) -> None:
        """Apply ``command`` to the book (a new one if there is none yet) and save what it
        recorded; a collision with another writer is retried on a fresh load."""
        for attempt in range(self.retries):
            book = self.book(customer_id) or AddressBook(customer_id=customer_id)
            command(book)
            try:
                self.save(book)
            except IntegrityError:
                if attempt + 1 == self.retries:
                    raise
                continue
            return
        raise AssertionError("unreachable")  # pragma: no cover
