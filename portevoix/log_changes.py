"""What changed in an application's log between two of its heads (notification ids).

The ledger's writers and the send path's recent reads both keep aggregates in memory and
forget those that another process changed since they last looked.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID


def changed_since(recorder: Any, seen: int | None, head: int,
                  at_most: int) -> list[UUID] | None:
    """The ids of the aggregates recorded after ``seen`` up to ``head``; None when that is
    unknown (nothing seen yet) or more than ``at_most`` events: then forget everything."""
    if seen is None or head - seen > at_most:
        return None
    if head <= seen:
        return []
    return [UUID(str(notification.originator_id)) for notification in
            recorder.select_notifications(start=seen + 1, limit=head - seen, stop=head)]
