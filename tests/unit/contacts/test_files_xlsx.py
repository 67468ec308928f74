"""XLSX as Excel itself writes it (shared strings, styles, cell references, formulas with
their cached values), built part by part so each case is exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from portevoix.contacts.files import FileRejectedError, Limits, open_table
from portevoix.contacts.files.xlsx import is_date_format
from tests.unit.contacts.table_files import write_xlsx_parts


def rows_of(path: Path, limits: Limits | None = None) -> list[list[str]]:
    return list(open_table(path, limits=limits or Limits()).rows())


def test_shared_strings_and_numbers_in_a_sheet_not_named_sheet1(tmp_path: Path) -> None:
    sheet = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
             '<row r="2"><c r="A2"><v>3.3612345678E10</v></c><c r="B2" t="s"><v>2</v></c></row>')
    path = write_xlsx_parts(tmp_path / "c.xlsx", sheet, ["Mobile", "Nom", "Hélène"],
                            sheet_part="xl/worksheets/feuille_contacts.xml")

    assert rows_of(path) == [["Mobile", "Nom"], ["33612345678", "Hélène"]]


def test_cell_references_place_cells_when_some_are_missing(tmp_path: Path) -> None:
    sheet = ('<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c>'
             '<c r="D1" t="inlineStr"><is><t>d</t></is></c><c r="C1"><v>3</v></c></row>'
             '<row r="5"><c r="B5"><v>2</v></c></row>')
    path = write_xlsx_parts(tmp_path / "c.xlsx", sheet)

    assert rows_of(path) == [["a", "", "3", "d"], ["", "2"]]


def test_cells_and_rows_without_references_follow_each_other(tmp_path: Path) -> None:
    sheet = "<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>"

    assert rows_of(write_xlsx_parts(tmp_path / "c.xlsx", sheet)) == [["1", "2"], ["3"]]


def test_rich_text_runs_are_joined_and_phonetic_guides_dropped(tmp_path: Path) -> None:
    sheet = ('<row r="1"><c r="A1" t="inlineStr"><is><r><t>Bou</t></r><r><rPr/><t>langerie</t>'
             '</r><rPh><t>ignored</t></rPh></is></c></row>')

    assert rows_of(write_xlsx_parts(tmp_path / "c.xlsx", sheet)) == [["Boulangerie"]]


@pytest.mark.parametrize(("cell", "expected"), [
    ('<c r="A1" t="b"><v>1</v></c>', "TRUE"),
    ('<c r="A1" t="b"><v>0</v></c>', "FALSE"),
    ('<c r="A1" t="e"><v>#N/A</v></c>', "#N/A"),
    ('<c r="A1" t="str"><f>A2&amp;"x"</f><v>0612x</v></c>', "0612x"),
    ('<c r="A1"><f>1+1</f><v>2</v></c>', "2"),
    ('<c r="A1" t="d"><v>2024-03-05T00:00:00Z</v></c>', "2024-03-05"),
    ('<c r="A1"><v>-0</v></c>', "0"),
    ('<c r="A1"><v>123456789012345678</v></c>', "123456789012346000"),
])
def test_cell_types(tmp_path: Path, cell: str, expected: str) -> None:
    path = write_xlsx_parts(tmp_path / "c.xlsx", f'<row r="1">{cell}</row>')

    assert rows_of(path) == [[expected]]


def test_dates_are_found_from_builtin_and_custom_formats(tmp_path: Path) -> None:
    # s=0 General, s=1 built-in 14 (date), s=2 custom dd/mm/yyyy hh:mm, s=3 custom h:mm
    # (a time), s=4 custom 0.00 (a number)
    formats = {164: "dd/mm/yyyy\\ hh:mm", 165: "[$-40C]h:mm", 166: "0.00"}
    sheet = ('<row r="1"><c r="A1"><v>45356</v></c><c r="B1" s="1"><v>45356</v></c>'
             '<c r="C1" s="2"><v>45356.604166666664</v></c><c r="D1" s="3"><v>0.5</v></c>'
             '<c r="E1" s="4"><v>45356</v></c></row>')
    path = write_xlsx_parts(tmp_path / "c.xlsx", sheet, number_formats=formats,
                            cell_formats=[0, 14, 164, 165, 166])

    assert rows_of(path) == [["45356", "2024-03-05", "2024-03-05T14:30:00", "0.5", "45356"]]


def test_the_1904_date_system_is_honoured(tmp_path: Path) -> None:
    sheet = '<row r="1"><c r="A1" s="1"><v>43894</v></c></row>'
    path = write_xlsx_parts(tmp_path / "c.xlsx", sheet, cell_formats=[0, 14], date1904=True)

    assert rows_of(path) == [["2024-03-05"]]


def test_a_chart_sheet_first_is_passed_over(tmp_path: Path) -> None:
    sheet = '<row r="1"><c r="A1"><v>7</v></c></row>'
    path = write_xlsx_parts(tmp_path / "c.xlsx", sheet, first_sheet_is_chart=True)

    assert rows_of(path) == [["7"]]


def test_formatting_far_to_the_right_is_not_a_column(tmp_path: Path) -> None:
    sheet = '<row r="1"><c r="A1"><v>1</v></c><c r="XFD1" s="0"/></row>'

    assert rows_of(write_xlsx_parts(tmp_path / "c.xlsx", sheet)) == [["1"]]


def test_a_value_beyond_the_column_limit_is_refused(tmp_path: Path) -> None:
    sheet = '<row r="3"><c r="A3"><v>1</v></c><c r="BZ3"><v>2</v></c></row>'
    table = open_table(write_xlsx_parts(tmp_path / "c.xlsx", sheet))

    with pytest.raises(FileRejectedError) as refused:
        list(table.rows())

    assert (refused.value.code, refused.value.row) == ("too_many_columns", 3)


def test_a_long_shared_string_is_refused_with_its_cell(tmp_path: Path) -> None:
    sheet = '<row r="812"><c r="C812" t="s"><v>0</v></c></row>'
    path = write_xlsx_parts(tmp_path / "c.xlsx", sheet, ["x" * 2_001])

    with pytest.raises(FileRejectedError) as refused:
        rows_of(path)

    assert (refused.value.code, refused.value.row) == ("cell_too_long", 812)
    assert "C812" in refused.value.message


@pytest.mark.parametrize("sheet", [
    '<row r="1"><c r="A1" t="s"><v>9</v></c></row>',
    '<row r="1"><c r="A1"><v>1</v></c>',
    '<row r="1"><c r="1A"><v>1</v></c></row>',
    '<row r="abc"><c><v>1</v></c></row>',
])
def test_a_damaged_sheet_is_refused_as_corrupt(tmp_path: Path, sheet: str) -> None:
    table = open_table(write_xlsx_parts(tmp_path / "c.xlsx", sheet))

    with pytest.raises(FileRejectedError) as refused:
        list(table.rows())

    assert refused.value.code == "corrupt"


@pytest.mark.parametrize(("code", "is_date"), [
    ("dd/mm/yyyy", True), ("d-mmm-yy", True), ("mmmm yyyy", True), ("[$-40C]dddd d mmmm", True),
    ("yyyy-mm-dd;@", True), ("mmm", True), ("h:mm", False), ("[h]:mm:ss", False),
    ("mm:ss", False), ("General", False), ("0.00", False), ('#,##0 "days"', False),
    ('0\\d', False), ("[Red]0.00", False), ("# ##0,00 €", False),
])
def test_date_format_codes(code: str, is_date: bool) -> None:
    assert is_date_format(code) is is_date
