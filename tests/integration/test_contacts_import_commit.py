"""Committing imports into the real stores, on SQLite and PostgreSQL: a new list, an
existing list (what it holds is skipped), the blacklist, a personalised sheet (read, never
stored), and a file changed since its dry run (refused, nothing written)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from portevoix.contacts import importing
from portevoix.contacts.fields import ListNameTakenError, UnknownListError
from portevoix.contacts.import_store import ServicesImportStore
from portevoix.contacts.importing import (
    TARGET_BLACKLIST,
    TARGET_LIST,
    TARGET_PERSONALISED,
    FileChangedError,
    ImportRequest,
    commit,
    dry_run,
    personalised_recipients,
)
from portevoix.contacts.mapping import Mapping
from portevoix.platform.blacklists import MANUAL, OPTED_OUT
from portevoix.services import Services, build_services
from portevoix.settings import Settings
from tests.unit.contacts.table_files import write_csv_file, write_xlsx_file

pytestmark = pytest.mark.timeout(120)

CUSTOMER = uuid4()
CONTACTS = Mapping(("number", "last_name", "first_name"), has_header=True)
HEADER = ["Mobile", "Nom", "Prénom"]


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    built = build_services(Settings(database_url=database_url, secret_key="test"))
    yield built
    built.close()


def list_numbers(services: Services, list_id: object) -> set[str]:
    assert services.contacts is not None
    return services.contacts.numbers_in_list(list_id)  # type: ignore[arg-type]


def test_a_commit_into_an_existing_list_skips_the_numbers_it_holds(
        services: Services, tmp_path: Path) -> None:
    store = ServicesImportStore(services)
    first, second = tmp_path / "first.csv", tmp_path / "second.xlsx"
    write_csv_file(first, [HEADER, ["0612345678", "Dupont", "Jean"],
                           ["0698765432", "Martin", "Zoé"]])
    write_xlsx_file(second, [HEADER, ["+33 6 12 34 56 78", "Dupont", "Jean"],
                             ["0611111111", "Petit", "Luc"], ["0611111111", "Petit", "Luc"]])
    into_new = ImportRequest(CUSTOMER, TARGET_LIST, CONTACTS, new_list_name="Clients")
    created = commit(first, into_new, dry_run(first, into_new, store).fingerprint, store)
    assert created.list_id is not None and created.to_write == 2
    into_existing = ImportRequest(CUSTOMER, TARGET_LIST, CONTACTS, list_id=created.list_id)

    report = dry_run(second, into_existing, store)
    done = commit(second, into_existing, report.fingerprint, store)

    assert (report.duplicates_in_list, report.duplicates_in_file, report.to_write) == (1, 1, 1)
    assert report.samples["duplicates_in_list"] == (
        (2, "+33 6 12 34 56 78", "+33612345678 is already in the list"),)
    assert (done.to_write, done.list_id) == (1, created.list_id)
    assert list_numbers(services, created.list_id) == {
        "+33612345678", "+33698765432", "+33611111111"}
    assert services.contacts is not None
    assert len(services.contacts.contacts_with_number(CUSTOMER, "+33612345678")) == 1


def test_a_new_list_name_already_taken_is_refused_before_writing(
        services: Services, tmp_path: Path) -> None:
    store = ServicesImportStore(services)
    path = tmp_path / "contacts.csv"
    write_csv_file(path, [HEADER, ["0612345678", "Dupont", "Jean"]])
    request = ImportRequest(CUSTOMER, TARGET_LIST, CONTACTS, new_list_name="VIP")
    commit(path, request, dry_run(path, request, store).fingerprint, store)

    with pytest.raises(ListNameTakenError):
        dry_run(path, ImportRequest(CUSTOMER, TARGET_LIST, CONTACTS, new_list_name="vip"),
                store)


def test_blacklisted_numbers_are_shown_and_still_imported_into_a_list(
        services: Services, tmp_path: Path) -> None:
    store = ServicesImportStore(services)
    services.blacklists.opt_out(CUSTOMER, "+33698765432", MANUAL)
    path = tmp_path / "contacts.csv"
    write_csv_file(path, [HEADER, ["0612345678", "Dupont", "Jean"],
                          ["0698765432", "Martin", "Zoé"]])
    request = ImportRequest(CUSTOMER, TARGET_LIST, CONTACTS, new_list_name="Clients")

    report = dry_run(path, request, store)
    done = commit(path, request, report.fingerprint, store)

    assert (report.blacklisted, report.to_write, done.to_write) == (1, 2, 2)
    assert report.samples["blacklisted"] == ((3, "0698765432", "+33698765432 is opted out"),)
    assert list_numbers(services, done.list_id) == {"+33612345678", "+33698765432"}


def test_a_commit_into_the_blacklist_opts_the_numbers_out(services: Services,
                                                          tmp_path: Path) -> None:
    store = ServicesImportStore(services)
    services.blacklists.opt_out(CUSTOMER, "+33698765432", MANUAL)
    path = tmp_path / "stop.csv"
    write_csv_file(path, [["Téléphone"], ["06 12 34 56 78"], ["06 98 76 54 32"],
                          ["07 51 23 45 67"], ["01 44 55 66 77"]])
    request = ImportRequest(CUSTOMER, TARGET_BLACKLIST, Mapping(("number",), True))

    report = dry_run(path, request, store)
    done = commit(path, request, report.fingerprint, store)

    assert (report.duplicates_in_list, report.landlines, report.to_write) == (1, 1, 2)
    assert done.to_write == 2 and done.list_id is None
    numbers = ["+33612345678", "+33698765432", "+33751234567", "+33144556677"]
    assert services.blacklists.blocked(CUSTOMER, numbers) == dict.fromkeys(numbers[:3],
                                                                           OPTED_OUT)


def test_a_changed_file_is_refused_at_commit_and_nothing_is_written(
        services: Services, tmp_path: Path) -> None:
    store = ServicesImportStore(services)
    path = tmp_path / "contacts.csv"
    write_csv_file(path, [HEADER, ["0612345678", "Dupont", "Jean"]])
    request = ImportRequest(CUSTOMER, TARGET_LIST, CONTACTS, new_list_name="Changed")
    report = dry_run(path, request, store)
    write_csv_file(path, [HEADER, ["0612345678", "Dupont", "Jean"],
                          ["0698765432", "Martin", "Zoé"]])

    with pytest.raises(FileChangedError, match="changed since its dry run"):
        commit(path, request, report.fingerprint, store)

    assert store.list_named(CUSTOMER, "Changed") is None
    assert services.contacts is not None
    assert services.contacts.contacts_with_number(CUSTOMER, "+33612345678") == []


def test_the_l2t_excel2sms_sheet_gives_each_recipient_its_params(services: Services,
                                                                 tmp_path: Path) -> None:
    store = ServicesImportStore(services)
    path = tmp_path / "excel2sms.xlsx"
    write_xlsx_file(path, [["MOBILE", "param1", "param2"], ["21620123456", "lyly", "miyang"],
                           ["0612345678", "Jean", "Dupont"], ["0612", "bad", "number"],
                           ["+33612345678", "Jean", "again"]])
    mapping = Mapping(("number", "param1", "param2"), has_header=True)
    request = ImportRequest(CUSTOMER, TARGET_PERSONALISED, mapping)

    report = dry_run(path, request, store)
    done = commit(path, request, report.fingerprint, store)
    rows = list(personalised_recipients(path, request))

    assert (report.rows_read, report.invalid, report.duplicates_in_file, report.to_write) == (
        4, 1, 1, 2)
    assert done.to_write == 2
    assert rows == [
        ("+21620123456", {"param1": "lyly", "param2": "miyang", "number": "+21620123456"}),
        ("+33612345678", {"param1": "Jean", "param2": "Dupont", "number": "+33612345678"}),
    ]


def test_the_seeds_variable_file_gives_each_recipient_v1_to_v3(services: Services,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "mailing.csv"
    write_csv_file(path, [["Variable1", "Numéro", "Variable2", "Variable3"],
                          ["Jean", "0660919010", "Hédé", "la Pizza"],
                          ["Jérôme", "0660545465", "Rennes", "la Choucroute"]],
                   encoding="cp1252")
    mapping = Mapping(("v1", "number", "v2", "v3"), has_header=True)
    request = ImportRequest(CUSTOMER, TARGET_PERSONALISED, mapping)

    rows = list(personalised_recipients(path, request))

    assert rows == [
        ("+33660919010", {"v1": "Jean", "v2": "Hédé", "v3": "la Pizza",
                          "number": "+33660919010"}),
        ("+33660545465", {"v1": "Jérôme", "v2": "Rennes", "v3": "la Choucroute",
                          "number": "+33660545465"}),
    ]


def test_another_customers_list_is_unknown_and_nothing_is_written(services: Services,
                                                                  tmp_path: Path) -> None:
    store = ServicesImportStore(services)
    path = tmp_path / "contacts.csv"
    write_csv_file(path, [HEADER, ["0612345678", "Dupont", "Jean"]])
    theirs = ImportRequest(CUSTOMER, TARGET_LIST, CONTACTS, new_list_name="Theirs")
    created = commit(path, theirs, dry_run(path, theirs, store).fingerprint, store)
    intruder = uuid4()
    into_theirs = ImportRequest(intruder, TARGET_LIST, CONTACTS, list_id=created.list_id)

    with pytest.raises(UnknownListError):
        dry_run(path, into_theirs, store)
    with pytest.raises(UnknownListError):
        commit(path, into_theirs, created.fingerprint, store)

    assert list_numbers(services, created.list_id) == {"+33612345678"}
    assert services.contacts is not None
    assert services.contacts.contacts_with_number(intruder, "+33612345678") == []


def test_a_spooled_commit_writes_what_the_dry_run_kept_less_what_the_list_gained(
        services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ServicesImportStore(services)
    first, second, spool = tmp_path / "first.csv", tmp_path / "second.xlsx", tmp_path / "s"
    write_csv_file(first, [HEADER, ["0612345678", "Dupont", "Jean"]])
    write_xlsx_file(second, [HEADER, ["0611111111", "Petit", "Luc"],
                             ["0612345678", "Dupont", "Jean"], ["n/a", "Bad", "Row"]])
    into_new = ImportRequest(CUSTOMER, TARGET_LIST, CONTACTS, new_list_name="Clients")
    created = commit(first, into_new, dry_run(first, into_new, store).fingerprint, store)
    into_existing = ImportRequest(CUSTOMER, TARGET_LIST, CONTACTS, list_id=created.list_id)
    before = write_csv_file(tmp_path / "late.csv", [HEADER, ["0611111111", "Petit", "L"]])

    report = dry_run(second, into_existing, store, spool=spool)
    assert (report.to_write, report.duplicates_in_list, report.invalid) == (1, 1, 1)
    late = commit(before, into_existing, dry_run(before, into_existing, store).fingerprint,
                  store)  # another import adds 0611111111 between the dry run and commit
    monkeypatch.setattr(importing, "open_table", reading_again)
    done = commit(second, into_existing, report.fingerprint, store, spool=spool)

    assert late.to_write == 1
    assert (done.to_write, done.duplicates_in_list, done.invalid) == (0, 2, 1)
    assert list_numbers(services, created.list_id) == {"+33612345678", "+33611111111"}
    assert spool.exists()  # the importer's sessions remove it once committed


def reading_again(*_: object) -> None:
    raise AssertionError("the commit read the file again instead of its spool")


def test_a_spool_of_another_file_is_not_used(services: Services, tmp_path: Path) -> None:
    store = ServicesImportStore(services)
    path, other, spool = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "s"
    write_csv_file(path, [HEADER, ["0612345678", "Dupont", "Jean"]])
    write_csv_file(other, [HEADER, ["0698765432", "Martin", "Zoé"]])
    request = ImportRequest(CUSTOMER, TARGET_LIST, CONTACTS, new_list_name="Clients")
    dry_run(other, request, store, spool=spool)  # spooled for b.csv

    done = commit(path, request, dry_run(path, request, store).fingerprint, store, spool=spool)

    assert list_numbers(services, done.list_id) == {"+33612345678"}
