"""The running platform's parts, built from Settings: applications, projections, their engine.

The web app, the CLI, the dispatcher, the benchmarks and the tests all build their services
here, so every entry point sees the same wiring. Nothing connects at import; ``build_services``
does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy import Engine

from portevoix.ledger.services import Ledger
from portevoix.platform.blacklists import Blacklists
from portevoix.platform.dispatcher import Dispatcher
from portevoix.platform.price_book import PriceBook
from portevoix.platform.pricing import Pricing
from portevoix.platform.quoting import Quoting
from portevoix.platform.routing import Routing
from portevoix.platform.sending import Sending, utcnow
from portevoix.projections.balances import Balances
from portevoix.projections.blacklists import BlacklistEntries
from portevoix.projections.history import SentHistory
from portevoix.projections.journal import Journal, due_campaigns
from portevoix.projections.outbox import Outbox
from portevoix.projections.price_lists import PriceLists
from portevoix.projections.tenancy import TenancyDirectory
from portevoix.projections.tracking import ProjectionRunner
from portevoix.settings import Settings
from portevoix.storage import Storage
from portevoix.tenants.sender_service import SenderIds
from portevoix.tenants.services import Tenancy


@dataclass
class Services:
    settings: Settings
    ledger: Ledger
    tenancy: Tenancy
    pricing: Pricing
    routing: Routing
    senders: SenderIds
    blacklists: Blacklists
    quoting: Quoting
    price_book: PriceBook
    sending: Sending
    engine: Engine
    runners: list[ProjectionRunner]
    clock: Callable[[], datetime] = utcnow
    _follower: threading.Thread | None = field(default=None, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def catch_up(self) -> int:
        """Bring every projection up to date with its log; returns the events applied."""
        return sum(runner.catch_up() for runner in self.runners)

    def catch_up_outbox(self) -> int:
        return sum(r.catch_up() for r in self.runners if r.projection.name in _SEND_VIEWS)

    def rebuild_projections(self) -> int:
        return sum(runner.rebuild() for runner in self.runners)

    def dispatcher(self, batch: int = 64) -> Dispatcher:
        """A dispatcher for the due campaigns of the journal (brought up to date each round)."""

        journal = next(r for r in self.runners if r.projection.name == Journal.name)

        def due(now: datetime) -> list[UUID]:
            journal.catch_up()
            return due_campaigns(self.engine, now)

        return Dispatcher(self.ledger, self.routing, due, clock=self.clock, batch=batch,
                          on_closed=self.sending.repeat)

    def follow(self) -> None:
        """Keep the projections up to date in a background thread until ``close``."""

        def loop() -> None:
            while not self._stopping.wait(self.settings.projection_poll_s):
                self.catch_up()

        self._follower = threading.Thread(target=loop, name="projections", daemon=True)
        self._follower.start()

    def close(self) -> None:
        self._stopping.set()
        if self._follower is not None:
            self._follower.join(timeout=5)
        for app in (self.ledger, self.tenancy, self.pricing, self.routing, self.senders,
                    self.blacklists):
            app.close()
        self.engine.dispose()


_SEND_VIEWS = frozenset({Outbox.name, Journal.name})


def build_services(settings: Settings, clock: Callable[[], datetime] = utcnow) -> Services:
    storage = Storage(settings.database_url)
    cache = settings.aggregate_cache_size
    with storage.schema_lock():
        ledger = Ledger(env=storage.event_store_env("ledger", cache), clock=clock)
        tenancy = Tenancy(ledger, env=storage.event_store_env("tenants", cache))
        pricing = Pricing(env=storage.event_store_env("pricing", cache))
        routing = Routing(env=storage.event_store_env("routing", cache))
        senders = SenderIds(tenancy, env=storage.event_store_env("senders", cache))
        blacklists = Blacklists(env=storage.event_store_env("blacklists", 1_000))
        engine = storage.projection_engine()
        runners = [
            ProjectionRunner(ledger, Balances(), engine),
            ProjectionRunner(ledger, Outbox(), engine),
            ProjectionRunner(ledger, Journal(), engine),
            ProjectionRunner(tenancy, TenancyDirectory(), engine),
            ProjectionRunner(pricing, PriceLists(), engine),
            ProjectionRunner(blacklists, BlacklistEntries(), engine),
        ]
        for runner in runners:
            runner.create_tables()
    quoting = Quoting(pricing, tenancy, clock)
    outbox_runners = [r for r in runners if r.projection.name in _SEND_VIEWS]
    history = SentHistory(engine, lambda: [r.catch_up() for r in outbox_runners])
    sending = Sending(ledger, tenancy, quoting, senders, blacklists, history, clock)
    return Services(settings, ledger, tenancy, pricing, routing, senders, blacklists, quoting,
                    PriceBook(pricing, tenancy), sending, engine, runners, clock)
