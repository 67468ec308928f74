"""The submit_sm in flight on one bind: sent, not yet answered, at most ``size`` of them.

SMPP 3.4 §2.8 lets an ESME send requests without waiting for each response; the SMSC sets
how many may be outstanding (the window). Entries are keyed by sequence_number, which this
table hands out (1 .. 0x7FFFFFFF, wrapping, §3.2), and kept in the order they were sent, so
the oldest is first when looking for timeouts. When the bind drops, ``drain`` hands back
every entry: they were sent and not answered, so the SMSC may or may not have them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

MAX_SEQUENCE = 0x7FFFFFFF

T = TypeVar("T")


class Window(Generic[T]):
    """In-flight entries of type ``T``, each with the time it was sent (seconds)."""

    __slots__ = ("_entries", "_sequence", "size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a window holds at least 1 request, got {size}")
        self.size = size
        self._entries: dict[int, tuple[T, float]] = {}
        self._sequence = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, sequence: object) -> bool:
        return sequence in self._entries

    @property
    def full(self) -> bool:
        return len(self._entries) >= self.size

    def next_sequence(self) -> int:
        """A sequence_number for any request on this bind (binds and enquire_link too)."""
        sequence = self._sequence % MAX_SEQUENCE + 1
        while sequence in self._entries:  # only after 2**31 requests with one never answered
            sequence = sequence % MAX_SEQUENCE + 1
        self._sequence = sequence
        return sequence

    def add(self, sequence: int, entry: T, sent_at: float) -> None:
        self._entries[sequence] = (entry, sent_at)

    def pop(self, sequence: int) -> tuple[T, float] | None:
        """The entry answered by ``sequence`` and when it was sent; None if unknown (a late or
        stray response)."""
        return self._entries.pop(sequence, None)

    def expired(self, deadline: float) -> Iterator[tuple[int, T]]:
        """Remove and yield the entries sent before ``deadline``, oldest first."""
        entries = self._entries
        while entries:
            sequence = next(iter(entries))
            entry, sent_at = entries[sequence]
            if sent_at >= deadline:
                return
            del entries[sequence]
            yield sequence, entry

    def oldest(self) -> float | None:
        """When the oldest entry was sent, or None when nothing is in flight."""
        for _, sent_at in self._entries.values():
            return sent_at
        return None

    def drain(self) -> list[T]:
        """Every entry, oldest first; the table is empty afterwards."""
        entries = [entry for entry, _ in self._entries.values()]
        self._entries.clear()
        return entries
