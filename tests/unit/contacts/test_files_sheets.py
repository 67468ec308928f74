"""XLSX, XLS and ODS files written by their usual libraries read the same: phone numbers
stored as numbers come out as digits, dates in ISO 8601, missing cells as empty strings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from portevoix.contacts.files import open_table
from tests.unit.contacts.table_files import write_ods_file, write_xls_file, write_xlsx_file

Writer = Callable[[Path, list[list[object]]], Path]
WRITERS: dict[str, Writer] = {
    "xlsx": write_xlsx_file, "xls": write_xls_file, "ods": write_ods_file,
}


@pytest.fixture(params=sorted(WRITERS))
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def write(tmp_path: Path, fmt: str, rows: list[list[object]]) -> Path:
    # The extension lies on purpose: the format is told from the bytes.
    return WRITERS[fmt](tmp_path / "contacts.csv", rows)


def test_the_format_is_told_from_the_bytes(tmp_path: Path, fmt: str) -> None:
    table = open_table(write(tmp_path, fmt, [["Mobile"]]))

    assert (table.format, table.encoding, table.delimiter) == (fmt, None, None)


def test_phone_numbers_stored_as_numbers_come_out_as_digits(tmp_path: Path, fmt: str) -> None:
    rows: list[list[object]] = [["Mobile"], [33612345678], [33612345678.0], [612345678]]

    assert list(open_table(write(tmp_path, fmt, rows)).rows()) == [
        ["Mobile"], ["33612345678"], ["33612345678"], ["612345678"]
    ]


def test_other_numbers_are_shown_without_exponent(tmp_path: Path, fmt: str) -> None:
    rows: list[list[object]] = [[12.5, -3, 0.1 + 0.2, 1e-7]]

    assert list(open_table(write(tmp_path, fmt, rows)).rows()) == [
        ["12.5", "-3", "0.3", "0.0000001"]
    ]


def test_dates_come_out_in_iso_8601(tmp_path: Path, fmt: str) -> None:
    rows: list[list[object]] = [["Né le", "Rendez-vous"],
                                [date(2024, 3, 5), datetime(2024, 3, 5, 14, 30, 15)]]

    assert list(open_table(write(tmp_path, fmt, rows)).rows()) == [
        ["Né le", "Rendez-vous"], ["2024-03-05", "2024-03-05T14:30:15"]
    ]


def test_missing_cells_are_empty_and_empty_rows_skipped(tmp_path: Path, fmt: str) -> None:
    rows: list[list[object]] = [["Mobile", "Nom", "Prénom"], [None, "Dupont", None, None],
                                [None, None], ["0612345678", None, "Luc"]]

    assert list(open_table(write(tmp_path, fmt, rows)).rows()) == [
        ["Mobile", "Nom", "Prénom"], ["", "Dupont"], ["0612345678", "", "Luc"]
    ]


def test_text_keeps_accents_and_line_breaks_and_is_stripped(tmp_path: Path, fmt: str) -> None:
    rows: list[list[object]] = [["  Hélène  ", "Garçon\nœuvre €", "a \"quoted\" <tag> & co"]]

    assert list(open_table(write(tmp_path, fmt, rows)).rows()) == [
        ["Hélène", "Garçon\nœuvre €", "a \"quoted\" <tag> & co"]
    ]


def test_a_header_alone_is_one_row(tmp_path: Path, fmt: str) -> None:
    table = open_table(write(tmp_path, fmt, [["Mobile", "Nom", "Prénom"]]))

    assert list(table.rows()) == [["Mobile", "Nom", "Prénom"]]


def test_rows_can_be_read_twice(tmp_path: Path, fmt: str) -> None:
    table = open_table(write(tmp_path, fmt, [["Mobile"], [33612345678]]))

    assert list(table.rows()) == list(table.rows()) == [["Mobile"], ["33612345678"]]


def test_only_the_first_sheet_is_read(tmp_path: Path) -> None:
    # write_ods_file adds a second table holding "not in the first sheet"
    path = write_ods_file(tmp_path / "c.ods", [["Mobile"], ["0612"]])

    assert list(open_table(path).rows()) == [["Mobile"], ["0612"]]
