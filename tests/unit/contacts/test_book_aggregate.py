"""The AddressBook aggregate: its lists' rules, batches of 1,000, replay equals live state."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from eventsourcing.application import Application

from portevoix.contacts.book import AddressBook, book_id_for
from portevoix.contacts.fields import (
    InvalidConsentError,
    InvalidListNameError,
    ListNameTakenError,
    UnknownListError,
)


def test_list_names_are_unique_ignoring_case_accents_and_spaces() -> None:
    book = AddressBook(customer_id=uuid4())
    book.create_list(uuid4(), "Élèves  2026", "")
    with pytest.raises(ListNameTakenError) as refused:
        book.create_list(uuid4(), "eleves 2026", "")
    assert refused.value.name == "eleves 2026"


def test_a_deleted_lists_name_is_free_again_and_the_list_unknown() -> None:
    book, list_id = AddressBook(customer_id=uuid4()), uuid4()
    book.create_list(list_id, "Clients", "")
    book.delete_list(list_id)
    book.create_list(uuid4(), "clients", "")
    with pytest.raises(UnknownListError):
        book.add_members(list_id, [uuid4()])


def test_renaming_a_list_to_its_own_name_is_allowed() -> None:
    book, list_id = AddressBook(customer_id=uuid4()), uuid4()
    book.create_list(list_id, "Clients", "")
    book.change_list(list_id, "CLIENTS", "en majuscules")
    assert book.lists[str(list_id)] == {"name": "CLIENTS", "description": "en majuscules"}


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_list_name_must_have_1_to_100_characters(name: str) -> None:
    with pytest.raises(InvalidListNameError):
        AddressBook(customer_id=uuid4()).create_list(uuid4(), name, "")


def test_adding_to_an_unknown_list_records_nothing() -> None:
    book = AddressBook(customer_id=uuid4())
    before = len(book.collect_events())
    with pytest.raises(UnknownListError):
        book.add_contacts([{"id": str(uuid4()), "sealed": "x", "consent": None}], [uuid4()],
                          "manual")
    assert before == 1 and book.collect_events() == []


def test_contacts_are_recorded_in_events_of_at_most_1000() -> None:
    book = AddressBook(customer_id=uuid4())
    book.collect_events()
    book.add_contacts([{"id": str(uuid4()), "sealed": "x", "consent": None}] * 2_500, [],
                      "import")
    assert [len(e.contacts) for e in book.collect_events()] == [1000, 1000, 500]


def test_a_withdrawal_needs_a_zoned_time_and_a_source() -> None:
    book = AddressBook(customer_id=uuid4())
    with pytest.raises(InvalidConsentError):
        book.withdraw_consent(uuid4(), datetime(2026, 1, 1), "sms_keyword")
    with pytest.raises(InvalidConsentError):
        book.withdraw_consent(uuid4(), datetime(2026, 1, 1, tzinfo=UTC), "")


def test_a_replayed_book_equals_the_live_one() -> None:
    app: Application[object] = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    customer, kept, gone = uuid4(), uuid4(), uuid4()
    book = AddressBook(customer_id=customer)
    book.create_list(kept, "A", "d")
    book.create_list(gone, "B", "")
    book.delete_list(gone)
    book.add_members(kept, [uuid4()])
    app.save(book)
    loaded = app.repository.get(book_id_for(customer))
    assert loaded.lists == book.lists == {str(kept): {"name": "A", "description": "d"}}
    assert loaded.customer_id == customer


def test_contact_ids_are_ordered_as_created() -> None:
    import time

    from portevoix.contacts.books import new_contact_id

    first = new_contact_id()
    time.sleep(0.002)
    second = new_contact_id()
    assert first < second and first.version == second.version == 7
