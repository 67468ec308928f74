"""The address book on SQLite and PostgreSQL: contacts, lists and counts, search, duplicates,
consent, erasure, recipients. One platform per backend for the module; each test works in a
customer of its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from conftest import postgres_schema_url
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select, text

from portevoix.contacts.book import SNAPSHOT_INTERVAL, book_id_for
from portevoix.contacts.books import AddressBooks
from portevoix.contacts.directory import ContactDirectory
from portevoix.contacts.fields import (
    Consent,
    ContactFields,
    InvalidEmailError,
    ListNameTakenError,
    TooManyContactsError,
    UnknownContactError,
    UnknownListError,
)
from portevoix.projections.contacts import contact_lists, list_members
from portevoix.services import Services, build_services
from portevoix.settings import Settings
from portevoix.storage import Storage

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Services]:
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('book')}/p.db"])
    else:
        urls = postgres_schema_url()
    url = next(urls)
    services = build_services(Settings(database_url=url))
    services.settings_url = url  # type: ignore[attr-defined]
    try:
        yield services
    finally:
        services.close()
        for _ in urls:  # drops the PostgreSQL schema
            pass


def parts(services: Services) -> tuple[AddressBooks, ContactDirectory]:
    assert services.address_books is not None and services.contacts is not None
    return services.address_books, services.contacts


def person(n: int, last: str = "Dupont", **fields: object) -> ContactFields:
    return ContactFields(f"+336{n:08d}", last, f"Prénom{n}", **fields)  # type: ignore[arg-type]


def counts(services: Services, customer: UUID) -> dict[UUID, tuple[int, int]]:
    """Each list's member_count and its real membership."""
    with services.engine.connect() as conn:
        rows = conn.execute(select(contact_lists.c.list_id, contact_lists.c.member_count).where(
            contact_lists.c.customer_id == customer, contact_lists.c.deleted.is_(False))).all()
        return {list_id: (count, conn.execute(select(func.count()).where(
            list_members.c.list_id == list_id)).scalar_one()) for list_id, count in rows}


# Contacts -----------------------------------------------------------------------------

def test_added_contacts_are_found_with_their_fields(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    (contact_id,) = books.add_contacts(customer, [ContactFields(
        "+33612345678", "Lefèvre", "Éloïse", "e@x.fr", "ACME", ("rouge", "", "7"), "VIP")])
    found = directory.contact(customer, contact_id)
    assert found is not None and found.fields == ContactFields(
        "+33612345678", "Lefèvre", "Éloïse", "e@x.fr", "ACME", ("rouge", "", "7"), "VIP")
    assert directory.contact(uuid4(), contact_id) is None  # another customer's: not found


def test_one_invalid_contact_refuses_the_whole_call(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    with pytest.raises(InvalidEmailError):
        books.add_contacts(customer, [person(1), person(2, email="nope")])
    assert directory.search(customer).contacts == [] and books.book(customer) is None


def test_more_than_10000_contacts_a_call_are_refused(platform: Services) -> None:
    books, _ = parts(platform)
    with pytest.raises(TooManyContactsError):
        books.add_contacts(uuid4(), [person(1)] * 10_001)


def test_update_replaces_the_fields_and_delete_removes_the_contact(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    first, second = books.add_contacts(customer, [person(1), person(2)])
    books.update_contact(customer, first, ContactFields("+33700000001", "Martin", "Paul"))
    books.delete_contacts(customer, [second])
    assert [(c.fields.number, c.fields.last_name) for c in directory.search(customer).contacts
            ] == [("+33700000001", "Martin")]
    with pytest.raises(UnknownContactError) as refused:
        books.update_contact(customer, second, person(2))
    assert refused.value.contact_ids == [second]


def test_another_customers_contact_is_unknown(platform: Services) -> None:
    books, _ = parts(platform)
    (theirs,) = books.add_contacts(uuid4(), [person(1)])
    with pytest.raises(UnknownContactError):
        books.block(uuid4(), [theirs])


# Lists ------------------------------------------------------------------------------

def test_list_counts_follow_add_move_copy_remove_delete(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    a, b = books.create_list(customer, "A"), books.create_list(customer, "B", "bee")
    ids = books.add_contacts(customer, [person(n) for n in range(5)], [a])
    books.move(customer, ids[:2], a, b)
    books.copy(customer, ids[2:4], b)
    books.copy(customer, ids[2:4], b)  # already members: unchanged
    books.remove_from_list(customer, a, ids[4:])
    assert {s.name: s.member_count for s in directory.lists(customer)} == {"A": 2, "B": 4}
    books.delete_contacts(customer, [ids[2]])
    assert {s.name: s.member_count for s in directory.lists(customer)} == {"A": 1, "B": 3}
    books.delete_list(customer, a)
    assert [(s.name, s.description, s.member_count) for s in directory.lists(customer)] == [
        ("B", "bee", 3)]
    assert directory.contact(customer, ids[3]) is not None  # the contacts stay


def test_list_names_are_unique_per_customer_and_found_by_name(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    list_id = books.create_list(customer, "Élèves")
    books.create_list(uuid4(), "Élèves")  # another customer's: allowed
    with pytest.raises(ListNameTakenError):
        books.create_list(customer, "ELEVES")
    found = directory.list_by_name(customer, "élèves")
    assert found is not None and (found.list_id, found.member_count) == (list_id, 0)


def test_an_unknown_list_is_refused_and_records_nothing(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    books.create_list(customer, "A")
    with pytest.raises(UnknownListError):
        books.add_contacts(customer, [person(1)], [uuid4()])
    assert directory.search(customer).contacts == []


def test_numbers_in_a_list_and_in_the_book(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    a = books.create_list(customer, "A")
    books.add_contacts(customer, [person(1), person(2)], [a])
    books.add_contacts(customer, [person(3)])
    assert directory.numbers_in_list(a) == {"+33600000001", "+33600000002"}
    assert directory.numbers_in_book(customer) == {"+33600000001", "+33600000002",
                                                   "+33600000003"}


# Search -----------------------------------------------------------------------------

def test_search_by_name_prefix_number_list_date_and_block(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    a = books.create_list(customer, "A")
    dupont, durand, martin = books.add_contacts(customer, [
        person(11, "Dupont"), person(12, "Durand"), person(21, "Martin")])
    books.add_to_list(customer, a, [martin])
    books.block(customer, [durand])

    def ids(**query: object) -> list[UUID]:
        return [c.contact_id for c in directory.search(customer, **query).contacts]  # type: ignore[arg-type]

    assert ids(text="du") == [dupont, durand]
    assert ids(text="DÛP") == [dupont]
    assert ids(text="dupont prénom11") == [dupont]
    assert ids(number="06 00 00 00 1") == [dupont, durand]
    assert ids(number="+336000000 21") == [martin]
    assert ids(list_id=a) == [martin]
    assert ids(text="ma", list_id=a) == [martin]
    assert ids(blocked=True) == [durand]
    assert set(ids(added_from=NOW)) == {dupont, durand, martin}
    assert ids(added_to=NOW) == []


@pytest.mark.parametrize("mode", [{}, {"text": "dupont"}, {"number": "06"}, {"list": True}])
def test_pages_follow_each_other_without_gaps_or_repeats(platform: Services,
                                                         mode: dict[str, object]) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    a = books.create_list(customer, "A")
    added = books.add_contacts(customer, [person(n) for n in range(23)], [a])
    books.add_contacts(customer, [person(99, "Zorro")])  # matches no filter but the first
    query: dict[str, object] = {k: v for k, v in mode.items() if k != "list"}
    if mode.get("list"):
        query["list_id"] = a
    seen: list[UUID] = []
    after = None
    while True:
        page = directory.search(customer, after=after, limit=5, **query)  # type: ignore[arg-type]
        seen += [c.contact_id for c in page.contacts]
        if page.next is None:
            break
        after = page.next
    expected = len(added) + (1 if not mode or "number" in mode else 0)
    assert len(seen) == len(set(seen)) == expected
    assert set(added) <= set(seen)


# Duplicates ---------------------------------------------------------------------------

def test_duplicates_are_grouped_and_merged_into_the_kept_contact(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    a, b = books.create_list(customer, "A"), books.create_list(customer, "B")
    keep, = books.add_contacts(customer, [ContactFields("+33611111111", "Dupont")], [a])
    other, = books.add_contacts(customer, [ContactFields(
        "+33611111111", "", "Marie", "m@x.fr", consent=Consent("paper", NOW, "signé"))], [b])
    books.add_contacts(customer, [ContactFields("+33622222222", "Seul")])
    (group,) = directory.duplicates(customer)
    assert group.e164 == "+33611111111"
    assert [c.contact_id for c in group.contacts] == [keep, other]
    books.merge_duplicates(customer, keep, [other])
    merged = directory.contact(customer, keep)
    assert merged is not None and (merged.fields.last_name, merged.fields.first_name,
                                   merged.fields.email) == ("Dupont", "Marie", "m@x.fr")
    assert merged.consent_source == "paper"
    assert directory.contact(customer, other) is None
    assert directory.memberships([keep])[keep] == {a, b}
    assert directory.duplicates(customer) == []
    assert {s.name: s.member_count for s in directory.lists(customer)} == {"A": 1, "B": 1}


def test_duplicates_can_be_deleted_instead(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    first, second = books.add_contacts(customer, [person(5), person(5)])
    books.delete_contacts(customer, [second])
    assert directory.duplicates(customer) == []
    assert [c.contact_id for c in directory.search(customer).contacts] == [first]


# Consent, recipients --------------------------------------------------------------------

def test_recipients_skip_blocked_and_without_consent_when_required(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    a, b = books.create_list(customer, "A"), books.create_list(customer, "B")
    consenting = Consent("web_form", NOW, "J'accepte", "web")
    with_consent, without, blocked = books.add_contacts(customer, [
        person(1, consent=consenting, custom=("x",)), person(2), person(3, consent=consenting)],
        [a, b])
    books.add_contacts(customer, [person(1, "Doublon")], [b])  # the same number again
    books.block(customer, [blocked])
    everyone = dict(directory.recipients(customer, [a, b]))
    assert set(everyone) == {"+33600000001", "+33600000002"}
    assert everyone["+33600000001"]["custom1"] in ("x", "")
    assert [n for n, _ in directory.recipients(customer, [a], require_consent=True)] == [
        "+33600000001"]
    books.withdraw_consent(customer, with_consent, NOW + timedelta(days=1), "sms_keyword")
    assert list(directory.recipients(customer, [a], require_consent=True)) == []
    books.give_consent(customer, without, Consent("paper", NOW))
    assert [n for n, _ in directory.recipients(customer, [a], require_consent=True)] == [
        "+33600000002"]


def test_the_consent_export_has_the_history_lists_and_blacklists(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    a = books.create_list(customer, "Newsletter")
    contact_id, = books.add_contacts(customer, [person(
        7, consent=Consent("web_form", NOW, "Formulaire v3", "web"))], [a])
    books.withdraw_consent(customer, contact_id, NOW + timedelta(days=2), "sms_keyword")
    books.give_consent(customer, contact_id, Consent("paper", NOW + timedelta(days=3),
                                                     "Bulletin signé", "in_person"))
    platform.blacklists.opt_out(customer, "+33600000007", "stop_reply")
    export = directory.consent_export(customer, contact_id)
    assert export is not None
    assert export["fields"]["number"] == "+33600000007"
    assert [(h["action"], h["source"], h["wording"]) for h in export["consent"]["history"]] == [
        ("given", "web_form", "Formulaire v3"), ("withdrawn", "sms_keyword", ""),
        ("given", "paper", "Bulletin signé")]
    assert export["consent"]["current"]["source"] == "paper"
    assert export["lists"] == [{"list_id": str(a), "name": "Newsletter"}]
    assert (export["opted_out"], export["platform_blocked"], export["blocked"]) == (
        True, False, False)
    platform.blacklists.block("+33600000007", "court order")
    assert directory.consent_export(customer, contact_id)["platform_blocked"] is True  # type: ignore[index]


# Erasure ----------------------------------------------------------------------------

def _raw_events(services: Services) -> str:
    """Every stored event of the address books, as the store holds them."""
    url: str = services.settings_url  # type: ignore[attr-defined]
    storage = Storage(url)
    if storage.kind == "sqlite":
        engine = create_engine(f"sqlite:///{storage.sqlite_path.with_suffix('.contacts.db')}")
        query = "SELECT state FROM stored_events"
    else:
        engine = services.engine
        query = "SELECT state FROM contacts_events"
    with engine.connect() as conn:
        states = conn.execute(text(query)).scalars().all()
    return "".join(bytes(s).decode("utf-8", "replace") for s in states)


def test_erasure_leaves_no_trace_in_projection_rebuild_or_events(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    a = books.create_list(customer, "A", "Description-Temoin")
    gone, kept = books.add_contacts(customer, [
        ContactFields("+33698765432", "Zébulon", "Effacé", consent=Consent(
            "paper", NOW, "Accord Zébulon")),
        ContactFields("+33698765433", "Gardé", "Resté")], [a])
    books.give_consent(customer, gone, Consent("api", NOW, "Confirmation Zébulon"))
    books.update_contact(customer, gone, ContactFields("+33698765432", "Zébulon", "Modifié"))
    books.add_to_list(customer, books.create_list(customer, "B"), [gone])
    ledger_before = platform.ledger.recorder.max_notification_id()
    assert books.erase_number(customer, "+33698765432") == 1
    assert directory.contact(customer, gone) is None
    assert directory.search(customer, text="zeb").contacts == []
    assert {s.name: s.member_count for s in directory.lists(customer)} == {"A": 1, "B": 0}
    platform.rebuild_projections()
    assert directory.contact(customer, gone) is None
    assert directory.numbers_in_book(customer) == {"+33698765433"}
    assert {s.name: s.member_count for s in directory.lists(customer)} == {"A": 1, "B": 0}
    assert directory.contact(customer, kept) is not None
    stored = _raw_events(platform)
    assert "Description-Temoin" in stored  # the events are there, readable...
    for plaintext in ("98765432", "Zébulon", "Zbulon", "Effac", "Accord", "Confirmation"):
        assert plaintext not in stored  # ...but say nothing of the person
    assert platform.ledger.recorder.max_notification_id() == ledger_before


def test_erasing_an_unknown_contact_is_refused(platform: Services) -> None:
    books, _ = parts(platform)
    with pytest.raises(UnknownContactError):
        books.erase(uuid4(), [uuid4()])


# Member counts, whatever the sequence --------------------------------------------------

OPERATIONS = st.lists(st.tuples(
    st.sampled_from(["add", "move", "copy", "remove", "delete", "delete_list", "erase"]),
    st.integers(0, 2), st.integers(0, 2), st.lists(st.integers(0, 5), max_size=4)),
    max_size=8)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPERATIONS)
def test_member_counts_equal_the_membership_after_any_sequence(
        platform: Services, operations: list[tuple[str, int, int, list[int]]]) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    lists = [books.create_list(customer, f"L{i}") for i in range(3)]
    contacts = books.add_contacts(customer, [person(n) for n in range(6)], lists[:1])
    alive = set(contacts)
    for name, first, second, picks in operations:
        ids = [contacts[p] for p in picks if contacts[p] in alive]
        source, target = lists[first % len(lists)], lists[second % len(lists)]
        if name == "add":
            books.add_to_list(customer, target, ids)
        elif name == "move" and source != target:
            books.move(customer, ids, source, target)
        elif name == "copy":
            books.copy(customer, ids, target)
        elif name == "remove":
            books.remove_from_list(customer, source, ids)
        elif name in ("delete", "erase") and ids:
            (books.delete_contacts if name == "delete" else books.erase)(customer, ids)
            alive -= set(ids)
        elif name == "delete_list" and len(lists) > 1:
            books.delete_list(customer, source)
            lists = [i for i in lists if i != source]
    directory.catch_up()
    found = counts(platform, customer)
    assert set(found) == set(lists)
    assert all(count == real for count, real in found.values()), found


def test_a_book_reloads_from_its_snapshot_as_it_was(platform: Services) -> None:
    books, directory = parts(platform)
    customer = uuid4()
    for i in range(25):
        books.create_list(customer, f"L{i}")
    book_id = book_id_for(customer)
    assert books.snapshots is not None
    versions = [s.originator_version for s in books.snapshots.get(book_id)]
    fresh = AddressBooks(books.sealer, directory, env=Storage(
        platform.settings_url).event_store_env("contacts", 1))  # type: ignore[attr-defined]
    try:
        reloaded = fresh.repository.get(book_id)
    finally:
        fresh.close()
    live = books.book(customer)
    assert versions and max(versions) >= SNAPSHOT_INTERVAL
    assert live is not None and reloaded.lists == live.lists and len(live.lists) == 25
