"""What a dry run accepted, kept on disk for its commit, so the commit need not read and
check the file a second time.

The spool is a pickle stream beside the upload, the accepted rows chunk by chunk, with the
dry run's report (whose fingerprint names the file they came from) in a file of its own.
Both are written under temporary names and renamed once complete, the rows last, so a spool
that exists is whole. Only the platform
writes spools, into its own uploads directory; the uploaded file itself is never unpickled.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any


class SpoolWriter:
    """Chunks of records, then ``finish(report)``; a spool not finished is removed."""

    def __init__(self, path: Path) -> None:
        self.path, self._partial = path, path.with_suffix(".partial")
        self._file: IO[bytes] | None = None

    def __enter__(self) -> SpoolWriter:
        self._file = self._partial.open("wb")
        return self

    def write(self, records: Sequence[tuple[Any, ...]]) -> None:
        assert self._file is not None
        pickle.dump(list(records), self._file, pickle.HIGHEST_PROTOCOL)

    def finish(self, report: object) -> None:
        assert self._file is not None
        self._file.close()
        partial_report = _report_path(self.path).with_suffix(".partial-report")
        partial_report.write_bytes(pickle.dumps(report, pickle.HIGHEST_PROTOCOL))
        os.replace(partial_report, _report_path(self.path))
        os.replace(self._partial, self.path)

    def __exit__(self, *exc: object) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()
        self._partial.unlink(missing_ok=True)


def _report_path(path: Path) -> Path:
    return path.with_suffix(".report")


def read_spool(path: Path) -> tuple[object, Iterator[list[tuple[Any, ...]]]] | None:
    """The dry run's report and the spooled chunks in order; None if there is no spool."""
    if not path.exists():
        return None
    try:
        report = pickle.loads(_report_path(path).read_bytes())  # ours: see the docstring
    except FileNotFoundError:
        return None

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        with path.open("rb") as file:
            while True:
                try:
                    yield pickle.load(file)  # written by SpoolWriter only
                except EOFError:
                    return

    return report, chunks()


def remove_spool(path: Path) -> None:
    path.unlink(missing_ok=True)
    _report_path(path).unlink(missing_ok=True)
