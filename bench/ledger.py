"""Ledger throughput: linked two-leg reservations (one at a time, in batches of 500) and
projection rebuilds, on SQLite and on PostgreSQL (127.0.0.1:5432, database ``test``).

Each reservation is what a send places: the customer's wallet holds the retail price for its
reseller's revenue account, linked with the reseller's wallet holding the wholesale price for
the platform's revenue account. Figures are medians of three rounds; the last line holds them
as ``name=value`` pairs.

    .venv/bin/python bench/ledger.py [--customers 200] [--batches 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from uuid import UUID, uuid4

import psycopg

from portevoix.ledger.services import ISSUANCE, REVENUE, WALLET, Ledger
from portevoix.ledger.transfers import TransferOrder
from portevoix.ledger.writer import LedgerWriter
from portevoix.projections.balances import Balances
from portevoix.projections.tracking import ProjectionRunner
from portevoix.storage import Storage

PG_DSN = "host=127.0.0.1 port=5432 dbname=test"
ROUNDS = 3


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/bench.db"


@contextmanager
def postgres_url() -> Iterator[str]:
    schema = f"bench_{uuid4().hex[:10]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"postgresql://127.0.0.1:5432/test?schema={schema}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


class Tenants:
    """A platform, resellers and their customers, with funded wallets."""

    def __init__(self, ledger: Ledger, resellers: int, customers: int) -> None:
        platform = uuid4()
        ledger.open_account(platform, ISSUANCE, "SMS", 3, None)
        self.platform_revenue = ledger.open_account(platform, REVENUE, "SMS", 3, None)
        self.pairs: list[tuple[UUID, UUID, UUID]] = []  # customer wallet, reseller revenue, wallet
        for _ in range(resellers):
            reseller = uuid4()
            wallet = ledger.open_account(reseller, WALLET, "SMS", 3)
            ledger.open_account(reseller, ISSUANCE, "SMS", 3, None)
            revenue = ledger.open_account(reseller, REVENUE, "SMS", 3, None)
            ledger.grant(uuid4(), platform, wallet, 10**12)
            for _ in range(customers // resellers):
                customer_wallet = ledger.open_account(uuid4(), WALLET, "SMS", 3)
                ledger.grant(uuid4(), reseller, customer_wallet, 10**12)
                self.pairs.append((customer_wallet, revenue, wallet))

    def reservation(self, index: int) -> list[TransferOrder]:
        customer_wallet, reseller_revenue, reseller_wallet = self.pairs[index % len(self.pairs)]
        return [
            TransferOrder(uuid4(), customer_wallet, reseller_revenue, 45_000, pending=True,
                          kind="send"),
            TransferOrder(uuid4(), reseller_wallet, self.platform_revenue, 30_000, pending=True,
                          kind="send"),
        ]


def measure(url: str, customers: int, batches: int) -> dict[str, float]:
    storage = Storage(url)
    ledger = Ledger(env=storage.event_store_env("ledger"))
    tenants = Tenants(ledger, resellers=4, customers=customers)
    single, batched, rebuilt = [], [], []
    count = 0
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(300):
            ledger.transfer_linked(tenants.reservation(count))
            count += 1
        single.append(300 / (time.perf_counter() - started))

        started = time.perf_counter()
        for _ in range(batches):
            groups = [tenants.reservation(count + i) for i in range(500)]
            outcomes = ledger.execute(groups)
            assert all(isinstance(o, list) for o in outcomes), "a reservation was refused"
            count += 500
        batched.append(batches * 500 / (time.perf_counter() - started))

    threaded = []
    writer = LedgerWriter(ledger).start()
    for _ in range(ROUNDS):
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda i: writer.place(tenants.reservation(i)), range(2_000)))
        threaded.append(2_000 / (time.perf_counter() - started))
    writer.stop()

    engine = storage.projection_engine()
    runner = ProjectionRunner(ledger, Balances(), engine)
    runner.create_tables()
    for _ in range(ROUNDS):
        started = time.perf_counter()
        events = runner.rebuild()
        rebuilt.append(events / (time.perf_counter() - started))
    engine.dispose()
    ledger.close()
    return {
        "reservations_per_s_single": statistics.median(single),
        "reservations_per_s_batched": statistics.median(batched),
        "reservations_per_s_8threads_writer": statistics.median(threaded),
        "rebuild_events_per_s": statistics.median(rebuilt),
        "rebuild_events": events,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--batches", type=int, default=10)
    args = parser.parse_args()
    figures: dict[str, float] = {}
    for prefix, url_of in (("sqlite", sqlite_url), ("pg", postgres_url)):
        with url_of() as url:
            for name, value in measure(url, args.customers, args.batches).items():
                figures[f"{prefix}_{name}"] = value
                print(f"{prefix}_{name}: {value:,.0f}", flush=True)
    print(" ".join(f"{name}={value:.0f}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
