"""Group commit: one writer takes ledger commands from many threads and saves them in batches.

Threads that place reservations on the same wallet (every customer of a reseller draws on the
reseller's wallet) would otherwise race for it and collide on its version, over and over.
Queued to one writer, they never collide, and one save carries every command that arrived
while the previous save was under way (at most ``max_batch``): what one commit per request
cannot do, a commit per batch does. A lone command is saved at once; nothing waits for
company.

A command is a function of the batch's :class:`~portevoix.ledger.work.Work` that checks
everything before it changes anything (as ``Work.place`` does), so that a command refused
with a :class:`LedgerError` leaves the work as it found it and the rest of the batch is
saved. Only its caller hears of the refusal.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from portevoix.ledger.errors import LedgerError
from portevoix.ledger.services import Ledger
from portevoix.ledger.transfers import Transfer, TransferOrder
from portevoix.ledger.work import Work

T = TypeVar("T")
Command = Callable[[Work], Any]

_STOP = object()


class WriterStoppedError(LedgerError):
    """The writer was stopped: the command was not run."""


class LedgerWriter:
    """Batches ledger commands from many threads; ``start`` it, ``run`` or ``place``,
    ``stop`` it."""

    def __init__(self, ledger: Ledger, max_batch: int = 500) -> None:
        self.ledger, self.max_batch = ledger, max_batch
        self._queue: queue.SimpleQueue[tuple[Command, Future[Any]] | object] = (
            queue.SimpleQueue())
        self._thread = threading.Thread(target=self._loop, name="ledger-writer", daemon=True)
        self._stopped = threading.Event()
        self.batches = 0

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stopped.is_set()

    def start(self) -> LedgerWriter:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
        self._stopped.set()

    def submit(self, command: Callable[[Work], T]) -> Future[T]:
        future: Future[T] = Future()
        if self._stopped.is_set():
            future.set_exception(WriterStoppedError("the ledger writer is stopped"))
        else:
            self._queue.put((command, future))
        return future

    def run(self, command: Callable[[Work], T], timeout_s: float = 30.0) -> T:
        """Run ``command`` in the next batch and wait until it is saved (or refused)."""
        return self.submit(command).result(timeout=timeout_s)

    def place(self, group: Sequence[TransferOrder], timeout_s: float = 30.0) -> list[Transfer]:
        """Place one linked group and wait for it to be recorded (or refused)."""
        orders = list(group)
        return self.run(lambda work: work.place(orders), timeout_s)

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            stopping = self._drain(batch)
            commands = [item for item in batch if item is not _STOP]
            if commands:
                self._commit(commands)  # type: ignore[arg-type]
            if stopping or _STOP in batch:
                self._stopped.set()
                self._refuse_the_rest()
                return

    def _drain(self, batch: list[object]) -> bool:
        """Add what is queued now to ``batch`` (without waiting); True if asked to stop."""
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return False
            if item is _STOP:
                return True
            batch.append(item)
        return False

    def _refuse_the_rest(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, tuple):
                future: Future[Any] = item[1]
                future.set_exception(WriterStoppedError("the ledger writer is stopped"))

    def _commit(self, batch: list[tuple[Command, Future[Any]]]) -> None:
        def run(work: Work) -> list[Any]:
            outcomes: list[Any] = []
            for command, _ in batch:
                try:
                    outcomes.append(command(work))
                except LedgerError as error:
                    outcomes.append(error)
            return outcomes

        try:
            outcomes = self.ledger.run(run, optimistic=True)
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
