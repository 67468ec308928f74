"""Contact lists written for spreadsheets: CSV (Excel's French dialect by default) and XLSX,
both streamed, both safe to open.

A contact's name is attacker-controlled text. Opened in Excel or LibreOffice, a CSV cell
``=HYPERLINK("http://evil","x")`` or ``=cmd|' /C calc'!A0`` runs as a formula, so text
starting like a formula gets a leading ``'`` (OWASP "CSV injection"); in XLSX every text is
also written as a string cell, never a formula. Phone numbers (``+33612345678``) and plain
negative numbers (``-12``) cannot call anything and are left alone.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_HARMLESS = re.compile(r"[+-]\d+(?:[.,]\d+)?|\+\d[\d ]*\d")


def neutralise(value: str) -> str:
    """``value`` with a ``'`` in front if a spreadsheet could read it as a formula."""
    if value.startswith(_FORMULA_STARTS) and not _HARMLESS.fullmatch(value):
        return "'" + value
    return value


def cell_text(value: object) -> str:
    """How a value is written to CSV: ``None`` empty, dates in ISO 8601, booleans as
    ``TRUE``/``FALSE``, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return neutralise(str(value))


def write_csv(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    out: BinaryIO,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
) -> None:
    """Write a header and rows to ``out`` as CSV; ``out`` is left open.

    The defaults are what French Excel opens with a double click (a BOM so it knows UTF-8,
    ``;`` since ``,`` is the decimal mark, ``\\r\\n`` line ends). Every field is quoted, so a
    file read back finds its separator even in a one-column list full of commas. With a
    legacy ``encoding`` (``cp1252``), a character it cannot hold raises
    ``UnicodeEncodeError``.
    """
    if codecs.lookup(encoding).name == "utf-8-sig":
        out.write(codecs.BOM_UTF8)
        encoding = "utf-8"
    text = io.TextIOWrapper(out, encoding=encoding, newline="", write_through=True)
    try:
        writer = csv.writer(
            text, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_ALL
        )
        writer.writerow([cell_text(name) for name in header])
        for row in rows:
            writer.writerow([cell_text(value) for value in row])
        text.flush()
    finally:
        text.detach()


def write_xlsx(
    header: Sequence[str], rows: Iterable[Sequence[object]], out: BinaryIO, sheet: str = "Contacts"
) -> None:
    """Write a header and rows to ``out`` as a one-sheet XLSX workbook.

    openpyxl's write-only mode spools rows to a temporary file and writes strings inline, so
    memory stays flat however many rows there are. Text is neutralised and written as string
    cells; characters XML cannot hold (control characters) are dropped; integers stay
    numbers; dates stay dates (a time-zone-aware date-time is written as ISO text, which
    Excel cannot hold otherwise).
    """
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append([_xlsx_cell(worksheet, name) for name in header])
    for row in rows:
        worksheet.append([_xlsx_cell(worksheet, value) for value in row])
    workbook.save(out)


def _xlsx_cell(worksheet: WriteOnlyWorksheet, value: object) -> Cell | None:
    if value is None:
        return None
    if isinstance(value, bool | int | float):  # a float is not money here: ratios, scores
        return WriteOnlyCell(worksheet, value=value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.isoformat()
    elif isinstance(value, date):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss" if isinstance(value, datetime) else "yyyy-mm-dd"
        return cell
    text = ILLEGAL_CHARACTERS_RE.sub("", neutralise(str(value)))
    cell = WriteOnlyCell(worksheet, value=text)
    cell.data_type = "s"  # neutralised text never starts with "=", and is never a formula anyway
    return cell
