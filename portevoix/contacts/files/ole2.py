"""OLE2 compound documents: an Excel 97-2003 workbook, or an encrypted OOXML file.

Office saves a password-protected XLSX as an OLE2 file holding ``EncryptionInfo`` and
``EncryptedPackage`` streams; we cannot read it and say so, rather than calling it corrupt.
"""

from __future__ import annotations

import io
import mmap
from pathlib import Path

from xlrd.compdoc import CompDoc

from portevoix.contacts.files.errors import CORRUPT, ENCRYPTED, NOT_A_TABLE, FileRejectedError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORKBOOK_STREAMS = frozenset({"Workbook", "Book"})  # BIFF8, and BIFF5 from Excel 95


def check_ole2_workbook(path: Path) -> None:
    """Refuse the compound document unless it holds an Excel workbook stream."""
    names = _stream_names(path)
    if "EncryptedPackage" in names:
        raise FileRejectedError(
            ENCRYPTED, "The workbook is password-protected; save it without a password and retry."
        )
    if not names & _WORKBOOK_STREAMS:
        raise FileRejectedError(
            NOT_A_TABLE,
            "The file is an Office document but not an Excel workbook (a Word or PowerPoint "
            "file?).",
        )


def _stream_names(path: Path) -> set[str]:
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mem:
        try:
            document = CompDoc(mem, logfile=io.StringIO())
            return {node.name for node in document.dirlist}
        except Exception as error:  # xlrd raises anything from struct.error to IndexError
            raise FileRejectedError(
                CORRUPT, f"The file looks like an Excel 97-2003 workbook but is damaged: {error}."
            ) from error
