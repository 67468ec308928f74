"""Large tables read by a child process: the same rows, refusals with their code and row,
and a consumer that stops early leaves no reader behind."""

from __future__ import annotations

import multiprocessing
from itertools import islice
from pathlib import Path

import pytest

from portevoix.contacts.files import FileRejectedError, open_table
from portevoix.contacts.files.prefetch import PREFETCH_FROM, Prefetched
from tests.unit.contacts.table_files import write_csv_file

ROWS = 120_000  # about 3 MB of CSV: past PREFETCH_FROM


def big_csv(path: Path, bad_row: int | None = None) -> Path:
    rows = [["Mobile", "Nom", "Prénom"]] + [
        [f"06{n:08d}", "Dupont", "x" * (3_000 if n == bad_row else 8)] for n in range(ROWS)]
    write_csv_file(path, rows)
    assert path.stat().st_size > PREFETCH_FROM
    return path


def test_a_large_file_read_by_the_child_gives_the_same_rows(tmp_path: Path) -> None:
    path = big_csv(tmp_path / "big.csv")
    table = open_table(path)

    assert list(Prefetched(table, path).rows()) == list(table.rows())
    assert Prefetched(table, path).format == "csv"


def test_a_refusal_in_the_child_is_raised_with_its_code_and_row(tmp_path: Path) -> None:
    path = big_csv(tmp_path / "big.csv", bad_row=100_000)

    with pytest.raises(FileRejectedError) as raised:
        list(Prefetched(open_table(path, "big.csv"), path).rows())

    assert (raised.value.code, raised.value.row) == ("cell_too_long", 100_002)
    assert raised.value.message.startswith("big.csv")


def test_a_consumer_that_stops_early_leaves_no_reader(tmp_path: Path) -> None:
    path = big_csv(tmp_path / "big.csv")
    rows = Prefetched(open_table(path), path).rows()

    assert len(list(islice(rows, 10))) == 10
    rows.close()

    assert multiprocessing.active_children() == []
