"""ODS details: repeated rows and cells, LibreOffice's million trailing empty rows, text
spread over paragraphs and spans, value types."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from portevoix.contacts.files import FileRejectedError, open_table
from tests.unit.contacts.table_files import write_ods_file

NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def write_content(path: Path, table: str) -> Path:
    """A minimal ODS package around one ``<table:table>``'s content."""
    content = (f'<office:document-content {NAMESPACES}><office:body><office:spreadsheet>'
               f'<table:table table:name="S">{table}</table:table>'
               f'<table:table table:name="T"><table:table-row><table:table-cell '
               f'office:value-type="string"><text:p>second</text:p></table:table-cell>'
               f'</table:table-row></table:table></office:spreadsheet></office:body>'
               f'</office:document-content>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def text(value: str, repeat: int = 1) -> str:
    return (f'<table:table-cell table:number-columns-repeated="{repeat}" '
            f'office:value-type="string"><text:p>{value}</text:p></table:table-cell>')


def test_a_million_trailing_empty_rows_are_skipped_at_once(tmp_path: Path) -> None:
    path = write_ods_file(tmp_path / "c.ods", [["Mobile"], [33612345678]],
                          trailing_empty_rows=1_048_000)
    started = time.perf_counter()

    rows = list(open_table(path).rows())

    assert rows == [["Mobile"], ["33612345678"]]
    assert time.perf_counter() - started < 2


def test_repeated_rows_and_cells_are_expanded_when_not_empty(tmp_path: Path) -> None:
    table = (f'<table:table-row table:number-rows-repeated="2">{text("x", 2)}'
             f'<table:table-cell table:number-columns-repeated="3"/>'
             f'{text("y")}</table:table-row>')
    path = write_content(tmp_path / "c.ods", table)

    assert list(open_table(path).rows()) == [["x", "x", "", "", "", "y"]] * 2


def test_a_value_after_a_thousand_empty_columns_is_past_the_limit(tmp_path: Path) -> None:
    table = (f'<table:table-row><table:table-cell table:number-columns-repeated="1000"/>'
             f'{text("y")}</table:table-row>')
    path = write_content(tmp_path / "c.ods", table)

    with pytest.raises(FileRejectedError) as refused:
        list(open_table(path).rows())

    assert (refused.value.code, refused.value.row) == ("too_many_columns", 1)


def test_repeated_rows_keep_their_numbers(tmp_path: Path) -> None:
    table = (f'<table:table-row table:number-rows-repeated="3">{text("x", 2)}</table:table-row>'
             f'<table:table-row table:number-rows-repeated="5"><table:table-cell/>'
             f'</table:table-row><table:table-row>{text("z" * 2001)}</table:table-row>')
    path = write_content(tmp_path / "c.ods", table)
    rows = open_table(path).rows()

    assert [next(rows) for _ in range(3)] == [["x", "x"]] * 3
    with pytest.raises(FileRejectedError) as refused:
        next(rows)
    assert (refused.value.code, refused.value.row) == ("cell_too_long", 9)


def test_paragraphs_spans_spaces_and_covered_cells(tmp_path: Path) -> None:
    table = ('<table:table-header-rows><table:table-row>'
             '<table:table-cell table:number-columns-spanned="2" office:value-type="string">'
             '<text:p>Jean<text:s text:c="2"/>Paul</text:p><text:p>'
             '<text:span>Du</text:span>pont<text:tab/>!</text:p></table:table-cell>'
             '<table:covered-table-cell/><table:table-cell office:value-type="string">'
             '<text:p>c</text:p></table:table-cell></table:table-row></table:table-header-rows>')
    path = write_content(tmp_path / "c.ods", table)

    assert list(open_table(path).rows()) == [["Jean  Paul\nDupont\t!", "", "c"]]


@pytest.mark.parametrize(("cell", "expected"), [
    ('office:value-type="float" office:value="3.3612345678E10"', "33612345678"),
    ('office:value-type="percentage" office:value="0.5"', "0.5"),
    ('office:value-type="currency" office:value="12.50"', "12.5"),
    ('office:value-type="date" office:date-value="2024-03-05T14:30:00.123"',
     "2024-03-05T14:30:00"),
    ('office:value-type="date" office:date-value="2024-03-05"', "2024-03-05"),
    ('office:value-type="time" office:time-value="PT14H30M00S"', "14:30:00"),
    ('office:value-type="boolean" office:boolean-value="true"', "TRUE"),
])
def test_value_types(tmp_path: Path, cell: str, expected: str) -> None:
    table = f'<table:table-row><table:table-cell {cell}><text:p>shown</text:p>' \
            f'</table:table-cell></table:table-row>'
    path = write_content(tmp_path / "c.ods", table)

    assert list(open_table(path).rows()) == [[expected]]


def test_a_non_empty_row_repeated_past_any_sheet_is_refused(tmp_path: Path) -> None:
    table = f'<table:table-row table:number-rows-repeated="999999999">{text("x")}' \
            f'</table:table-row>'
    path = write_content(tmp_path / "c.ods", table)

    with pytest.raises(FileRejectedError) as refused:
        list(open_table(path).rows())

    assert refused.value.code == "corrupt"
