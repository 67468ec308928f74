"""Contact imports as the channels drive them: upload → dry run → (another mapping) → commit.

The upload is examined at once: the mapping is the one the customer chose, or guessed from
the first rows (``mapping.guess_mapping``), and the answer is the dry-run report. The
customer may examine the same file again with another mapping or target. The commit of a
list or blacklist import runs on a worker thread (a million rows take about a minute); its
caller may wait a few seconds for it, and otherwise reads the outcome from the session. A
personalised sheet is not committed: a send names it (``personalised_recipients``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import IO, Any
from uuid import UUID

from portevoix.contacts.fields import Consent, ContactsError
from portevoix.contacts.files import FileRejectedError, open_table
from portevoix.contacts.import_rows import TARGET_PERSONALISED
from portevoix.contacts.import_sessions import (
    COMMITTED,
    EXAMINED,
    ImportSession,
    ImportSessions,
)
from portevoix.contacts.importing import (
    ContactImportError,
    ImportReport,
    ImportRequest,
    ImportStore,
    commit,
    dry_run,
    personalised_recipients,
)
from portevoix.contacts.mapping import Mapping, guess_mapping

GUESS_ROWS = 20  # rows read to guess the mapping
PREVIEW_ROWS = 5  # rows shown with the report


class ImportStateError(ValueError):
    """The import is not in a state for this (committed already, or a personalised sheet)."""


@dataclass(frozen=True)
class Choice:
    """What the customer asks of a file; ``columns`` None: guessed from the file."""

    target: str
    columns: tuple[str, ...] | None = None
    has_header: bool | None = None
    list_id: UUID | None = None
    new_list_name: str = ""
    country: str = "FR"
    consent: Consent | None = None

    def as_json(self) -> dict[str, Any]:
        consent = None if self.consent is None else {
            "source": self.consent.source, "given_at": self.consent.given_at.isoformat(),
            "wording": self.consent.wording, "channel": self.consent.channel}
        return {"target": self.target, "list_id": str(self.list_id) if self.list_id else None,
                "new_list_name": self.new_list_name, "country": self.country,
                "consent": consent}


class ContactImports:
    def __init__(self, sessions: ImportSessions, store: ImportStore,
                 clock: Callable[[], datetime]) -> None:
        self.sessions, self.store, self.clock = sessions, store, clock
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="contact-imports")
        self._running: dict[UUID, Future[None]] = {}

    def close(self) -> None:
        self._worker.shutdown(wait=True)

    def upload(self, customer_id: UUID, filename: str, stream: IO[bytes],
               choice: Choice) -> ImportSession:
        """Keep the file and examine it; a refused file (unreadable, a bad mapping, no data
        rows) is not kept, and the refusal is raised."""
        import_id, size = self.sessions.receive(stream)
        try:
            request, report = self._examine(customer_id, import_id, filename, choice)
        except BaseException:
            self.sessions.discard(import_id)
            raise
        self.sessions.record(import_id, customer_id, filename, size,
                             _request_json(request, choice), report, self.clock())
        return self.get(customer_id, import_id)

    def examine_again(self, customer_id: UUID, import_id: UUID, choice: Choice
                      ) -> ImportSession:
        session = self.get(customer_id, import_id)
        if session.state != EXAMINED:
            raise ImportStateError(f"the import is {session.state}: upload the file again")
        request, report = self._examine(customer_id, import_id, session.filename, choice)
        self.sessions.reexamined(import_id, _request_json(request, choice), report)
        return self.get(customer_id, import_id)

    def preview(self, import_id: UUID, filename: str) -> list[list[str]]:
        """The file's first rows as read, to show beside the mapping."""
        path = self.sessions.path_of(import_id)
        if not path.exists():
            return []
        return list(islice(open_table(path, filename).rows(), PREVIEW_ROWS))

    def commit(self, customer_id: UUID, import_id: UUID, wait_s: float = 5.0
               ) -> ImportSession:
        """Start the commit (or find it running) and wait up to ``wait_s`` for it."""
        session = self.get(customer_id, import_id)
        if session.state == COMMITTED:
            return session
        request = _request_of(customer_id, session)
        if request.target == TARGET_PERSONALISED:
            raise ImportStateError("a personalised sheet is not committed: send it, naming "
                                   "its import_id")
        self._running = {i: f for i, f in self._running.items() if not f.done()}
        running = self._running.get(import_id)
        if running is None:
            if not self.sessions.start_commit(customer_id, import_id):
                return self.get(customer_id, import_id)
            running = self._worker.submit(self._commit, import_id, request, session)
            self._running[import_id] = running
        with suppress(FutureTimeout):
            running.result(timeout=wait_s)
        return self.get(customer_id, import_id)

    def recipients(self, customer_id: UUID, import_id: UUID
                   ) -> list[tuple[str, dict[str, str]]]:
        """A personalised sheet's rows for a send."""
        session = self.get(customer_id, import_id)
        request = _request_of(customer_id, session)
        if request.target != TARGET_PERSONALISED:
            raise ImportStateError("this import is not a personalised sheet")
        return list(personalised_recipients(self.sessions.path_of(import_id), request,
                                            session.filename))

    def _commit(self, import_id: UUID, request: ImportRequest, session: ImportSession) -> None:
        try:
            result = commit(self.sessions.path_of(import_id), request,
                            str(session.report["fingerprint"]), self.store, session.filename,
                            self.sessions.spool_of(import_id))
        except (ContactImportError, ContactsError, FileRejectedError, OSError) as error:
            self.sessions.fail(import_id, str(error))
            return
        except Exception as error:  # shown on the import, and logged
            self.sessions.fail(import_id, f"the commit failed: {error}")
            raise
        self.sessions.finish(import_id, result, self.clock())

    def _examine(self, customer_id: UUID, import_id: UUID, filename: str, choice: Choice
                 ) -> tuple[ImportRequest, ImportReport]:
        path = self.sessions.path_of(import_id)
        if choice.columns is None:
            first = list(islice(open_table(path, filename).rows(), GUESS_ROWS))
            mapping = guess_mapping(first, choice.target)
            if choice.has_header is not None:
                mapping = Mapping(mapping.columns, choice.has_header)
        else:
            mapping = Mapping(choice.columns, bool(choice.has_header))
        request = ImportRequest(customer_id, choice.target, mapping, choice.list_id,
                                choice.new_list_name, choice.country, choice.consent)
        return request, dry_run(path, request, self.store, filename,
                                self.sessions.spool_of(import_id))

    def get(self, customer_id: UUID, import_id: UUID) -> ImportSession:
        found = self.sessions.get(customer_id, import_id)
        if found is None:
            raise LookupError(f"no import {import_id}")
        return found


def _request_json(request: ImportRequest, choice: Choice) -> dict[str, Any]:
    return {**choice.as_json(), "columns": list(request.mapping.columns),
            "has_header": request.mapping.has_header}


def _request_of(customer_id: UUID, session: ImportSession) -> ImportRequest:
    data = session.request
    consent = None if data["consent"] is None else Consent(
        data["consent"]["source"], datetime.fromisoformat(data["consent"]["given_at"]),
        data["consent"]["wording"], data["consent"]["channel"])
    return ImportRequest(
        customer_id, data["target"], Mapping(tuple(data["columns"]), data["has_header"]),
        UUID(data["list_id"]) if data["list_id"] else None, data["new_list_name"],
        data["country"], consent)
