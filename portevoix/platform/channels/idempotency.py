"""``Idempotency-Key`` on the JSON API's POSTs: the stored response of a request made again.

A client that lost a response sends the same request with the same key and gets the same
status and body, whatever happened in between; the same key with another body is a client
bug, answered 409. The key is the client's, so it is scoped by customer.

Why a table and not events: a stored response is a cache of what we answered, not a business
fact. The facts (a campaign submitted, credit held) are already events, and a send with a
``reference`` is idempotent in the domain itself; replaying the log would never need these
rows, and they may be purged at any time (after 24 hours, say) without losing anything but
the replay. So they live in a small table beside the projections, in the projection engine,
created on first use with SQLAlchemy Core; the projection runners neither read nor rebuild it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

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
)
from sqlalchemy.exc import IntegrityError

MAX_KEY = 255

metadata = MetaData()
responses = Table(
    "api_idempotent_responses",
    metadata,
    Column("customer_id", Uuid, primary_key=True),
    Column("key", String(MAX_KEY), primary_key=True),
    Column("request_sha256", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

_created: set[int] = set()
_lock = threading.Lock()


@dataclass(frozen=True)
class Stored:
    request_sha256: str
    status: int
    body: str


def request_digest(method: str, path: str, body: bytes) -> str:
    """The SHA-256 of the request: its method, path and body (JSON in a canonical form, so
    that spacing and key order do not make another request)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


def _ensure_table(engine: Engine) -> None:
    with _lock:
        if id(engine) not in _created:
            metadata.create_all(engine, checkfirst=True)
            _created.add(id(engine))


def find(engine: Engine, customer_id: UUID, key: str) -> Stored | None:
    _ensure_table(engine)
    query = select(responses.c.request_sha256, responses.c.status, responses.c.body).where(
        responses.c.customer_id == customer_id, responses.c.key == key)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else Stored(row.request_sha256, row.status, row.body)


def store(engine: Engine, customer_id: UUID, key: str, stored: Stored) -> Stored:
    """Keep ``stored``; if a concurrent request with the key stored first, that one is
    returned (the client gets one answer per key)."""
    _ensure_table(engine)
    try:
        with engine.begin() as conn:
            conn.execute(insert(responses).values(
                customer_id=customer_id, key=key, request_sha256=stored.request_sha256,
                status=stored.status, body=stored.body, created_at=datetime.now(UTC)))
    except IntegrityError:
        first = find(engine, customer_id, key)
        if first is not None:
            return first
        raise
    return stored
