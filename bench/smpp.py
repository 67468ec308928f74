"""SMPP throughput: 20,000 messages through our connector to the SMSC simulator (run as its
own process, as an upstream SMSC would be), window 64, no TPS limit, waiting for every
delivery receipt; then the same 20,000 through one connector keeping 4 binds (sharing one
table of receipts: an SMSC may send a receipt on any bind of the account).

``submit_per_s`` counts submit_sm answered per second (from the first submit to the last
response); ``receipts_per_s`` counts receipts correlated per second (from the first submit to
the last receipt). Medians of three rounds; the last line holds them as ``name=value`` pairs.

    .venv/bin/python bench/smpp.py [--messages 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from portevoix.platform.smpp.binds import BindConfig
from portevoix.platform.smpp.connector import Connector
from portevoix.platform.smpp.outbound import Outbound
from portevoix.platform.smpp.receipts import RECEIVED
from portevoix.platform.smpp.results import Accepted, DeliveryReport

ROUNDS = 3
SYSTEM_ID, PASSWORD = "portevoix", "secret"
PORTEVOIX = Path(sys.executable).with_name("portevoix")


def messages(count: int, round_number: int) -> list[Outbound]:
    return [
        Outbound(message_id=f"r{round_number}-{n}", source="Portevoix",
                 destination=f"+336{10_000_000 + n:08d}",
                 text=f"Votre code de connexion est {n:06d}. Il expire dans 10 minutes.")
        for n in range(count)
    ]


async def send(port: int, batch: list[Outbound], binds: int) -> tuple[float, float]:
    """Seconds until every response, and until every receipt."""
    received: set[str] = set()
    all_in = asyncio.Event()

    def on_receipt(report: DeliveryReport) -> None:
        if report.status == RECEIVED:
            received.add(report.message_id)
            if len(received) == len(batch):
                all_in.set()

    connector = Connector(BindConfig("127.0.0.1", port, SYSTEM_ID, PASSWORD, window=64,
                                     binds=binds), on_receipt=on_receipt)
    await connector.start()
    started = time.perf_counter()
    outcomes = await connector.submit_many(batch)
    submitted = time.perf_counter() - started
    await asyncio.wait_for(all_in.wait(), timeout=120)
    receipted = time.perf_counter() - started
    await connector.close()
    accepted = sum(isinstance(outcome, Accepted) for outcome in outcomes)
    assert accepted == len(batch), f"only {accepted} of {len(batch)} accepted"
    return submitted, receipted


def start_simulator() -> tuple[subprocess.Popen[str], int]:
    simulator = subprocess.Popen(
        [PORTEVOIX, "smsc-sim", "--port", "0", "--account", f"{SYSTEM_ID}:{PASSWORD}"],
        stdout=subprocess.PIPE, text=True,
    )
    assert simulator.stdout is not None
    line = simulator.stdout.readline()
    found = re.search(r"listening on [\d.]+:(\d+)", line)
    if not found:
        simulator.kill()
        raise RuntimeError(f"the simulator did not start: {line!r}")
    return simulator, int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    simulator, port = start_simulator()
    figures: dict[str, list[float]] = {"submit_per_s_1bind": [], "receipts_per_s_1bind": [],
                                       "submit_per_s_4binds": []}
    try:
        for round_number in range(ROUNDS):
            batch = messages(args.messages, round_number)
            submitted, receipted = asyncio.run(send(port, batch, binds=1))
            figures["submit_per_s_1bind"].append(len(batch) / submitted)
            figures["receipts_per_s_1bind"].append(len(batch) / receipted)
            batch = messages(args.messages, 100 + round_number)
            submitted, _ = asyncio.run(send(port, batch, binds=4))
            figures["submit_per_s_4binds"].append(len(batch) / submitted)
            print(" ".join(f"{name}={values[-1]:.0f}" for name, values in figures.items()),
                  flush=True)
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)
    print(" ".join(f"{name}={statistics.median(values):.0f}"
                   for name, values in figures.items()))


if __name__ == "__main__":
    main()
