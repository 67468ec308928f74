"""Where events and projections live: one URL chooses SQLite, PostgreSQL or memory.

Each event-sourced application (ledger, tenants, ...) gets its own tables. On PostgreSQL they
share one database (tables prefixed by the application's name, optionally in a schema); on
SQLite each application needs a file of its own, so ``var/portevoix.db`` holds the projections
and ``var/portevoix.ledger.db``, ``var/portevoix.tenants.db`` the event stores beside it.
"""

from __future__ import annotations

import getpass
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

from portevoix.event_store import TOPIC as COPYING_RECORDER_TOPIC
from portevoix.fences import LEDGER_FENCE_KEY, FileFence, PostgresFence

SCHEMA_LOCK_KEY = 0x706F727465766F78  # "portevox": the advisory lock that serialises DDL


class StorageURLError(ValueError):
    """The database URL names no storage we know how to use."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"unsupported PORTEVOIX_DATABASE_URL {url!r}: use sqlite:///path.db, "
            "postgresql://user@host:port/dbname[?schema=name] or memory://"
        )
        self.url = url


@dataclass(frozen=True)
class Storage:
    """The parsed database URL, able to configure event stores and the projection engine."""

    url: str

    @property
    def kind(self) -> str:
        scheme = urlsplit(self.url).scheme
        if scheme == "sqlite":
            return "sqlite"
        if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
            return "postgres"
        if scheme == "memory":
            return "memory"
        raise StorageURLError(self.url)

    @property
    def sqlite_path(self) -> Path:
        """The projection database file of a ``sqlite:///`` URL (relative to the cwd)."""
        path = self.url.removeprefix("sqlite:///")
        return Path(path)

    @property
    def postgres_schema(self) -> str:
        values = parse_qs(urlsplit(self.url).query).get("schema", [""])
        return values[0]

    def event_store_env(self, app_name: str, cache_size: int = 10_000) -> dict[str, str]:
        """The ``eventsourcing`` environment for the application called ``app_name``."""
        env = {"AGGREGATE_CACHE_MAXSIZE": str(cache_size)}
        kind = self.kind
        if kind == "memory":
            env["PERSISTENCE_MODULE"] = "eventsourcing.popo"
        elif kind == "sqlite":
            path = self.sqlite_path
            path.parent.mkdir(parents=True, exist_ok=True)
            env["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
            env["SQLITE_DBNAME"] = str(path.with_suffix(f".{app_name}{path.suffix}"))
            env["SQLITE_LOCK_TIMEOUT"] = "30"
        else:
            parts = urlsplit(self.url)
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": parts.path.lstrip("/") or "portevoix",
                "POSTGRES_HOST": parts.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(parts.port or 5432),
                "POSTGRES_USER": unquote(parts.username or getpass.getuser()),
                "POSTGRES_PASSWORD": unquote(parts.password or ""),
                "POSTGRES_SCHEMA": self.postgres_schema,
                "POSTGRES_POOL_SIZE": "1",  # opened at start: keep idle connections few
                # At most five a store per process: a web worker's concurrent requests
                # (gevent: up to its worker_connections) wait their turn on a cold cache
                # rather than each opening one; its read-mostly stores are cached.
                "POSTGRES_MAX_OVERFLOW": "4",
                "POSTGRES_LOCK_TIMEOUT": "10",
                "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "30",
                "APPLICATION_RECORDER_TOPIC": COPYING_RECORDER_TOPIC,
            }
        return env

    def ledger_fence(self) -> PostgresFence | FileFence | None:
        """What the ledger's writers of every process take turns on (none in memory)."""
        kind = self.kind
        if kind == "memory":
            return None
        if kind == "sqlite":
            path = self.sqlite_path
            return FileFence(path.with_suffix(f".ledger{path.suffix}.lock"))
        env = self.event_store_env("fence")
        key = LEDGER_FENCE_KEY ^ zlib.crc32(self.postgres_schema.encode())  # one per schema
        return PostgresFence(key=key, events_table=(self.postgres_schema or "public",
                                                    "ledger_events"), connect={
            "dbname": env["POSTGRES_DBNAME"], "host": env["POSTGRES_HOST"],
            "port": env["POSTGRES_PORT"], "user": env["POSTGRES_USER"],
            "password": env["POSTGRES_PASSWORD"] or None,
        })

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        """Hold while creating tables: on PostgreSQL, processes starting at once would race
        on the same DDL ("tuple concurrently updated"), so they take turns on an advisory
        lock. Elsewhere there is nothing to hold."""
        if self.kind != "postgres":
            yield
            return
        env = self.event_store_env("lock")
        with psycopg.connect(
            dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None, autocommit=True,
        ) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))

    def projection_engine(self) -> Engine:
        """A SQLAlchemy engine for the projection tables (created lazily by the caller)."""
        kind = self.kind
        if kind == "memory":
            return create_engine(
                "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        if kind == "sqlite":
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(f"sqlite:///{self.sqlite_path}", connect_args={"timeout": 30})
            event.listen(engine, "connect", _tune_sqlite)
            return engine
        parts = urlsplit(self.url)
        user = unquote(parts.username or getpass.getuser())
        password = f":{parts.password}" if parts.password else ""
        url = (
            f"postgresql+psycopg://{user}{password}@{parts.hostname or '127.0.0.1'}:"
            f"{parts.port or 5432}/{parts.path.lstrip('/') or 'portevoix'}"
        )
        connect_args: dict[str, Any] = {}
        if self.postgres_schema:
            connect_args["options"] = f"-csearch_path={self.postgres_schema}"
        # Enough connections kept for a web worker's threads: a connection opened and
        # closed per request (the pool's overflow) costs more than the query it serves.
        return create_engine(url, connect_args=connect_args, pool_size=10, max_overflow=10)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
