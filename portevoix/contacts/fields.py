"""What a contact is made of, the consent it carries, and the refusals of the address book.

A contact's mobile number is stored in E.164 (the numbers parser turns what people type into
it before it gets here); the other fields are free text of bounded length, so that a file of a
million rows cannot fill the store with novels. ``values`` gives the keys personalisation
uses (``$nom``, ``[v1]``... are mapped onto them elsewhere).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

MAX_CUSTOM = 10
MAX_NAME = 100  # last name, first name, company
MAX_EMAIL = 254  # RFC 5321's path limit
MAX_CUSTOM_FIELD = 255
MAX_NOTES = 1_000
MAX_WORDING = 500
MAX_LIST_NAME = 100
MAX_LIST_DESCRIPTION = 500

CONSENT_SOURCES = ("web_form", "paper", "import", "sms_keyword", "api", "other")
CONSENT_CHANNELS = ("sms", "email", "phone", "in_person", "web")
CUSTOM_KEYS = tuple(f"custom{i}" for i in range(1, MAX_CUSTOM + 1))
VALUE_KEYS = ("number", "last_name", "first_name", "email", "company", *CUSTOM_KEYS)

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
# A practical shape (one @, a dot in the domain, no spaces), not RFC 5322's grammar.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


class ContactsError(Exception):
    """Base of every refusal of the address book; a refused command records nothing."""


class UnknownContactError(ContactsError):
    def __init__(self, customer_id: UUID, contact_ids: Sequence[UUID]) -> None:
        shown = ", ".join(map(str, contact_ids[:5])) + (" ..." if len(contact_ids) > 5 else "")
        super().__init__(f"{len(contact_ids)} contacts are not in the address book of "
                         f"customer {customer_id}: {shown}")
        self.customer_id, self.contact_ids = customer_id, list(contact_ids)


class UnknownListError(ContactsError):
    def __init__(self, customer_id: UUID, list_id: UUID) -> None:
        super().__init__(f"customer {customer_id} has no distribution list {list_id}")
        self.customer_id, self.list_id = customer_id, list_id


class ListNameTakenError(ContactsError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a distribution list is already called {name!r}")
        self.name = name


class InvalidListNameError(ContactsError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a list name has 1 to {MAX_LIST_NAME} characters: {name!r}")
        self.name = name


class InvalidNumberError(ContactsError):
    def __init__(self, number: str, reason: str) -> None:
        super().__init__(f"invalid mobile number {number!r}: {reason}")
        self.number, self.reason = number, reason


class TooManyCustomFieldsError(ContactsError):
    def __init__(self, count: int) -> None:
        super().__init__(f"a contact has at most {MAX_CUSTOM} custom fields, not {count}")
        self.count = count


class FieldTooLongError(ContactsError):
    def __init__(self, field: str, length: int, limit: int) -> None:
        super().__init__(f"{field} has {length} characters; at most {limit} are allowed")
        self.field, self.length, self.limit = field, length, limit


class InvalidEmailError(ContactsError):
    def __init__(self, email: str) -> None:
        super().__init__(f"not an e-mail address: {email!r}")
        self.email = email


class InvalidConsentError(ContactsError):
    def __init__(self, problem: str) -> None:
        super().__init__(f"invalid consent: {problem}")
        self.problem = problem


class TooManyContactsError(ContactsError):
    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count} contacts in one call; at most {limit} are allowed")
        self.count, self.limit = count, limit


def _check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise FieldTooLongError(field, len(value), limit)


@dataclass(frozen=True)
class Consent:
    """How and when a person agreed to receive messages: kept as proof for the regulator."""

    source: str
    given_at: datetime
    wording: str = ""  # the text agreed to, or a reference to it (a form's version)
    channel: str = "sms"

    def check(self) -> None:
        if self.source not in CONSENT_SOURCES:
            raise InvalidConsentError(
                f"source {self.source!r} is not one of {', '.join(CONSENT_SOURCES)}")
        if self.channel not in CONSENT_CHANNELS:
            raise InvalidConsentError(
                f"channel {self.channel!r} is not one of {', '.join(CONSENT_CHANNELS)}")
        if not isinstance(self.given_at, datetime) or self.given_at.tzinfo is None:
            raise InvalidConsentError(f"given_at must be a time with its zone: {self.given_at!r}")
        if len(self.wording) > MAX_WORDING:
            raise InvalidConsentError(
                f"wording has {len(self.wording)} characters; at most {MAX_WORDING}")


@dataclass(frozen=True)
class ContactFields:
    """One contact as entered or imported: the number in E.164, the rest free text."""

    number: str
    last_name: str = ""
    first_name: str = ""
    email: str = ""
    company: str = ""
    custom: tuple[str, ...] = ()
    notes: str = ""
    consent: Consent | None = None

    def check(self) -> None:
        """Raise the specific ContactsError for the first problem found."""
        if not isinstance(self.number, str) or not _E164.fullmatch(self.number):
            raise InvalidNumberError(str(self.number), "not in E.164 such as +33612345678")
        for name in ("last_name", "first_name", "company"):
            _check_length(name, getattr(self, name), MAX_NAME)
        _check_length("email", self.email, MAX_EMAIL)
        if self.email and not _EMAIL.fullmatch(self.email):
            raise InvalidEmailError(self.email)
        if len(self.custom) > MAX_CUSTOM:
            raise TooManyCustomFieldsError(len(self.custom))
        for key, value in zip(CUSTOM_KEYS, self.custom, strict=False):
            _check_length(key, value, MAX_CUSTOM_FIELD)
        _check_length("notes", self.notes, MAX_NOTES)
        if self.consent is not None:
            self.consent.check()

    def personal(self) -> dict[str, Any]:
        """The fields that identify the person (sealed in events; consent apart)."""
        return {"n": self.number, "l": self.last_name, "f": self.first_name, "e": self.email,
                "c": self.company, "x": list(self.custom), "o": self.notes}

    @classmethod
    def from_personal(cls, data: dict[str, Any], consent: Consent | None = None
                      ) -> ContactFields:
        return cls(number=data["n"], last_name=data["l"], first_name=data["f"],
                   email=data["e"], company=data["c"], custom=tuple(data["x"]),
                   notes=data["o"], consent=consent)


def values(contact: ContactFields) -> dict[str, str]:
    """The personalisation keys of a contact: number, names, e-mail, company, custom1..10
    (an absent custom field is "")."""
    found = {"number": contact.number, "last_name": contact.last_name,
             "first_name": contact.first_name, "email": contact.email,
             "company": contact.company}
    custom = list(contact.custom) + [""] * (MAX_CUSTOM - len(contact.custom))
    found.update(zip(CUSTOM_KEYS, custom, strict=True))
    return found


def fold(text: str) -> str:
    """Lower case without accents or repeated spaces, for searching ("Éloïse" → "eloise")."""
    if text.isascii():  # most names: no decomposition to do
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def search_name(contact: ContactFields) -> str:
    """What a name search matches by prefix: "last first company", folded."""
    return fold(f"{contact.last_name} {contact.first_name} {contact.company}")


def merged(keep: ContactFields, others: Sequence[ContactFields]) -> ContactFields:
    """The duplicates merge rule: ``keep``'s fields, each empty one filled from the first
    of ``others`` that has it (custom fields position by position); the number stays
    ``keep``'s; its consent, or the first other's if it has none."""
    scalar = ("last_name", "first_name", "email", "company", "notes")
    filled: dict[str, Any] = {}
    for name in scalar:
        value = getattr(keep, name)
        for other in others:
            if value:
                break
            value = getattr(other, name)
        filled[name] = value
    custom = list(keep.custom)
    for other in others:
        for i, value in enumerate(other.custom):
            if i >= len(custom):
                custom.append(value)
            elif not custom[i]:
                custom[i] = value
    while custom and not custom[-1]:
        custom.pop()
    consent = keep.consent or next((o.consent for o in others if o.consent), None)
    return replace(keep, custom=tuple(custom), consent=consent, **filled)
