"""The dry-run report of an import, on small in-memory tables and an in-memory store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portevoix.contacts.fields import (
    Consent,
    ContactFields,
    InvalidConsentError,
    ListNameTakenError,
    UnknownListError,
)
from portevoix.contacts.import_rows import parse_date
from portevoix.contacts.importing import (
    TARGET_BLACKLIST,
    TARGET_LIST,
    TARGET_PERSONALISED,
    ImportReport,
    ImportRequest,
    ListChoiceError,
    NoDataRowsError,
    UnknownCountryError,
    UnknownTargetError,
    examine,
)
from portevoix.contacts.mapping import Mapping, MappingError
from portevoix.platform.blacklists import OPTED_OUT, PLATFORM_BLOCK

CUSTOMER = UUID("00000000-0000-0000-0000-0000000000c1")
LIST = UUID("00000000-0000-0000-0000-0000000000a1")
CONTACT_COLUMNS = Mapping(("number", "last_name", "first_name", "email"), has_header=True)
HEADER = ["Portable", "Nom", "Prénom", "E-mail"]


class MemoryTable:
    """A table as the files layer gives it: a format and re-readable rows."""

    format = "csv"

    def __init__(self, rows: Sequence[Sequence[str]]) -> None:
        self._rows = [list(row) for row in rows]
        self.reads = 0

    def rows(self) -> Iterator[list[str]]:
        self.reads += 1
        return iter([list(row) for row in self._rows])


class MemoryStore:
    """The import's store calls on dictionaries: lists, blocks, written contacts."""

    def __init__(self, lists: dict[UUID, set[str]] | None = None,
                 blocked: dict[str, str] | None = None) -> None:
        self.lists = lists if lists is not None else {}
        self.names: dict[str, UUID] = {}
        self.block = blocked or {}
        self.added: list[tuple[UUID, list[ContactFields]]] = []
        self.opted_out: list[str] = []

    def list_exists(self, customer_id: UUID, list_id: UUID) -> bool:
        return customer_id == CUSTOMER and list_id in self.lists

    def list_named(self, customer_id: UUID, name: str) -> UUID | None:
        return self.names.get(name)

    def create_list(self, customer_id: UUID, name: str) -> UUID:
        self.names[name] = list_id = uuid4()
        self.lists[list_id] = set()
        return list_id

    def numbers_in_list(self, list_id: UUID) -> set[str]:
        return set(self.lists[list_id])

    def add_contacts(self, customer_id: UUID, contacts: Sequence[ContactFields],
                     list_id: UUID) -> int:
        self.added.append((list_id, list(contacts)))
        self.lists[list_id].update(c.number for c in contacts)
        return len(contacts)

    def blocked(self, customer_id: UUID, numbers: Sequence[str]) -> dict[str, str]:
        return {n: self.block[n] for n in numbers if n in self.block}

    def opt_out(self, customer_id: UUID, numbers: Sequence[str]) -> int:
        self.opted_out.extend(numbers)
        return len(numbers)


def request(target: str = TARGET_LIST, mapping: Mapping = CONTACT_COLUMNS,
            **options: object) -> ImportRequest:
    if target == TARGET_LIST and "list_id" not in options:
        options.setdefault("new_list_name", "Clients")
    return ImportRequest(CUSTOMER, target, mapping, **options)  # type: ignore[arg-type]


def dry(rows: Sequence[Sequence[str]], req: ImportRequest | None = None,
        store: MemoryStore | None = None) -> ImportReport:
    return examine(MemoryTable(rows), req or request(), store or MemoryStore(), "f" * 64)


def test_a_clean_file_is_all_valid_and_all_to_write() -> None:
    report = dry([HEADER, ["+33612345678", "Dupont", "Jean", "jean@example.com"],
                  ["+33698765432", "Martin", "Éloïse", ""]])

    assert (report.rows_read, report.valid, report.to_write) == (2, 2, 2)
    assert (report.invalid, report.landlines, report.normalised, report.duplicates_in_file,
            report.duplicates_in_list, report.blacklisted) == (0, 0, 0, 0, 0, 0)
    assert report.format == "csv" and report.fingerprint == "f" * 64
    assert not report.committed


def test_national_numbers_are_normalised_and_shown_before_and_after() -> None:
    report = dry([HEADER, ["06 12 34 56 78", "Dupont", "", ""], ["+33698765432", "", "", ""]])

    assert report.normalised == 1 and report.valid == 2
    assert report.samples["normalised"] == ((2, "06 12 34 56 78", "+33612345678"),)


def test_invalid_numbers_are_counted_with_their_reasons() -> None:
    report = dry([HEADER, ["06 12", "", "", ""], ["not a number", "", "", ""],
                  ["", "Sans", "Numéro", ""], ["0612345678", "", "", ""]])

    assert (report.rows_read, report.invalid, report.valid) == (4, 3, 1)
    rows = [(row, raw) for row, raw, _ in report.samples["invalid"]]
    assert rows == [(2, "06 12"), (3, "not a number"), (4, "")]
    assert report.samples["invalid"][0][2] == "4 digits after +33, where numbers of FR have 9"


def test_landlines_are_reported_apart_from_invalid_numbers_and_not_written() -> None:
    report = dry([HEADER, ["01 44 55 66 77", "", "", ""], ["0612345678", "", "", ""]])

    assert (report.landlines, report.invalid, report.to_write) == (1, 0, 1)
    row, raw, detail = report.samples["landlines"][0]
    assert (row, raw) == (2, "01 44 55 66 77")
    assert "+33144556677" in detail and "landline" in detail


def test_a_bad_email_makes_the_row_invalid_with_the_reason() -> None:
    report = dry([HEADER, ["0612345678", "Dupont", "Jean", "jean.example.com"]])

    assert (report.invalid, report.valid, report.to_write) == (1, 0, 0)
    assert report.samples["invalid"] == (
        (2, "0612345678", "not an e-mail address: 'jean.example.com'"),)


def test_a_too_long_field_makes_the_row_invalid_naming_the_field() -> None:
    report = dry([HEADER, ["0612345678", "D" * 101, "Jean", ""]])

    assert report.invalid == 1
    assert report.samples["invalid"][0][2] == "last_name has 101 characters; at most 100 are " \
                                              "allowed"


def test_a_repeated_number_keeps_the_first_row_whatever_its_writing() -> None:
    report = dry([HEADER, ["0612345678", "Premier", "", ""],
                  ["+33 6 12 34 56 78", "Second", "", ""], ["33612345678", "Troisième", "", ""]])

    assert (report.valid, report.duplicates_in_file, report.to_write) == (3, 2, 1)
    assert [row for row, _, _ in report.samples["duplicates_in_file"]] == [3, 4]


def test_numbers_already_in_the_list_are_skipped() -> None:
    store = MemoryStore(lists={LIST: {"+33612345678"}})

    report = dry([HEADER, ["0612345678", "", "", ""], ["0698765432", "", "", ""]],
                 request(list_id=LIST), store)

    assert (report.duplicates_in_list, report.to_write) == (1, 1)
    assert report.samples["duplicates_in_list"] == (
        (2, "0612345678", "+33612345678 is already in the list"),)


def test_blacklisted_numbers_are_counted_and_shown_but_still_imported_into_a_list() -> None:
    store = MemoryStore(blocked={"+33612345678": OPTED_OUT, "+33698765432": PLATFORM_BLOCK})

    report = dry([HEADER, ["0612345678", "", "", ""], ["0698765432", "", "", ""],
                  ["0611111111", "", "", ""]], store=store)

    assert (report.blacklisted, report.to_write) == (2, 3)
    assert [detail for _, _, detail in report.samples["blacklisted"]] == [
        "+33612345678 is opted out", "+33698765432 is blocked by the platform"]


def test_into_the_blacklist_numbers_already_opted_out_are_duplicates_with_the_list() -> None:
    store = MemoryStore(blocked={"+33612345678": OPTED_OUT})
    mapping = Mapping(("number",), has_header=False)

    report = dry([["0612345678"], ["0698765432"]], request(TARGET_BLACKLIST, mapping), store)

    assert (report.duplicates_in_list, report.blacklisted, report.to_write) == (1, 0, 1)


def test_into_the_blacklist_other_columns_are_not_checked() -> None:
    mapping = Mapping(("number", "email"), has_header=False)

    report = dry([["0612345678", "not an address"]], request(TARGET_BLACKLIST, mapping))

    assert (report.valid, report.invalid) == (1, 0)


def test_samples_keep_at_most_twenty_per_category() -> None:
    rows = [HEADER] + [[f"06 12 34 56 {n:02d}", "", "", ""] for n in range(30)]

    report = dry(rows)

    assert report.normalised == 30 and len(report.samples["normalised"]) == 20


def test_rows_without_a_header_start_at_row_one() -> None:
    mapping = Mapping(("last_name", "number"), has_header=False)

    report = dry([["Dupont", "06 12 34 56 78"]], request(mapping=mapping))

    assert report.samples["normalised"] == ((1, "06 12 34 56 78", "+33612345678"),)


def test_short_rows_leave_their_missing_cells_empty() -> None:
    report = dry([HEADER, ["0612345678"], ["0698765432", "Martin"]])

    assert (report.valid, report.invalid) == (2, 0)


def test_a_header_without_data_rows_is_refused() -> None:
    with pytest.raises(NoDataRowsError, match="a header row but no data rows"):
        dry([HEADER])


def test_the_default_country_reads_national_numbers() -> None:
    mapping = Mapping(("number",), has_header=False)

    report = dry([["20 123 456"]], request(TARGET_PERSONALISED, mapping, default_country="TN"))

    assert report.samples["normalised"] == ((1, "20 123 456", "+21620123456"),)


def test_a_mapping_wider_than_the_file_is_refused() -> None:
    mapping = Mapping(("number", "last_name", "email"), has_header=False)

    with pytest.raises(MappingError, match="no column for email"):
        dry([["0612345678", "Dupont"]], request(mapping=mapping))


@pytest.mark.parametrize(("options", "error"), [
    ({"target": "nowhere"}, UnknownTargetError),
    ({"list_id": LIST, "new_list_name": "Clients"}, ListChoiceError),
    ({"new_list_name": ""}, ListChoiceError),
    ({"new_list_name": "Clients", "default_country": "XX"}, UnknownCountryError),
    ({"list_id": uuid4()}, UnknownListError),
    ({"new_list_name": "Existing"}, ListNameTakenError),
    ({"new_list_name": "Clients",
      "consent": Consent("hearsay", datetime(2025, 1, 1, tzinfo=UTC))}, InvalidConsentError),
])
def test_bad_requests_are_refused_before_reading(options: dict[str, object],
                                                 error: type[Exception]) -> None:
    store = MemoryStore(lists={LIST: set()})
    store.names["Existing"] = LIST
    target = str(options.pop("target", TARGET_LIST))
    table = MemoryTable([HEADER, ["0612345678", "", "", ""]])
    req = ImportRequest(CUSTOMER, target, CONTACT_COLUMNS, **options)  # type: ignore[arg-type]

    with pytest.raises(error):
        examine(table, req, store)
    assert table.reads == 0


def test_personalised_columns_in_a_list_import_are_refused() -> None:
    mapping = Mapping(("number", "param1"), has_header=True)

    with pytest.raises(MappingError, match="personalised send"):
        dry([["Mobile", "param1"], ["0612345678", "x"]], request(mapping=mapping))


def test_consent_columns_make_each_rows_consent_and_bad_ones_invalid() -> None:
    mapping = Mapping(("number", "consent_source", "consent_date"), has_header=True)
    rows = [["Mobile", "Source", "Date"], ["0612345678", "web_form", "31/03/2025"],
            ["0698765432", "web_form", "yesterday"], ["0611111111", "rumour", "2025-03-31"],
            ["0622222222", "", ""]]

    report = dry(rows, request(mapping=mapping))

    assert (report.valid, report.invalid) == (2, 2)
    reasons = [detail for _, _, detail in report.samples["invalid"]]
    assert "consent_date 'yesterday' is no date" in reasons[0]
    assert "source 'rumour'" in reasons[1]


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-03-31", datetime(2025, 3, 31, tzinfo=UTC)),
    ("2025-03-31 14:05:00", datetime(2025, 3, 31, 14, 5, tzinfo=UTC)),
    ("31/03/2025", datetime(2025, 3, 31, tzinfo=UTC)),
    ("31/03/2025 14:05", datetime(2025, 3, 31, 14, 5, tzinfo=UTC)),
    ("2025-03-31T14:05:00+02:00", datetime(2025, 3, 31, 12, 5, tzinfo=UTC)),
])
def test_consent_dates_in_iso_or_french_form(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected


cells = st.one_of(
    st.from_regex(r"0[67] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2}", fullmatch=True),
    st.sampled_from(["01 44 55 66 77", "0612", "+33612345678", "", "abc", "+999 12"]))
emails = st.sampled_from(["", "jean@example.com", "not an address"])


@given(st.lists(st.tuples(cells, emails), min_size=1, max_size=40),
       st.sets(st.sampled_from(["+33612345678", "+33712345678"])))
def test_every_row_is_counted_once_and_what_is_written_is_what_is_left(
        rows: list[tuple[str, str]], in_list: set[str]) -> None:
    store = MemoryStore(lists={LIST: in_list}, blocked={"+33612345678": OPTED_OUT})
    mapping = Mapping(("number", "email"), has_header=False)

    report = dry([list(row) for row in rows], request(mapping=mapping, list_id=LIST), store)

    assert report.rows_read == len(rows)
    assert report.rows_read == report.valid + report.invalid + report.landlines
    assert report.to_write == (report.valid - report.duplicates_in_file
                               - report.duplicates_in_list)
    assert report.normalised <= report.valid and report.blacklisted <= report.to_write
    for category, found in report.samples.items():
        assert len(found) == min(getattr(report, category), 20)
