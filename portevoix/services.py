"""The running platform's parts, built from Settings: applications, projections, their engine.

The web app, the CLI, the benchmarks and the tests all build their services here, so every
entry point sees the same wiring. Nothing connects at import; ``build_services`` does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine

from portevoix.ledger.services import Ledger
from portevoix.platform.price_book import PriceBook
from portevoix.platform.pricing import Pricing
from portevoix.platform.quoting import Quoting
from portevoix.platform.routing import Routing
from portevoix.projections.balances import Balances
from portevoix.projections.price_lists import PriceLists
from portevoix.projections.tenancy import TenancyDirectory
from portevoix.projections.tracking import ProjectionRunner
from portevoix.settings import Settings
from portevoix.storage import Storage
from portevoix.tenants.services import Tenancy


@dataclass
class Services:
    settings: Settings
    ledger: Ledger
    tenancy: Tenancy
    pricing: Pricing
    routing: Routing
    quoting: Quoting
    price_book: PriceBook
    engine: Engine
    runners: list[ProjectionRunner]
    _follower: threading.Thread | None = field(default=None, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def catch_up(self) -> int:
        """Bring every projection up to date with its log; returns the events applied."""
        return sum(runner.catch_up() for runner in self.runners)

    def rebuild_projections(self) -> int:
        return sum(runner.rebuild() for runner in self.runners)

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
        for app in (self.ledger, self.tenancy, self.pricing, self.routing):
            app.close()
        self.engine.dispose()


def build_services(settings: Settings) -> Services:
    storage = Storage(settings.database_url)
    cache = settings.aggregate_cache_size
    with storage.schema_lock():
        ledger = Ledger(env=storage.event_store_env("ledger", cache))
        tenancy = Tenancy(ledger, env=storage.event_store_env("tenants", cache))
        pricing = Pricing(env=storage.event_store_env("pricing", cache))
        routing = Routing(env=storage.event_store_env("routing", cache))
        engine = storage.projection_engine()
        runners = [
            ProjectionRunner(ledger, Balances(), engine),
            ProjectionRunner(tenancy, TenancyDirectory(), engine),
            ProjectionRunner(pricing, PriceLists(), engine),
        ]
        for runner in runners:
            runner.create_tables()
    return Services(settings, ledger, tenancy, pricing, routing, Quoting(pricing, tenancy),
                    PriceBook(pricing, tenancy), engine, runners)
