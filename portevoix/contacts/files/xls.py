"""XLS (Excel 97-2003, BIFF) workbooks through ``xlrd``.

xlrd loads a whole sheet, but a BIFF sheet has at most 65,536 rows and 256 columns and the
file was bounded by ``Limits.max_bytes``, so the memory this takes is bounded too.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import xlrd
from xlrd.compdoc import CompDocError

from portevoix.contacts.files.cells import excel_serial_text, finish_row, number_text
from portevoix.contacts.files.errors import CORRUPT, ENCRYPTED, FileRejectedError
from portevoix.contacts.files.limits import Limits


class XlsSource:
    """An XLS workbook that xlrd could open; ``rows()`` re-opens it."""

    format = "xls"
    encoding = None
    delimiter = None

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path, self.limits = path, limits
        _open(path).release_resources()

    def rows(self) -> Iterator[list[str]]:
        book = _open(self.path)
        try:
            try:
                sheet = book.sheet_by_index(0)
            except Exception as error:
                raise _corrupt(error) from error
            date1904 = book.datemode == 1
            for index in range(sheet.nrows):
                cells = [_text(cell, date1904) for cell in sheet.row(index)]
                row = finish_row(cells, index + 1, self.limits)
                if row is not None:
                    yield row
        finally:
            book.release_resources()


def _open(path: Path) -> Any:
    try:
        return xlrd.open_workbook(str(path), on_demand=True, logfile=io.StringIO())
    except xlrd.XLRDError as error:
        if "encrypted" in str(error).lower():
            raise FileRejectedError(
                ENCRYPTED,
                "The workbook is password-protected; save it without a password and retry.",
            ) from error
        raise _corrupt(error) from error
    except (CompDocError, Exception) as error:  # xlrd lets struct, index and key errors out
        raise _corrupt(error) from error


def _corrupt(error: Exception) -> FileRejectedError:
    return FileRejectedError(
        CORRUPT, f"The file looks like an Excel 97-2003 workbook but is damaged: {error}."
    )


def _text(cell: Any, date1904: bool) -> str:
    kind, value = cell.ctype, cell.value
    if kind == xlrd.XL_CELL_TEXT:
        return str(value)
    if kind == xlrd.XL_CELL_NUMBER:
        return number_text(float(value))
    if kind == xlrd.XL_CELL_DATE:
        return excel_serial_text(float(value), date1904) or number_text(float(value))
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if value else "FALSE"
    if kind == xlrd.XL_CELL_ERROR:
        return str(xlrd.error_text_from_code.get(value, "#ERROR!"))
    return ""
