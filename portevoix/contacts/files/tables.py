"""Open an uploaded contact file as a table of text rows, whatever its format.

The format is told from the bytes, never from the name: people rename files, and a ``.csv``
may be a PNG or an Excel workbook. Everything that makes a file unreadable is refused here,
before the first row is read; limits met while reading rows (a cell too long on row 812)
are refused then, naming the row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from lxml import etree

from portevoix.contacts.files.delimited import CsvSource
from portevoix.contacts.files.errors import (
    CORRUPT,
    EMPTY,
    NOT_A_TABLE,
    TOO_LARGE,
    FileRejectedError,
)
from portevoix.contacts.files.limits import Limits
from portevoix.contacts.files.ods import OdsSource, is_spreadsheet
from portevoix.contacts.files.ole2 import OLE2_MAGIC, check_ole2_workbook
from portevoix.contacts.files.xls import XlsSource
from portevoix.contacts.files.xlsx import XlsxSource, find_workbook
from portevoix.contacts.files.zips import ZIP_MAGIC, ZipArchive

__all__ = ["Limits", "Table", "open_table"]


DEFAULT_LIMITS = Limits()


class RowSource(Protocol):
    def rows(self) -> Iterator[list[str]]: ...


@dataclass(frozen=True)
class Table:
    """An opened contact file.

    ``format`` is ``"csv"``, ``"xlsx"``, ``"xls"`` or ``"ods"``; ``encoding`` (``"utf-8"``,
    ``"utf-8-sig"``, ``"cp1252"``, or ``"utf-16"`` for Excel's "Unicode text") and
    ``delimiter`` (``,`` ``;`` tab ``|``) are set for CSV only.
    """

    format: str
    encoding: str | None
    delimiter: str | None
    source: RowSource = field(repr=False, compare=False)
    filename: str = ""

    def rows(self) -> Iterator[list[str]]:
        """The first sheet's rows, streamed; each call reads the file again from the start.

        Every cell is a stripped ``str`` (``""`` when empty); trailing empty cells are
        dropped and empty rows skipped. Integral numbers come as digits (``33612345678``),
        others without exponent (``12.5``); dates as ``YYYY-MM-DD`` or
        ``YYYY-MM-DDTHH:MM:SS``; booleans as ``TRUE``/``FALSE``. Raises ``FileRejectedError``
        (with its ``row``) on a row beyond the limits or a damaged part of the file.
        """
        try:
            yield from self.source.rows()
        except FileRejectedError as error:
            raise _named(error, self.filename) from error


def open_table(path: Path, filename: str = "", limits: Limits = DEFAULT_LIMITS) -> Table:
    """Open ``path`` as a table, or raise ``FileRejectedError``.

    ``filename`` is the name the user uploaded it as; it only prefixes error messages.
    Detection: a zip holding an XLSX workbook or an ODS spreadsheet; an OLE2 compound
    document holding an XLS workbook (or refused as encrypted when it holds an encrypted
    XLSX); anything else must be text, read as CSV.
    """
    try:
        return _open(path, limits, filename)
    except FileRejectedError as error:
        raise _named(error, filename) from error


def _open(path: Path, limits: Limits, filename: str) -> Table:
    size = path.stat().st_size
    if size == 0:
        raise FileRejectedError(EMPTY, "The file is empty.")
    if size > limits.max_bytes:
        raise FileRejectedError(
            TOO_LARGE,
            f"The file is {size:,} bytes; a contact file may be at most {limits.max_bytes:,}.",
        )
    with path.open("rb") as file:
        magic = file.read(len(OLE2_MAGIC))
    if magic.startswith(ZIP_MAGIC):
        return _open_zip(path, limits, filename)
    if magic == OLE2_MAGIC:
        check_ole2_workbook(path)
        return Table("xls", None, None, XlsSource(path, limits), filename)
    csv = CsvSource(path, limits)
    if csv.blank:
        raise FileRejectedError(EMPTY, "The file holds no text.")
    return Table("csv", csv.encoding, csv.delimiter, csv, filename)


def _open_zip(path: Path, limits: Limits, filename: str) -> Table:
    try:
        with ZipArchive(path, limits) as archive:
            workbook = find_workbook(archive)
            if workbook is not None:
                xlsx = XlsxSource(path, limits, archive, workbook)
                return Table("xlsx", None, None, xlsx, filename)
            if is_spreadsheet(archive):
                return Table("ods", None, None, OdsSource(path, limits), filename)
    except etree.XMLSyntaxError as error:
        raise FileRejectedError(
            CORRUPT, f"The file looks like a spreadsheet but is damaged: {error}."
        ) from error
    raise FileRejectedError(
        NOT_A_TABLE,
        "The file is a zip archive but not a spreadsheet (XLSX or ODS); a Word document?",
    )


def _named(error: FileRejectedError, filename: str) -> FileRejectedError:
    if not filename:
        return error
    return FileRejectedError(error.code, f"{filename}: {error.message}", error.row)
