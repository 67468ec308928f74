"""The import's store on the running platform: its address books, contacts directory and
blacklists (``importing.ImportStore``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from portevoix.contacts.books import AddressBooks
from portevoix.contacts.directory import ContactDirectory
from portevoix.contacts.fields import ContactFields
from portevoix.platform.blacklists import IMPORT, Blacklists

if TYPE_CHECKING:  # services.py builds this store: no cycle at run time
    from portevoix.services import Services

class ServicesImportStore:
    """The import's store calls on the running platform's address books, contacts
    directory and blacklists."""

    def __init__(self, services: Services) -> None:
        if services.address_books is None or services.contacts is None:
            raise ValueError("these services were built without address books")
        self.books: AddressBooks = services.address_books
        self.directory: ContactDirectory = services.contacts
        self.blacklists: Blacklists = services.blacklists

    def list_exists(self, customer_id: UUID, list_id: UUID) -> bool:
        return any(found.list_id == list_id for found in self.directory.lists(customer_id))

    def list_named(self, customer_id: UUID, name: str) -> UUID | None:
        found = self.directory.list_by_name(customer_id, name)
        return None if found is None else found.list_id

    def create_list(self, customer_id: UUID, name: str) -> UUID:
        return self.books.create_list(customer_id, name)

    def numbers_in_list(self, list_id: UUID) -> set[str]:
        return self.directory.numbers_in_list(list_id)

    def add_contacts(self, customer_id: UUID, contacts: Sequence[ContactFields],
                     list_id: UUID) -> int:
        return len(self.books.add_contacts(customer_id, contacts, [list_id], source=IMPORT))

    def blocked(self, customer_id: UUID, numbers: Sequence[str]) -> dict[str, str]:
        return self.blacklists.blocked(customer_id, numbers)

    def opt_out(self, customer_id: UUID, numbers: Sequence[str]) -> int:
        return self.blacklists.opt_out_many(customer_id, numbers, source=IMPORT)
