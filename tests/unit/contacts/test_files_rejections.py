"""Files that are not tables, or are hostile, are refused when opened, quickly, with a code
and a sentence saying what is wrong."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from portevoix.contacts.files import FileRejectedError, Limits, open_table
from tests.unit.contacts.table_files import (
    write_encrypted_ooxml,
    write_ole2_file,
    write_png,
    write_xls_file,
    write_xlsx_file,
    write_zip_bomb_ods,
    write_zip_bomb_xlsx,
)


def refusal(path: Path, limits: Limits | None = None, filename: str = "") -> FileRejectedError:
    with pytest.raises(FileRejectedError) as refused:
        list(open_table(path, filename, limits or Limits()).rows())
    return refused.value


def test_an_empty_file_is_refused_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"")

    assert refusal(path).code == "empty"


def test_a_png_renamed_csv_is_not_a_table(tmp_path: Path) -> None:
    error = refusal(write_png(tmp_path / "contacts.csv"), filename="contacts.csv")

    assert error.code == "not_a_table"
    assert error.message.startswith("contacts.csv: ")


def test_an_executable_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"MZ\x90\x00\x03" + bytes(range(256)) * 8)

    assert refusal(path).code == "not_a_table"


def test_a_file_over_the_size_limit_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Nom;Tel\r\n" * 100)

    error = refusal(path, Limits(max_bytes=500))

    assert error.code == "too_large"
    assert "900" in error.message


def test_a_bomb_declaring_a_small_size_is_stopped_at_that_size(tmp_path: Path) -> None:
    # 300 MB of (valid) whitespace in ~300 KB: without the size check it would be parsed.
    path = write_zip_bomb_xlsx(tmp_path / "contacts.xlsx", declared_size=1000)
    started = time.perf_counter()

    error = refusal(path)

    assert error.code == "zip_bomb"
    assert "1,000 bytes it declares" in error.message
    assert time.perf_counter() - started < 2


def test_a_bomb_declaring_its_huge_size_is_refused_before_inflating(tmp_path: Path) -> None:
    path = write_zip_bomb_xlsx(tmp_path / "contacts.xlsx", declared_size=2 * 1024**3)
    started = time.perf_counter()

    error = refusal(path)

    assert error.code == "zip_bomb"
    assert "declares 2,147,483,648 bytes" in error.message
    assert time.perf_counter() - started < 1


def test_an_ods_bomb_is_stopped_too(tmp_path: Path) -> None:
    path = write_zip_bomb_ods(tmp_path / "contacts.ods")

    error = refusal(path)

    assert error.code == "zip_bomb"
    assert "'content.xml' inflates past" in error.message


def test_an_honest_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    path = write_zip_bomb_xlsx(tmp_path / "contacts.xlsx", declared_size=None)

    error = refusal(path)

    assert error.code == "zip_bomb"
    assert "times (at most 200)" in error.message


def test_members_summing_past_the_limit_are_refused(tmp_path: Path) -> None:
    path = write_xlsx_file(tmp_path / "c.xlsx", [["Nom", "Tel"]] * 2000)

    error = refusal(path, Limits(max_uncompressed=20_000))

    assert error.code == "zip_bomb"


def test_an_encrypted_workbook_is_refused_as_encrypted(tmp_path: Path) -> None:
    error = refusal(write_encrypted_ooxml(tmp_path / "contacts.xlsx"))

    assert error.code == "encrypted"
    assert "password" in error.message


def test_a_word_97_document_is_not_a_table(tmp_path: Path) -> None:
    error = refusal(write_ole2_file(tmp_path / "contacts.xls", ["WordDocument"]))

    assert error.code == "not_a_table"
    assert "not an Excel workbook" in error.message


def test_a_zip_that_is_no_spreadsheet_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "contacts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")

    assert refusal(path).code == "not_a_table"


def test_a_word_document_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "contacts.xlsx"
    ns = "http://schemas.openxmlformats.org"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_rels/.rels", (
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="r" '
            f'Type="{ns}/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'))
        archive.writestr("word/document.xml",
                         f'<w:document xmlns:w="{ns}/wordprocessingml/2006/main"/>')

    assert refusal(path).code == "not_a_table"


def test_a_truncated_xlsx_is_corrupt(tmp_path: Path) -> None:
    path = write_xlsx_file(tmp_path / "c.xlsx", [["Nom"]] * 100)
    path.write_bytes(path.read_bytes()[:-200])

    assert refusal(path).code == "corrupt"


def test_a_damaged_member_fails_its_checksum(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    write_xlsx_file(path, [["Nom"]])
    with zipfile.ZipFile(path) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
        offset = sheet.header_offset + 30 + len(sheet.filename)
    data = bytearray(path.read_bytes())
    data[offset + 1] ^= 0xFF
    path.write_bytes(bytes(data))

    assert refusal(path).code == "corrupt"


def test_a_truncated_xls_is_corrupt(tmp_path: Path) -> None:
    path = write_xls_file(tmp_path / "c.xls", [["Nom"]] * 100)
    path.write_bytes(path.read_bytes()[:1500])

    assert refusal(path).code == "corrupt"
