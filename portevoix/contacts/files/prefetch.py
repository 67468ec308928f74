"""A large table read by a second process while this one checks its rows.

An import is Python work on both sides: parsing the file (an XLSX of 200,000 rows, about
3 s) and reading every number and checking every row (about as much). One process uses one
core, whatever the machine has. So a large file is read by a child process that hands its
rows over in chunks through a bounded queue: the two halves overlap, memory stays bounded
(at most ``QUEUED`` chunks in flight), and a refusal the reader meets (a cell too long on
row 812) is raised here with its code, message and row. A small file is read here: starting
a process costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from portevoix.contacts.files.errors import CORRUPT, FileRejectedError
from portevoix.contacts.files.tables import Table, open_table

PREFETCH_FROM = 2 * 1024 * 1024  # bytes
CHUNK = 2_000  # rows a message
QUEUED = 8  # chunks in flight
_POLL_S = 1.0


class Prefetched:
    """``table``'s rows (the ``Rows`` an import reads), from a child process when the file
    at ``path`` is large."""

    def __init__(self, table: Table, path: Path) -> None:
        self.table, self.path = table, path

    @property
    def format(self) -> str:
        return self.table.format

    def rows(self) -> Iterator[list[str]]:
        if self.path.stat().st_size < PREFETCH_FROM:
            yield from self.table.rows()
            return
        context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        chunks: Any = context.Queue(QUEUED)
        reader = context.Process(target=_read, args=(str(self.path), self.table.filename,
                                                     chunks), daemon=True)
        reader.start()
        try:
            while True:
                try:
                    item = chunks.get(timeout=_POLL_S)
                except queue.Empty:
                    if not reader.is_alive():
                        raise FileRejectedError(
                            CORRUPT, "The file could not be read to its end.") from None
                    continue
                if item is None:
                    return
                if isinstance(item, tuple):
                    raise FileRejectedError(*item)
                yield from item
        finally:
            if reader.is_alive():  # the consumer stopped early, or failed
                reader.terminate()
            reader.join(5)
            chunks.cancel_join_thread()
            chunks.close()


def _read(path: str, filename: str, chunks: Any) -> None:
    """The child: the table's rows in chunks, then None; or the refusal's arguments."""
    try:
        pending: list[list[str]] = []
        for row in open_table(Path(path), filename).rows():
            pending.append(row)
            if len(pending) == CHUNK:
                chunks.put(pending)
                pending = []
        if pending:
            chunks.put(pending)
        chunks.put(None)
    except FileRejectedError as error:
        chunks.put((error.code, error.message, error.row))
