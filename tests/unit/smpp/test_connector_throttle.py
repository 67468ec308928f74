"""The token bucket and the throttling backoff, on a clock the tests move by hand."""

from __future__ import annotations

import pytest

from portevoix.platform.smpp.throttle import Backoff, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_unlimited_bucket_never_waits():
    bucket = TokenBucket(None, clock=Clock())

    assert [bucket.reserve() for _ in range(1000)] == [0.0] * 1000


def test_full_bucket_lets_a_burst_through_then_spaces_segments_at_the_rate():
    clock = Clock()
    bucket = TokenBucket(10, burst=3, clock=clock)

    waits = [bucket.reserve() for _ in range(5)]

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.1, 0.2])


def test_reservations_queue_so_the_long_run_rate_is_exact():
    clock = Clock()
    bucket = TokenBucket(50, burst=1, clock=clock)
    sent_at = []
    for _ in range(500):
        wait = bucket.reserve()
        clock.now += wait
        sent_at.append(clock.now)

    assert sent_at[-1] - sent_at[0] == pytest.approx(499 / 50)


def test_idle_time_refills_up_to_the_burst_only():
    clock = Clock()
    bucket = TokenBucket(10, burst=2, clock=clock)
    bucket.reserve()
    bucket.reserve()
    clock.now += 60

    waits = [bucket.reserve() for _ in range(3)]

    assert waits == pytest.approx([0.0, 0.0, 0.1])


def test_default_burst_is_50_ms_of_tokens_so_no_second_sees_much_more_than_the_rate():
    clock = Clock()
    bucket = TokenBucket(200, clock=clock)
    clock.now += 60  # idle: the bucket is as full as it gets

    send_times = [clock.now + bucket.reserve() for _ in range(400)]

    assert 200 <= sum(1 for moment in send_times if moment < clock.now + 1) <= 210


def test_slow_rate_still_lets_one_segment_through_at_once():
    bucket = TokenBucket(5, clock=Clock())

    assert [bucket.reserve() for _ in range(2)] == pytest.approx([0, 0.2])


def test_pause_holds_every_segment_until_it_ends_even_without_a_rate():
    clock = Clock()
    bucket = TokenBucket(None, clock=clock)
    bucket.pause(2.0)

    first = bucket.reserve()
    clock.now += 2.0

    assert (first, bucket.reserve()) == (2.0, 0.0)


@pytest.mark.parametrize("rate", [0, -1])
def test_rate_must_be_positive(rate):
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(rate)


def test_backoff_doubles_per_refusal_up_to_its_maximum():
    clock = Clock()
    backoff = Backoff(0.1, 0.5, clock=clock)
    pauses = []
    for _ in range(5):
        clock.now += 1
        pauses.append(backoff.refused(sent_at=clock.now))

    assert pauses == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])


def test_refusals_of_segments_sent_before_the_pause_count_once():
    clock = Clock()
    backoff = Backoff(0.1, 5.0, clock=clock)
    window_sent_at = clock.now
    clock.now += 0.01

    pauses = [backoff.refused(sent_at=window_sent_at) for _ in range(64)]

    assert pauses[0] == 0.1
    assert pauses[1:] == [None] * 63


def test_acceptance_after_the_pause_resets_the_backoff():
    clock = Clock()
    backoff = Backoff(0.1, 5.0, clock=clock)
    backoff.refused(sent_at=clock.now)
    clock.now += 1
    backoff.refused(sent_at=clock.now)
    backoff.accepted(sent_at=clock.now - 5)  # sent before the pause: proves nothing
    assert backoff.current == 0.2
    clock.now += 1

    backoff.accepted(sent_at=clock.now)

    assert backoff.current == 0.0
    assert backoff.refused(sent_at=clock.now + 1) == 0.1
