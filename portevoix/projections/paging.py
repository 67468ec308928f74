"""Keyset pagination of projection queries: cursors that say where a page ended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BindParameter, Column, bindparam


def as_datetime(value: datetime | str | None) -> datetime | None:
    """A settings or receipt time (a datetime, or ISO 8601 text; naive is UTC) in UTC."""
    if value is None or value == "":
        return None
    found = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def typed(columns: Sequence[Column[Any]], values: Sequence[Any]) -> list[BindParameter[Any]]:
    """``values`` bound as the types of ``columns`` (a row value's members are not typed by
    the row they are compared with, and SQLite stores UUIDs and times as text)."""
    return [bindparam(None, value, type_=column.type) for column, value in zip(
        columns, values, strict=True)]


class CursorError(ValueError):
    """A page cursor that no page gave out (edited, or truncated)."""

    def __init__(self, cursor: str) -> None:
        super().__init__(f"not a page cursor: {cursor!r}")
        self.cursor = cursor


def encode_cursor(created_at: datetime, key: str) -> str:
    """Where a page ended: its last row's creation time and key."""
    return f"{created_at.astimezone(UTC).isoformat()}|{key}"


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    at, _, key = cursor.partition("|")
    try:
        found = as_datetime(at)
    except ValueError:
        raise CursorError(cursor) from None
    if found is None or not key:
        raise CursorError(cursor)
    return found, key
