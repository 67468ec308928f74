"""The real storage parts: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL is the server at 127.0.0.1:5432 (database ``test``, trust auth); each test gets a
schema of its own, dropped afterwards. With ``CI`` set, a missing server fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from uuid import uuid4

import psycopg
import pytest

PG_DSN = "host=127.0.0.1 port=5432 dbname=test connect_timeout=3"


def postgres_schema_url() -> Iterator[str]:
    """A fresh schema on the test server, as a Portevoix database URL; dropped afterwards."""
    try:
        admin = psycopg.connect(PG_DSN, autocommit=True)
    except psycopg.OperationalError as error:
        message = f"PostgreSQL is required at 127.0.0.1:5432 (database test): {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    schema = f"t_{uuid4().hex[:12]}"
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield f"postgresql://127.0.0.1:5432/test?schema={schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/portevoix.db"
    else:
        yield from postgres_schema_url()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_schema_url()
