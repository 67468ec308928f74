"""Sending windows: when marketing SMS may reach a recipient, per destination country.

The policy is versioned data, ``data/sending_windows.json``: per country its time zones and
a list of policies, each in force from a local date, giving allowed hours per weekday and
whether public holidays are avoided. For France and its overseas departments that is Monday
to Saturday 08:00-21:30, no Sunday, no public holiday, each on its own clock. A marketing send
outside the window is not refused: it is queued to the next allowed minute, and the submit
answer says so (``window_note``). Transactional traffic is never held, nor is traffic to a
country the data does not list.

Hours are half-open on the recipient's wall clock: with 08:00-21:30, 21:29:59 is allowed and
21:30:00 is queued to the next morning. Window edges that fall in a DST gap or fold resolve as
``schedule.wall_to_utc`` does. French public holidays are computed (Easter by the anonymous
Gregorian algorithm), never listed, so no year runs out.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from zoneinfo import ZoneInfo

from portevoix.platform.schedule import InvalidScheduleError, wall_to_utc, zone

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Why a send was queued (``Deferral.reason``).
DAY_OFF = "day_off"
PUBLIC_HOLIDAY = "public_holiday"
OUTSIDE_HOURS = "outside_hours"

# How far ahead to look for an allowed minute. Every policy allows some minute of the week
# (checked at load) and holidays close a few days, so an answer comes within two weeks; the
# bound only stops a loop on a bug.
_SEARCH_DAYS = 400
# Rounds of "the latest next minute over every zone" for a country with several zones.
_ZONE_ROUNDS = 16
_HHMM = re.compile(r"([01]\d|2[0-4]):([0-5]\d)")

# Holidays of metropolitan France (Code du travail, L3133-1), and what each overseas
# department adds: its abolition-of-slavery day (law 83-550 and the decrees applying it).
_FIXED_FR = {(1, 1): "New Year's Day", (5, 1): "Labour Day", (5, 8): "Victory in Europe Day",
             (7, 14): "Bastille Day", (8, 15): "Assumption Day", (11, 1): "All Saints' Day",
             (11, 11): "Armistice Day", (12, 25): "Christmas Day"}
_FROM_EASTER_FR = {1: "Easter Monday", 39: "Ascension Day", 50: "Whit Monday"}
_ABOLITION = "Abolition of Slavery Day"
_OVERSEAS = {"GP": (5, 27), "MQ": (5, 22), "GF": (6, 10), "RE": (12, 20), "YT": (4, 27)}
HOLIDAY_CALENDARS = frozenset({"FR", *_OVERSEAS})


class SendingWindowError(Exception):
    """Base of this module's errors."""


class PolicyDataError(SendingWindowError):
    """The policy data is malformed: caught by the test that loads the packaged file."""

    def __init__(self, country: str, problem: str) -> None:
        super().__init__(f"sending windows for {country or 'the document'}: {problem}")
        self.country, self.problem = country, problem


class NoSendingWindowError(SendingWindowError):
    def __init__(self, country: str, moment: datetime) -> None:
        super().__init__(f"no allowed minute in {country} within {_SEARCH_DAYS} days of "
                         f"{moment.isoformat()}")
        self.country, self.moment = country, moment


def easter(year: int) -> date:
    """Easter Sunday of ``year`` (Gregorian) by the anonymous algorithm, as Meeus writes it
    (Astronomical Algorithms, ch. 8); valid for every Gregorian year."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def public_holidays(country: str, year: int) -> Mapping[date, str]:
    """The public holidays of ``country`` in ``year``, by date (two on one date are named
    together). Empty for a country whose holidays are not computed."""
    if country not in HOLIDAY_CALENDARS:
        return MappingProxyType({})
    named = [(date(year, month, day), name) for (month, day), name in _FIXED_FR.items()]
    sunday = easter(year)
    named += [(sunday + timedelta(days=days), name) for days, name in _FROM_EASTER_FR.items()]
    if country in _OVERSEAS:
        named.append((date(year, *_OVERSEAS[country]), _ABOLITION))
    holidays: dict[date, str] = {}
    for day, name in sorted(named, key=lambda holiday: holiday[0]):
        holidays[day] = f"{holidays[day]} and {name}" if day in holidays else name
    return MappingProxyType(holidays)


@dataclass(frozen=True)
class Policy:
    """One version of a country's rule. ``hours`` per weekday (Monday first) as half-open
    ``(start, end)`` minutes of the day (end up to 1440); None: no restriction."""

    effective_from: date
    hours: tuple[tuple[tuple[int, int], ...], ...] | None
    avoid_public_holidays: bool


@dataclass(frozen=True)
class Deferral:
    """Why a marketing send to ``country`` is queued, and until when (UTC). ``detail`` is the
    weekday (DAY_OFF), the holiday's name (PUBLIC_HOLIDAY) or the local ``HH:MM`` of the
    send (OUTSIDE_HOURS, with ``hours`` the day's windows as ``08:00 to 21:30``)."""

    country: str
    time_zone: str
    reason: str
    detail: str
    until: datetime
    hours: str = ""

    def sentence(self) -> str:
        """The submit answer's note, in English (portals word the fields themselves)."""
        if self.reason == PUBLIC_HOLIDAY:
            why = f"public holiday: {self.detail}"
        elif self.reason == OUTSIDE_HOURS:
            why = f"{self.detail}, allowed {self.hours}"
        else:
            why = self.detail
        local = self.until.astimezone(ZoneInfo(self.time_zone))
        return (f"outside the sending window in {self.country} ({why}): queued to "
                f"{WEEKDAYS[local.weekday()].capitalize()} {local:%Y-%m-%d %H:%M} "
                f"{self.time_zone}")


@dataclass(frozen=True)
class _Country:
    code: str
    zones: tuple[ZoneInfo, ...]
    policies: tuple[Policy, ...]
    starts: tuple[date, ...]  # each policy's effective_from, increasing

    def policy_on(self, day: date) -> Policy:
        """The last version in force on ``day``; the first one also covers earlier dates
        (the policy as first recorded, rather than none at all)."""
        return self.policies[max(bisect_right(self.starts, day) - 1, 0)]


class SendingWindows:
    """The sending-window policy of one data version, built by ``load`` (the packaged file)
    or ``from_document``. Country codes are ISO 3166-1 alpha-2 (case-insensitive), as
    phonenumbers gives a recipient's region; moments are tz-aware datetimes."""

    def __init__(self, version: int, countries: Mapping[str, _Country]) -> None:
        self.version = version
        self._countries = dict(countries)

    @classmethod
    def load(cls) -> SendingWindows:
        """The packaged ``data/sending_windows.json``, read once."""
        return _packaged()

    @classmethod
    def from_document(cls, document: Mapping[str, object]) -> SendingWindows:
        """From the JSON document's shape (see the file's "about"), checked in full."""
        version = document.get("version")
        countries = document.get("countries")
        if type(version) is not int or version < 1:
            raise PolicyDataError("", f"version must be an int >= 1, got {version!r}")
        if not isinstance(countries, Mapping):
            raise PolicyDataError("", "countries must be an object")
        return cls(version, {code: _country(code, entry) for code, entry in countries.items()})

    def policy(self, country: str, day: date) -> Policy | None:
        """The policy in force in ``country`` on its local date ``day``; None for a country
        the data does not list (no restriction)."""
        entry = self._countries.get(country.upper())
        return None if entry is None else entry.policy_on(day)

    def next_allowed(self, country: str, moment: datetime, marketing: bool) -> datetime:
        """``moment`` itself if a send may leave then (always, for transactional traffic or an
        unlisted country), else the first allowed minute after it, in UTC."""
        at = _utc(moment)
        entry = self._countries.get(country.upper())
        if not marketing or entry is None:
            return moment
        queued = _next_in_country(entry, at)
        return moment if queued == at else queued

    def allowed(self, country: str, moment: datetime, marketing: bool) -> bool:
        at = _utc(moment)
        entry = self._countries.get(country.upper())
        return not marketing or entry is None or _next_in_country(entry, at) == at

    def deferral(self, country: str, moment: datetime) -> Deferral | None:
        """Why and until when a marketing send at ``moment`` is queued; None if it is not."""
        at = _utc(moment)
        entry = self._countries.get(country.upper())
        if entry is None:
            return None
        until = _next_in_country(entry, at)
        if until == at:
            return None
        tz = next(tz for tz in entry.zones if _next_in_zone(entry, tz, at) != at)
        local = at.astimezone(tz)
        day = local.date()
        policy = entry.policy_on(day)
        assert policy.hours is not None  # an unrestricted day would have allowed it
        holiday = public_holidays(entry.code, day.year).get(day)
        if policy.avoid_public_holidays and holiday is not None:
            return Deferral(entry.code, tz.key, PUBLIC_HOLIDAY, holiday, until)
        windows = policy.hours[day.weekday()]
        if not windows:
            return Deferral(entry.code, tz.key, DAY_OFF, WEEKDAYS[day.weekday()].capitalize(),
                            until)
        hours = ", ".join(f"{_hhmm(start)} to {_hhmm(end)}" for start, end in windows)
        detail = f"{WEEKDAYS[day.weekday()].capitalize()} {local:%H:%M}"
        return Deferral(entry.code, tz.key, OUTSIDE_HOURS, detail, until, hours)

    def window_note(self, country: str, moment: datetime) -> str | None:
        """The sentence for the submit answer of a marketing send queued by the window, e.g.
        "outside the sending window in FR (Sunday): queued to Monday 2026-11-23 08:00
        Europe/Paris"; None when it leaves at ``moment``."""
        deferral = self.deferral(country, moment)
        return None if deferral is None else deferral.sentence()


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC: an aware time in a gap or fold of its own zone never compares equal
    to one in another zone (PEP 495), so every comparison here is between UTC times."""
    if moment.utcoffset() is None:
        raise ValueError(f"moment must be tz-aware, got {moment!r}")
    return moment.astimezone(UTC)


def _next_in_country(entry: _Country, at: datetime) -> datetime:
    """``at`` (UTC) if allowed on every clock of the country, else the first minute that is:
    the latest next minute over its zones, until they all agree."""
    candidate = at
    for _ in range(_ZONE_ROUNDS):
        later = max(_next_in_zone(entry, tz, candidate) for tz in entry.zones)
        if later == candidate:
            return candidate
        candidate = later
    raise NoSendingWindowError(entry.code, at)


def _next_in_zone(entry: _Country, tz: ZoneInfo, moment: datetime) -> datetime:
    """``moment`` if allowed on ``tz``'s clock, else the start of the next window there."""
    first = moment.astimezone(tz).date()
    for offset in range(_SEARCH_DAYS):
        day = first + timedelta(days=offset)
        policy = entry.policy_on(day)
        if policy.hours is None:
            return max(moment, _at(day, 0, tz))
        if policy.avoid_public_holidays and day in public_holidays(entry.code, day.year):
            continue
        for start, end in policy.hours[day.weekday()]:
            if moment < _at(day, end, tz):
                return max(moment, _at(day, start, tz))
    raise NoSendingWindowError(entry.code, moment)


def _at(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    return wall_to_utc(datetime.combine(day, time()) + timedelta(minutes=minutes), tz)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@cache
def _packaged() -> SendingWindows:
    text = files("portevoix.platform").joinpath("data/sending_windows.json").read_text("utf-8")
    return SendingWindows.from_document(json.loads(text))


# Loading and checking the document ---------------------------------------------------------


def _country(code: object, entry: object) -> _Country:
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{2}", code):
        raise PolicyDataError(str(code), "country codes are ISO 3166-1 alpha-2, upper case")
    if not isinstance(entry, Mapping):
        raise PolicyDataError(code, "each country is an object")
    names, policies = entry.get("time_zones"), entry.get("policies")
    if not isinstance(names, list) or not names:
        raise PolicyDataError(code, "time_zones must be a non-empty list")
    try:
        zones = tuple(zone(name) for name in names)
    except InvalidScheduleError as error:
        raise PolicyDataError(code, f"unknown time zone {error.value!r}") from None
    if not isinstance(policies, list) or not policies:
        raise PolicyDataError(code, "policies must be a non-empty list")
    versions = tuple(_policy(code, policy) for policy in policies)
    starts = tuple(policy.effective_from for policy in versions)
    if list(starts) != sorted(set(starts)):
        raise PolicyDataError(code, "policies must have increasing effective_from dates")
    return _Country(code, zones, versions, starts)


def _policy(code: str, data: object) -> Policy:
    if not isinstance(data, Mapping):
        raise PolicyDataError(code, "each policy is an object")
    effective_from = data.get("effective_from")
    start = _date(effective_from)
    if start is None:
        raise PolicyDataError(code, f"effective_from {effective_from!r} is not YYYY-MM-DD")
    avoid = data.get("avoid_public_holidays")
    if not isinstance(avoid, bool):
        raise PolicyDataError(code, "avoid_public_holidays must be true or false")
    if avoid and code not in HOLIDAY_CALENDARS:
        raise PolicyDataError(code, "public holidays are not computed for this country")
    hours = data.get("hours")
    if hours is None:
        return Policy(start, None, avoid)
    if not isinstance(hours, Mapping) or set(hours) != set(WEEKDAYS):
        raise PolicyDataError(code, f"hours must name each of {', '.join(WEEKDAYS)}")
    week = tuple(_day(code, hours[name]) for name in WEEKDAYS)
    if not any(week):
        raise PolicyDataError(code, "hours allow no minute of the week; use null for none")
    return Policy(start, week, avoid)


def _day(code: str, windows: object) -> tuple[tuple[int, int], ...]:
    if not isinstance(windows, list):
        raise PolicyDataError(code, "a day's hours are a list of [start, end]")
    day: list[tuple[int, int]] = []
    for window in windows:
        if not isinstance(window, list) or len(window) != 2:
            raise PolicyDataError(code, f"{window!r} is not [start, end]")
        start, end = _minutes(code, window[0]), _minutes(code, window[1])
        if not start < end or (day and start < day[-1][1]):
            raise PolicyDataError(code, f"{window!r}: windows are ordered and do not overlap")
        day.append((start, end))
    return tuple(day)


def _date(text: object) -> date | None:
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _minutes(code: str, text: object) -> int:
    match = _HHMM.fullmatch(text) if isinstance(text, str) else None
    if match is None or (match[1] == "24" and match[2] != "00"):
        raise PolicyDataError(code, f"{text!r} is not HH:MM from 00:00 to 24:00")
    return int(match[1]) * 60 + int(match[2])
