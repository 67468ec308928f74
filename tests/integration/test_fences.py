"""The PostgreSQL fence reads the log's head once it holds the lock: a writer that waited
for another sees what that one wrote (else it would trust aggregates the other changed)."""

from __future__ import annotations

import threading
import time
from uuid import uuid4

from portevoix.fences import PostgresFence
from portevoix.ledger.fencing import Heads
from portevoix.ledger.services import ISSUANCE, Ledger
from portevoix.storage import Storage


def test_a_writer_that_waited_for_the_fence_sees_what_the_holder_wrote(
        postgres_url: str) -> None:
    storage = Storage(postgres_url)
    ledger = Ledger(env=storage.event_store_env("ledger"))  # writes without a fence
    holder, waiter = storage.ledger_fence(), storage.ledger_fence()
    assert isinstance(holder, PostgresFence) and isinstance(waiter, PostgresFence)
    seen: list[Heads] = []

    def wait_for_the_fence() -> None:
        with waiter() as heads:
            seen.append(heads)

    with holder() as held:
        other = threading.Thread(target=wait_for_the_fence)
        other.start()
        time.sleep(0.3)  # the other is waiting on the lock by now
        ledger.open_account(uuid4(), ISSUANCE, "SMS", 0, None)
        written = ledger.recorder.max_notification_id()
        assert not seen
    other.join(timeout=10)

    assert held.after == written
    assert seen and seen[0].before == written
    for fence in (holder, waiter):
        fence.close()
    ledger.close()
