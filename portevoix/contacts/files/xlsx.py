"""XLSX (Office Open XML) workbooks: finding the first worksheet and what its cells need.

The sheet is found as Excel finds it (``_rels/.rels`` -> workbook -> its rels), never by
assuming ``xl/worksheets/sheet1.xml``; dates are recognised from the cell formats of
``styles.xml``. The sheet itself is streamed by ``xlsx_sheet``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from lxml import etree

from portevoix.contacts.files.errors import CORRUPT, NOT_A_TABLE, FileRejectedError
from portevoix.contacts.files.limits import Limits
from portevoix.contacts.files.xlsx_sheet import shared_strings, sheet_rows
from portevoix.contacts.files.zips import ZipArchive

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ROW, _CELL, _VALUE = f"{_MAIN}row", f"{_MAIN}c", f"{_MAIN}v"
_INLINE, _TEXT, _RUN = f"{_MAIN}is", f"{_MAIN}t", f"{_MAIN}r"
_STRING_ITEM, _NUMBER_FORMAT, _FORMAT = f"{_MAIN}si", f"{_MAIN}numFmt", f"{_MAIN}xf"
_CELL_FORMATS = f"{_MAIN}cellXfs"

# Built-in number formats that show dates or times (ECMA-376 §18.8.30, and the East Asian
# ones Excel also maps to dates).
_BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), 45, 46, 47, *range(50, 59)])
# Parts of a format code that never mean a date: literals, escapes, [Red]/[$-40C], padding.
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_DIGITS = "0123456789"


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True)


def _iterparse(stream: Any, tag: str | tuple[str, ...]) -> Any:
    return etree.iterparse(
        stream, events=("end",), tag=tag, resolve_entities=False, no_network=True
    )


def find_workbook(archive: ZipArchive) -> str | None:
    """The workbook part named by the package's ``officeDocument`` relationship, if the
    archive is an XLSX (or XLSM) package at all."""
    if not archive.has("_rels/.rels"):
        return None
    for rel in _relationships(archive, "_rels/.rels", ""):
        if rel.kind.endswith("/officeDocument") and archive.has(rel.target):
            root = etree.fromstring(archive.read(rel.target), _safe_parser())
            return rel.target if root.tag == f"{_MAIN}workbook" else None
    return None


class _Relationship(NamedTuple):
    id: str
    target: str  # a part name, made absolute
    kind: str


def _relationships(archive: ZipArchive, part: str, base: str) -> list[_Relationship]:
    """The internal relationships of a ``.rels`` part; ``base`` is its source's folder."""
    root = etree.fromstring(archive.read(part), _safe_parser())
    found = []
    for rel in root.iter(f"{_PACKAGE}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
        rel_id, kind = rel.get("Id", ""), rel.get("Type", "")
        found.append(_Relationship(rel_id, posixpath.normpath(path), kind))
    return found


class XlsxSource:
    """An XLSX package whose first worksheet was located; ``rows()`` re-opens the file."""

    format = "xlsx"
    encoding = None
    delimiter = None

    def __init__(self, path: Path, limits: Limits, archive: ZipArchive, workbook: str) -> None:
        self.path, self.limits = path, limits
        base = posixpath.dirname(workbook)
        rels_part = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
        if not archive.has(rels_part):
            raise FileRejectedError(CORRUPT, "The workbook is damaged: it lists no sheets.")
        rels = [rel for rel in _relationships(archive, rels_part, base) if archive.has(rel.target)]
        root = etree.fromstring(archive.read(workbook), _safe_parser())
        properties = root.find(f"{_MAIN}workbookPr")
        self.date1904 = properties is not None and properties.get("date1904") in ("1", "true")
        self.sheet = self._first_worksheet(root, rels)
        self.shared_strings = self._part_of_kind(rels, "/sharedStrings")
        self.styles = self._part_of_kind(rels, "/styles")

    @staticmethod
    def _first_worksheet(workbook: Any, rels: list[_Relationship]) -> str:
        """The first tab that is a worksheet (a chart sheet may come first)."""
        by_id = {rel.id: rel for rel in rels}
        for sheet in workbook.iter(f"{_MAIN}sheet"):
            rel = by_id.get(sheet.get(f"{_RELATIONSHIPS}id", ""))
            if rel is not None and rel.kind.endswith("/worksheet"):
                return rel.target
        raise FileRejectedError(NOT_A_TABLE, "The workbook has no worksheet.")

    @staticmethod
    def _part_of_kind(rels: list[_Relationship], suffix: str) -> str | None:
        return next((rel.target for rel in rels if rel.kind.endswith(suffix)), None)

    def rows(self) -> Iterator[list[str]]:
        with ZipArchive(self.path, self.limits) as archive:
            strings = (
                [] if self.shared_strings is None
                else shared_strings(archive.open(self.shared_strings))
            )
            date_styles = _date_styles(archive, self.styles)
            yield from sheet_rows(
                archive.open(self.sheet), strings, date_styles, self.date1904, self.limits
            )


def _date_styles(archive: ZipArchive, part: str | None) -> frozenset[int]:
    """Indexes of the cell formats (``s="3"``) whose number format shows a date."""
    if part is None:
        return frozenset()
    custom_dates: set[int] = set()
    dates: set[int] = set()
    index = 0
    try:
        for _, element in _iterparse(archive.open(part), (_NUMBER_FORMAT, _FORMAT)):
            if element.tag == _NUMBER_FORMAT:
                if is_date_format(element.get("formatCode", "")):
                    custom_dates.add(int(element.get("numFmtId", "-1")))
            elif element.getparent().tag == _CELL_FORMATS:
                format_id = int(element.get("numFmtId", "0"))
                if format_id in custom_dates or format_id in _BUILTIN_DATE_FORMATS:
                    dates.add(index)
                index += 1
            element.clear()
    except (etree.XMLSyntaxError, ValueError) as error:
        raise FileRejectedError(CORRUPT, f"The workbook's styles are damaged: {error}.") from error
    return frozenset(dates)


def is_date_format(code: str) -> bool:
    """Whether an Excel number format code shows a date: it has a day or year, or a month
    without hours or seconds (``mm`` next to ``h`` or ``s`` means minutes)."""
    section = _FORMAT_NOISE.sub("", code).split(";")[0].lower()
    if "d" in section or "y" in section:
        return True
    return "m" in section and "h" not in section and "s" not in section
