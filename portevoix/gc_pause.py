"""Cyclic garbage collection paused during bulk work, young generations swept by hand.

Python's collector runs after every 700 allocations and, now and then, walks every object
that lives long. An import of 200,000 rows allocates millions of short-lived objects while
the numbers parser's cache holds hundreds of thousands of long-lived ones: measured, the
collector took 6 of the 14 seconds of such an import. Paused, with ``sweep`` (a young
collection) called after each chunk, the cycles a chunk leaves are still freed.

The pause is process-wide (the collector is), counted so that overlapping pauses from
several threads end when the last one does, and restores the collector as it found it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    """How many pauses are running, and whether the collector ran before the first."""

    def __init__(self) -> None:
        self.lock, self.depth, self.was_enabled = threading.Lock(), 0, False

    def enter(self) -> None:
        with self.lock:
            if self.depth == 0:
                self.was_enabled = gc.isenabled()
                gc.disable()
            self.depth += 1

    def leave(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth == 0 and self.was_enabled:
                gc.enable()


_pauses = _Pauses()


@contextmanager
def collection_paused() -> Iterator[None]:
    _pauses.enter()
    try:
        yield
    finally:
        _pauses.leave()


def sweep() -> None:
    """Collect the young generations: what the work since the last sweep left in cycles."""
    gc.collect(1)
