"""Imports of real files of every format and encoding into real services: what the dry run
reports, what the commit writes, and the files the import refuses without writing anything.

The services are built once per module on SQLite (the storage side of imports is tested on
SQLite and PostgreSQL in ``test_contacts_import_commit.py``); each test has its own customer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from portevoix.contacts.files import FileRejectedError, open_table
from portevoix.contacts.import_store import ServicesImportStore
from portevoix.contacts.importing import (
    TARGET_LIST,
    ImportRequest,
    NoDataRowsError,
    commit,
    dry_run,
)
from portevoix.contacts.mapping import Mapping, guess_mapping
from portevoix.services import Services, build_services
from portevoix.settings import Settings
from tests.unit.contacts.table_files import (
    write_csv_file,
    write_ods_file,
    write_xls_file,
    write_xlsx_file,
    write_zip_bomb_xlsx,
)

pytestmark = pytest.mark.timeout(120)

FRENCH = [["Numéro", "Nom", "Prénom", "Société"],
          ["06 12 34 56 78", "Lefèvre", "Éloïse", "Société Générale d'Hédé"],
          ["+33698765432", "N'Diaye", "Zoé", "Boulangerie « Chez Noël »"],
          ["0033 7 51 23 45 67", "Müller", "Jérôme", "Crème & Café; Cie"]]
NUMBERS = {"+33612345678", "+33698765432", "+33751234567"}
Writer = Callable[[Path, Sequence[Sequence[str]]], None]

WRITERS: dict[str, tuple[str, Writer]] = {
    "csv-utf8": ("contacts.csv", write_csv_file),
    "csv-utf8-bom": ("contacts.csv", lambda p, rows: write_csv_file(p, rows, bom=True)),
    "csv-cp1252": ("contacts.csv",
                   lambda p, rows: write_csv_file(p, rows, encoding="cp1252")),
    "csv-comma": ("contacts.csv", lambda p, rows: write_csv_file(p, rows, delimiter=",")),
    "csv-tab": ("contacts.txt", lambda p, rows: write_csv_file(p, rows, delimiter="\t")),
    "xlsx": ("contacts.xlsx", write_xlsx_file),
    "xls": ("contacts.xls", write_xls_file),
    "ods": ("contacts.ods", write_ods_file),
}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder = tmp_path_factory.mktemp("imports")
    built = build_services(Settings(database_url=f"sqlite:///{folder}/portevoix.db",
                                    secret_key="test"))
    yield built
    built.close()


def guessed(path: Path) -> Mapping:
    return guess_mapping(list(islice(open_table(path).rows(), 20)), TARGET_LIST)


def into_new_list(mapping: Mapping, name: str = "Clients") -> ImportRequest:
    return ImportRequest(uuid4(), TARGET_LIST, mapping, new_list_name=name)


def written_values(services: Services, customer_id: UUID, list_id: UUID
                   ) -> dict[str, dict[str, str]]:
    assert services.contacts is not None
    return dict(services.contacts.recipients(customer_id, [list_id]))


@pytest.mark.parametrize("kind", list(WRITERS))
def test_each_format_and_encoding_is_imported_with_its_french_text_intact(
        services: Services, tmp_path: Path, kind: str) -> None:
    name, write = WRITERS[kind]
    path = tmp_path / name
    write(path, FRENCH)
    store = ServicesImportStore(services)
    request = into_new_list(guessed(path))

    report = dry_run(path, request, store)
    done = commit(path, request, report.fingerprint, store)

    assert request.mapping == Mapping(("number", "last_name", "first_name", "company"), True)
    assert (report.rows_read, report.valid, report.normalised, report.to_write) == (3, 3, 2, 3)
    assert report.format == name.rsplit(".", 1)[1].replace("txt", "csv")
    assert done.committed and done.to_write == 3 and done.list_id is not None
    values = written_values(services, request.customer_id, done.list_id)
    assert set(values) == NUMBERS
    assert (values["+33612345678"]["first_name"], values["+33612345678"]["company"]) == (
        "Éloïse", "Société Générale d'Hédé")
    assert values["+33751234567"]["company"] == "Crème & Café; Cie"


INVALID_NUMBERS = {9: "0612", 19: "06abc", 29: "", 39: "+999 123"}
LANDLINES = {10: "01 44 55 66 10", 40: "01 44 55 66 40", 70: "04 72 00 00 70"}
BAD_EMAILS = (20, 50)
REPEAT = 80  # the number of row 0 again


def bad_tenth() -> list[list[str]]:
    """100 rows, a tenth of them bad: 4 invalid numbers, 3 landlines, 2 bad e-mails and
    1 repeat of an earlier number; data row n is the file's row n + 2."""
    rows = [["Portable", "Nom", "E-mail"]]
    for n in range(100):
        number = {**INVALID_NUMBERS, **LANDLINES, REPEAT: "+33600000000"}.get(
            n, f"06 00 00 {n:02d} {n:02d}")
        email = "personne(at)example.fr" if n in BAD_EMAILS else f"p{n}@example.fr"
        rows.append([number, f"Nom {n}", email])
    return rows


def test_a_file_with_a_tenth_of_bad_rows_is_counted_exactly(services: Services,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    write_csv_file(path, bad_tenth())
    store = ServicesImportStore(services)
    request = into_new_list(guessed(path))

    report = dry_run(path, request, store)
    done = commit(path, request, report.fingerprint, store)

    assert (report.rows_read, report.invalid, report.landlines, report.duplicates_in_file) == (
        100, 6, 3, 1)
    assert (report.valid, report.normalised, report.to_write) == (91, 90, 90)
    invalid = {(row, raw) for row, raw, _ in report.samples["invalid"]}
    assert invalid == {(n + 2, raw) for n, raw in INVALID_NUMBERS.items()} | {
        (n + 2, f"06 00 00 {n:02d} {n:02d}") for n in BAD_EMAILS}
    emails = [(row, detail) for row, _, detail in report.samples["invalid"] if "e-mail" in detail]
    assert emails == [(22, "not an e-mail address: 'personne(at)example.fr'"),
                      (52, "not an e-mail address: 'personne(at)example.fr'")]
    assert [row for row, _, _ in report.samples["landlines"]] == [12, 42, 72]
    assert report.samples["duplicates_in_file"][0][:2] == (82, "+33600000000")
    assert done.to_write == 90 and done.list_id is not None
    assert len(written_values(services, request.customer_id, done.list_id)) == 90


def test_an_empty_file_is_refused_and_nothing_is_written(services: Services,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    store = ServicesImportStore(services)
    request = into_new_list(Mapping(("number",), has_header=False))

    with pytest.raises(FileRejectedError) as refused:
        dry_run(path, request, store)
    with pytest.raises(FileRejectedError):
        commit(path, request, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               store)

    assert refused.value.code == "empty"
    assert store.list_named(request.customer_id, "Clients") is None


def test_a_file_of_headers_only_is_refused_and_nothing_is_written(services: Services,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "headers.xlsx"
    write_xlsx_file(path, [["Portable", "Nom", "Prénom"]])
    store = ServicesImportStore(services)
    request = into_new_list(Mapping(("number", "last_name", "first_name"), has_header=True))

    with pytest.raises(NoDataRowsError, match="a header row but no data rows"):
        dry_run(path, request, store)
    with pytest.raises(NoDataRowsError):
        commit(path, request, _sha256(path), store)

    assert store.list_named(request.customer_id, "Clients") is None


def test_a_binary_file_renamed_csv_is_refused_with_the_files_code(services: Services,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 64)
    store = ServicesImportStore(services)
    request = into_new_list(Mapping(("number",), has_header=False))

    with pytest.raises(FileRejectedError) as refused:
        dry_run(path, request, store)
    with pytest.raises(FileRejectedError):
        commit(path, request, _sha256(path), store)

    assert refused.value.code == "not_a_table"
    assert store.list_named(request.customer_id, "Clients") is None


def test_a_zip_bomb_is_refused_with_the_files_code(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    write_zip_bomb_xlsx(path)
    store = ServicesImportStore(services)
    request = into_new_list(Mapping(("number",), has_header=False))

    with pytest.raises(FileRejectedError) as refused:
        dry_run(path, request, store)
    with pytest.raises(FileRejectedError):
        commit(path, request, _sha256(path), store)

    assert refused.value.code == "zip_bomb"
    assert store.list_named(request.customer_id, "Clients") is None


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
