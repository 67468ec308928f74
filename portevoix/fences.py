"""Fences: one ledger writer at a time across the processes sharing a store.

Web workers, the dispatcher and the CLI all write the ledger, and every send touches its
reseller's wallet: writers racing on it would collide on its version and retry, over and
over (a 2-worker web tier measured p99 latencies of seconds). Behind a fence they take
turns instead: a PostgreSQL advisory lock held on a connection of the fence's own, or an
exclusive ``flock`` on a file beside a SQLite store. Threads of one process take turns on a
lock first, so the session-level advisory lock is never taken twice by one connection.

A fence yields the :class:`Heads` of the log: the last notification id when the fence was
taken and when it was left. The PostgreSQL fence reads them in the same round trips as the
lock (pipelined after it) and the unlock (each round trip of the writer's is one more wait
for the GIL in a busy web worker); the file fence leaves them to the holder (``None``).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from portevoix.ledger.fencing import Heads

LEDGER_FENCE_KEY = 0x706576782D6C6467  # "pevx-ldg"


class PostgresFence:
    """``with fence():`` holds the advisory lock ``key`` (reconnecting when the connection
    was lost)."""

    def __init__(self, connect: dict[str, Any], key: int = LEDGER_FENCE_KEY,
                 events_table: tuple[str, str] | None = None) -> None:
        """``key`` is a signed 64-bit integer (PostgreSQL's bigint); ``events_table``
        (schema, table) is the log whose heads are read."""
        key &= 0xFFFFFFFFFFFFFFFF
        key = key - (1 << 64) if key >= 1 << 63 else key
        self._connect, self.key = connect, key
        head = (sql.SQL("(SELECT max(notification_id) FROM {}.{})").format(
            sql.Identifier(events_table[0]), sql.Identifier(events_table[1]))
            if events_table else sql.SQL("NULL::bigint"))
        self._lock_sql = sql.SQL("SELECT pg_advisory_lock(%s)")
        self._head_sql = sql.SQL("SELECT true, {}").format(head)
        self._unlock_sql = sql.SQL("SELECT pg_advisory_unlock(%s), {}").format(head)
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None

    @contextmanager
    def __call__(self) -> Iterator[Heads]:
        with self._lock:
            conn = self._connection()
            # Two statements in one round trip: the head is read once the lock is held. (In
            # one statement, its snapshot would be taken before the lock is granted, and
            # miss what the holder it waited for wrote.)
            with conn.pipeline():
                conn.execute(self._lock_sql, (self.key,))
                read = conn.execute(self._head_sql)
            heads = Heads(before=_head(read.fetchone()))
            try:
                yield heads
            finally:
                try:
                    heads.after = _head(conn.execute(self._unlock_sql, (self.key,)).fetchone())
                except psycopg.Error:  # the session is gone, and its lock with it
                    self.close()

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(autocommit=True, **self._connect)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class FileFence:
    """``with fence():`` holds an exclusive ``flock`` on ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None

    @contextmanager
    def __call__(self) -> Iterator[Heads]:
        with self._lock:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield Heads()
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _head(row: tuple[Any, ...] | None) -> int | None:
    return int(row[1] or 0) if row is not None and len(row) > 1 else None
