"""Many threads reserving on one reseller wallet through the writer: no races, few saves."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

from portevoix.ledger.errors import InsufficientFundsError, LinkedTransferError
from portevoix.ledger.services import ISSUANCE, REVENUE, WALLET, Ledger
from portevoix.ledger.transfers import TransferOrder
from portevoix.ledger.writer import LedgerWriter
from portevoix.storage import Storage


def test_threads_sharing_a_reseller_wallet_are_batched_and_exact(database_url: str) -> None:
    ledger = Ledger(env=Storage(database_url).event_store_env("ledger"))
    platform, reseller = uuid4(), uuid4()
    ledger.open_account(platform, ISSUANCE, "SMS", 0, None)
    platform_revenue = ledger.open_account(platform, REVENUE, "SMS", 0, None)
    reseller_wallet = ledger.open_account(reseller, WALLET, "SMS", 0)
    ledger.open_account(reseller, ISSUANCE, "SMS", 0, None)
    reseller_revenue = ledger.open_account(reseller, REVENUE, "SMS", 0, None)
    ledger.grant(uuid4(), platform, reseller_wallet, 1_000)
    customers = [ledger.open_account(uuid4(), WALLET, "SMS", 0) for _ in range(8)]
    for wallet in customers:
        ledger.grant(uuid4(), reseller, wallet, 1_000)
    writer = LedgerWriter(ledger).start()

    def send(index: int) -> bool:
        customer = customers[index % len(customers)]
        try:
            writer.place([
                TransferOrder(uuid4(), customer, reseller_revenue, 3, pending=True),
                TransferOrder(uuid4(), reseller_wallet, platform_revenue, 2, pending=True),
            ])
        except LinkedTransferError as refused:
            assert isinstance(refused.cause, InsufficientFundsError)
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        placed = list(pool.map(send, range(800)))
    writer.stop()

    assert placed.count(True) == 500  # the reseller's 1,000 pays for 500 wholesale legs
    assert ledger.account(reseller_wallet).available == 0
    assert sum(ledger.account(c).debits_pending for c in customers) == 1_500
    assert writer.batches < 400, "the writer should have grouped the requests"
    ledger.close()
