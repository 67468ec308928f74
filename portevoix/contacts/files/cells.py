"""Cell values as an import sees them, whatever the file format: text, stripped; numbers as
Excel shows them (integral ones as plain digits, so a phone number stored as a number comes
out as ``33612345678``); dates as ISO 8601. Also the per-row limits every reader applies."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Context, Decimal, InvalidOperation

from portevoix.contacts.files.errors import CELL_TOO_LONG, TOO_MANY_COLUMNS, FileRejectedError
from portevoix.contacts.files.limits import Limits

# Excel and LibreOffice hold numbers as doubles and show at most 15 significant digits; a
# stored 0.30000000000000004 or 12.300000000000001 is shown (and means) 0.3 and 12.3.
_SHOWN = Context(prec=15)
# Past 10**30 a number keeps its stored text: int() of 1E+999999999 would take forever.
_MAX_EXPONENT = 30

_EPOCH_1900 = datetime(1899, 12, 30)  # serial 61 is 1900-03-01 (Excel's fake 1900-02-29 is 60)
_EPOCH_1904 = datetime(1904, 1, 1)
_SECONDS_A_DAY = 86_400
_LAST_SERIAL = 2_958_465  # 9999-12-31


def number_text(value: str | float) -> str:
    """A number as Excel would show it in a General cell, without exponent.

    ``'3.3612345678E10'``, ``33612345678.0`` -> ``'33612345678'``; ``12.5`` -> ``'12.5'``;
    ``1e-07`` -> ``'0.0000001'``. Text that is not a finite number comes back unchanged.
    """
    text = repr(value) if isinstance(value, float) else value.strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite() or abs(number.adjusted()) > _MAX_EXPONENT:
        return text
    number = _SHOWN.plus(number)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def excel_serial_text(serial: float, date1904: bool = False) -> str | None:
    """ISO text of an Excel date serial: ``'2024-03-05'``, ``'2024-03-05T14:30:00'``, or
    ``'14:30:00'`` for a time alone (a serial below 1). ``None`` if no date matches it
    (negative, past 9999, or the 1900-02-29 that Excel invents), so the caller keeps the number.
    """
    if serial < 0 or serial > _LAST_SERIAL or (60 <= serial < 61 and not date1904):
        return None
    days = int(serial)
    seconds = round((serial - days) * _SECONDS_A_DAY)
    if seconds == _SECONDS_A_DAY:
        days, seconds = days + 1, 0
    if days == 0 and not date1904:
        return _time_text(seconds)
    if date1904:
        moment = _EPOCH_1904 + timedelta(days=days, seconds=seconds)
    elif days < 60:  # before Excel's fake leap day, serial 1 is 1900-01-01
        moment = _EPOCH_1900 + timedelta(days=days + 1, seconds=seconds)
    else:
        moment = _EPOCH_1900 + timedelta(days=days, seconds=seconds)
    return iso_text(moment)


def iso_text(moment: datetime) -> str:
    """``YYYY-MM-DD`` at midnight, else ``YYYY-MM-DDTHH:MM:SS`` (seconds truncated)."""
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _time_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def column_name(index: int) -> str:
    """Spreadsheet letters of a 0-based column index: 0 -> ``A``, 27 -> ``AB``."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def finish_row(cells: list[str], row: int, limits: Limits) -> list[str] | None:
    """The row as ``Table.rows()`` yields it, or ``None`` when every cell is empty.

    Cells are stripped and trailing empty cells dropped before the limits are checked, so a
    sheet whose formatting runs to column XFD is not refused. ``row`` is 1-based, for messages.
    """
    stripped = list(map(str.strip, cells))
    while stripped and not stripped[-1]:
        stripped.pop()
    if not stripped:
        return None
    if len(stripped) > limits.max_columns:
        raise too_many_columns(row, len(stripped), limits)
    if max(map(len, stripped)) > limits.max_cell_chars:
        index = next(i for i, cell in enumerate(stripped) if len(cell) > limits.max_cell_chars)
        raise cell_too_long(row, index, len(stripped[index]), limits)
    return stripped


def too_many_columns(row: int, columns: int, limits: Limits) -> FileRejectedError:
    return FileRejectedError(
        TOO_MANY_COLUMNS,
        f"Row {row} has {columns:,} columns; a contact file may have at most "
        f"{limits.max_columns}.",
        row,
    )


def cell_too_long(row: int, index: int, length: int, limits: Limits) -> FileRejectedError:
    return FileRejectedError(
        CELL_TOO_LONG,
        f"Cell {column_name(index)}{row} holds {length:,} characters; a cell may hold at most "
        f"{limits.max_cell_chars:,}.",
        row,
    )


def iso_date_text(text: str) -> str:
    """An ISO 8601 date or date-time as ``iso_text`` writes it (fractions and zone dropped);
    anything else unchanged."""
    try:
        return iso_text(datetime.fromisoformat(text.strip()))
    except ValueError:
        return text
