"""Real contact files of every kind, written from rows for tests.

Each writer produces the file the way its usual producer does: CSV through the ``csv``
module in the chosen encoding, XLSX through openpyxl, XLS through xlwt, ODS through odfpy.
The hostile files (a zip bomb dressed as XLSX, an encrypted OOXML, a PNG) are built by hand,
byte for byte, since no library writes them. Other helpers' tests import these too.
"""

from __future__ import annotations

import csv
import functools
import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

Rows = Iterable[Sequence[object]]
MIB = 1024 * 1024

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


# Text -------------------------------------------------------------------------------------

def write_csv_file(
    path: Path, rows: Rows, encoding: str = "utf-8", delimiter: str = ";", bom: bool = False,
) -> Path:
    """Rows as CSV, quoted only where needed (as Excel does), ``\\r\\n`` line ends."""
    with path.open("w", encoding=encoding, newline="") as file:
        if bom:
            file.write("\ufeff")
        writer = csv.writer(file, delimiter=delimiter, lineterminator="\r\n")
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
    return path


# XLSX -------------------------------------------------------------------------------------

def write_xlsx_file(path: Path, rows: Rows, sheet: str = "Contacts") -> Path:
    """Rows through openpyxl's write-only workbook: strings inline, numbers as numbers,
    dates as date-formatted serials, ``None`` as a missing cell."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    for row in rows:
        worksheet.append(list(row))
    workbook.save(path)
    return path


def write_xlsx_parts(
    path: Path,
    sheet_xml: str,
    shared_strings: Sequence[str] = (),
    number_formats: Mapping[int, str] | None = None,
    cell_formats: Sequence[int] = (0,),
    sheet_part: str = "xl/worksheets/contacts.xml",
    date1904: bool = False,
    first_sheet_is_chart: bool = False,
) -> Path:
    """A hand-made XLSX as Excel writes it (shared strings, styles) rather than openpyxl.

    ``sheet_xml`` is the content of ``<sheetData>``; ``cell_formats`` the ``numFmtId`` of
    each ``cellXfs`` entry (a cell's ``s="i"`` refers to entry i); ``number_formats`` the
    custom format codes by id.
    """
    from xml.sax.saxutils import escape

    sheet_name = sheet_part.rsplit("/", 1)[-1]
    strings = "".join(f"<si><t>{escape(text)}</t></si>" for text in shared_strings)
    formats = "".join(
        f'<numFmt numFmtId="{key}" formatCode="{escape(code, {chr(34): "&quot;"})}"/>'
        for key, code in (number_formats or {}).items()
    )
    xfs = "".join(f'<xf numFmtId="{key}" fontId="0"/>' for key in cell_formats)
    chart = (
        '<sheet name="Chart" sheetId="9" r:id="rId9"/>' if first_sheet_is_chart else ""
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{_REL_NS}">'
            f'<workbookPr date1904="{1 if date1904 else 0}"/><sheets>{chart}'
            '<sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" '
            f'Target="/{sheet_part}"/>'
            f'<Relationship Id="rId2" Type="{_REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId9" Type="{_REL_NS}/chartsheet" Target="chartsheets/c.xml"/>'
            "</Relationships>"
        ),
        "xl/chartsheets/c.xml": f'<chartsheet xmlns="{MAIN_NS}"/>',
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN_NS}">{strings}</sst>',
        "xl/styles.xml": (
            f'<styleSheet xmlns="{MAIN_NS}"><numFmts>{formats}</numFmts>'
            f'<cellStyleXfs><xf numFmtId="14"/></cellStyleXfs><cellXfs>{xfs}</cellXfs>'
            "</styleSheet>"
        ),
        sheet_part: (
            f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{_REL_NS}"><dimension ref="A1"/>'
            f"<sheetData>{sheet_xml}</sheetData></worksheet>"
        ),
    }
    del sheet_name
    _write_zip(path, {name: text.encode() for name, text in parts.items()})
    return path


# XLS and ODS ------------------------------------------------------------------------------

def write_xls_file(path: Path, rows: Rows) -> Path:
    """Rows through xlwt (Excel 97-2003): numbers as numbers, dates with a date format."""
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    worksheet = workbook.add_sheet("Contacts")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    datetime_style = xlwt.easyxf(num_format_str="DD/MM/YYYY HH:MM:SS")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime):
                worksheet.write(r, c, value, datetime_style)
            elif isinstance(value, date):
                worksheet.write(r, c, value, date_style)
            else:
                worksheet.write(r, c, value)
    workbook.save(str(path))
    return path


def write_ods_file(path: Path, rows: Rows, trailing_empty_rows: int = 0) -> Path:
    """Rows through odfpy: numbers as float cells, dates as date cells, text in ``<text:p>``
    (one per line). ``trailing_empty_rows`` adds LibreOffice's usual run of empty rows as one
    repeated row of 1,024 repeated empty cells."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Contacts")
    for row in rows:
        table_row = TableRow()
        for value in row:
            table_row.addElement(_ods_cell(value, TableCell, P))
        table.addElement(table_row)
    if trailing_empty_rows:
        empty = TableRow(numberrowsrepeated=trailing_empty_rows)
        empty.addElement(TableCell(numbercolumnsrepeated=1024))
        table.addElement(empty)
    document.spreadsheet.addElement(table)
    second = Table(name="Other")
    other_row = TableRow()
    other_row.addElement(_ods_cell("not in the first sheet", TableCell, P))
    second.addElement(other_row)
    document.spreadsheet.addElement(second)
    document.save(str(path))
    return path


def _ods_cell(value: object, cell: type, paragraph: type) -> object:
    if value is None:
        return cell()
    if isinstance(value, bool):
        return cell(valuetype="boolean", booleanvalue=str(value).lower())
    if isinstance(value, int | float):
        element = cell(valuetype="float", value=value)
        element.addElement(paragraph(text=str(value)))
        return element
    if isinstance(value, date):
        element = cell(valuetype="date", datevalue=value.isoformat())
        element.addElement(paragraph(text=str(value)))
        return element
    element = cell(valuetype="string")
    for line in str(value).split("\n"):
        element.addElement(paragraph(text=line))
    return element


# Hostile files ----------------------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def _deflated_spaces(size: int) -> tuple[bytes, int, int]:
    """A sheet whose ``<sheetData>`` holds ``size`` spaces, deflated chunk by chunk (never
    all in memory): (compressed bytes, CRC-32, uncompressed size)."""
    head = f'<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
    tail = b"</sheetData></worksheet>"
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    parts, crc = [compressor.compress(head)], zlib.crc32(head)
    chunk = b" " * MIB
    for _ in range(size // MIB):
        parts.append(compressor.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts += [compressor.compress(tail), compressor.flush()]
    crc = zlib.crc32(tail, crc)
    return b"".join(parts), crc, len(head) + size // MIB * MIB + len(tail)


def write_zip_bomb_xlsx(
    path: Path, declared_size: int | None = 1000, inflated_size: int = 300 * MIB,
) -> Path:
    """An XLSX whose sheet inflates to ``inflated_size`` bytes of whitespace (valid XML, so
    only the size checks can stop it) from about 300 KB, while its zip headers declare
    ``declared_size`` bytes (``None``: the truth)."""
    compressed, crc, size = _deflated_spaces(inflated_size)
    members = _workbook_skeleton()
    raw = [(name, zlib.crc32(data), len(data), _deflate(data)) for name, data in members.items()]
    raw.append(("xl/worksheets/sheet1.xml", crc, size if declared_size is None else declared_size,
                compressed))
    _write_raw_zip(path, raw)
    return path


def write_zip_bomb_ods(path: Path, declared_size: int = 1000) -> Path:
    """An ODS whose ``content.xml`` inflates to 300 MB while declaring ``declared_size``."""
    compressed, crc, _ = _deflated_spaces(300 * MIB)
    mimetype = b"application/vnd.oasis.opendocument.spreadsheet"
    _write_raw_zip(path, [
        ("mimetype", zlib.crc32(mimetype), len(mimetype), _deflate(mimetype)),
        ("content.xml", crc, declared_size, compressed),
    ])
    return path


def write_encrypted_ooxml(path: Path) -> Path:
    """What Excel saves for a password-protected XLSX: an OLE2 compound file holding an
    ``EncryptionInfo`` and an ``EncryptedPackage`` stream (their content random here)."""
    streams = [("EncryptionInfo", bytes(range(256)) * 16), ("EncryptedPackage", b"\x5a" * 4096)]
    _write_ole2(path, streams)
    return path


def write_ole2_file(path: Path, stream_names: Sequence[str]) -> Path:
    """An OLE2 compound file holding streams of these names (4 KB of filler each): with
    ``["WordDocument"]``, what a Word 97 document looks like from outside."""
    _write_ole2(path, [(name, b"\x00" * 4096) for name in stream_names])
    return path


def write_png(path: Path) -> Path:
    """A real 1x1 PNG image (to be renamed ``.csv`` by the test)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )
    return path


# Zip and OLE2 by hand ---------------------------------------------------------------------

def _workbook_skeleton() -> dict[str, bytes]:
    return {
        "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               b'content-types"/>',
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ).encode(),
    }


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _write_zip(path: Path, members: Mapping[str, bytes]) -> None:
    raw = [(name, zlib.crc32(data), len(data), _deflate(data)) for name, data in members.items()]
    _write_raw_zip(path, raw)


def _write_raw_zip(path: Path, members: Sequence[tuple[str, int, int, bytes]]) -> None:
    """A deflated zip from (name, CRC, declared size, compressed data): the headers say
    whatever they are told."""
    local, central = bytearray(), bytearray()
    for name, crc, size, data in members:
        encoded = name.encode()
        fields = struct.pack("<HHHHHIIIHH", 20, 0, 8, 0, 0x21, crc, len(data), size,
                             len(encoded), 0)
        central += (b"PK\x01\x02" + struct.pack("<H", 20) + fields
                    + struct.pack("<HHHII", 0, 0, 0, 0, len(local)) + encoded)
        local += b"PK\x03\x04" + fields + encoded + data
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), len(local), 0)
    path.write_bytes(bytes(local + central) + end)


_FREE, _END, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR = 512


def _write_ole2(path: Path, streams: Sequence[tuple[str, bytes]]) -> None:
    """A version-3 compound file: sector 0 the FAT, sector 1 the directory, then each stream
    (padded to whole sectors, each at least 4,096 bytes so no mini stream is needed)."""
    fat = [_FAT_SECTOR, _END]
    entries = [_directory_entry("Root Entry", 5, child=1, start=_END, size=0)]
    data = bytearray()
    for index, (name, content) in enumerate(streams, start=1):
        assert len(content) >= 4096
        start = len(fat)
        count = -(-len(content) // _SECTOR)
        fat += [*range(start + 1, start + count), _END]
        right = index + 1 if index < len(streams) else _NO_STREAM
        entries.append(_directory_entry(name, 2, right=right, start=start, size=len(content)))
        data += content.ljust(count * _SECTOR, b"\x00")
    while len(entries) % 4:
        entries.append(bytes(64) + struct.pack("<HBBIII", 0, 0, 0, _NO_STREAM, _NO_STREAM,
                                               _NO_STREAM) + bytes(48))
    assert len(fat) <= 128
    fat_sector = struct.pack("<128I", *(fat + [_FREE] * (128 - len(fat))))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<109I", 0, *([_FREE] * 108))
    )
    assert len(header) == _SECTOR
    path.write_bytes(header + fat_sector + b"".join(entries) + bytes(data))


def _directory_entry(
    name: str, kind: int, child: int = _NO_STREAM, right: int = _NO_STREAM,
    start: int = _END, size: int = 0,
) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBBIII", len(encoded), kind, 1, _NO_STREAM, right, child)
        + bytes(16 + 4 + 16) + struct.pack("<II", start, size) + bytes(4)
    )
