"""The outbox without a socket: send order, retries after throttling, parts dropped after a
refusal, cancellation, and outcomes on the futures callers await."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from portevoix.platform.smpp import pdu
from portevoix.platform.smpp.binds import BindConfig, ConnectorStats
from portevoix.platform.smpp.deliveries import Deliveries
from portevoix.platform.smpp.outbound import Outbound
from portevoix.platform.smpp.outbox import Outbox
from portevoix.platform.smpp.results import (
    INVALID_NUMBER,
    THROTTLED,
    Accepted,
    Ambiguous,
    Rejected,
)

T = TypeVar("T")
LONG = "x" * 400  # 3 parts


def run(scenario: Callable[[Outbox, list[str]], Coroutine[Any, Any, T]], **changes: Any) -> T:
    async def main() -> T:
        config = BindConfig(**({"host": "h", "port": 1, "system_id": "s", "password": "p"}
                               | changes))
        settled: list[str] = []
        outbox = Outbox(config, Deliveries(), ConnectorStats(), settled.append)
        return await scenario(outbox, settled)

    return asyncio.run(main())


def message(number: int, text: str = "hello", destination: str = "+33612345678") -> Outbound:
    return Outbound(f"m{number}", "Portevoix", destination, text)


def test_segments_go_in_the_order_their_messages_came():
    async def scenario(outbox: Outbox, settled: list[str]) -> list[tuple[str, int]]:
        outbox.add(message(1, LONG))
        outbox.add(message(2))
        order = []
        while outbox.peek() is not None:
            segment = outbox.take()
            order.append((segment.message.submission.message_id, segment.part))
        return order

    assert run(scenario) == [("m1", 1), ("m1", 2), ("m1", 3), ("m2", 1)]


def test_accepted_parts_make_an_accepted_message_and_settle_it():
    async def scenario(outbox: Outbox, settled: list[str]) -> Any:
        future = outbox.add(message(1, LONG))
        for number in range(3):
            outbox.answered(outbox.take(), 0.0, pdu.ESME_ROK, f"id{number}")
        return await future, settled, outbox.idle.is_set()

    assert run(scenario) == (Accepted("m1", ("id0", "id1", "id2")), ["m1"], True)


def test_refused_part_drops_the_parts_not_yet_sent():
    async def scenario(outbox: Outbox, settled: list[str]) -> Any:
        future = outbox.add(message(1, LONG))
        first = outbox.take()
        outbox.answered(first, 0.0, pdu.ESME_RINVDSTADR, None)
        return await future, outbox.peek()

    outcome, left = run(scenario)

    assert isinstance(outcome, Rejected)
    assert (outcome.reason, outcome.command_status, outcome.accepted_parts) == (
        INVALID_NUMBER, pdu.ESME_RINVDSTADR, 0)
    assert left is None


def test_throttled_segment_goes_back_ahead_of_later_messages_after_a_pause():
    async def scenario(outbox: Outbox, settled: list[str]) -> Any:
        outbox.add(message(1))
        outbox.add(message(2))
        first = outbox.take()
        outbox.answered(first, 0.0, pdu.ESME_RTHROTTLED, None)
        again = outbox.peek()
        return again is first, outbox.reserve(), outbox.stats.segments_resent

    same, wait, resent = run(scenario, throttle_pause_min_s=0.5, throttle_pause_max_s=1.0)

    assert same
    assert 0.4 < wait <= 0.5
    assert resent == 1


def test_throttling_beyond_the_retries_rejects_the_message_as_throttled():
    async def scenario(outbox: Outbox, settled: list[str]) -> Any:
        future = outbox.add(message(1))
        for _ in range(3):
            outbox.answered(outbox.take(), 0.0, pdu.ESME_RMSGQFUL, None)
        return await future

    outcome = run(scenario, throttle_retries=2)

    assert isinstance(outcome, Rejected)
    assert (outcome.reason, outcome.command_status) == (THROTTLED, pdu.ESME_RMSGQFUL)


def test_segment_without_an_answer_makes_the_message_ambiguous():
    async def scenario(outbox: Outbox, settled: list[str]) -> Any:
        future = outbox.add(message(1, LONG))
        outbox.answered(outbox.take(), 0.0, pdu.ESME_ROK, "a")
        outbox.unanswered(outbox.take(), "the bind dropped")
        outbox.answered(outbox.take(), 0.0, pdu.ESME_ROK, "c")
        return await future

    assert run(scenario) == Ambiguous("m1", "part 2: the bind dropped", ("a", "c"), (2,))


def test_caller_giving_up_drops_what_was_not_sent():
    async def scenario(outbox: Outbox, settled: list[str]) -> Any:
        future = outbox.add(message(1, LONG))
        outbox.take()
        future.cancel()
        await asyncio.sleep(0)  # the done callback runs
        return outbox.peek(), len(outbox)

    left, unsettled = run(scenario)

    assert left is None
    assert unsettled == 1  # part 1 is still in flight


def test_message_no_smsc_could_take_is_rejected_at_once_and_never_queued():
    async def scenario(outbox: Outbox, settled: list[str]) -> Any:
        future = outbox.add(message(1, destination="0612345678"))
        return future.result(), outbox.peek(), len(outbox)

    outcome, left, unsettled = run(scenario)

    assert isinstance(outcome, Rejected)
    assert (outcome.reason, outcome.command_status) == (INVALID_NUMBER, None)
    assert (left, unsettled) == (None, 0)


def test_closing_refuses_every_segment_not_sent():
    async def scenario(outbox: Outbox, settled: list[str]) -> Any:
        futures = [outbox.add(message(number)) for number in range(3)]
        outbox.drop_all("closed")
        return [await future for future in futures]

    outcomes = run(scenario)

    assert {(outcome.command_status, outcome.detail) for outcome in outcomes
            if isinstance(outcome, Rejected)} == {(None, "closed")}
    assert len(outcomes) == 3
