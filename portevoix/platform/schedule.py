"""When a send leaves: a deferred time, a recurrence, and throttled packets.

A customer writes a date and a time on its own wall clock ("2026-11-22 09:00" in the
account's time zone); ``local_time`` turns them into one instant in UTC, which is what events
record and the dispatcher compares with its clock. A ``Recurrence`` repeats a send daily,
weekly, monthly or yearly, always with an end (a date or a number of sends), and computes its
occurrences on the account's wall clock, so "every day at 09:00 Paris" stays 09:00 across
daylight-saving changes. A ``Throttle`` releases a campaign in packets of N recipients every M
minutes.

Wall clock times that do not exist or exist twice are resolved as RFC 5545 (iCalendar, 3.3.5)
does, with ``fold=0``: a time in the spring gap moves forward by the gap's length (02:30 on
the night of 2026-03-29 in Paris is 03:30 CEST), and a time repeated in autumn is its first
occurrence (02:30 on the night of 2026-10-25 in Paris is 02:30 CEST, 00:30 UTC).

Nothing here reads a clock: "now" is always an argument. Values serialise to plain dicts of
str, int and tz-aware datetime (event payloads); keys whose value would be None are omitted.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Every = Literal["daily", "weekly", "monthly", "yearly"]
EVERY: tuple[Every, ...] = ("daily", "weekly", "monthly", "yearly")

# Reasons an ``InvalidScheduleError`` carries; portals word them.
INVALID_DATE = "invalid_date"
INVALID_TIME = "invalid_time"
UNKNOWN_ZONE = "unknown_zone"
PAST = "past"
END_BEFORE_START = "end_before_start"
INVALID_EVERY = "invalid_every"
INVALID_INTERVAL = "invalid_interval"
INVALID_COUNT = "invalid_count"
INVALID_UNTIL = "invalid_until"
NO_END = "no_end"
TWO_ENDS = "two_ends"
INVALID_PACKET = "invalid_packet"
INVALID_EVERY_MINUTES = "invalid_every_minutes"

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))?")


class ScheduleError(Exception):
    """Base of every refusal of a deferred time, recurrence or throttle."""


class InvalidScheduleError(ScheduleError):
    """``reason`` is one of this module's constants; ``value`` what was given; ``limit`` the
    bound it broke, where there is one (``now`` for a past time, the start for an end)."""

    def __init__(self, reason: str, value: object = None, limit: object = None) -> None:
        detail = f"{value!r}" if limit is None else f"{value!r} (limit {limit!r})"
        super().__init__(f"{reason}: {detail}")
        self.reason, self.value, self.limit = reason, value, limit


def zone(tz: str) -> ZoneInfo:
    """The IANA time zone ``tz`` names exactly (``Europe/Paris``; names are case-sensitive)."""
    if not isinstance(tz, str) or not tz:
        raise InvalidScheduleError(UNKNOWN_ZONE, tz)
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: a key that is not a relative path, or a file that is not TZif.
        raise InvalidScheduleError(UNKNOWN_ZONE, tz) from None


def wall_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of the naive wall clock time ``wall`` in ``tz``: a time in a spring
    gap moves forward by the gap, a repeated autumn time is its first occurrence."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def local_time(date: str, time: str, tz: str, *, now: datetime | None = None) -> datetime:
    """The instant, in UTC, that ``date`` (``YYYY-MM-DD``) and ``time`` (``HH:MM`` or
    ``HH:MM:SS``) name on the wall clock of ``tz``.

    With ``now`` (aware), a time before the current minute is refused as past: input has a
    minute's resolution, so "14:05" submitted at 14:05:30 is still accepted (it leaves at
    once). Without ``now`` nothing is checked against the clock (re-sending a past campaign
    computes its old times).
    """
    tzinfo = zone(tz)
    wall = datetime.combine(_parse_date(date), _parse_time(time))
    at = wall_to_utc(wall, tzinfo)
    if now is not None and at < _utc(now, "now").replace(second=0, microsecond=0):
        raise InvalidScheduleError(PAST, at, now)
    return at


@dataclass(frozen=True)
class Recurrence:
    """A send repeated ``every`` ``interval`` days, weeks, months or years, until an instant
    (inclusive) or for ``count`` sends in all, the first included. Exactly one end is given:
    there is no endless recurrence. Invalid values cannot be built."""

    every: Every
    interval: int = 1
    until: datetime | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.every not in EVERY:
            raise InvalidScheduleError(INVALID_EVERY, self.every)
        if not _positive_int(self.interval):
            raise InvalidScheduleError(INVALID_INTERVAL, self.interval)
        if self.until is None and self.count is None:
            raise InvalidScheduleError(NO_END, None)
        if self.until is not None and self.count is not None:
            raise InvalidScheduleError(TWO_ENDS, (self.until, self.count))
        if self.count is not None and not _positive_int(self.count):
            raise InvalidScheduleError(INVALID_COUNT, self.count)
        if self.until is not None and not _is_aware(self.until):
            raise InvalidScheduleError(INVALID_UNTIL, self.until)

    def check(self, first: datetime) -> None:
        """Refuse an ``until`` before the ``first`` send."""
        if self.until is not None and self.until.astimezone(UTC) < _utc(first, "first"):
            raise InvalidScheduleError(END_BEFORE_START, self.until, first)

    def occurrences(
        self, first: datetime, tz: str, after: datetime, limit: int
    ) -> list[datetime]:
        """Up to ``limit`` sends strictly after ``after``, in order, in UTC.

        ``first`` is the first send (itself an occurrence); the others keep its wall clock
        time in ``tz``: daily at 09:00 Paris is 08:00 UTC in winter and 07:00 UTC in summer.
        Monthly on the 31st falls on the last day of shorter months (and back on the 31st
        after them); yearly on 29 February falls on 28 February outside leap years. The
        ``count`` counts from ``first``, including sends before ``after``.
        """
        tzinfo = zone(tz)
        self.check(first)
        first, after = _utc(first, "first"), _utc(after, "after")
        until = None if self.until is None else self.until.astimezone(UTC)
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        start = first.astimezone(tzinfo).replace(tzinfo=None)
        found: list[datetime] = []
        index = self._skip(start, after.astimezone(tzinfo).replace(tzinfo=None))
        while len(found) < limit and (self.count is None or index < self.count):
            wall = self._nth(start, index)
            if wall is None:  # beyond year 9999
                break
            at = first if index == 0 else wall_to_utc(wall, tzinfo)
            if until is not None and at > until:
                break
            if at > after:
                found.append(at)
            index += 1
        return found

    def next_after(self, first: datetime, tz: str, after: datetime) -> datetime | None:
        """The first send strictly after ``after``, or None once the recurrence has ended."""
        following = self.occurrences(first, tz, after, 1)
        return following[0] if following else None

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"every": self.every, "interval": self.interval}
        if self.until is not None:
            data["until"] = self.until
        if self.count is not None:
            data["count"] = self.count
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Recurrence:
        """From ``as_dict``'s shape; ``until`` may also be an ISO 8601 string with an offset."""
        until = data.get("until")
        if isinstance(until, str):
            try:
                until = datetime.fromisoformat(until)
            except ValueError:
                raise InvalidScheduleError(INVALID_UNTIL, until) from None
        if until is not None and not isinstance(until, datetime):
            raise InvalidScheduleError(INVALID_UNTIL, until)
        return cls(
            every=cast(Every, data.get("every")),
            interval=cast(int, data.get("interval", 1)),
            until=until,
            count=cast("int | None", data.get("count")),
        )

    def _nth(self, start: datetime, index: int) -> datetime | None:
        """The wall clock time of send ``index``, from the first one's date (never from the
        previous send's, so a month clipped to the 28th does not drag the next ones)."""
        step = index * self.interval
        try:
            if self.every == "daily":
                return start + timedelta(days=step)
            if self.every == "weekly":
                return start + timedelta(weeks=step)
            months = step * (12 if self.every == "yearly" else 1)
            year, month = divmod(start.month - 1 + months, 12)
            year, month = start.year + year, month + 1
            if year > 9999:
                return None
            return start.replace(year=year, month=month,
                                 day=min(start.day, monthrange(year, month)[1]))
        except OverflowError:
            return None

    def _skip(self, start: datetime, after: datetime) -> int:
        """An index at or before the first send after ``after``, so that a long-running
        recurrence is not walked from its start. Two steps of margin cover offsets and gaps."""
        if after <= start:
            return 0
        if self.every in ("daily", "weekly"):
            days = 1 if self.every == "daily" else 7
            elapsed = (after.date() - start.date()).days // days
        else:
            elapsed = (after.year - start.year) * 12 + after.month - start.month
            if self.every == "yearly":
                elapsed //= 12
        return max(0, elapsed // self.interval - 2)


@dataclass(frozen=True)
class Throttle:
    """A campaign released ``packet`` recipients at a time, a packet every ``every_minutes``
    minutes. Minutes are elapsed time, not wall clock: a DST change does not stretch a gap."""

    packet: int
    every_minutes: int

    def __post_init__(self) -> None:
        if not _positive_int(self.packet):
            raise InvalidScheduleError(INVALID_PACKET, self.packet)
        if not _positive_int(self.every_minutes):
            raise InvalidScheduleError(INVALID_EVERY_MINUTES, self.every_minutes)

    def release_times(self, count: int, start: datetime) -> list[tuple[datetime, int]]:
        """When each packet of ``count`` recipients leaves (UTC) and how many it holds: the
        first at ``start``, the last holding what remains. No recipients, no packets."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count must be an int >= 0, got {count!r}")
        first = _utc(start, "start")
        gap = timedelta(minutes=self.every_minutes)
        return [
            (first + index * gap, min(self.packet, count - sent))
            for index, sent in enumerate(range(0, count, self.packet))
        ]

    def finish(self, count: int, start: datetime) -> datetime:
        """When the last packet of ``count`` (>= 1) recipients leaves, in UTC."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be an int >= 1, got {count!r}")
        packets = -(-count // self.packet)
        return _utc(start, "start") + timedelta(
            minutes=(packets - 1) * self.every_minutes
        )

    def as_dict(self) -> dict[str, object]:
        return {"packet": self.packet, "every_minutes": self.every_minutes}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Throttle:
        return cls(packet=cast(int, data.get("packet")),
                   every_minutes=cast(int, data.get("every_minutes")))


def _parse_date(text: str) -> date:
    # A strict YYYY-MM-DD: date.fromisoformat would also take 20261122 and 2026-W47-7.
    match = _DATE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidScheduleError(INVALID_DATE, text)
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise InvalidScheduleError(INVALID_DATE, text) from None


def _parse_time(text: str) -> time:
    match = _TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidScheduleError(INVALID_TIME, text)
    hour, minute, second = match.groups()
    try:
        return time(int(hour), int(minute), int(second or 0))
    except ValueError:
        raise InvalidScheduleError(INVALID_TIME, text) from None


def _positive_int(value: object) -> bool:
    return type(value) is int and value >= 1


def _is_aware(moment: object) -> bool:
    return isinstance(moment, datetime) and moment.utcoffset() is not None


def _utc(moment: datetime, name: str) -> datetime:
    """``moment`` in UTC, where comparisons are plain: an aware time in its zone's gap or fold
    never equals a time of another zone (PEP 495). A naive one is a programming error."""
    if not _is_aware(moment):
        raise ValueError(f"{name} must be a tz-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)
