"""Deferred times on the account's wall clock, recurrences with an end, throttled packets, and
their plain-dict form for event payloads."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portevoix.platform import schedule
from portevoix.platform.schedule import (
    InvalidScheduleError,
    Recurrence,
    ScheduleError,
    Throttle,
    local_time,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 20, 14, 5, 30, tzinfo=UTC)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
          second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
        second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def payload_types_only(value: object) -> bool:
    """What an event attribute may hold: str, int, bool, list, str-keyed dict, aware datetime."""
    if isinstance(value, dict):
        return all(isinstance(key, str) and payload_types_only(item)
                   for key, item in value.items())
    if isinstance(value, list):
        return all(payload_types_only(item) for item in value)
    if isinstance(value, datetime):
        return value.utcoffset() is not None
    return type(value) in (str, int, bool)


# Deferred times -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "time", "tz", "expected"),
    [
        ("2026-11-22", "09:00", "Europe/Paris", utc(2026, 11, 22, 8, 0)),
        ("2026-07-01", "09:00", "Europe/Paris", utc(2026, 7, 1, 7, 0)),
        ("2026-12-20", "09:00", "Indian/Reunion", utc(2026, 12, 20, 5, 0)),
        ("2026-05-27", "09:00", "America/Guadeloupe", utc(2026, 5, 27, 13, 0)),
        ("2026-11-22", "09:15:45", "UTC", utc(2026, 11, 22, 9, 15, 45)),
    ],
)
def test_a_wall_clock_time_becomes_its_utc_instant(date, time, tz, expected):
    at = local_time(date, time, tz)

    assert at == expected
    assert at.tzinfo is UTC


def test_a_time_in_the_spring_gap_moves_forward_by_the_gap():
    at = local_time("2026-03-29", "02:30", "Europe/Paris")

    assert at == utc(2026, 3, 29, 1, 30)
    assert at.astimezone(PARIS).strftime("%H:%M %Z") == "03:30 CEST"


def test_a_time_repeated_in_autumn_is_its_first_occurrence():
    at = local_time("2026-10-25", "02:30", "Europe/Paris")

    assert at == utc(2026, 10, 25, 0, 30)
    assert at.astimezone(PARIS).strftime("%H:%M %Z") == "02:30 CEST"


def test_a_time_before_the_current_minute_is_refused_as_past():
    with pytest.raises(InvalidScheduleError) as refused:
        local_time("2026-11-20", "15:04", "Europe/Paris", now=NOW)

    assert refused.value.reason == schedule.PAST
    assert refused.value.value == utc(2026, 11, 20, 14, 4)
    assert refused.value.limit == NOW


def test_the_current_minute_is_not_past():
    at = local_time("2026-11-20", "15:05", "Europe/Paris", now=NOW)

    assert at == utc(2026, 11, 20, 14, 5)


def test_without_now_a_past_time_is_computed_for_a_resend():
    assert local_time("2020-01-02", "09:00", "Europe/Paris") == utc(2020, 1, 2, 8, 0)


@pytest.mark.parametrize("tz", ["Mars/Olympus", "europe/paris", "Europe", "", "../etc/passwd",
                                "/etc/localtime", "Europe/Paris "])
def test_an_unknown_time_zone_is_refused(tz):
    with pytest.raises(InvalidScheduleError) as refused:
        local_time("2026-11-22", "09:00", tz)

    assert (refused.value.reason, refused.value.value) == (schedule.UNKNOWN_ZONE, tz)


@pytest.mark.parametrize("date", ["2026-02-30", "20261122", "2026-W47-7", "22/11/2026",
                                  "2026-11-22T09:00", ""])
def test_a_date_not_written_yyyy_mm_dd_or_not_in_the_calendar_is_refused(date):
    with pytest.raises(InvalidScheduleError) as refused:
        local_time(date, "09:00", "Europe/Paris")

    assert (refused.value.reason, refused.value.value) == (schedule.INVALID_DATE, date)


@pytest.mark.parametrize("time", ["9:00", "0900", "24:00", "09:60", "09:00:60", "09h00", ""])
def test_a_time_not_written_hh_mm_is_refused(time):
    with pytest.raises(InvalidScheduleError) as refused:
        local_time("2026-11-22", time, "Europe/Paris")

    assert (refused.value.reason, refused.value.value) == (schedule.INVALID_TIME, time)


def test_a_naive_now_is_a_programming_error():
    with pytest.raises(ValueError, match="tz-aware"):
        local_time("2026-11-22", "09:00", "Europe/Paris", now=datetime(2026, 11, 20))


def test_schedule_refusals_share_a_base():
    assert issubclass(InvalidScheduleError, ScheduleError)


# Recurrence: its values ---------------------------------------------------------------------


def test_a_recurrence_without_an_end_is_refused():
    with pytest.raises(InvalidScheduleError) as refused:
        Recurrence("daily")

    assert refused.value.reason == schedule.NO_END


def test_a_recurrence_with_both_ends_is_refused():
    with pytest.raises(InvalidScheduleError) as refused:
        Recurrence("daily", until=utc(2027, 1, 1), count=3)

    assert refused.value.reason == schedule.TWO_ENDS


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"every": "hourly", "count": 3}, schedule.INVALID_EVERY),
        ({"every": "daily", "interval": 0, "count": 3}, schedule.INVALID_INTERVAL),
        ({"every": "daily", "interval": -1, "count": 3}, schedule.INVALID_INTERVAL),
        ({"every": "daily", "interval": True, "count": 3}, schedule.INVALID_INTERVAL),
        ({"every": "daily", "interval": 1.0, "count": 3}, schedule.INVALID_INTERVAL),
        ({"every": "daily", "count": 0}, schedule.INVALID_COUNT),
        ({"every": "daily", "count": "3"}, schedule.INVALID_COUNT),
        ({"every": "daily", "until": datetime(2027, 1, 1)}, schedule.INVALID_UNTIL),
        ({"every": "daily", "until": "2027-01-01"}, schedule.INVALID_UNTIL),
    ],
)
def test_a_recurrence_with_invalid_values_cannot_be_built(fields, reason):
    with pytest.raises(InvalidScheduleError) as refused:
        Recurrence(**fields)

    assert refused.value.reason == reason


def test_a_recurrence_ending_before_its_first_send_is_refused():
    first = utc(2026, 11, 22, 8, 0)
    recurrence = Recurrence("daily", until=utc(2026, 11, 21, 8, 0))

    with pytest.raises(InvalidScheduleError) as refused:
        recurrence.occurrences(first, "Europe/Paris", first, 10)

    assert refused.value.reason == schedule.END_BEFORE_START
    assert (refused.value.value, refused.value.limit) == (utc(2026, 11, 21, 8, 0), first)


def test_a_recurrence_cannot_change_once_made():
    recurrence = Recurrence("daily", count=3)

    with pytest.raises(FrozenInstanceError):
        recurrence.count = 4  # type: ignore[misc]


# Recurrence: its sends ----------------------------------------------------------------------


def test_daily_at_nine_in_paris_stays_at_nine_across_the_spring_change():
    first = paris(2026, 3, 27, 9, 0)

    sends = Recurrence("daily", count=4).occurrences(first, "Europe/Paris", first - timedelta(1),
                                                     10)

    assert sends == [utc(2026, 3, 27, 8), utc(2026, 3, 28, 8), utc(2026, 3, 29, 7),
                     utc(2026, 3, 30, 7)]
    assert {send.astimezone(PARIS).strftime("%H:%M") for send in sends} == {"09:00"}


def test_daily_at_nine_in_paris_stays_at_nine_across_the_autumn_change():
    first = paris(2026, 10, 24, 9, 0)

    sends = Recurrence("daily", count=3).occurrences(first, "Europe/Paris", first - timedelta(1),
                                                     10)

    assert sends == [utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), utc(2026, 10, 26, 8)]


def test_a_daily_send_in_the_spring_gap_moves_forward_that_day_only():
    first = paris(2026, 3, 28, 2, 30)

    sends = Recurrence("daily", count=3).occurrences(first, "Europe/Paris", first - timedelta(1),
                                                     10)

    local = [send.astimezone(PARIS).strftime("%m-%d %H:%M") for send in sends]
    assert local == ["03-28 02:30", "03-29 03:30", "03-30 02:30"]


def test_a_daily_send_in_the_autumn_fold_takes_its_first_occurrence():
    first = paris(2026, 10, 24, 2, 30)

    sends = Recurrence("daily", count=2).occurrences(first, "Europe/Paris", first - timedelta(1),
                                                     10)

    assert sends[1] == utc(2026, 10, 25, 0, 30)


def test_weekly_every_two_weeks_keeps_the_weekday():
    first = paris(2026, 11, 23, 9, 0)  # a Monday

    sends = Recurrence("weekly", interval=2, count=3).occurrences(
        first, "Europe/Paris", first - timedelta(1), 10)

    assert [send.astimezone(PARIS).date().isoformat() for send in sends] == [
        "2026-11-23", "2026-12-07", "2026-12-21"]


def test_monthly_on_the_31st_falls_on_the_last_day_of_shorter_months_and_comes_back():
    first = paris(2026, 1, 31, 9, 0)

    sends = Recurrence("monthly", count=5).occurrences(first, "Europe/Paris", first - timedelta(1),
                                                       10)

    assert [send.astimezone(PARIS).date().isoformat() for send in sends] == [
        "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]
    assert {send.astimezone(PARIS).strftime("%H:%M") for send in sends} == {"09:00"}


def test_monthly_on_the_31st_falls_on_29_february_in_a_leap_year():
    first = paris(2028, 1, 31, 9, 0)

    sends = Recurrence("monthly", count=2).occurrences(first, "Europe/Paris", first, 10)

    assert sends == [paris(2028, 2, 29, 9, 0)]


def test_quarterly_is_monthly_every_three_months():
    first = paris(2026, 11, 30, 9, 0)

    sends = Recurrence("monthly", interval=3, count=3).occurrences(
        first, "Europe/Paris", first - timedelta(1), 10)

    assert [send.astimezone(PARIS).date().isoformat() for send in sends] == [
        "2026-11-30", "2027-02-28", "2027-05-30"]


def test_yearly_on_29_february_falls_on_28_february_outside_leap_years():
    first = paris(2028, 2, 29, 9, 0)

    sends = Recurrence("yearly", count=5).occurrences(first, "Europe/Paris", first - timedelta(1),
                                                      10)

    assert [send.astimezone(PARIS).date().isoformat() for send in sends] == [
        "2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"]


def test_until_is_inclusive():
    first = paris(2026, 11, 22, 9, 0)
    recurrence = Recurrence("daily", until=paris(2026, 11, 24, 9, 0))

    sends = recurrence.occurrences(first, "Europe/Paris", first - timedelta(1), 10)

    assert sends == [paris(2026, 11, 22, 9), paris(2026, 11, 23, 9), paris(2026, 11, 24, 9)]


def test_count_includes_the_first_send_and_those_already_past():
    first = paris(2026, 11, 22, 9, 0)

    sends = Recurrence("daily", count=5).occurrences(first, "Europe/Paris",
                                                     paris(2026, 11, 23, 9, 0), 10)

    assert sends == [paris(2026, 11, 24, 9), paris(2026, 11, 25, 9), paris(2026, 11, 26, 9)]


def test_sends_are_strictly_after_after_and_at_most_limit():
    first = paris(2026, 11, 22, 9, 0)

    sends = Recurrence("daily", count=100).occurrences(first, "Europe/Paris", first, 2)

    assert sends == [paris(2026, 11, 23, 9), paris(2026, 11, 24, 9)]
    assert Recurrence("daily", count=100).occurrences(first, "Europe/Paris", first, 0) == []


def test_sends_long_after_the_first_are_found_without_walking_from_it():
    first = paris(2026, 1, 31, 9, 0)
    recurrence = Recurrence("monthly", until=paris(2040, 1, 1))

    sends = recurrence.occurrences(first, "Europe/Paris", paris(2039, 2, 1), 3)

    assert sends == [paris(2039, 2, 28, 9), paris(2039, 3, 31, 9), paris(2039, 4, 30, 9)]


def test_the_next_send_is_none_once_the_recurrence_has_ended():
    first = paris(2026, 11, 22, 9, 0)
    recurrence = Recurrence("weekly", count=2)

    assert recurrence.next_after(first, "Europe/Paris", first) == paris(2026, 11, 29, 9)
    assert recurrence.next_after(first, "Europe/Paris", paris(2026, 11, 29, 9)) is None


def test_recurrence_in_an_unknown_zone_is_refused():
    first = paris(2026, 11, 22, 9, 0)

    with pytest.raises(InvalidScheduleError) as refused:
        Recurrence("daily", count=2).occurrences(first, "Paris", first, 1)

    assert refused.value.reason == schedule.UNKNOWN_ZONE


# Recurrence: as a payload -------------------------------------------------------------------


@pytest.mark.parametrize(
    "recurrence",
    [Recurrence("daily", count=3), Recurrence("monthly", interval=3, until=utc(2027, 6, 30, 22))],
)
def test_a_recurrence_comes_back_from_its_dict(recurrence):
    data = recurrence.as_dict()

    assert payload_types_only(data)
    assert Recurrence.from_dict(data) == recurrence


def test_a_recurrence_dict_omits_the_end_it_does_not_have():
    assert Recurrence("weekly", count=4).as_dict() == {"every": "weekly", "interval": 1,
                                                       "count": 4}


def test_a_recurrence_dict_may_give_until_as_an_iso_string():
    recurrence = Recurrence.from_dict({"every": "daily", "until": "2027-01-01T09:00:00+01:00"})

    assert recurrence.until == utc(2027, 1, 1, 8, 0)


@pytest.mark.parametrize("until", ["2027-01-01T09:00:00", "tomorrow", 20270101])
def test_a_recurrence_dict_with_an_unreadable_or_naive_until_is_refused(until):
    with pytest.raises(InvalidScheduleError) as refused:
        Recurrence.from_dict({"every": "daily", "until": until})

    assert refused.value.reason == schedule.INVALID_UNTIL


# Throttle -----------------------------------------------------------------------------------


def test_a_throttle_releases_full_packets_then_the_rest():
    start = utc(2026, 11, 23, 8, 0)

    packets = Throttle(packet=10, every_minutes=15).release_times(25, start)

    assert packets == [(utc(2026, 11, 23, 8, 0), 10), (utc(2026, 11, 23, 8, 15), 10),
                       (utc(2026, 11, 23, 8, 30), 5)]


def test_a_throttle_counts_elapsed_minutes_across_the_autumn_change():
    start = paris(2026, 10, 25, 2, 50)  # CEST; 15 minutes later the clock reads 02:05 CET

    packets = Throttle(packet=1, every_minutes=15).release_times(2, start)

    assert [time for time, _ in packets] == [utc(2026, 10, 25, 0, 50), utc(2026, 10, 25, 1, 5)]
    assert packets[1][0].astimezone(PARIS).strftime("%H:%M %Z") == "02:05 CET"


def test_no_recipients_is_no_packets():
    assert Throttle(packet=10, every_minutes=15).release_times(0, utc(2026, 11, 23)) == []


def test_the_last_packet_leaves_at_finish():
    throttle = Throttle(packet=1000, every_minutes=10)

    assert throttle.finish(100_000, utc(2026, 11, 23, 8)) == utc(2026, 11, 23, 8) + timedelta(
        minutes=990)
    assert throttle.finish(1000, utc(2026, 11, 23, 8)) == utc(2026, 11, 23, 8)


@pytest.mark.parametrize(
    ("packet", "every_minutes", "reason"),
    [
        (0, 15, schedule.INVALID_PACKET),
        (-5, 15, schedule.INVALID_PACKET),
        (True, 15, schedule.INVALID_PACKET),
        (10.0, 15, schedule.INVALID_PACKET),
        (10, 0, schedule.INVALID_EVERY_MINUTES),
        (10, 0.5, schedule.INVALID_EVERY_MINUTES),
        (10, "15", schedule.INVALID_EVERY_MINUTES),
    ],
)
def test_a_throttle_needs_a_packet_of_one_or_more_every_minute_or_more(packet, every_minutes,
                                                                      reason):
    with pytest.raises(InvalidScheduleError) as refused:
        Throttle(packet=packet, every_minutes=every_minutes)

    assert refused.value.reason == reason


@pytest.mark.parametrize("count", [-1, True, 2.0])
def test_release_times_of_a_negative_or_non_int_count_is_a_programming_error(count):
    with pytest.raises(ValueError, match="count"):
        Throttle(packet=10, every_minutes=15).release_times(count, utc(2026, 11, 23))


def test_a_throttle_comes_back_from_its_dict():
    throttle = Throttle(packet=500, every_minutes=5)

    data = throttle.as_dict()

    assert data == {"packet": 500, "every_minutes": 5}
    assert payload_types_only(data)
    assert Throttle.from_dict(data) == throttle


def test_a_throttle_dict_with_a_missing_field_is_refused():
    with pytest.raises(InvalidScheduleError) as refused:
        Throttle.from_dict({"packet": 500})

    assert refused.value.reason == schedule.INVALID_EVERY_MINUTES
