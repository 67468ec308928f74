"""Campaign throughput, on SQLite and on PostgreSQL (127.0.0.1:5432, database ``test``):

- ``accept_100k_s``: seconds to accept a 100,000-recipient campaign: every number parsed and
  priced, blacklists and the 24-hour duplicate rule checked, both holds reserved and the
  campaign recorded;
- ``e2e_msgs_per_s``: messages per second from submit to the last delivery receipt, for a
  20,000-message campaign through the SMSC simulator (its own process) and a dispatcher.

Medians of three rounds; the last line holds them as ``name=value`` pairs.

    .venv/bin/python bench/campaign.py [--recipients 100000] [--e2e 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime
from uuid import UUID, uuid4

from ledger import postgres_url, sqlite_url
from smpp import start_simulator

from portevoix.platform.prices import SMS, PriceEntry
from portevoix.platform.routes import RouteSpec, coverage
from portevoix.platform.sending import SendRequest
from portevoix.services import Services, build_services
from portevoix.settings import Settings
from portevoix.tenants.parties import PLATFORM_ID

ROUNDS = 3
JAN = datetime(2026, 1, 1, tzinfo=UTC)


def prepare(services: Services, smsc_port: int) -> UUID:
    """A reseller and a funded customer with price lists, and a route to the simulator."""
    tenancy, book = services.tenancy, services.price_book
    tenancy.create_platform()
    reseller = tenancy.create_reseller("bench", "Bench", "bench@example.com")
    tenancy.update_branding(reseller, default_sender="Bench")
    customer = tenancy.create_customer(reseller, "load", "Load", "load@example.com")
    tenancy.change_options(customer, proof_threshold=10_000_000, duplicate_check_24h=True)
    book.assign(reseller, book.publish(PLATFORM_ID, "w", [PriceEntry("FR", "", SMS, 800)], JAN))
    book.assign(customer, book.publish(reseller, "r", [PriceEntry("FR", "", SMS, 1000)], JAN))
    services.ledger.grant(uuid4(), PLATFORM_ID, tenancy.wallet_of(reseller), 10**12)
    services.ledger.grant(uuid4(), reseller, tenancy.wallet_of(customer), 10**12)
    services.routing.configure(RouteSpec(name="sim", host="127.0.0.1", port=smsc_port,
                                         system_id="portevoix", password="secret",
                                         coverage=coverage(["*"])))
    return customer


def numbers(count: int, offset: int) -> list[str]:
    return [f"+336{10_000_000 + offset + n:08d}" for n in range(count)]


def accept(services: Services, customer: UUID, count: int, offset: int) -> float:
    """Seconds to accept; the projections are caught up first, as the projector running
    beside the platform keeps them, and the campaign is cancelled after, untimed."""
    services.catch_up()
    started = time.perf_counter()
    result = services.sending.submit(SendRequest(
        customer, text="Votre commande est prête. Retrait en magasin sous 48 h.",
        numbers=numbers(count, offset)))
    elapsed = time.perf_counter() - started
    assert result.recipients == count and result.campaign_id, result
    services.sending.cancel(customer, result.campaign_id)
    return elapsed


def end_to_end(services: Services, customer: UUID, count: int, offset: int) -> float:
    dispatcher = services.dispatcher()
    started = time.perf_counter()
    result = services.sending.submit(SendRequest(
        customer, text="Code de connexion: 123456", numbers=numbers(count, offset)))
    assert result.campaign_id is not None

    async def main() -> None:
        try:
            while not dispatcher.finished(result.campaign_id):
                await dispatcher.tick()
                await dispatcher.flush_receipts()
        finally:
            await dispatcher.connectors.close()

    asyncio.run(main())
    return count / (time.perf_counter() - started)


def measure(url: str, recipients: int, e2e: int, smsc_port: int) -> dict[str, float]:
    services = build_services(Settings(database_url=url))
    try:
        customer = prepare(services, smsc_port)
        accepted = [accept(services, customer, recipients, round_number * recipients)
                    for round_number in range(ROUNDS)]
        base = ROUNDS * recipients
        rates = [end_to_end(services, customer, e2e, base + round_number * e2e)
                 for round_number in range(ROUNDS)]
    finally:
        services.close()
    return {"accept_100k_s": statistics.median(accepted),
            "e2e_msgs_per_s": statistics.median(rates)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--e2e", type=int, default=20_000)
    args = parser.parse_args()
    simulator, port = start_simulator()
    figures: dict[str, float] = {}
    try:
        for prefix, url_of in (("sqlite", sqlite_url), ("pg", postgres_url)):
            with url_of() as url:
                for name, value in measure(url, args.recipients, args.e2e, port).items():
                    figures[f"{prefix}_{name}"] = value
                    print(f"{prefix}_{name}: {value:,.2f}", flush=True)
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)
    print(" ".join(f"{name}={value:.0f}" if name.endswith("per_s") else f"{name}={value:.2f}"
                   for name, value in figures.items()))


if __name__ == "__main__":
    main()
