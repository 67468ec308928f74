"""The seeds' deferred-send format, ``diff=hhmmjjmmaaaa`` (000 §4, 001 §4).

Twelve digits: hour, minute, day, month, year, on the wall clock of the account's time zone
(``123004122034`` is 12:30 on 4 December 2034). A trailing ``s`` (``123004122034s``) asks to
cancel the deferred send recorded for that minute instead. Anything else is the seeds' code
85, "the deferred send format is not valid".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from portevoix.platform import codes
from portevoix.platform.schedule import ScheduleError, local_time

_DEFERRED = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{4})(s?)")


class DeferredFormatError(ValueError):
    """Not ``hhmmjjmmaaaa`` (optionally followed by ``s``), or not a real date and time."""

    code = codes.INVALID_DEFERRED_FORMAT

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"{value!r} is not hhmmjjmmaaaa: {reason}")
        self.value, self.reason = value, reason


@dataclass(frozen=True)
class Deferred:
    """When (aware, UTC), and whether the client asks to cancel the send at that time."""

    at: datetime
    cancel: bool = False


def parse_deferred(value: str, tz: str, now: datetime | None = None) -> Deferred:
    """The instant ``value`` names in ``tz``.

    With ``now``, a time before the current minute is refused as past (only for a send: a
    cancellation names the time a send was recorded for, whenever that was). A wall time
    that a daylight-saving change skips or repeats gets ``schedule.local_time``'s reading.
    """
    match = _DEFERRED.fullmatch(value.strip())
    if match is None:
        raise DeferredFormatError(value, "12 digits hhmmjjmmaaaa, optionally followed by s")
    hour, minute, day, month, year, cancel = match.groups()
    try:
        at = local_time(f"{year}-{month}-{day}", f"{hour}:{minute}", tz,
                        now=None if cancel else now)
    except ScheduleError as error:
        raise DeferredFormatError(value, str(error)) from error
    return Deferred(at, bool(cancel))


def format_deferred(at: datetime, tz: str, cancel: bool = False) -> str:
    """``at`` (aware) as ``hhmmjjmmaaaa`` on the wall clock of ``tz``, ``s`` appended to
    cancel; seconds are dropped."""
    wall = at.astimezone(ZoneInfo(tz))
    return wall.strftime("%H%M%d%m") + f"{wall.year:04d}" + ("s" if cancel else "")
