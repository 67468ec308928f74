"""The collector paused for bulk work: restored as found, overlapping pauses counted."""

from __future__ import annotations

import gc
import threading
import weakref

from portevoix.gc_pause import collection_paused, sweep


def test_a_pause_disables_the_collector_and_restores_it() -> None:
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_pauses_end_with_the_last() -> None:
    first_in, second_out = threading.Event(), threading.Event()

    def other() -> None:
        with collection_paused():
            first_in.set()
            second_out.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    first_in.wait(5)
    with collection_paused():
        pass
    assert not gc.isenabled()  # the other thread's pause still runs
    second_out.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_sweep_frees_young_cycles_while_paused() -> None:
    class Node:
        pass

    with collection_paused():
        node = Node()
        node.self = node  # type: ignore[attr-defined]
        alive = weakref.ref(node)
        del node
        assert alive() is not None  # a cycle: only the collector frees it
        sweep()
        assert alive() is None
