"""A send to distribution lists: the lists' contacts become the send's recipients.

Channels name lists by name (http.php's ``numero``, an e-mail's subject: the seeds' "groupe")
or by id (the JSON API). A text without markers goes to the numbers as one text; a text with
markers (``[nom]``, ``$prenom``, ``{first_name}``...) is rendered per contact, and a contact
missing a value refuses the whole send unless the customer chose a fallback for it. Blocked
contacts are left out; a marketing send may be restricted to contacts with consent. Opt-outs
and platform blocks stay the send pipeline's to refuse, so that they win over everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Protocol
from uuid import UUID

from portevoix.contacts.directory import ListSummary
from portevoix.contacts.fields import fold
from portevoix.contacts.personalise import (
    MISSING_REFUSE,
    Template,
    personalised_rows,
)

MAX_LIST_RECIPIENTS = 100_000  # one campaign; larger audiences are split by the customer


class ListSendError(ValueError):
    """The lists cannot make a send; ``reason`` is a short code for the channels."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Lists(Protocol):
    def lists(self, customer_id: UUID) -> list[ListSummary]: ...

    def list_by_name(self, customer_id: UUID, name: str) -> ListSummary | None: ...

    def recipients(self, customer_id: UUID, list_ids: Sequence[UUID],
                   require_consent: bool = False) -> Iterator[tuple[str, dict[str, str]]]: ...


@dataclass(frozen=True)
class Audience:
    """What to give ``SendRequest``: ``numbers`` sharing the text, or rendered ``rows``."""

    numbers: tuple[str, ...] = ()
    rows: tuple[tuple[str, str], ...] = ()

    @property
    def size(self) -> int:
        return len(self.numbers) or len(self.rows)


def resolve_lists(directory: Lists, customer_id: UUID,
                  names_or_ids: Iterable[str]) -> list[ListSummary]:
    """The customer's lists named (case does not matter) or identified; ListSendError
    ``unknown_list`` naming the first that is neither."""
    lists = directory.lists(customer_id)
    by_id = {str(found.list_id): found for found in lists}
    by_name = {fold(found.name): found for found in lists}
    resolved: list[ListSummary] = []
    for given in names_or_ids:
        found = by_id.get(given.strip().lower()) or by_name.get(fold(given))
        if found is None:
            raise ListSendError("unknown_list", f"no distribution list {given!r}")
        resolved.append(found)
    return resolved


def audience(directory: Lists, customer_id: UUID, names_or_ids: Sequence[str], text: str,
             on_missing: str = MISSING_REFUSE, fallback: Mapping[str, str] | None = None,
             require_consent: bool = False) -> Audience:
    """The recipients of a send of ``text`` to the lists: ListSendError if a list is unknown,
    they hold nobody, or they hold more than one campaign takes; the personalisation's
    UnknownMarkerError or MissingValuesError if the text cannot be rendered for them."""
    Template.compile(text)  # a typo in a marker is refused before the lists are read
    recipients = list_recipients(directory, customer_id, names_or_ids, require_consent)
    return rendered(recipients, text, on_missing, fallback)


def list_recipients(directory: Lists, customer_id: UUID, names_or_ids: Sequence[str],
                    require_consent: bool = False) -> list[tuple[str, dict[str, str]]]:
    """The lists' sendable contacts with their values, for one campaign: ListSendError if a
    list is unknown, or they hold nobody, or more than MAX_LIST_RECIPIENTS."""
    lists = resolve_lists(directory, customer_id, names_or_ids)
    members = directory.recipients(customer_id, [found.list_id for found in lists],
                                   require_consent)
    recipients = list(islice(members, MAX_LIST_RECIPIENTS + 1))
    if len(recipients) > MAX_LIST_RECIPIENTS:
        raise ListSendError("too_many_recipients",
                            f"the lists hold more than {MAX_LIST_RECIPIENTS} sendable contacts:"
                            " split the send")
    if not recipients:
        names = ", ".join(repr(found.name) for found in lists)
        detail = " with consent" if require_consent else ""
        raise ListSendError("empty_group", f"the lists {names} hold no sendable contact{detail}")
    return recipients


def rendered(recipients: Sequence[tuple[str, Mapping[str, str]]], text: str,
             on_missing: str = MISSING_REFUSE, fallback: Mapping[str, str] | None = None
             ) -> Audience:
    """``text`` for each recipient: one shared text if it has no markers, else rendered per
    recipient (a list's contacts, or a personalised sheet's rows)."""
    template = Template.compile(text)
    if not template.keys:
        return Audience(numbers=tuple(number for number, _ in recipients))
    return Audience(rows=tuple(personalised_rows(template, recipients, on_missing, fallback)))


def group_numbers(directory: Lists, customer_id: UUID, name: str) -> list[str]:
    """The numbers of the list called ``name`` (the compatible interfaces' "groupe"), blocked
    contacts left out; none for an unknown list, which those interfaces answer as empty."""
    found = directory.list_by_name(customer_id, name.strip())
    if found is None:
        return []
    members = directory.recipients(customer_id, [found.list_id])
    return [number for number, _ in islice(members, MAX_LIST_RECIPIENTS)]
