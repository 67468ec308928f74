"""ODS (OpenDocument) spreadsheets: the first table of ``content.xml``, streamed.

LibreOffice writes runs of identical rows and cells once with a repeat count, and ends most
sheets with a run of about a million empty rows and a thousand empty columns: empty runs are
skipped by arithmetic, never expanded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from portevoix.contacts.files.cells import finish_row, iso_date_text, number_text, too_many_columns
from portevoix.contacts.files.errors import CORRUPT, FileRejectedError
from portevoix.contacts.files.limits import Limits
from portevoix.contacts.files.zips import ZipArchive

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_SHEET, _ROW = f"{_TABLE}table", f"{_TABLE}table-row"
_CELLS = frozenset({f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"})
_ROWS_REPEATED = f"{_TABLE}number-rows-repeated"
_COLUMNS_REPEATED = f"{_TABLE}number-columns-repeated"
_VALUE_TYPE, _VALUE = f"{_OFFICE}value-type", f"{_OFFICE}value"
_PARAGRAPH, _SPACES, _SPACE_COUNT = f"{_TEXT}p", f"{_TEXT}s", f"{_TEXT}c"
_TAB, _LINE_BREAK = f"{_TEXT}tab", f"{_TEXT}line-break"
_NUMBER_TYPES = frozenset({"float", "percentage", "currency"})

MIMETYPES = frozenset({
    b"application/vnd.oasis.opendocument.spreadsheet",
    b"application/vnd.oasis.opendocument.spreadsheet-template",
})
# LibreOffice's largest sheet; a non-empty row repeated past it is a forged file.
_MAX_ROWS = 16 * 1024 * 1024
_DURATION = re.compile(r"-?PT(\d+)H(\d+)M(\d+)(?:[.,]\d+)?S")


def is_spreadsheet(archive: ZipArchive) -> bool:
    """An ODF package whose ``mimetype`` says spreadsheet (ODF 1.2 §3.3)."""
    return (
        archive.has("mimetype") and archive.has("content.xml")
        and archive.read("mimetype").strip() in MIMETYPES
    )


class OdsSource:
    """An ODS package; ``rows()`` re-opens it and reads its first table."""

    format = "ods"
    encoding = None
    delimiter = None

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path, self.limits = path, limits

    def rows(self) -> Iterator[list[str]]:
        with ZipArchive(self.path, self.limits) as archive:
            yield from _TableReader(self.limits).rows(archive.open("content.xml"))


class _TableReader:
    def __init__(self, limits: Limits) -> None:
        self._limits = limits

    def rows(self, stream: Any) -> Iterator[list[str]]:
        number = 1  # the 1-based number of the next row
        events = etree.iterparse(
            stream, events=("end",), tag=(_SHEET, _ROW), resolve_entities=False, no_network=True
        )
        try:
            for _, element in events:
                if element.tag == _SHEET:
                    return  # the first table is done
                repeat = int(element.get(_ROWS_REPEATED, "1"))
                cells = self._cells(element, number)
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
                row = finish_row(cells, number, self._limits)
                if row is not None:
                    if number + repeat > _MAX_ROWS:
                        raise FileRejectedError(
                            CORRUPT, f"Row {number} repeats past the end of any sheet.", number
                        )
                    for _ in range(repeat):
                        yield list(row)
                number += repeat
        except etree.XMLSyntaxError as error:
            raise FileRejectedError(
                CORRUPT, f"The sheet is damaged near row {number}: {error}.", number
            ) from error
        except ValueError as error:
            if isinstance(error, FileRejectedError):
                raise
            raise FileRejectedError(
                CORRUPT, f"The sheet is damaged at row {number}: {error}.", number
            ) from error

    def _cells(self, row: Any, number: int) -> list[str]:
        cells: list[str] = []
        column = 0
        for cell in row:
            if cell.tag not in _CELLS:
                continue
            repeat = int(cell.get(_COLUMNS_REPEATED, "1"))
            value = self._value(cell)
            if value.strip():
                if column + repeat > self._limits.max_columns:
                    raise too_many_columns(number, column + repeat, self._limits)
                cells.extend([""] * (column - len(cells)))
                cells.extend([value] * repeat)
            column += repeat
        return cells

    def _value(self, cell: Any) -> str:
        kind = cell.get(_VALUE_TYPE)
        if kind in _NUMBER_TYPES:
            value = cell.get(_VALUE)
            if value is not None:
                return number_text(value)
        elif kind == "date":
            value = cell.get(f"{_OFFICE}date-value")
            if value is not None:
                return iso_date_text(value)
        elif kind == "time":
            duration = _DURATION.fullmatch(cell.get(f"{_OFFICE}time-value", ""))
            if duration:
                hours, minutes, seconds = (int(part) for part in duration.groups())
                return f"{hours:02d}:{minutes:02d}:{seconds:02d}"
        elif kind == "boolean":
            return "TRUE" if cell.get(f"{_OFFICE}boolean-value") == "true" else "FALSE"
        elif kind == "string" and cell.get(f"{_OFFICE}string-value") is not None:
            return str(cell.get(f"{_OFFICE}string-value"))
        return "\n".join(self._text(p) for p in cell.iterchildren(_PARAGRAPH))

    def _text(self, element: Any) -> str:
        """A paragraph's text with its spans, ``<text:s text:c="3"/>`` runs of spaces, tabs
        and line breaks."""
        parts = [element.text or ""]
        for child in element:
            if child.tag == _SPACES:
                count = int(child.get(_SPACE_COUNT, "1"))
                parts.append(" " * min(count, self._limits.max_cell_chars + 1))
            elif child.tag == _TAB:
                parts.append("\t")
            elif child.tag == _LINE_BREAK:
                parts.append("\n")
            elif isinstance(child.tag, str):  # not a comment nor processing instruction
                parts.append(self._text(child))
            parts.append(child.tail or "")
        return "".join(parts)
