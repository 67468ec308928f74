"""Batches: items queued from many threads run together; failures reach their callers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import pytest

from portevoix.batches import Batches, StoppedError


def test_items_queued_while_a_batch_runs_run_together_and_get_their_own_outcome() -> None:
    started, gate, seen = threading.Event(), threading.Event(), []

    def run(items: Sequence[int]) -> list[int | Exception]:
        started.set()
        gate.wait(5)
        seen.append(list(items))
        return [ValueError(n) if n < 0 else n * 10 for n in items]

    batches: Batches[int, int] = Batches(run, "test")
    first = batches.submit(1)  # runs alone, held at the gate while the others queue
    assert started.wait(5)
    rest = [batches.submit(n) for n in (2, -3, 4)]
    gate.set()

    assert first.result(5) == 10
    assert [rest[0].result(5), rest[2].result(5)] == [20, 40]
    with pytest.raises(ValueError):
        rest[1].result(5)
    batches.stop()
    assert seen == [[1], [2, -3, 4]]


def test_a_failing_batch_fails_each_caller_and_nothing_runs_after_stop() -> None:
    def run(items: Sequence[int]) -> list[int | Exception]:
        raise OSError("the store is down")

    batches: Batches[int, int] = Batches(run, "test")
    failed = batches.submit(1)
    with pytest.raises(OSError):
        failed.result(5)
    batches.stop()

    with pytest.raises(StoppedError):
        batches.submit(2).result(5)
    assert not batches.running


class Hold:
    """A hold that records when it is entered and left, and can refuse to be entered."""

    def __init__(self, log: list[str], refuse: bool = False) -> None:
        self.log, self.refuse = log, refuse

    def __call__(self) -> Hold:
        return self

    def __enter__(self) -> None:
        if self.refuse:
            raise OSError("the fence is down")
        self.log.append("enter")

    def __exit__(self, *_: object) -> None:
        self.log.append("leave")


def _gated(log: list[str]) -> tuple[Callable[[Sequence[int]], list[int | Exception]],
                                     threading.Event, threading.Event]:
    """A run that says it started, then waits at a gate, and logs each batch it ran."""
    started, gate = threading.Event(), threading.Event()

    def run(items: Sequence[int]) -> list[int | Exception]:
        started.set()
        gate.wait(5)
        log.append(f"run {list(items)}")
        return list(items)

    return run, started, gate


def test_a_hold_is_kept_while_items_keep_arriving_and_left_when_none_is_queued() -> None:
    log: list[str] = []
    run, started, gate = _gated(log)
    batches: Batches[int, int] = Batches(run, "test", hold=Hold(log), hold_for_s=5.0)
    first = batches.submit(1)
    assert started.wait(5)
    rest = [batches.submit(n) for n in (2, 3)]  # queued while the first batch runs
    gate.set()
    assert [f.result(5) for f in (first, *rest)] == [1, 2, 3]
    batches.stop()

    assert log == ["enter", "run [1]", "run [2, 3]", "leave"]


def test_a_hold_that_cannot_be_entered_fails_its_batch_and_the_next_one_runs() -> None:
    hold = Hold([], refuse=True)
    batches: Batches[int, int] = Batches(list, "test", hold=hold)
    with pytest.raises(OSError):
        batches.submit(1).result(5)
    hold.refuse = False

    assert batches.submit(2).result(5) == 2
    batches.stop()


def test_a_busy_hold_lingers_so_that_the_next_batch_gathers_what_arrives() -> None:
    log: list[str] = []
    run, started, gate = _gated(log)
    batches: Batches[int, int] = Batches(run, "test", hold=Hold(log), hold_for_s=5.0,
                                         linger_s=0.3, gather=8)
    first = batches.submit(1)
    assert started.wait(5)
    second = batches.submit(2)  # queued while the first runs: the next batch lingers
    gate.set()
    threading.Timer(0.1, lambda: batches.submit(3)).start()  # arrives during the linger
    assert [first.result(5), second.result(5)] == [1, 2]
    batches.stop()

    assert log[:3] == ["enter", "run [1]", "run [2, 3]"]
