"""The seeds' ``hhmmjjmmaaaa`` deferred format: what it reads, what it refuses (code 85)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from portevoix.platform.channels.compat_dates import (
    Deferred,
    DeferredFormatError,
    format_deferred,
    parse_deferred,
)

ZONES = ["UTC", "Europe/Paris", "Africa/Tunis", "America/Martinique"]
walls = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)
                     ).map(lambda d: d.replace(second=0, microsecond=0))


def _exists(wall: datetime, tz: str) -> bool:
    """Whether the wall time happens once in ``tz`` (not skipped or repeated by DST)."""
    zone = ZoneInfo(tz)
    early, late = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    return early.utcoffset() == late.utcoffset()


def test_the_seeds_example_is_half_past_noon_on_4_december_2034_in_the_account_zone() -> None:
    deferred = parse_deferred("123004122034", "Europe/Paris")

    assert deferred.at == datetime(2034, 12, 4, 11, 30, tzinfo=UTC)
    assert not deferred.cancel


def test_a_trailing_s_asks_to_cancel_the_send_at_that_time() -> None:
    deferred = parse_deferred("143022112026s", "UTC")

    assert deferred == Deferred(datetime(2026, 11, 22, 14, 30, tzinfo=UTC), cancel=True)


@given(walls, st.sampled_from(ZONES), st.booleans())
def test_a_valid_date_round_trips(wall: datetime, tz: str, cancel: bool) -> None:
    assume(_exists(wall, tz))
    text = wall.strftime("%H%M%d%m") + f"{wall.year:04d}" + ("s" if cancel else "")

    deferred = parse_deferred(text, tz)

    assert deferred.cancel is cancel
    assert format_deferred(deferred.at, tz, deferred.cancel) == text


@pytest.mark.parametrize("value", [
    "", "1230", "12300412203", "1230041220344", "123004122034x", "123004122034S ",
    "1230 04122034", "2530041220 34", "250004122034", "126004122034", "123032122034",
    "123031022034",
    "123004132034", "123000122034", "123029022027", "12h3004122034",
    "\uff11\uff12\uff13\uff10\uff10\uff14\uff11\uff12\uff12\uff10\uff13\uff14",
])
def test_malformed_values_are_refused_with_code_85(value: str) -> None:
    with pytest.raises(DeferredFormatError) as refusal:
        parse_deferred(value, "Europe/Paris")

    assert refusal.value.code == 85


@given(st.text(max_size=20))
def test_anything_but_twelve_digits_and_an_optional_s_is_refused(value: str) -> None:
    assume(not (len(value.strip()) in (12, 13) and value.strip()[:12].isascii()
                and value.strip()[:12].isdigit()))

    with pytest.raises(DeferredFormatError):
        parse_deferred(value, "UTC")


def test_a_past_time_is_refused_for_a_send_but_not_for_a_cancellation() -> None:
    now = datetime(2026, 11, 22, 14, 31, tzinfo=UTC)
    past = format_deferred(now - timedelta(minutes=2), "UTC")

    with pytest.raises(DeferredFormatError):
        parse_deferred(past, "UTC", now)
    assert parse_deferred(past + "s", "UTC", now).cancel
