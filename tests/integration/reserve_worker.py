"""A separate process placing 1-unit reservations against one wallet (for the race test).

    python reserve_worker.py DATABASE_URL WALLET_ID REVENUE_ID COUNT

Prints ``{"reserved": n, "refused": m}``; any other error fails the process.
"""

from __future__ import annotations

import json
import sys
from uuid import UUID, uuid4

from portevoix.ledger.errors import InsufficientFundsError
from portevoix.ledger.services import Ledger
from portevoix.ledger.transfers import TransferOrder
from portevoix.storage import Storage


def main() -> None:
    url, wallet, revenue, count = sys.argv[1], *map(UUID, sys.argv[2:4]), int(sys.argv[4])
    storage = Storage(url)
    with storage.schema_lock():
        ledger = Ledger(env=storage.event_store_env("ledger"))
    reserved = refused = 0
    for _ in range(count):
        try:
            ledger.transfer(TransferOrder(uuid4(), wallet, revenue, 1, pending=True))
            reserved += 1
        except InsufficientFundsError:
            refused += 1
    ledger.close()
    print(json.dumps({"reserved": reserved, "refused": refused}))


if __name__ == "__main__":
    main()
