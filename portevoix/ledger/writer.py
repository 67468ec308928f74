"""Group commit: one writer takes linked groups from many threads and saves them in batches.

Threads that place reservations on the same wallet (every customer of a reseller draws on the
reseller's wallet) would otherwise race for it and collide on its version, over and over.
Queued to one writer, they never collide, and one save carries up to ``max_batch`` groups:
what one commit per request cannot do, a commit per few milliseconds does.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future

from portevoix.ledger.errors import LedgerError
from portevoix.ledger.services import Ledger
from portevoix.ledger.transfers import Transfer, TransferOrder

_STOP = object()


class LedgerWriter:
    """Batches ``Ledger.execute`` calls from many threads; start it, place, stop it."""

    def __init__(self, ledger: Ledger, max_batch: int = 500, max_wait_s: float = 0.002) -> None:
        self.ledger, self.max_batch, self.max_wait_s = ledger, max_batch, max_wait_s
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self.batches = 0

    def start(self) -> LedgerWriter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def submit(self, group: Sequence[TransferOrder]) -> Future[list[Transfer]]:
        future: Future[list[Transfer]] = Future()
        self._queue.put((list(group), future))
        return future

    def place(self, group: Sequence[TransferOrder], timeout_s: float = 30.0) -> list[Transfer]:
        """Place one linked group and wait for it to be recorded (or refused)."""
        return self.submit(group).result(timeout=timeout_s)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stopping = self._gather(batch)
            self._commit(batch)  # type: ignore[arg-type]
            if stopping:
                return

    def _gather(self, batch: list[object]) -> bool:
        """Add what arrives within ``max_wait_s`` to ``batch``; True if asked to stop."""
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get(timeout=self.max_wait_s)
            except queue.Empty:
                return False
            if item is _STOP:
                return True
            batch.append(item)
        return False

    def _commit(self, batch: list[tuple[list[TransferOrder], Future[list[Transfer]]]]) -> None:
        try:
            outcomes = self.ledger.execute([group for group, _ in batch])
        except Exception as error:  # the store failed: every caller must hear of it
            for _, future in batch:
                future.set_exception(error)
            return
        self.batches += 1
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, LedgerError):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
