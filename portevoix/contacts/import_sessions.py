"""Uploaded contact files between their dry run and their commit, and what became of them.

An import is two requests (seed 002: choose the columns, look, then load): the upload answers
with the dry-run report, the confirmation commits. Between the two the file waits in the
uploads directory under a random name, and a row of ``contact_imports`` remembers whose it
is, what was asked (target, list, mapping) and the report. The commit runs in the
background (a million rows take a while) and records its own report; a commit that died with
its process is shown as ``committing`` until it is committed again, which completes it
(the import skips what is already in the list). A committed import's file is deleted.

This is a working table, not a projection: the events are the address book's.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID, uuid4

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    insert,
    select,
    update,
)

from portevoix.contacts.files import Limits
from portevoix.contacts.import_spool import remove_spool
from portevoix.contacts.importing import ImportReport
from portevoix.projections.paging import as_datetime

EXAMINED, COMMITTING, COMMITTED, FAILED = "examined", "committing", "committed", "failed"
STATES = (EXAMINED, COMMITTING, COMMITTED, FAILED)
MAX_FILENAME = 255

metadata = MetaData()

contact_imports = Table(
    "contact_imports",
    metadata,
    Column("import_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False, index=True),
    Column("filename", String(MAX_FILENAME), nullable=False),
    Column("size", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("request", Text, nullable=False),  # JSON: target, list, mapping, country, consent
    Column("report", Text, nullable=False),  # JSON: the dry run's
    Column("result", Text, nullable=False, default=""),  # JSON: the commit's, once done
    Column("error", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("committed_at", DateTime(timezone=True)),
)


class UploadTooLargeError(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is larger than {limit // (1024 * 1024)} MB")
        self.limit = limit


@dataclass(frozen=True)
class ImportSession:
    import_id: UUID
    customer_id: UUID
    filename: str
    size: int
    state: str
    request: dict[str, Any]
    report: dict[str, Any]
    result: dict[str, Any] | None
    error: str
    created_at: datetime
    committed_at: datetime | None


def report_json(report: ImportReport) -> dict[str, Any]:
    found = asdict(report)
    found["list_id"] = None if report.list_id is None else str(report.list_id)
    found["samples"] = {category: [{"row": s[0], "raw": s[1], "detail": s[2]} for s in samples]
                        for category, samples in report.samples.items()}
    return found


class ImportSessions:
    """The uploads directory and the ``contact_imports`` table."""

    def __init__(self, engine: Engine, directory: Path, limits: Limits | None = None) -> None:
        self.engine, self.directory = engine, directory
        self.limits = limits or Limits()

    def create_tables(self) -> None:
        metadata.create_all(self.engine)

    def path_of(self, import_id: UUID) -> Path:
        return self.directory / f"{import_id}.upload"

    def spool_of(self, import_id: UUID) -> Path:
        """Where the dry run keeps what the commit will write (``import_spool``)."""
        return self.directory / f"{import_id}.spool"

    def receive(self, stream: IO[bytes]) -> tuple[UUID, int]:
        """Copy an upload to its place, streamed, refusing it past ``limits.max_bytes``."""
        import_id = uuid4()
        self.directory.mkdir(parents=True, exist_ok=True)
        path, size = self.path_of(import_id), 0
        try:
            with path.open("wb") as out:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    size += len(block)
                    if size > self.limits.max_bytes:
                        raise UploadTooLargeError(self.limits.max_bytes)
                    out.write(block)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return import_id, size

    def record(self, import_id: UUID, customer_id: UUID, filename: str, size: int,
               request: dict[str, Any], report: ImportReport, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(contact_imports).values(
                import_id=import_id, customer_id=customer_id, filename=filename[:MAX_FILENAME],
                size=size, state=EXAMINED, request=json.dumps(request),
                report=json.dumps(report_json(report)), result="", error="",
                created_at=now))

    def reexamined(self, import_id: UUID, request: dict[str, Any], report: ImportReport
                   ) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(contact_imports).where(
                contact_imports.c.import_id == import_id).values(
                request=json.dumps(request), report=json.dumps(report_json(report))))

    def discard(self, import_id: UUID) -> None:
        """An upload refused, or committed: nothing of it is kept."""
        self.path_of(import_id).unlink(missing_ok=True)
        remove_spool(self.spool_of(import_id))

    def get(self, customer_id: UUID, import_id: UUID) -> ImportSession | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(contact_imports).where(
                contact_imports.c.import_id == import_id,
                contact_imports.c.customer_id == customer_id)).first()
        return None if row is None else _session(row)

    def recent(self, customer_id: UUID, limit: int = 50) -> list[ImportSession]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(contact_imports)
                                .where(contact_imports.c.customer_id == customer_id)
                                .order_by(contact_imports.c.created_at.desc())
                                .limit(limit)).all()
        return [_session(row) for row in rows]

    def start_commit(self, customer_id: UUID, import_id: UUID) -> bool:
        """Mark the import as committing; False if it is committed already (or gone)."""
        with self.engine.begin() as conn:
            done = conn.execute(update(contact_imports).where(
                contact_imports.c.import_id == import_id,
                contact_imports.c.customer_id == customer_id,
                contact_imports.c.state.in_((EXAMINED, COMMITTING, FAILED)),
            ).values(state=COMMITTING, error=""))
        return done.rowcount == 1

    def finish(self, import_id: UUID, result: ImportReport, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(contact_imports).where(
                contact_imports.c.import_id == import_id).values(
                state=COMMITTED, result=json.dumps(report_json(result)), committed_at=now))
        self.discard(import_id)

    def fail(self, import_id: UUID, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(contact_imports).where(
                contact_imports.c.import_id == import_id).values(state=FAILED, error=error))


def _session(row: Any) -> ImportSession:
    return ImportSession(
        row.import_id, row.customer_id, row.filename, row.size, row.state,
        json.loads(row.request), json.loads(row.report),
        json.loads(row.result) if row.result else None, row.error,
        as_datetime(row.created_at) or row.created_at, as_datetime(row.committed_at))
