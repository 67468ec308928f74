"""The packaged sending windows against a rule restated from the brief, on arbitrary moments:
a marketing send leaves at once exactly when the rule allows it, and otherwise at the first
allowed minute after it, never earlier and never later."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from portevoix.platform.windows import SendingWindows, public_holidays

WINDOWS = SendingWindows.load()

# Country: (zone, last allowed weekday (Monday 0), start, end, avoids public holidays).
FRENCH = (5, time(8), time(21, 30), True)
COURTESY = (6, time(8), time(21), False)
RULES = {
    "FR": ("Europe/Paris", *FRENCH), "GP": ("America/Guadeloupe", *FRENCH),
    "MQ": ("America/Martinique", *FRENCH), "GF": ("America/Cayenne", *FRENCH),
    "RE": ("Indian/Reunion", *FRENCH), "YT": ("Indian/Mayotte", *FRENCH),
    "BE": ("Europe/Brussels", *COURTESY), "TN": ("Africa/Tunis", *COURTESY),
    "MA": ("Africa/Casablanca", *COURTESY), "GB": ("Europe/London", *COURTESY),
}

moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 31),
                       timezones=st.sampled_from([UTC, ZoneInfo("Europe/Paris"),
                                                  ZoneInfo("Indian/Reunion")]))


def rule_allows(code: str, moment: datetime) -> bool:
    name, last_weekday, start, end, holidays = RULES[code]
    local = moment.astimezone(ZoneInfo(name))
    if holidays and local.date() in public_holidays(code, local.year):
        return False
    return local.weekday() <= last_weekday and start <= local.time() < end


@settings(max_examples=400)
@given(st.sampled_from(sorted(RULES)), moments)
def test_a_marketing_send_leaves_at_once_exactly_when_the_rule_allows_it(code, moment):
    assert WINDOWS.allowed(code, moment, marketing=True) == rule_allows(code, moment)


@settings(max_examples=150)
@given(st.sampled_from(sorted(RULES)), moments)
def test_a_queued_send_leaves_at_the_first_allowed_minute_after_it(code, moment):
    queued = WINDOWS.next_allowed(code, moment, marketing=True)

    if rule_allows(code, moment):
        assert queued is moment
        return
    assert queued > moment
    assert queued.tzinfo is UTC
    assert (queued.second, queued.microsecond) == (0, 0)
    assert rule_allows(code, queued)
    # Windows open on whole minutes: no whole minute between the moment and the queued time
    # is allowed, so no instant is.
    minute = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute < queued:
        assert not rule_allows(code, minute), minute
        minute += timedelta(minutes=1)


@given(st.sampled_from([*RULES, "US", "DE"]), moments)
def test_transactional_traffic_is_never_held(code, moment):
    assert WINDOWS.next_allowed(code, moment, marketing=False) is moment
    assert WINDOWS.allowed(code, moment, marketing=False)


@settings(max_examples=200)
@given(st.sampled_from(sorted(RULES)), moments)
def test_the_submit_answer_has_a_note_exactly_when_the_send_is_queued(code, moment):
    note = WINDOWS.window_note(code, moment)

    assert (note is None) == rule_allows(code, moment)
    if note is not None:
        name = RULES[code][0]
        queued = WINDOWS.next_allowed(code, moment, marketing=True).astimezone(ZoneInfo(name))
        assert note.startswith(f"outside the sending window in {code} (")
        assert note.endswith(f"): queued to {queued:%A %Y-%m-%d %H:%M} {name}")
