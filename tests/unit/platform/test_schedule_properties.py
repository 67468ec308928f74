"""Deferred times, recurrences and throttles on arbitrary wall clocks, including zones with
half-hour changes and changes at midnight: sends keep the first one's wall clock time (or move
forward only when it does not exist that day), follow the calendar rules, and come back from
their dicts."""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portevoix.platform.schedule import EVERY, Recurrence, Throttle, local_time, wall_to_utc

ZONES = ["Europe/Paris", "Indian/Reunion", "America/Guadeloupe", "Europe/London",
         "America/New_York", "Africa/Casablanca", "Australia/Lord_Howe", "America/Santiago",
         "Asia/Tehran", "UTC"]

walls = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31, 23, 59),
                     timezones=st.none()).map(lambda wall: wall.replace(second=0, microsecond=0))
recurrences = st.builds(Recurrence, every=st.sampled_from(EVERY), interval=st.integers(1, 5),
                        count=st.integers(1, 40))


def exists(wall: datetime, tz: ZoneInfo) -> bool:
    return wall_to_utc(wall, tz).astimezone(tz).replace(tzinfo=None) == wall


def expected_wall(first: datetime, every: str, step: int) -> datetime:
    """Send ``step`` intervals after ``first``, on the calendar, restated for the test."""
    if every in ("daily", "weekly"):
        return first + timedelta(days=step * (7 if every == "weekly" else 1))
    months = first.month - 1 + step * (12 if every == "yearly" else 1)
    year, month = first.year + months // 12, months % 12 + 1
    return first.replace(year=year, month=month, day=min(first.day, monthrange(year, month)[1]))


@settings(max_examples=300)
@given(walls, st.sampled_from(ZONES))
def test_a_wall_clock_time_comes_back_unless_it_falls_in_a_gap(wall, name):
    tz = ZoneInfo(name)

    at = local_time(wall.date().isoformat(), wall.strftime("%H:%M"), name)

    back = at.astimezone(tz).replace(tzinfo=None)
    assert at.tzinfo is UTC
    if exists(wall, tz):
        assert back == wall
        # A repeated time is its first occurrence: the second one is not earlier.
        assert wall.replace(tzinfo=tz, fold=1) >= at
    else:
        assert wall < back <= wall + timedelta(hours=3)


@settings(max_examples=300)
@given(recurrences, walls, st.sampled_from(ZONES))
def test_sends_keep_the_first_wall_clock_time_on_the_calendar_dates(recurrence, wall, name):
    tz = ZoneInfo(name)
    assume(exists(wall, tz))
    first = wall_to_utc(wall, tz)

    sends = recurrence.occurrences(first, name, first - timedelta(seconds=1), 1000)

    assert len(sends) == recurrence.count
    assert sends[0] == first
    assert all(earlier < later for earlier, later in pairwise(sends))
    for step, send in enumerate(sends):
        wanted = expected_wall(wall, recurrence.every, step * recurrence.interval)
        local = send.astimezone(tz).replace(tzinfo=None)
        if exists(wanted, tz):
            assert local == wanted
        else:
            assert wanted < local <= wanted + timedelta(hours=3)


@settings(max_examples=300)
@given(recurrences, walls, st.sampled_from(ZONES), st.integers(0, 4000),
       st.integers(0, 10))
def test_sends_after_a_moment_are_the_tail_of_the_whole_series(recurrence, wall, name, days,
                                                               limit):
    first = wall_to_utc(wall, ZoneInfo(name))
    after = first + timedelta(days=days, minutes=days % 97)

    sends = recurrence.occurrences(first, name, after, limit)

    whole = recurrence.occurrences(first, name, first - timedelta(seconds=1), 1000)
    assert sends == [send for send in whole if send > after][:limit]


@settings(max_examples=200)
@given(st.sampled_from(EVERY), st.integers(1, 3), walls, st.sampled_from(ZONES),
       st.integers(0, 2000))
def test_until_keeps_the_sends_up_to_it_inclusive(every, interval, wall, name, days):
    first = wall_to_utc(wall, ZoneInfo(name))
    until = first + timedelta(days=days)
    counted = Recurrence(every, interval, count=400)

    sends = Recurrence(every, interval, until=until).occurrences(
        first, name, first - timedelta(seconds=1), 1000)

    whole = counted.occurrences(first, name, first - timedelta(seconds=1), 1000)
    assume(whole[-1] > until)
    assert sends == [send for send in whole if send <= until]


@settings(max_examples=300)
@given(st.integers(1, 5000), st.integers(1, 1440), st.integers(0, 20_000),
       st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1),
                    timezones=st.sampled_from([UTC, ZoneInfo("Europe/Paris")])))
def test_packets_hold_every_recipient_once_at_even_gaps(packet, every_minutes, count, start):
    throttle = Throttle(packet=packet, every_minutes=every_minutes)

    packets = throttle.release_times(count, start)

    assert sum(n for _, n in packets) == count
    assert len(packets) == -(-count // packet)
    assert all(n == packet for _, n in packets[:-1])
    assert all(1 <= n <= packet for _, n in packets)
    times = [time for time, _ in packets]
    assert all(later - earlier == timedelta(minutes=every_minutes)
               for earlier, later in pairwise(times))
    if packets:
        # In UTC: an aware start in its zone's gap equals no time of another zone (PEP 495).
        assert times[0] == start.astimezone(UTC)
        assert times[-1] == throttle.finish(count, start)


@given(st.one_of(
    recurrences,
    st.builds(Recurrence, every=st.sampled_from(EVERY), interval=st.integers(1, 12),
              until=st.datetimes(min_value=datetime(2020, 1, 1), timezones=st.sampled_from(
                  [UTC, ZoneInfo("Europe/Paris"), ZoneInfo("Indian/Reunion")]))),
))
def test_a_recurrence_comes_back_from_its_dict(recurrence):
    assert Recurrence.from_dict(recurrence.as_dict()) == recurrence
    assert None not in recurrence.as_dict().values()


@given(st.integers(1, 10**6), st.integers(1, 10**5))
def test_a_throttle_comes_back_from_its_dict(packet, every_minutes):
    throttle = Throttle(packet, every_minutes)

    assert Throttle.from_dict(throttle.as_dict()) == throttle
