"""CSV as French Excel, LibreOffice and other tools write it: the encoding and the separator
are found from the bytes, quoted fields keep their separators, quotes and line breaks."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from portevoix.contacts.files import FileRejectedError, Limits, open_table
from tests.unit.contacts.table_files import write_csv_file

ACCENTS = [["Numéro", "Nom", "Note"], ["0612345678", "Hélène Bèze", "Garçon, œuvre: 12 €"]]


@pytest.mark.parametrize(("encoding", "bom", "detected"), [
    ("utf-8", False, "utf-8"),
    ("utf-8", True, "utf-8-sig"),
    ("cp1252", False, "cp1252"),
])
def test_encoding_is_detected_and_accents_survive(
    tmp_path: Path, encoding: str, bom: bool, detected: str
) -> None:
    path = write_csv_file(tmp_path / "c.csv", ACCENTS, encoding=encoding, bom=bom)

    table = open_table(path)

    assert (table.format, table.encoding) == ("csv", detected)
    assert list(table.rows()) == ACCENTS


def test_excel_unicode_text_is_utf16_with_tabs(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "Nom\tNuméro\r\nœuf\t0612\r\n".encode("utf-16-le"))

    table = open_table(path)

    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert list(table.rows()) == [["Nom", "Numéro"], ["œuf", "0612"]]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_separator_is_detected(tmp_path: Path, delimiter: str) -> None:
    rows = [["Mobile", "Nom", "Ville"], ["0612345678", "Dupont", "Paris"],
            ["0698765432", "Martin", "Lyon"]]
    path = write_csv_file(tmp_path / "c.csv", rows, delimiter=delimiter)

    table = open_table(path)

    assert table.delimiter == delimiter
    assert list(table.rows()) == rows


def test_semicolon_wins_over_decimal_commas(tmp_path: Path) -> None:
    rows = [["Nom", "Solde", "Tel"], ["Dupont", "12,5", "0612"], ["Martin", "3,25", "0613"]]
    path = write_csv_file(tmp_path / "c.csv", rows, delimiter=";")

    assert open_table(path).delimiter == ";"


def test_quoted_fields_keep_separators_quotes_and_line_breaks(tmp_path: Path) -> None:
    rows = [["Nom", "Adresse"], ['Dupont; "Jean"', "1 rue de la Paix\r\n75002 Paris"],
            ["Martin", "a,b;c|d\te"]]
    path = write_csv_file(tmp_path / "c.csv", rows, delimiter=";")

    assert list(open_table(path).rows()) == rows


def test_cells_are_stripped_trailing_empties_dropped_empty_rows_skipped(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Nom;Tel;;\r\n  Dupont ; 0612 ;;\r\n;;;\r\n\r\n;0613\r\n", encoding="utf-8")

    assert list(open_table(path).rows()) == [["Nom", "Tel"], ["Dupont", "0612"], ["", "0613"]]


def test_a_header_alone_is_one_row(tmp_path: Path) -> None:
    path = write_csv_file(tmp_path / "c.csv", [["Mobile", "Nom", "Prénom"]])

    assert list(open_table(path).rows()) == [["Mobile", "Nom", "Prénom"]]


def test_a_single_column_of_numbers_is_read(tmp_path: Path) -> None:
    path = write_csv_file(tmp_path / "c.csv", [["Numéro"], ["0612345678"], ["+33698765432"]])

    assert list(open_table(path).rows()) == [["Numéro"], ["0612345678"], ["+33698765432"]]


def test_rows_can_be_read_twice(tmp_path: Path) -> None:
    path = write_csv_file(tmp_path / "c.csv", ACCENTS)
    table = open_table(path)

    assert list(table.rows()) == list(table.rows()) == ACCENTS


@pytest.mark.parametrize("content", [b"\r\n\r\n  \r\n", codecs.BOM_UTF8, b"   "])
def test_a_file_without_text_is_empty(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(content)

    with pytest.raises(FileRejectedError) as refused:
        open_table(path)

    assert refused.value.code == "empty"


def test_a_cell_too_long_names_its_row(tmp_path: Path) -> None:
    rows = [["Nom", "Note"]] + [["x", "ok"]] * 810 + [["Dupont", "y" * 2001]]
    path = write_csv_file(tmp_path / "c.csv", rows)
    table = open_table(path)

    with pytest.raises(FileRejectedError) as refused:
        list(table.rows())

    assert (refused.value.code, refused.value.row) == ("cell_too_long", 812)
    assert "B812" in str(refused.value)


def test_too_many_columns_is_refused(tmp_path: Path) -> None:
    path = write_csv_file(tmp_path / "c.csv", [["a", "b"], [str(i) for i in range(65)]])

    with pytest.raises(FileRejectedError) as refused:
        list(open_table(path).rows())

    assert (refused.value.code, refused.value.row) == ("too_many_columns", 2)


def test_an_unclosed_quote_is_refused_without_reading_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('Nom;Note\r\nDupont;"never closed\r\n' + "filler line\r\n" * 20_000)
    limits = Limits(max_cell_chars=100, max_columns=4)

    with pytest.raises(FileRejectedError) as refused:
        list(open_table(path, limits=limits).rows())

    assert (refused.value.code, refused.value.row) == ("cell_too_long", 2)


def test_one_huge_line_of_separators_is_refused_as_too_many_columns(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("a;b\r\n" + ";x" * 200_000 + "\r\n")

    with pytest.raises(FileRejectedError) as refused:
        list(open_table(path).rows())

    assert (refused.value.code, refused.value.row) == ("too_many_columns", 2)


def test_bytes_undefined_in_windows_1252_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("Nom;Tel\r\nH\xe9l\xe8ne;0612\r\n".encode("latin-1") + b"\x81\x8d\r\n")

    with pytest.raises(FileRejectedError) as refused:
        open_table(path)

    assert refused.value.code == "not_a_table"
    assert "UTF-8" in refused.value.message


def test_control_characters_make_it_binary(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(bytes(range(1, 32)) * 100 + b"a;b\r\n")

    with pytest.raises(FileRejectedError) as refused:
        open_table(path)

    assert refused.value.code == "not_a_table"


def test_a_nul_byte_far_into_the_file_makes_it_binary(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"Nom;Tel\r\n" + b"Dupont;0612\r\n" * 20_000 + b"\x00")

    with pytest.raises(FileRejectedError) as refused:
        open_table(path)

    assert refused.value.code == "not_a_table"
