"""A platform ready to send, for the send pipeline's tests: a reseller with wholesale credit
and a default sender, a customer with retail credit, price lists, and a route to a running
SMSC simulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

from portevoix.platform.prices import SMS, PriceEntry
from portevoix.platform.routes import RouteSpec, coverage
from portevoix.platform.smpp.outcomes import parse_rule
from portevoix.platform.smpp.simulator import SimulatorConfig, SimulatorThread
from portevoix.services import Services, build_services
from portevoix.settings import Settings
from portevoix.tenants.parties import PLATFORM_ID

JAN = datetime(2026, 1, 1, tzinfo=UTC)
RETAIL_FR, WHOLESALE_FR = 1_000, 800  # thousandths of a credit per segment
RETAIL_TN, WHOLESALE_TN = 2_500, 2_000


class World:
    def __init__(self, services: Services, smsc: SimulatorThread) -> None:
        self.services, self.smsc = services, smsc
        tenancy, ledger = services.tenancy, services.ledger
        tenancy.create_platform()
        self.reseller = tenancy.create_reseller("smsplus", "SMS Plus", "a@smsplus.example")
        tenancy.update_branding(self.reseller, default_sender="SMSPlus")
        self.customer = tenancy.create_customer(self.reseller, "mairie", "Mairie",
                                                "sms@mairie.example")
        book = services.price_book
        wholesale = book.publish(PLATFORM_ID, "wholesale", [
            PriceEntry("FR", "", SMS, WHOLESALE_FR), PriceEntry("TN", "", SMS, WHOLESALE_TN)],
            JAN)
        retail = book.publish(self.reseller, "packs", [
            PriceEntry("FR", "", SMS, RETAIL_FR), PriceEntry("TN", "", SMS, RETAIL_TN)], JAN)
        book.assign(self.reseller, wholesale)
        book.assign(self.customer, retail)
        services.routing.configure(RouteSpec(
            name="sim", host="127.0.0.1", port=smsc.port, system_id="portevoix",
            password="secret", coverage=coverage(["*"])))
        ledger.grant(uuid4(), PLATFORM_ID, tenancy.wallet_of(self.reseller), 10**9)

    def fund(self, amount: int) -> None:
        self.services.ledger.grant(uuid4(), self.reseller,
                                   self.services.tenancy.wallet_of(self.customer), amount)

    def available(self, tenant_id: UUID | None = None) -> int:
        wallet = self.services.tenancy.wallet_of(tenant_id or self.customer)
        return self.services.ledger.account(wallet).available

    def dispatch_until_done(self, campaign_ids: list[UUID], timeout_s: float = 120) -> None:
        """Run a dispatcher in this process until every campaign is closed and receipted."""
        dispatcher = self.services.dispatcher()

        async def main() -> None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout_s
            try:
                while loop.time() < deadline:
                    await dispatcher.tick()
                    await dispatcher.flush_receipts()
                    if all(self._finished(c) for c in campaign_ids):
                        return
                    await asyncio.sleep(0.05)
                raise TimeoutError("the campaigns did not finish in time")
            finally:
                await dispatcher.flush_receipts()
                await dispatcher.connectors.close()

        asyncio.run(main())

    def _finished(self, campaign_id: UUID) -> bool:
        campaign = self.services.ledger.repository.get(campaign_id)
        submitted = [i for i, s in enumerate(campaign.states) if s == "submitted"]
        return campaign.closed and all(
            campaign.statuses.get(i) in ("received", "failed", "expired") for i in submitted)


@contextlib.contextmanager
def a_world(database_url: str, rules: tuple[str, ...] = (),
            clock: Callable[[], datetime] | None = None, secret_key: str = "",
            writer_process: bool = False, **smsc: object) -> Iterator[World]:
    config = SimulatorConfig(accounts={"portevoix": "secret"},
                             rules=tuple(parse_rule(rule) for rule in rules), **smsc)
    simulator = SimulatorThread(config).start()
    # Its callback receivers listen on the loopback: webhooks may go there.
    services = build_services(Settings(database_url=database_url, secret_key=secret_key,
                                       writer_process=writer_process,
                                       webhooks_to_private_networks=True),
                              **({"clock": clock} if clock else {}))
    try:
        yield World(services, simulator)
    finally:
        services.close()
        simulator.stop()
