"""A customer's address book as events: contacts, distribution lists, blocks, consent.

One ``AddressBook`` per customer. It holds only its lists (id → name, description): a book
of a million contacts must not be held in memory, so contacts live in the events (in
batches of at most 1,000 an event, their personal data sealed, see ``sealing.py``) and in the
projection, against which the service checks that contacts exist. The aggregate checks
what its lists decide: names unique per book (case and accents ignored), lists not deleted.

Event attributes are str, bool, list, dict and UUID only (contact ids in batches are
strings: a thousand UUIDs transcoded one by one cost more than the event's sealing).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from portevoix.contacts.fields import (
    MAX_LIST_DESCRIPTION,
    MAX_LIST_NAME,
    ContactsError,
    FieldTooLongError,
    InvalidConsentError,
    InvalidListNameError,
    ListNameTakenError,
    UnknownListError,
    fold,
)

BATCH = 1_000  # contacts an event
SNAPSHOT_INTERVAL = 20  # events: they are large


def book_id_for(customer_id: UUID) -> UUID:
    return uuid5(customer_id, "address-book")


def batches(items: Sequence[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


class AddressBook(Aggregate):
    """One customer's lists; the record of every change to its contacts."""

    TOPIC = "portevoix.contacts:AddressBook"

    class Created(Aggregate.Created):
        """Unused: books are created by ``Opened``. Declared to pin its topic."""

        TOPIC = "portevoix.contacts:AddressBook.Created"

    class Opened(Aggregate.Created):
        TOPIC = "portevoix.contacts:AddressBook.Opened"
        customer_id: UUID

    class ContactsAdded(Aggregate.Event):
        """``contacts``: {"id", "sealed", "consent": {source, given_at, channel} | None}."""

        TOPIC = "portevoix.contacts:AddressBook.ContactsAdded"
        contacts: list[dict[str, Any]]
        list_ids: list[UUID]
        source: str

    class ContactsUpdated(Aggregate.Event):
        """``contacts``: {"id", "sealed"}: every personal field replaced."""

        TOPIC = "portevoix.contacts:AddressBook.ContactsUpdated"
        contacts: list[dict[str, Any]]

    class ContactsDeleted(Aggregate.Event):
        TOPIC = "portevoix.contacts:AddressBook.ContactsDeleted"
        ids: list[str]

    class ContactsBlocked(Aggregate.Event):
        TOPIC = "portevoix.contacts:AddressBook.ContactsBlocked"
        ids: list[str]
        blocked: bool

    class ContactsErased(Aggregate.Event):
        TOPIC = "portevoix.contacts:AddressBook.ContactsErased"
        ids: list[str]

    class ListCreated(Aggregate.Event):
        TOPIC = "portevoix.contacts:AddressBook.ListCreated"
        list_id: UUID
        name: str
        description: str

    class ListChanged(Aggregate.Event):
        TOPIC = "portevoix.contacts:AddressBook.ListChanged"
        list_id: UUID
        name: str
        description: str

    class ListDeleted(Aggregate.Event):
        TOPIC = "portevoix.contacts:AddressBook.ListDeleted"
        list_id: UUID

    class MembersAdded(Aggregate.Event):
        TOPIC = "portevoix.contacts:AddressBook.MembersAdded"
        list_id: UUID
        ids: list[str]

    class MembersRemoved(Aggregate.Event):
        TOPIC = "portevoix.contacts:AddressBook.MembersRemoved"
        list_id: UUID
        ids: list[str]

    class ConsentGiven(Aggregate.Event):
        """``consent``: {source, given_at (ISO 8601), channel, sealed (the wording)}."""

        TOPIC = "portevoix.contacts:AddressBook.ConsentGiven"
        contact_id: UUID
        consent: dict[str, Any]

    class ConsentWithdrawn(Aggregate.Event):
        TOPIC = "portevoix.contacts:AddressBook.ConsentWithdrawn"
        contact_id: UUID
        at: datetime
        source: str

    @staticmethod
    def create_id(customer_id: UUID) -> UUID:
        return book_id_for(customer_id)

    @event(Opened)
    def __init__(self, customer_id: UUID) -> None:
        self.customer_id = customer_id
        self.lists: dict[str, dict[str, str]] = {}  # str(list_id) → name, description

    # Lists ---------------------------------------------------------------------------

    def create_list(self, list_id: UUID, name: str, description: str) -> None:
        name = self._check_list(name, description, None)
        self._list_created(list_id, name, description)

    def change_list(self, list_id: UUID, name: str, description: str) -> None:
        self.check_lists([list_id])
        name = self._check_list(name, description, list_id)
        self._list_changed(list_id, name, description)

    def delete_list(self, list_id: UUID) -> None:
        self.check_lists([list_id])
        self._list_deleted(list_id)

    def check_lists(self, list_ids: Iterable[UUID]) -> None:
        for list_id in list_ids:
            if str(list_id) not in self.lists:
                raise UnknownListError(self.customer_id, list_id)

    def _check_list(self, name: str, description: str, renamed: UUID | None) -> str:
        name = " ".join(name.split())
        if not name or len(name) > MAX_LIST_NAME:
            raise InvalidListNameError(name)
        if len(description) > MAX_LIST_DESCRIPTION:
            raise FieldTooLongError("description", len(description), MAX_LIST_DESCRIPTION)
        folded = fold(name)
        for list_id, found in self.lists.items():
            if fold(found["name"]) == folded and list_id != str(renamed):
                raise ListNameTakenError(name)
        return name

    # Contacts (checked by the service against the projection) ------------------------

    def add_contacts(self, contacts: list[dict[str, Any]], list_ids: Sequence[UUID],
                     source: str) -> None:
        self.check_lists(list_ids)
        for batch in batches(contacts):
            self._contacts_added(batch, list(list_ids), source)

    def update_contacts(self, contacts: list[dict[str, Any]]) -> None:
        for batch in batches(contacts):
            self._contacts_updated(batch)

    def delete_contacts(self, ids: Sequence[UUID]) -> None:
        for batch in batches([str(i) for i in ids]):
            self._contacts_deleted(batch)

    def block_contacts(self, ids: Sequence[UUID], blocked: bool) -> None:
        for batch in batches([str(i) for i in ids]):
            self._contacts_blocked(batch, blocked)

    def erase_contacts(self, ids: Sequence[UUID]) -> None:
        for batch in batches([str(i) for i in ids]):
            self._contacts_erased(batch)

    def add_members(self, list_id: UUID, ids: Sequence[UUID]) -> None:
        self.check_lists([list_id])
        for batch in batches([str(i) for i in ids]):
            self._members_added(list_id, batch)

    def remove_members(self, list_id: UUID, ids: Sequence[UUID]) -> None:
        self.check_lists([list_id])
        for batch in batches([str(i) for i in ids]):
            self._members_removed(list_id, batch)

    def give_consent(self, contact_id: UUID, consent: dict[str, Any]) -> None:
        self._consent_given(contact_id, consent)

    def withdraw_consent(self, contact_id: UUID, at: datetime, source: str) -> None:
        if at.tzinfo is None:
            raise InvalidConsentError(f"a withdrawal's time needs its zone: {at!r}")
        if not source or len(source) > 100:
            raise InvalidConsentError(f"a withdrawal needs a source of 1 to 100 characters: "
                                      f"{source!r}")
        self._consent_withdrawn(contact_id, at, source)

    # Recorded (replayed on every load: no checks) -------------------------------------

    @event(ListCreated)
    def _list_created(self, list_id: UUID, name: str, description: str) -> None:
        self.lists[str(list_id)] = {"name": name, "description": description}

    @event(ListChanged)
    def _list_changed(self, list_id: UUID, name: str, description: str) -> None:
        self.lists[str(list_id)] = {"name": name, "description": description}

    @event(ListDeleted)
    def _list_deleted(self, list_id: UUID) -> None:
        self.lists.pop(str(list_id), None)

    @event(ContactsAdded)
    def _contacts_added(self, contacts: list[dict[str, Any]], list_ids: list[UUID],
                        source: str) -> None:
        pass

    @event(ContactsUpdated)
    def _contacts_updated(self, contacts: list[dict[str, Any]]) -> None:
        pass

    @event(ContactsDeleted)
    def _contacts_deleted(self, ids: list[str]) -> None:
        pass

    @event(ContactsBlocked)
    def _contacts_blocked(self, ids: list[str], blocked: bool) -> None:
        pass

    @event(ContactsErased)
    def _contacts_erased(self, ids: list[str]) -> None:
        pass

    @event(MembersAdded)
    def _members_added(self, list_id: UUID, ids: list[str]) -> None:
        pass

    @event(MembersRemoved)
    def _members_removed(self, list_id: UUID, ids: list[str]) -> None:
        pass

    @event(ConsentGiven)
    def _consent_given(self, contact_id: UUID, consent: dict[str, Any]) -> None:
        pass

    @event(ConsentWithdrawn)
    def _consent_withdrawn(self, contact_id: UUID, at: datetime, source: str) -> None:
        pass


__all__ = ["BATCH", "AddressBook", "ContactsError", "book_id_for"]
