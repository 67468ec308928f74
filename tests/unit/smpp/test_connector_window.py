"""The in-flight table: window size, sequence numbers, timeouts oldest first, drain."""

from __future__ import annotations

import pytest

from portevoix.platform.smpp.window import MAX_SEQUENCE, Window


def test_window_is_full_at_its_size_and_frees_on_answer():
    window: Window[str] = Window(2)
    window.add(window.next_sequence(), "a", 1.0)
    window.add(window.next_sequence(), "b", 2.0)
    assert window.full

    assert window.pop(1) == ("a", 1.0)

    assert not window.full
    assert window.pop(1) is None  # a second answer to the same request is stray


def test_sequence_numbers_wrap_after_the_spec_maximum_and_skip_those_in_flight():
    window: Window[str] = Window(4)
    window.add(1, "still waiting", 0.0)
    window._sequence = MAX_SEQUENCE - 1

    assert [window.next_sequence() for _ in range(3)] == [MAX_SEQUENCE, 2, 3]


def test_expired_yields_entries_sent_before_the_deadline_oldest_first():
    window: Window[str] = Window(8)
    for sequence, sent_at in ((1, 1.0), (2, 2.0), (3, 3.0)):
        window.add(sequence, f"s{sequence}", sent_at)

    late = list(window.expired(2.5))

    assert late == [(1, "s1"), (2, "s2")]
    assert len(window) == 1
    assert window.oldest() == 3.0


def test_drain_hands_back_every_entry_and_empties_the_window():
    window: Window[str] = Window(8)
    window.add(5, "x", 1.0)
    window.add(6, "y", 1.0)

    assert window.drain() == ["x", "y"]
    assert (len(window), window.oldest()) == (0, None)


def test_window_needs_room_for_one_request():
    with pytest.raises(ValueError, match="at least 1"):
        Window(0)
