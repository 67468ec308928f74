"""Our PostgreSQL event recorder: the library's, inserting each save with binary COPY.

The library inserts a save's events as an array of a composite type, which psycopg dumps in
pure Python (about 12 µs an event here); binary COPY takes about 4.5 µs. The table, its lock
(saves are serialised so notification ids commit in order), the NOTIFY and the uniqueness of
(originator_id, originator_version) that gives optimistic concurrency are all the library's.
COPY returns no notification ids, so recordings come back empty; nothing here reads them.

A save is four round trips, not the library's nine: the transaction's start, lock timeout,
table lock and NOTIFY go in one simple query; then the COPY; then COMMIT.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Composed, Identifier

TOPIC = "portevoix.event_store:CopyingPostgresApplicationRecorder"


class CopyingPostgresApplicationRecorder(PostgresApplicationRecorder):
    @functools.cached_property
    def _start(self) -> Composed:
        """Begin, lock timeout, table lock and NOTIFY: one simple query."""
        return SQL("BEGIN; {0}; NOTIFY {1}").format(
            SQL("; ").join(self.lock_table_statements), Identifier(self.channel_name))

    @functools.cached_property
    def _copy(self) -> Composed:
        return SQL(
            "COPY {0}.{1} (originator_id, originator_version, topic, state) "
            "FROM STDIN (FORMAT BINARY)"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        with self.datastore.get_connection() as conn:
            autocommit = conn.autocommit
            conn.autocommit = True  # the transaction is begun by ``_start`` itself
            try:
                with conn.cursor() as curs:
                    curs.execute(self._start)
                    try:
                        with curs.copy(self._copy) as copy:
                            copy.set_types(["uuid", "int8", "text", "bytea"])
                            for event in stored_events:
                                copy.write_row((event.originator_id, event.originator_version,
                                                event.topic, event.state))
                        curs.execute(_COMMIT)
                    except BaseException:
                        with contextlib.suppress(psycopg.Error):
                            curs.execute(_ROLLBACK)
                        raise
            finally:
                with contextlib.suppress(psycopg.Error):
                    conn.autocommit = autocommit
        return None


_COMMIT, _ROLLBACK = SQL("COMMIT"), SQL("ROLLBACK")
