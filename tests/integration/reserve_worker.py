"""A separate process placing 1-unit reservations against one wallet (for the race test).

    python reserve_worker.py DATABASE_URL WALLET_ID REVENUE_ID COUNT [fenced]

With ``fenced``, as a web worker does: the ledger behind the store's fence, reservations
from 4 threads through one group-commit writer. Prints ``{"reserved": n, "refused": m}``;
any other error fails the process.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID, uuid4

from portevoix.ledger.errors import InsufficientFundsError
from portevoix.ledger.services import Ledger
from portevoix.ledger.transfers import TransferOrder
from portevoix.ledger.writer import LedgerWriter
from portevoix.storage import Storage


def main() -> None:
    url, wallet, revenue, count = sys.argv[1], *map(UUID, sys.argv[2:4]), int(sys.argv[4])
    fenced = sys.argv[5:] == ["fenced"]
    storage = Storage(url)
    with storage.schema_lock():
        ledger = Ledger(env=storage.event_store_env("ledger"),
                        fence=storage.ledger_fence() if fenced else None)
    writer = LedgerWriter(ledger).start() if fenced else None

    def reserve(_: int) -> bool:
        order = TransferOrder(uuid4(), wallet, revenue, 1, pending=True)
        try:
            if writer is not None:
                writer.place([order])
            else:
                ledger.transfer(order)
        except InsufficientFundsError:
            return False
        return True

    with ThreadPoolExecutor(4 if fenced else 1) as pool:
        outcomes = list(pool.map(reserve, range(count)))
    reserved, refused = outcomes.count(True), outcomes.count(False)
    if writer is not None:
        writer.stop()
    ledger.close()
    print(json.dumps({"reserved": reserved, "refused": refused}))


if __name__ == "__main__":
    main()
