"""CSV and other delimited text: the encoding and separator guessed, rows streamed.

French Excel saves "CSV (séparateur: point-virgule)" in Windows-1252 with ``;``; "CSV UTF-8"
adds a byte-order mark; other tools write plain UTF-8 with ``,``, tabs or ``|``; Excel's
"Texte Unicode" is UTF-16 with tabs. The whole file is scanned once when opened (NUL bytes,
UTF-8 validity) so that reading rows never fails half-way on an encoding error.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from portevoix.contacts.files.cells import finish_row
from portevoix.contacts.files.errors import (
    CELL_TOO_LONG,
    CORRUPT,
    NOT_A_TABLE,
    TOO_MANY_COLUMNS,
    FileRejectedError,
)
from portevoix.contacts.files.limits import MIB, Limits

UTF8, UTF8_SIG, CP1252, UTF16 = "utf-8", "utf-8-sig", "cp1252", "utf-16"
DELIMITERS = (";", ",", "\t", "|")  # on a tie the first wins: French Excel writes ";"
_SAMPLE_CHARS = 64 * 1024
_SAMPLE_ROWS = 200
_MAX_CONTROL_SHARE = 0.02  # text has next to none; random bytes have about 12%
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_BYTE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


class CsvSource:
    """A delimited text file that passed the checks; ``rows()`` may be called many times."""

    format = "csv"

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path, self.limits = path, limits
        with path.open("rb") as file:
            head = file.read(_SAMPLE_CHARS)
            _check_sample_bytes(head)
            file.seek(0)
            self.encoding = _scan_encoding(file, head)
        with _text(path, self.encoding) as text:
            sample = text.read(_SAMPLE_CHARS)
            complete = not text.read(1)
        _check_sample_text(sample)
        self.blank = complete and not sample.strip()
        self.delimiter = detect_delimiter(sample, complete)

    def rows(self) -> Iterator[list[str]]:
        limits = self.limits
        # every cell quoted with all its quotes doubled, a separator after each, a line end
        max_record = limits.max_columns * (2 * limits.max_cell_chars + 3) + 2
        record = [0, 1]  # characters read of the current record, its 1-based number
        with _text(self.path, self.encoding) as text:
            lines = _bounded_lines(text, record, max_record, self.delimiter, limits)
            reader = csv.reader(lines, delimiter=self.delimiter)
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    raise _csv_error(error, record[1], limits) from error
                row = finish_row(cells, record[1], limits)
                record[0] = 0
                record[1] += 1
                if row is not None:
                    yield row


def detect_delimiter(sample: str, complete: bool) -> str:
    """The candidate that most consistently splits the sample's records into the same number
    (>= 2) of fields; ``,`` when none splits anything (a one-column file).

    Candidates are first tried strictly: a quoted field must be followed by the separator,
    which tells ``"a";"b,c"`` from ``"a","b;c"``. Sloppy files that no candidate parses
    strictly are then tried leniently. ``complete`` says the sample is the whole file;
    otherwise its last record may be cut.
    """
    for strict in (True, False):
        best, best_consistency = ",", 0.0
        for candidate in DELIMITERS:
            counts = _field_counts(sample, candidate, complete, strict)
            split = Counter(count for count in counts if count >= 2)
            if not split:
                continue
            consistency = split.most_common(1)[0][1] / len(counts)
            if consistency > best_consistency:
                best, best_consistency = candidate, consistency
        if best_consistency:
            return best
    return ","


def _field_counts(sample: str, delimiter: str, complete: bool, strict: bool) -> list[int]:
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(sample), delimiter=delimiter, strict=strict):
            records.append(record)
            if len(records) > _SAMPLE_ROWS:
                break
    except csv.Error as error:
        if complete or "unexpected end of data" not in str(error):
            return []  # this separator leaves a quote misplaced: it is not the one
    else:
        if not complete and len(records) <= _SAMPLE_ROWS:
            records = records[:-1]  # the sample may cut the last record
    return [len(record) for record in records[:_SAMPLE_ROWS] if record]


def _check_sample_bytes(head: bytes) -> None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return  # UTF-16 text is half NUL bytes; its decoded sample is checked instead
    controls = len(_CONTROL_BYTE.findall(head))
    if b"\x00" in head or controls > _MAX_CONTROL_SHARE * len(head):
        raise _binary()


def _check_sample_text(sample: str) -> None:
    controls = len(_CONTROL.findall(sample))
    if "\x00" in sample or controls > _MAX_CONTROL_SHARE * len(sample):
        raise _binary()


def _scan_encoding(file: BinaryIO, head: bytes) -> str:
    """The encoding of the whole file; NUL bytes anywhere make it binary."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _scan_utf16(file)
        return UTF16
    decoder = codecs.getincrementaldecoder(UTF8)()
    is_utf8, undefined_at, offset = True, -1, 0
    while chunk := file.read(MIB):
        if b"\x00" in chunk:
            raise _binary()
        if is_utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                is_utf8 = False
        if undefined_at < 0 and (found := _CP1252_UNDEFINED.search(chunk)):
            undefined_at = offset + found.start()
        offset += len(chunk)
    if is_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    if is_utf8:
        return UTF8_SIG if head.startswith(codecs.BOM_UTF8) else UTF8
    if undefined_at >= 0:
        raise FileRejectedError(
            NOT_A_TABLE,
            f"The file is neither UTF-8 nor Windows-1252 text (byte {undefined_at:,}); save it "
            "as \"CSV UTF-8\" and retry.",
        )
    return CP1252


def _scan_utf16(file: BinaryIO) -> None:
    decoder = codecs.getincrementaldecoder(UTF16)()
    try:
        while chunk := file.read(MIB):
            if "\x00" in decoder.decode(chunk):
                raise _binary()
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise FileRejectedError(
            CORRUPT, f"The file starts as UTF-16 text but is damaged ({error.reason})."
        ) from error


def _text(path: Path, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(path.open("rb"), encoding=encoding, newline="")


def _binary() -> FileRejectedError:
    return FileRejectedError(
        NOT_A_TABLE,
        "The file is not a spreadsheet nor CSV text (it holds binary data: an image, a PDF, a "
        "program?).",
    )


def _csv_error(error: csv.Error, row: int, limits: Limits) -> FileRejectedError:
    if "field larger than field limit" in str(error):
        return FileRejectedError(
            CELL_TOO_LONG,
            f"Row {row} has a cell longer than {limits.max_cell_chars:,} characters (an "
            "unclosed quote?).",
            row,
        )
    return FileRejectedError(CORRUPT, f"Row {row} cannot be read as CSV: {error}.", row)


def _bounded_lines(
    text: io.TextIOWrapper, record: list[int], max_record: int, delimiter: str, limits: Limits
) -> Iterator[str]:
    """The physical lines ``csv.reader`` consumes, refusing a record longer than any row
    within the limits can be, so one 200 MB line (or a quote never closed) is never held in
    memory whole. ``record`` is [characters read of the current record, its number], reset
    by the caller after each record."""
    readline = text.readline
    while line := readline(max_record + 1 - record[0]):
        record[0] += len(line)
        if record[0] > max_record:
            row = record[1]
            if line.count(delimiter) >= limits.max_columns:
                raise FileRejectedError(
                    TOO_MANY_COLUMNS, f"Row {row} has more than {limits.max_columns} columns.", row
                )
            raise FileRejectedError(
                CELL_TOO_LONG,
                f"Row {row} has a cell longer than {limits.max_cell_chars:,} characters (an "
                "unclosed quote?).",
                row,
            )
        yield line
