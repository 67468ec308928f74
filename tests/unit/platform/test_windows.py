"""Sending windows for marketing traffic: the packaged policy (France 08:00-21:30 Monday to
Saturday, no Sunday or public holiday, overseas departments on their own clocks), computed
holidays, policy versions, and the note a queued send's submit answer carries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from zoneinfo import ZoneInfo

import pytest

from portevoix.platform import windows
from portevoix.platform.windows import (
    Deferral,
    PolicyDataError,
    SendingWindows,
    easter,
    public_holidays,
)

PARIS = ZoneInfo("Europe/Paris")
WINDOWS = SendingWindows.load()
FRENCH_ZONES = {"FR": "Europe/Paris", "GP": "America/Guadeloupe", "MQ": "America/Martinique",
                "GF": "America/Cayenne", "RE": "Indian/Reunion", "YT": "Indian/Mayotte"}


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
          second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


def week(*windows_of_each_day: list[list[str]]) -> dict[str, list[list[str]]]:
    return dict(zip(windows.WEEKDAYS, windows_of_each_day, strict=True))


def every_day(start: str, end: str) -> dict[str, list[list[str]]]:
    return week(*([[start, end]] for _ in range(7)))


def document(countries: dict[str, object], version: int = 1) -> dict[str, object]:
    return {"version": version, "countries": countries}


def country(zones: list[str], *policies: dict[str, object]) -> dict[str, object]:
    return {"time_zones": zones, "policies": list(policies)}


def policy(effective_from: str, hours: object, avoid: bool = False) -> dict[str, object]:
    return {"effective_from": effective_from, "hours": hours, "avoid_public_holidays": avoid}


# The packaged data --------------------------------------------------------------------------


def test_the_packaged_policy_has_a_version_and_every_country_of_the_brief():
    raw = json.loads(files("portevoix.platform").joinpath("data/sending_windows.json")
                     .read_text("utf-8"))

    assert WINDOWS.version == raw["version"] >= 1
    assert set(raw["countries"]) == {*FRENCH_ZONES, "BE", "TN", "MA", "GB"}
    assert {code: raw["countries"][code]["time_zones"] for code in FRENCH_ZONES} == {
        code: [name] for code, name in FRENCH_ZONES.items()}


@pytest.mark.parametrize("code", sorted(FRENCH_ZONES))
def test_france_and_its_overseas_departments_send_monday_to_saturday_8_to_21_30(code):
    rule = WINDOWS.policy(code, date(2026, 11, 23))

    assert rule is not None
    assert rule.avoid_public_holidays is True
    assert rule.hours == ((((8 * 60, 21 * 60 + 30),),) * 6) + ((),)


@pytest.mark.parametrize("code", ["BE", "TN", "MA", "GB"])
def test_other_listed_countries_have_a_courtesy_window_and_no_holidays(code):
    rule = WINDOWS.policy(code, date(2026, 11, 23))

    assert rule is not None
    assert rule.avoid_public_holidays is False
    assert rule.hours == (((8 * 60, 21 * 60),),) * 7


# France: the window -------------------------------------------------------------------------


def test_a_weekday_inside_the_window_leaves_at_once():
    moment = paris(2026, 11, 24, 10, 0, 17)

    assert WINDOWS.next_allowed("FR", moment, marketing=True) is moment
    assert WINDOWS.allowed("FR", moment, marketing=True)
    assert WINDOWS.window_note("FR", moment) is None


def test_a_sunday_is_queued_to_monday_8_and_said_so():
    moment = paris(2026, 11, 22, 10, 0)

    queued = WINDOWS.next_allowed("FR", moment, marketing=True)

    assert queued == paris(2026, 11, 23, 8, 0)
    assert queued.tzinfo is UTC
    assert not WINDOWS.allowed("FR", moment, marketing=True)
    assert WINDOWS.window_note("FR", moment) == (
        "outside the sending window in FR (Sunday): queued to Monday 2026-11-23 08:00 "
        "Europe/Paris")


def test_21_31_is_queued_to_the_next_morning():
    moment = paris(2026, 11, 24, 21, 31)

    assert WINDOWS.next_allowed("FR", moment, marketing=True) == paris(2026, 11, 25, 8, 0)
    assert WINDOWS.window_note("FR", moment) == (
        "outside the sending window in FR (Tuesday 21:31, allowed 08:00 to 21:30): queued to "
        "Wednesday 2026-11-25 08:00 Europe/Paris")


def test_the_window_is_half_open_21_30_is_outside_and_21_29_59_inside():
    assert WINDOWS.allowed("FR", paris(2026, 11, 24, 21, 29, 59), marketing=True)
    assert WINDOWS.next_allowed("FR", paris(2026, 11, 24, 21, 30), marketing=True) == paris(
        2026, 11, 25, 8, 0)


def test_before_8_is_queued_to_8_the_same_day():
    assert WINDOWS.next_allowed("FR", paris(2026, 11, 24, 7, 59, 30), marketing=True) == paris(
        2026, 11, 24, 8, 0)
    assert WINDOWS.allowed("FR", paris(2026, 11, 24, 8, 0), marketing=True)


def test_saturday_21_45_is_queued_to_monday_8_over_the_sunday():
    moment = paris(2026, 11, 21, 21, 45)

    assert WINDOWS.next_allowed("FR", moment, marketing=True) == paris(2026, 11, 23, 8, 0)


@pytest.mark.parametrize(
    ("moment", "queued", "holiday"),
    [
        (paris(2026, 7, 14, 12, 0), paris(2026, 7, 15, 8, 0), "Bastille Day"),
        (paris(2026, 4, 6, 9, 0), paris(2026, 4, 7, 8, 0), "Easter Monday"),
        (paris(2027, 3, 29, 9, 0), paris(2027, 3, 30, 8, 0), "Easter Monday"),
        (paris(2026, 5, 14, 9, 0), paris(2026, 5, 15, 8, 0), "Ascension Day"),
        (paris(2026, 5, 25, 9, 0), paris(2026, 5, 26, 8, 0), "Whit Monday"),
        # Friday 1 May 2026, then Saturday is open again.
        (paris(2026, 5, 1, 9, 0), paris(2026, 5, 2, 8, 0), "Labour Day"),
    ],
)
def test_a_public_holiday_is_queued_to_the_next_working_day(moment, queued, holiday):
    assert WINDOWS.next_allowed("FR", moment, marketing=True) == queued
    assert f"(public holiday: {holiday})" in (WINDOWS.window_note("FR", moment) or "")


def test_the_evening_before_a_holiday_is_queued_past_it():
    # Monday 13 July 2026 at 22:00: Tuesday is 14 July.
    assert WINDOWS.next_allowed("FR", paris(2026, 7, 13, 22, 0), marketing=True) == paris(
        2026, 7, 15, 8, 0)


def test_queued_over_the_spring_change_lands_at_8_summer_time():
    # Saturday 28 March 2026 22:00 CET; Sunday 29 March the clocks go forward.
    queued = WINDOWS.next_allowed("FR", paris(2026, 3, 28, 22, 0), marketing=True)

    assert queued == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    assert queued.astimezone(PARIS).strftime("%a %H:%M %Z") == "Mon 08:00 CEST"


def test_queued_over_the_autumn_change_lands_at_8_winter_time():
    # Saturday 24 October 2026 22:00 CEST; Sunday 25 October the clocks go back.
    queued = WINDOWS.next_allowed("FR", paris(2026, 10, 24, 22, 0), marketing=True)

    assert queued == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    assert queued.astimezone(PARIS).strftime("%a %H:%M %Z") == "Mon 08:00 CET"


def test_a_send_queued_by_the_window_leaves_at_the_next_allowed_minute_of_the_clock():
    submitted = paris(2026, 11, 21, 21, 45)
    due = WINDOWS.next_allowed("FR", submitted, marketing=True)
    clock = submitted

    # The dispatcher's injected clock ticks a minute at a time; the send leaves at the first
    # tick the window allows, which must be the time the submit answer announced.
    while not WINDOWS.allowed("FR", clock, marketing=True):
        clock += timedelta(minutes=1)

    assert clock == due == paris(2026, 11, 23, 8, 0)


def test_a_moment_in_another_zone_is_judged_on_the_recipients_clock():
    # 06:30 UTC on a Tuesday in winter is 07:30 in Paris: queued to 08:00 Paris, 07:00 UTC.
    moment = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)

    assert WINDOWS.next_allowed("FR", moment, marketing=True) == datetime(
        2026, 11, 24, 7, 0, tzinfo=UTC)


# Transactional traffic and countries without a rule -----------------------------------------


@pytest.mark.parametrize("moment", [paris(2026, 11, 22, 10, 0), paris(2026, 7, 14, 12, 0),
                                    paris(2026, 11, 24, 3, 0)])
def test_transactional_traffic_always_leaves_at_once(moment):
    assert WINDOWS.next_allowed("FR", moment, marketing=False) is moment
    assert WINDOWS.allowed("FR", moment, marketing=False)


@pytest.mark.parametrize("code", ["US", "DE", "ZZ"])
def test_a_country_without_a_rule_has_no_restriction(code):
    sunday_night = paris(2026, 11, 22, 3, 0)

    assert WINDOWS.next_allowed(code, sunday_night, marketing=True) is sunday_night
    assert WINDOWS.window_note(code, sunday_night) is None
    assert WINDOWS.policy(code, sunday_night.date()) is None


def test_country_codes_are_case_insensitive():
    assert WINDOWS.next_allowed("fr", paris(2026, 11, 22, 10, 0), marketing=True) == paris(
        2026, 11, 23, 8, 0)


def test_a_naive_moment_is_a_programming_error():
    with pytest.raises(ValueError, match="tz-aware"):
        WINDOWS.next_allowed("FR", datetime(2026, 11, 24, 10, 0), marketing=True)


# Overseas departments -----------------------------------------------------------------------


def test_reunion_is_judged_on_its_own_clock():
    # Tuesday 06:00 UTC: 10:00 in Reunion (UTC+4), 07:00 in Paris.
    moment = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)

    assert WINDOWS.allowed("RE", moment, marketing=True)
    assert not WINDOWS.allowed("FR", moment, marketing=True)


def test_reunion_evening_is_queued_to_8_reunion_time():
    reunion = ZoneInfo("Indian/Reunion")

    queued = WINDOWS.next_allowed("RE", datetime(2026, 11, 24, 21, 31, tzinfo=reunion), True)

    assert queued == datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def test_20_december_is_a_holiday_in_reunion_only():
    reunion = ZoneInfo("Indian/Reunion")
    moment = datetime(2027, 12, 20, 10, 0, tzinfo=reunion)  # a Monday

    assert WINDOWS.next_allowed("RE", moment, marketing=True) == datetime(
        2027, 12, 21, 8, 0, tzinfo=reunion)
    assert WINDOWS.window_note("RE", moment) == (
        "outside the sending window in RE (public holiday: Abolition of Slavery Day): queued "
        "to Tuesday 2027-12-21 08:00 Indian/Reunion")
    assert WINDOWS.allowed("FR", paris(2027, 12, 20, 10, 0), marketing=True)


@pytest.mark.parametrize(
    ("code", "holiday", "queued"),
    [
        ("GP", date(2027, 5, 27), date(2027, 5, 28)),
        ("MQ", date(2027, 5, 22), date(2027, 5, 24)),  # a Saturday: Sunday is closed too
        ("GF", date(2027, 6, 10), date(2027, 6, 11)),
        ("RE", date(2027, 12, 20), date(2027, 12, 21)),
        ("YT", date(2027, 4, 27), date(2027, 4, 28)),
    ],
)
def test_each_overseas_department_avoids_its_abolition_day(code, holiday, queued):
    tz = ZoneInfo(FRENCH_ZONES[code])
    moment = datetime.combine(holiday, datetime.min.time().replace(hour=10), tzinfo=tz)

    assert WINDOWS.next_allowed(code, moment, marketing=True) == datetime.combine(
        queued, datetime.min.time().replace(hour=8), tzinfo=tz)
    others = {other for other in FRENCH_ZONES if other != code}
    assert all(holiday not in public_holidays(other, holiday.year) for other in others)


# Holidays -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "sunday"),
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)),
     (2027, date(2027, 3, 28)), (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22)),
     (1818, date(1818, 3, 22)), (2000, date(2000, 4, 23))],
)
def test_easter_sunday_by_the_anonymous_algorithm(year, sunday):
    assert easter(year) == sunday


def test_french_public_holidays_of_2026():
    holidays = public_holidays("FR", 2026)

    assert sorted(holidays) == [
        date(2026, 1, 1), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 8),
        date(2026, 5, 14), date(2026, 5, 25), date(2026, 7, 14), date(2026, 8, 15),
        date(2026, 11, 1), date(2026, 11, 11), date(2026, 12, 25)]


def test_two_holidays_on_one_date_are_named_together():
    # Easter 2008 was 23 March: Ascension fell on 1 May.
    assert public_holidays("FR", 2008)[date(2008, 5, 1)] == "Labour Day and Ascension Day"


def test_a_country_without_a_calendar_has_no_computed_holidays():
    assert dict(public_holidays("BE", 2026)) == {}


# Policy versions and other documents --------------------------------------------------------


def test_a_later_policy_version_supersedes_from_its_date():
    evenings_shortened = SendingWindows.from_document(document({
        "FR": country(["Europe/Paris"],
                      policy("2026-01-01", every_day("08:00", "21:30")),
                      policy("2027-01-05", every_day("09:00", "20:00"))),
    }, version=2))

    monday, tuesday = paris(2027, 1, 4, 20, 30), paris(2027, 1, 5, 20, 30)

    assert evenings_shortened.version == 2
    assert evenings_shortened.allowed("FR", monday, marketing=True)
    assert evenings_shortened.next_allowed("FR", tuesday, marketing=True) == paris(
        2027, 1, 6, 9, 0)


def test_the_first_version_also_covers_earlier_dates():
    later = SendingWindows.from_document(document({
        "FR": country(["Europe/Paris"], policy("2030-01-01", every_day("09:00", "20:00"))),
    }))

    assert later.next_allowed("FR", paris(2026, 11, 24, 8, 30), marketing=True) == paris(
        2026, 11, 24, 9, 0)


def test_a_policy_version_without_hours_lifts_the_restriction():
    lifted = SendingWindows.from_document(document({
        "FR": country(["Europe/Paris"],
                      policy("2026-01-01", every_day("08:00", "21:30")),
                      policy("2027-01-01", None)),
    }))

    assert lifted.next_allowed("FR", paris(2026, 12, 31, 23, 0), marketing=True) == paris(
        2027, 1, 1, 0, 0)


def test_a_country_with_two_zones_is_allowed_only_when_both_clocks_allow():
    two_zones = SendingWindows.from_document(document({
        "ZZ": country(["Europe/Paris", "Europe/London"], policy("2026-01-01",
                                                               every_day("08:00", "21:00"))),
    }))
    morning = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # 08:30 Paris, 07:30 London
    evening = datetime(2026, 11, 24, 20, 30, tzinfo=UTC)  # 21:30 Paris, 20:30 London

    assert two_zones.next_allowed("ZZ", morning, True) == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert two_zones.next_allowed("ZZ", evening, True) == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    note = two_zones.window_note("ZZ", evening)
    assert note is not None
    assert "(Tuesday 21:30, allowed 08:00 to 21:00)" in note


def test_a_window_in_the_autumn_fold_is_its_first_pass_only():
    night = SendingWindows.from_document(document({
        "ZZ": country(["Europe/Paris"], policy("2026-01-01", every_day("02:00", "02:45"))),
    }))
    first_pass = paris(2026, 10, 25, 2, 30)  # 00:30 UTC, summer time
    second_pass = first_pass.replace(fold=1)  # 01:30 UTC, winter time

    assert night.allowed("ZZ", first_pass, marketing=True)
    assert night.next_allowed("ZZ", second_pass, marketing=True) == datetime(
        2026, 10, 26, 1, 0, tzinfo=UTC)


def test_a_day_may_have_several_windows():
    lunch_break = SendingWindows.from_document(document({
        "ZZ": country(["Europe/Paris"], policy("2026-01-01", week(
            *([["09:00", "12:00"], ["14:00", "24:00"]] for _ in range(7))))),
    }))

    assert lunch_break.next_allowed("ZZ", paris(2026, 11, 24, 12, 30), True) == paris(
        2026, 11, 24, 14, 0)
    assert lunch_break.allowed("ZZ", paris(2026, 11, 24, 23, 59), True)


def test_a_deferral_carries_what_a_portal_needs_to_word_it():
    deferral = WINDOWS.deferral("FR", paris(2026, 11, 22, 10, 0))

    assert deferral == Deferral(country="FR", time_zone="Europe/Paris", reason=windows.DAY_OFF,
                                detail="Sunday", until=paris(2026, 11, 23, 8, 0))


@pytest.mark.parametrize(
    ("countries", "problem"),
    [
        ({"FR": country(["Europe/Pariss"], policy("2026-01-01", None))}, "unknown time zone"),
        ({"FR": country([], policy("2026-01-01", None))}, "time_zones"),
        ({"FR": country(["Europe/Paris"])}, "policies"),
        ({"fr": country(["Europe/Paris"], policy("2026-01-01", None))}, "alpha-2"),
        ({"FR": country(["Europe/Paris"], policy("2026-1-1", None))}, "YYYY-MM-DD"),
        ({"FR": country(["Europe/Paris"], policy("2027-01-01", None),
                        policy("2026-01-01", None))}, "increasing"),
        ({"FR": country(["Europe/Paris"], policy("2026-01-01", None),
                        policy("2026-01-01", None))}, "increasing"),
        ({"BE": country(["Europe/Brussels"], policy("2026-01-01", None, avoid=True))},
         "not computed"),
        ({"FR": country(["Europe/Paris"], policy("2026-01-01", {"monday": []}))}, "each of"),
        ({"FR": country(["Europe/Paris"], policy("2026-01-01", week(*([] for _ in range(7)))))},
         "no minute"),
        ({"FR": country(["Europe/Paris"], policy("2026-01-01", every_day("21:30", "08:00")))},
         "ordered"),
        ({"FR": country(["Europe/Paris"], policy("2026-01-01", week(
            *([["08:00", "13:00"], ["12:00", "18:00"]] for _ in range(7)))))}, "overlap"),
        ({"FR": country(["Europe/Paris"], policy("2026-01-01", every_day("08:00", "24:30")))},
         "HH:MM"),
        ({"FR": country(["Europe/Paris"], policy("2026-01-01", every_day("8:00", "21:30")))},
         "HH:MM"),
    ],
)
def test_a_malformed_policy_document_is_refused_with_its_problem(countries, problem):
    with pytest.raises(PolicyDataError, match=problem) as refused:
        SendingWindows.from_document(document(countries))

    assert refused.value.country in {*countries, "fr"}


@pytest.mark.parametrize("version", [None, 0, "1", True])
def test_a_document_needs_a_positive_int_version(version):
    with pytest.raises(PolicyDataError, match="version"):
        SendingWindows.from_document({"version": version, "countries": {}})
