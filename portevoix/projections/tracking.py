"""Feeding projections from an application's notification log, exactly once.

A projection reads the log in pages (1,000 events by default) and applies each page in one
transaction that also advances its position row, so a page is applied wholly or not at all and
never twice: a runner that finds the position moved under it (another runner got there first)
rolls back. ``rebuild`` drops the projection's tables and replays the whole log.
"""

from __future__ import annotations

import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Protocol, TypeVar, get_args, get_type_hints

from eventsourcing.application import Application
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    MetaData,
    Select,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

H = TypeVar("H", bound=Callable[..., None])

positions_metadata = MetaData()
positions = Table(
    "projection_positions",
    positions_metadata,
    Column("projection", String(80), primary_key=True),
    Column("position", BigInteger, nullable=False),
)


class EventHandlers:
    """A projection's handlers, by the event class (or union of classes) that the
    ``event`` parameter is annotated with::

        handles = EventHandlers()

        @handles
        def account_opened(event: Account.Opened, page: Page) -> None: ...
    """

    def __init__(self) -> None:
        self._by_type: dict[type, Callable[..., None]] = {}

    def __call__(self, handler: H) -> H:
        hint = get_type_hints(handler)["event"]
        for event_class in get_args(hint) or (hint,):  # a union registers each member
            self._by_type[event_class] = handler
        return handler

    def apply(self, events: Sequence[Any], target: Any) -> None:
        """Apply each event's handler to ``target``; events without one are skipped."""
        by_type = self._by_type
        for event in events:
            handler = by_type.get(type(event))
            if handler is not None:
                handler(event, target)


class PositionMovedError(RuntimeError):
    """Another runner applied this page first; ours was rolled back."""


class Projection(ABC):
    """A read model: its tables, and how a page of domain events changes them."""

    name: str
    metadata: MetaData

    @abstractmethod
    def apply_page(self, events: Sequence[Any], conn: Connection) -> None:
        """Apply ``events`` (in log order) to the tables; never commits."""


class Page(Protocol):
    """What a page of events touches: read once (``preload``), changed in memory by the
    handlers, written in bulk (``flush``)."""

    def __init__(self, conn: Connection) -> None: ...

    def preload(self, events: Sequence[Any]) -> None: ...

    def flush(self) -> None: ...


class PagedProjection(Projection):
    """A projection that folds each page in memory before writing it: ``page_type`` holds
    the rows, ``handlers`` change them."""

    handlers: ClassVar[EventHandlers]
    page_type: ClassVar[type[Page]]

    def apply_page(self, events: Sequence[Any], conn: Connection) -> None:
        page = self.page_type(conn)
        page.preload(events)
        self.handlers.apply(events, page)
        page.flush()


class ProjectionRunner:
    """Keeps one projection up to date with one application's log."""

    def __init__(self, app: Application[Any], projection: Projection, engine: Engine,
                 page_size: int = 1000) -> None:
        self.app, self.projection, self.engine = app, projection, engine
        self.page_size = page_size
        self._lock = threading.Lock()

    def create_tables(self) -> None:
        positions_metadata.create_all(self.engine)
        self.projection.metadata.create_all(self.engine)
        with contextlib.suppress(IntegrityError), self.engine.begin() as conn:
            conn.execute(insert(positions).values(projection=self.projection.name, position=0))

    def position(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(self._select_position()).scalar_one())

    def _select_position(self) -> Select[tuple[int]]:
        return select(positions.c.position).where(positions.c.projection == self.projection.name)

    def _lock_position(self, conn: Connection) -> int:
        """Start the page's transaction holding the position, so that runners take turns."""
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return int(conn.execute(self._select_position()).scalar_one())
        return int(conn.execute(self._select_position().with_for_update()).scalar_one())

    def catch_up(self) -> int:
        """Apply every event recorded since the last page; returns how many were applied."""
        applied = 0
        with self._lock:
            while True:
                try:
                    count = self._apply_next_page()
                except PositionMovedError:
                    continue  # another runner applied that page; read on from its position
                if not count:
                    return applied
                applied += count

    def _apply_next_page(self) -> int:
        with self.engine.connect() as conn:
            start = self._lock_position(conn)
            notifications = self.app.recorder.select_notifications(
                start=start + 1, limit=self.page_size
            )
            if not notifications:
                conn.rollback()
                return 0
            to_event = self.app.mapper.to_domain_event
            self.projection.apply_page([to_event(n) for n in notifications], conn)
            moved = conn.execute(
                update(positions)
                .where(positions.c.projection == self.projection.name)
                .where(positions.c.position == start)
                .values(position=notifications[-1].id)
            ).rowcount
            if moved != 1:
                raise PositionMovedError(self.projection.name)
            conn.commit()
            return len(notifications)

    def rebuild(self) -> int:
        """Drop the tables, replay the whole log; returns the number of events applied."""
        with self._lock:
            self.projection.metadata.drop_all(self.engine)
            self.create_tables()
            with self.engine.begin() as conn:
                conn.execute(
                    update(positions)
                    .where(positions.c.projection == self.projection.name)
                    .values(position=0)
                )
        return self.catch_up()
