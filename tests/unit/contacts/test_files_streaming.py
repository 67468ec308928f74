"""Big files are streamed: reading 300,000 CSV rows or 100,000 XLSX rows keeps the memory
Python allocates under 30 MB (the files themselves are 10 to 20 MB uncompressed).

tracemalloc slows allocation-heavy code about six times, so the files are narrow (three
columns) to keep the tests to seconds; kept in memory, their rows would take 50 to 70 MB."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from portevoix.contacts.files import open_table
from tests.unit.contacts.table_files import write_xlsx_parts

LIMIT = 30 * 1024 * 1024


def peak_while_reading(path: Path) -> tuple[int, int]:
    table = open_table(path)
    tracemalloc.start()
    try:
        count = sum(1 for _ in table.rows())
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "contacts.csv"
    with path.open("w", encoding="cp1252", newline="") as file:
        file.write("Mobile;Nom;Société\r\n")
        for i in range(300_000):
            file.write(f"06{i:08d};Nom{i};Société {i % 97}\r\n")
    return path


@pytest.fixture(scope="module")
def big_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    note = "n" * 300  # 100,000 of them kept would be 30 MB on their own
    rows = "".join(
        f'<row r="{i}"><c r="A{i}"><v>336{i:08d}</v></c><c r="B{i}" t="s"><v>{i % 2}</v></c>'
        f'<c r="C{i}" t="inlineStr"><is><t>{note}{i}</t></is></c></row>'
        for i in range(1, 100_001)
    )
    return write_xlsx_parts(tmp_path_factory.mktemp("big") / "contacts.xlsx", rows, ["a", "b"])


def test_a_300000_row_csv_is_streamed(big_csv: Path) -> None:
    count, peak = peak_while_reading(big_csv)

    assert count == 300_001
    assert peak < LIMIT


def test_a_100000_row_xlsx_is_streamed(big_xlsx: Path) -> None:
    count, peak = peak_while_reading(big_xlsx)

    assert count == 100_000
    assert peak < LIMIT
