"""Long MO messages put back together: parts held per sender until the last arrives."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A lone UTF-16 surrogate: half a character, left by a sender that split a pair across parts.
_SURROGATE = re.compile("[\ud800-\udfff]")


class Reassembler:
    """Parts of long MO messages, held until the last arrives.

    Parts are grouped by source address, reference and total, so two senders using one
    reference do not mix (an 8-bit and a 16-bit reference of equal value from one sender
    would). ``now`` is any clock in seconds that does not go backwards, ``time.monotonic()``
    in the connector. A set whose first part came ``max_age`` seconds ago or more is dropped
    on the next ``add``, and the oldest when ``max_sets`` are held, so a sender that never
    finishes costs bounded memory; ``dropped`` counts them.
    """

    def __init__(self, max_age: float = 600.0, max_sets: int = 10_000) -> None:
        self.max_age, self.max_sets = max_age, max_sets
        self.dropped = 0
        # Insertion order is arrival order of each set's first part: the oldest come first.
        self._sets: dict[tuple[str, int, int], tuple[float, dict[int, str]]] = {}

    def __len__(self) -> int:
        """Incomplete sets held."""
        return len(self._sets)

    def add(
        self, source: str, text: str, concatenation: tuple[int, int, int] | None, now: float
    ) -> str | None:
        """The whole text once ``text``, part ``concatenation`` of a message from ``source``,
        completes it; ``None`` while parts are missing. A text that is not a part (no
        concatenation, a total of 1, a sequence outside 1..total) is whole already. A part
        that arrives twice keeps its first text."""
        self._expire(now)
        if concatenation is None:
            return text
        reference, total, sequence = concatenation
        if total == 1 or not 1 <= sequence <= total:
            return text
        key = source, reference, total
        if key not in self._sets:
            if len(self._sets) >= self.max_sets:
                del self._sets[next(iter(self._sets))]
                self.dropped += 1
            self._sets[key] = now, {}
        parts = self._sets[key][1]
        parts.setdefault(sequence, text)
        if len(parts) < total:
            return None
        del self._sets[key]
        return _joined(parts[sequence] for sequence in range(1, total + 1))

    def _expire(self, now: float) -> None:
        while self._sets:
            key, (started, _) = next(iter(self._sets.items()))
            if now - started < self.max_age:
                return
            del self._sets[key]
            self.dropped += 1


def _joined(texts: Iterable[str]) -> str:
    text = "".join(texts)
    if _SURROGATE.search(text):
        # A sender that split a surrogate pair between parts left half in each: rejoined,
        # the halves become the character again.
        text = text.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "surrogatepass")
    return text

