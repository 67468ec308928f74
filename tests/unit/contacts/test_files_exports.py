"""Exports open cleanly in Excel and LibreOffice, never run a contact's text as a formula,
and read back through the import unchanged."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from portevoix.contacts.files import neutralise, open_table, write_csv, write_xlsx

EVIL = '=HYPERLINK("http://evil","x")'


@pytest.mark.parametrize(("value", "written"), [
    (EVIL, "'" + EVIL),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("+33612345678", "+33612345678"),
    ("+33 6 12 34 56 78", "+33 6 12 34 56 78"),
    ("-12", "-12"),
    ("-12,5", "-12,5"),
    ("Dupont", "Dupont"),
    ("a=b", "a=b"),
    ("", ""),
])
def test_neutralise(value: str, written: str) -> None:
    assert neutralise(value) == written


def test_csv_is_excel_french_by_default() -> None:
    out = io.BytesIO()

    write_csv(["Mobile", "Nom"], [["+33612345678", "Hélène"], [None, 12]], out)

    assert out.getvalue() == (
        b'\xef\xbb\xbf"Mobile";"Nom"\r\n"+33612345678";"H\xc3\xa9l\xc3\xa8ne"\r\n"";"12"\r\n'
    )


def test_csv_in_windows_1252_with_commas() -> None:
    out = io.BytesIO()

    write_csv(["Nom"], [["Garçon €"]], out, delimiter=",", encoding="cp1252")

    assert out.getvalue() == b'"Nom"\r\n"Gar\xe7on \x80"\r\n'


def test_csv_leaves_the_stream_open() -> None:
    out = io.BytesIO()

    write_csv(["Nom"], [], out)

    assert not out.closed


def test_a_formula_exported_to_csv_reads_back_as_text(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with path.open("wb") as out:
        write_csv(["Nom", "Mobile"], [[EVIL, "+33612345678"]], out)

    assert list(open_table(path).rows()) == [["Nom", "Mobile"], ["'" + EVIL, "+33612345678"]]


def test_a_formula_exported_to_xlsx_is_a_string_cell(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    with path.open("wb") as out:
        write_xlsx(["Nom", "Mobile"], [[EVIL, "+33612345678"]], out)

    sheet = load_workbook(path)["Contacts"]

    assert [(cell.value, cell.data_type) for cell in sheet[2]] == [
        ("'" + EVIL, "s"), ("+33612345678", "s")
    ]


def test_xlsx_keeps_numbers_and_dates_and_drops_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    moment = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    with path.open("wb") as out:
        write_xlsx(["n", "d", "t", "s"], [[33612345678, date(2024, 3, 5), moment, "a\x01b"]],
                   out, sheet="Liste")

    assert list(open_table(path).rows()) == [
        ["n", "d", "t", "s"], ["33612345678", "2024-03-05", "2024-03-05T14:30:00+00:00", "ab"]
    ]


def test_csv_writes_dates_and_booleans_as_text() -> None:
    out = io.BytesIO()

    write_csv(["d", "b"], [[date(2024, 3, 5), True]], out, encoding="utf-8")

    assert out.getvalue() == b'"d";"b"\r\n"2024-03-05";"TRUE"\r\n'


# Any text without NUL (nor other control characters, which make a file look binary)
# survives an export and an import, apart from the neutralising quote and the stripping.
CELL = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t\r\n"),
    max_size=30,
)
TABLE = st.integers(1, 5).flatmap(
    lambda width: st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=8)
)


def as_imported(rows: list[list[str]]) -> list[list[str]]:
    imported = []
    for row in rows:
        cells = [neutralise(cell).strip() for cell in row]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            imported.append(cells)
    return imported


@settings(max_examples=60, deadline=None)
@given(header=st.lists(st.text("abcdefghij", min_size=1, max_size=8), min_size=1, max_size=5),
       rows=TABLE)
def test_csv_round_trip(tmp_path_factory: pytest.TempPathFactory, header: list[str],
                        rows: list[list[str]]) -> None:
    path = tmp_path_factory.mktemp("round") / "export.csv"
    with path.open("wb") as out:
        write_csv(header, rows, out)

    assert list(open_table(path).rows()) == as_imported([header, *rows])


@settings(max_examples=15, deadline=None)
@given(rows=TABLE)
def test_xlsx_round_trip(tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]) -> None:
    path = tmp_path_factory.mktemp("round") / "export.xlsx"
    with path.open("wb") as out:
        write_xlsx(["h"], rows, out)

    assert list(open_table(path).rows()) == as_imported([["h"], *rows])
