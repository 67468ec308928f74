"""Why an uploaded contact file is refused: one error class with a code the portal can word."""

from __future__ import annotations

EMPTY = "empty"
NOT_A_TABLE = "not_a_table"
ZIP_BOMB = "zip_bomb"
TOO_LARGE = "too_large"
ENCRYPTED = "encrypted"
CORRUPT = "corrupt"
TOO_MANY_COLUMNS = "too_many_columns"
CELL_TOO_LONG = "cell_too_long"

CODES = frozenset({
    EMPTY, NOT_A_TABLE, ZIP_BOMB, TOO_LARGE, ENCRYPTED, CORRUPT, TOO_MANY_COLUMNS, CELL_TOO_LONG,
})


class FileRejectedError(ValueError):
    """The file cannot be read as a table; nothing was imported.

    ``code`` is one of ``CODES`` (for the portal to translate), ``message`` an English sentence
    naming the problem (also ``str(error)``), ``row`` the 1-based row when the problem was met
    while reading rows (a cell too long on row 812), else ``None``.
    """

    def __init__(self, code: str, message: str, row: int | None = None) -> None:
        if code not in CODES:
            raise ValueError(f"unknown rejection code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.row = row
