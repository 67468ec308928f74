"""Batches: one thread runs a function on the items many threads queued, a batch at a time.

A batch is whatever was queued while the previous batch ran (at most ``max_batch``): a lone
item runs at once, nothing waits for company. ``run`` answers each item of its batch with a
result or an exception; an exception raised by ``run`` itself (the store failed) goes to
every caller of the batch. The ledger's group commits and the duplicate rule's look-ups both
run this way.

``hold`` (a context manager factory) is held around a run of batches: entered for the first,
kept while more items keep arriving (for at most ``hold_for_s``), left when none is queued.
The ledger writer holds the store's fence so: one turn for several saves while it is busy.
Inside a hold, with fewer than ``gather`` items queued, the next batch waits ``linger_s``
for more: a busy writer pays its fixed cost a save for more items.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")

_STOP = object()


class StoppedError(Exception):
    """The batches were stopped before this item ran."""


class Batches(Generic[I, R]):
    """``submit`` items from any thread; ``stop`` runs what is queued, refuses the rest."""

    def __init__(self, run: Callable[[Sequence[I]], Sequence[R | Exception]], name: str,
                 max_batch: int = 500,
                 stopped: Callable[[], Exception] = lambda: StoppedError("stopped"),
                 hold: Callable[[], AbstractContextManager[object]] | None = None,
                 hold_for_s: float = 0.02, linger_s: float = 0.0, gather: int = 8) -> None:
        self.run, self.max_batch, self.stopped = run, max_batch, stopped
        self.hold, self.hold_for_s = hold, hold_for_s
        self.linger_s, self.gather = linger_s, gather
        self._queue: queue.SimpleQueue[tuple[I, Future[R]] | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._stopped = threading.Event()
        self.batches = 0
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stopped.is_set()

    def submit(self, item: I) -> Future[R]:
        future: Future[R] = Future()
        if self._stopped.is_set():
            future.set_exception(self.stopped())
        else:
            self._queue.put((item, future))
        return future

    def stop(self, timeout_s: float = 30.0) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=timeout_s)
        self._stopped.set()

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            stopping = batch[0] is _STOP or self._drain(batch)
            stopping = self._run_while_busy(batch, stopping)
            if stopping:
                self._stopped.set()
                self._refuse_the_rest()
                return

    def _run_while_busy(self, batch: list[object], stopping: bool) -> bool:
        """Run ``batch``, then what arrives meanwhile, inside one ``hold``; True if asked to
        stop."""
        if not any(isinstance(b, tuple) for b in batch):
            return stopping
        with contextlib.ExitStack() as held:
            if self.hold is not None:
                try:
                    held.enter_context(self.hold())
                except Exception as error:  # every caller of the batch must hear of it
                    self._fail([b for b in batch if isinstance(b, tuple)], error)
                    return stopping
            until = time.monotonic() + self.hold_for_s
            while True:
                items: list[tuple[I, Future[R]]] = [b for b in batch if isinstance(b, tuple)]
                if items:
                    self._run(items)
                if stopping or self.hold is None or time.monotonic() >= until:
                    return stopping
                if self.linger_s and self._queue.qsize() < self.gather:
                    time.sleep(self.linger_s)  # busy: let a few more arrive for the next batch
                batch = []
                stopping = self._drain(batch)
                if not batch:
                    return stopping

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

    def _run(self, batch: list[tuple[I, Future[R]]]) -> None:
        try:
            outcomes = self.run([item for item, _ in batch])
        except Exception as error:  # every caller must hear of it
            self._fail(batch, error)
            return
        self.batches += 1
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    @staticmethod
    def _fail(batch: list[tuple[I, Future[R]]], error: Exception) -> None:
        for _, future in batch:
            future.set_exception(error)

    def _refuse_the_rest(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, tuple):
                item[1].set_exception(self.stopped())
