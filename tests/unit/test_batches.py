"""Batches: items queued from many threads run together; failures reach their callers."""

from __future__ import annotations

import threading
from collections.abc import Sequence

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
