"""Recent reads: read-mostly aggregates kept a moment, for the send path.

Every send asks for its customer, reseller and platform, two price lists, the sender index
and two blacklists: through the repository, each is a query (the cached aggregate is
fast-forwarded) and a deep copy. ``recent`` answers from memory while the aggregate was read
less than ``max_age_s`` ago. A change saved by this process is seen at once (its save drops
the entry); one saved by another process, within ``max_age_s``. The aggregate returned is
shared: callers only read it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

RECENT_MAX_AGE_S = 1.0
RECENT_MAX_ENTRIES = 10_000
_MISSING = object()


class RecentReads:
    """A mixin for an ``eventsourcing`` Application (listed before it); ``recent(id)`` raises
    AggregateNotFoundError as ``repository.get`` does (and keeps that answer as long)."""

    recent_max_age_s: float = RECENT_MAX_AGE_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._recent: OrderedDict[UUID, tuple[float, Any]] = OrderedDict()
        self._recent_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def recent(self, aggregate_id: UUID) -> Any:
        now = time.monotonic()
        with self._recent_lock:
            entry = self._recent.get(aggregate_id)
            if entry is not None and now - entry[0] < self.recent_max_age_s:
                if entry[1] is _MISSING:
                    raise AggregateNotFoundError(aggregate_id)
                return entry[1]
        try:
            found = self.repository.get(  # type: ignore[attr-defined]
                aggregate_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            found = _MISSING
        with self._recent_lock:
            self._recent[aggregate_id] = (now, found)
            self._recent.move_to_end(aggregate_id)
            while len(self._recent) > RECENT_MAX_ENTRIES:
                self._recent.popitem(last=False)
        if found is _MISSING:
            raise AggregateNotFoundError(aggregate_id)
        return found

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save, and forget what is remembered of each aggregate saved (events given
        alone name theirs). Not from the recordings: a copying recorder returns none."""
        try:
            return super().save(*objs, **kwargs)  # type: ignore[misc]
        finally:
            with self._recent_lock:
                for obj in objs:
                    saved_id = getattr(obj, "originator_id", None) or getattr(obj, "id", None)
                    if isinstance(saved_id, UUID):
                        self._recent.pop(saved_id, None)
