"""Group commit: one writer takes ledger commands from many threads and saves them in batches.

Threads that place reservations on the same wallet (every customer of a reseller draws on the
reseller's wallet) would otherwise race for it and collide on its version, over and over.
Queued to one writer, they never collide, and one save carries every command that arrived
while the previous save was under way (at most ``max_batch``): what one commit per request
cannot do, a commit per batch does. A lone command is saved at once; nothing waits for
company. While commands keep arriving, the writer keeps the store's fence from one save to
the next (for at most ``Batches.hold_for_s``): two round trips fewer a save, and one look at
what other processes changed.

A command is a function of the batch's :class:`~portevoix.ledger.work.Work` that checks
everything before it changes anything (as ``Work.place`` does), so that a command refused
with a :class:`LedgerError` leaves the work as it found it and the rest of the batch is
saved. Only its caller hears of the refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from portevoix.batches import Batches
from portevoix.ledger.errors import LedgerError
from portevoix.ledger.services import Ledger
from portevoix.ledger.transfers import Transfer, TransferOrder
from portevoix.ledger.work import Work

T = TypeVar("T")
# While busy, the next batch waits this long for company (a save's fixed cost is about a
# millisecond of the writer's time, measured: worth more than a millisecond of latency).
LINGER_S = 0.002
Command = Callable[[Work], Any]


class WriterStoppedError(LedgerError):
    """The writer is not running: the command was not run."""


class LedgerWriter:
    """Batches ledger commands from many threads; ``start`` it, ``run`` or ``place``,
    ``stop`` it."""

    def __init__(self, ledger: Ledger, max_batch: int = 500) -> None:
        self.ledger, self.max_batch = ledger, max_batch
        self._batches: Batches[Command, Any] | None = None

    @property
    def running(self) -> bool:
        return self._batches is not None and self._batches.running

    @property
    def batches(self) -> int:
        """How many saves the writer made."""
        return self._batches.batches if self._batches is not None else 0

    def start(self) -> LedgerWriter:
        self._batches = Batches(self._commit, "ledger-writer", self.max_batch,
                                lambda: WriterStoppedError("the ledger writer is stopped"),
                                hold=self.ledger.fenced, linger_s=LINGER_S)
        return self

    def stop(self) -> None:
        if self._batches is not None:
            self._batches.stop()

    def submit(self, command: Callable[[Work], T]) -> Future[T]:
        if self._batches is None:
            future: Future[T] = Future()
            future.set_exception(WriterStoppedError("the ledger writer is not started"))
            return future
        return self._batches.submit(command)

    def run(self, command: Callable[[Work], T], timeout_s: float = 30.0) -> T:
        """Run ``command`` in the next batch and wait until it is saved (or refused)."""
        return self.submit(command).result(timeout=timeout_s)

    def place(self, group: Sequence[TransferOrder], timeout_s: float = 30.0) -> list[Transfer]:
        """Place one linked group and wait for it to be recorded (or refused)."""
        orders = list(group)
        return self.run(lambda work: work.place(orders), timeout_s)

    def _commit(self, commands: Sequence[Command]) -> list[Any]:
        """Every command of the batch in one Work, saved at once; a refused command's
        LedgerError is its outcome."""

        def run(work: Work) -> list[Any]:
            outcomes: list[Any] = []
            for command in commands:
                try:
                    outcomes.append(command(work))
                except LedgerError as error:
                    outcomes.append(error)
            return outcomes

        return self.ledger.run(run, optimistic=True)
