"""Recent reads: read-mostly aggregates kept in memory for the send path, until they change.

Every send asks for its customer, reseller and platform, two price lists, the sender index
and two blacklists: through the repository, each is a query (the cached aggregate is
fast-forwarded) and a deep copy. ``recent`` answers from memory instead, until the log shows
the aggregate changed. At most every ``recent_check_every_s``, one query asks the log what
was recorded since the last look, by any process, and those aggregates are forgotten. A
change saved by this process is seen at once (its save drops the entry); one saved by
another process, within ``recent_check_every_s``. The aggregate returned is shared: callers
only read it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from portevoix.log_changes import changed_since

RECENT_CHECK_EVERY_S = 0.1
RECENT_MAX_ENTRIES = 10_000
_FORGET_ALL_AFTER = 1_000  # more changes than this since the last look: forget everything
_MISSING = object()


class RecentReads:
    """A mixin for an ``eventsourcing`` Application (listed before it); ``recent(id)`` raises
    AggregateNotFoundError as ``repository.get`` does (and keeps that answer as long)."""

    recent_check_every_s: float = RECENT_CHECK_EVERY_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._recent: OrderedDict[UUID, Any] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._check_lock = threading.Lock()
        self._checked_at = float("-inf")
        self._seen_head: int | None = None  # the log's last notification at the last look
        super().__init__(*args, **kwargs)

    def recent(self, aggregate_id: UUID) -> Any:
        self._forget_changed()
        with self._recent_lock:
            found = self._recent.get(aggregate_id)
            seen = self._seen_head
        if found is None:
            try:
                found = self.repository.get(  # type: ignore[attr-defined]
                    aggregate_id, deepcopy_from_cache=False)
            except AggregateNotFoundError:
                found = _MISSING
            with self._recent_lock:
                # A look at the log while this read ran may have forgotten the aggregate
                # before it was kept here: then it is not kept (the next read asks again).
                if self._seen_head == seen:
                    self._recent[aggregate_id] = found
                    self._recent.move_to_end(aggregate_id)
                    while len(self._recent) > RECENT_MAX_ENTRIES:
                        self._recent.popitem(last=False)
        if found is _MISSING:
            raise AggregateNotFoundError(aggregate_id)
        return found

    def _forget_changed(self) -> None:
        """Forget what the log recorded since the last look (one thread looks at a time;
        the others answer from memory meanwhile)."""
        now = time.monotonic()
        if now - self._checked_at < self.recent_check_every_s:
            return
        if not self._check_lock.acquire(blocking=False):
            return
        try:
            recorder = self.recorder  # type: ignore[attr-defined]
            head = recorder.max_notification_id() or 0
            changed = changed_since(recorder, self._seen_head, head, _FORGET_ALL_AFTER)
            with self._recent_lock:
                if changed is None:
                    self._recent.clear()
                else:
                    for aggregate_id in changed:
                        self._recent.pop(aggregate_id, None)
                self._seen_head = head
            self._checked_at = now
        finally:
            self._check_lock.release()

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
