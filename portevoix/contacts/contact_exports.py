"""Contacts as rows of a file: the whole book or one list, in the columns an import reads back
(French headers, as the seeds' address books; ``mapping.guess_mapping`` recognises them).
Streamed page by page, so an export of a million contacts holds one page at a time; the
files layer neutralises formulas (``=HYPERLINK(...)`` comes back as text)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol
from uuid import UUID

from portevoix.contacts.directory import Page
from portevoix.contacts.fields import MAX_CUSTOM

EXPORT_HEADER = ("Mobile", "Nom", "Prénom", "E-mail", "Société",
                 *(f"Champ {n}" for n in range(1, MAX_CUSTOM + 1)), "Notes", "Bloqué",
                 "Consentement", "Consentement le", "Ajouté le")
PAGE = 500


class Searchable(Protocol):
    def search(self, customer_id: UUID, text: str = "", number: str = "",
               list_id: UUID | None = None, added_from: datetime | None = None,
               added_to: datetime | None = None, blocked: bool | None = None,
               after: str | None = None, limit: int = 50) -> Page: ...


def export_rows(directory: Searchable, customer_id: UUID, list_id: UUID | None = None
                ) -> Iterator[list[object]]:
    after: str | None = None
    while True:
        page = directory.search(customer_id, list_id=list_id, after=after, limit=PAGE)
        for contact in page.contacts:
            fields = contact.fields
            custom = list(fields.custom) + [""] * (MAX_CUSTOM - len(fields.custom))
            yield [fields.number, fields.last_name, fields.first_name, fields.email,
                   fields.company, *custom, fields.notes, "oui" if contact.blocked else "",
                   contact.consent_source or "",
                   contact.consent_at.isoformat() if contact.consent_at else "",
                   contact.added_at.isoformat()]
        if page.next is None:
            return
        after = page.next
