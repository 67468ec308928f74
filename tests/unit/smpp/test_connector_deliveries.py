"""Receipts matched to messages: id bases, long messages combined, receipts ahead of their
submit_sm_resp, unknown ids, reports only after the outcome and only on change."""

from __future__ import annotations

from portevoix.platform.smpp.deliveries import Deliveries
from portevoix.platform.smpp.receipts import (
    DELIVERED_TO_OPERATOR,
    FAILED,
    RECEIVED,
    Receipt,
    receipt_from,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def receipt(message_id: str, stat: str = "DELIVRD", err: str = "000") -> Receipt:
    return receipt_from(f"id:{message_id} sub:001 dlvrd:001 submit date:2611221200 "
                        f"done date:2611221201 stat:{stat} err:{err} text:hello", {})


def test_receipt_of_a_settled_message_reports_its_status():
    deliveries = Deliveries()
    deliveries.accepted("m1", 1, 1, "abc123")
    assert deliveries.settle("m1") is None

    report = deliveries.receipt(receipt("abc123"))

    assert report is not None
    assert (report.message_id, report.smsc_ids, report.status) == ("m1", ("abc123",), RECEIVED)
    assert (report.stat, report.error_code) == ("DELIVRD", "000")
    assert report.done_at is not None and report.done_at.minute == 1


def test_hex_response_id_matches_a_decimal_receipt_id():
    deliveries = Deliveries(submit_id_base="hex", receipt_id_base="dec")
    deliveries.accepted("m1", 1, 1, "A0000001")
    deliveries.settle("m1")

    report = deliveries.receipt(receipt(str(0xA0000001)))

    assert report is not None and report.message_id == "m1"


def test_long_message_reports_received_once_every_part_is():
    deliveries = Deliveries()
    for part, smsc_id in enumerate(("p1", "p2", "p3"), start=1):
        deliveries.accepted("m1", part, 3, smsc_id)
    deliveries.settle("m1")

    reports = [deliveries.receipt(receipt(smsc_id)) for smsc_id in ("p2", "p1", "p3")]

    assert reports[:2] == [None, None]
    assert reports[2] is not None
    assert (reports[2].status, reports[2].smsc_ids) == (RECEIVED, ("p1", "p2", "p3"))


def test_one_failed_part_fails_the_long_message_at_once():
    deliveries = Deliveries()
    deliveries.accepted("m1", 1, 2, "p1")
    deliveries.accepted("m1", 2, 2, "p2")
    deliveries.settle("m1")

    report = deliveries.receipt(receipt("p2", "UNDELIV", "001"))

    assert report is not None and (report.status, report.error_code) == (FAILED, "001")


def test_receipt_before_its_response_is_held_then_reported_after_the_outcome():
    deliveries = Deliveries()

    assert deliveries.receipt(receipt("early")) is None
    assert deliveries.held == 1
    deliveries.accepted("m1", 1, 1, "early")
    assert deliveries.held == 0
    report = deliveries.settle("m1")

    assert report is not None and report.status == RECEIVED


def test_reports_wait_for_the_outcome_even_when_the_response_came_first():
    deliveries = Deliveries()
    deliveries.accepted("m1", 1, 2, "p1")
    deliveries.accepted("m1", 2, 2, "p2")

    assert deliveries.receipt(receipt("p1", "ENROUTE")) is None
    assert deliveries.receipt(receipt("p2", "ENROUTE")) is None
    report = deliveries.settle("m1")

    assert report is not None and report.status == DELIVERED_TO_OPERATOR


def test_unmatched_receipt_is_dropped_after_the_hold_and_counted_unknown():
    clock = Clock()
    deliveries = Deliveries(hold_s=30, clock=clock)
    deliveries.receipt(receipt("nobody"))
    clock.now = 31

    dropped = deliveries.expire()

    assert [item.message_id for item in dropped] == ["nobody"]
    assert (deliveries.held, deliveries.unknown) == (0, 1)


def test_held_receipts_are_bounded():
    deliveries = Deliveries(max_held=3)
    for number in range(5):
        deliveries.receipt(receipt(f"x{number}"))

    assert (deliveries.held, deliveries.unknown) == (3, 2)


def test_same_status_again_is_not_reported_twice():
    deliveries = Deliveries()
    deliveries.accepted("m1", 1, 1, "a")
    deliveries.settle("m1")
    deliveries.receipt(receipt("a", "ENROUTE"))

    assert deliveries.receipt(receipt("a", "ENROUTE")) is None


def test_message_with_final_statuses_is_forgotten():
    deliveries = Deliveries()
    deliveries.accepted("m1", 1, 1, "a")
    deliveries.settle("m1")

    deliveries.receipt(receipt("a"))

    assert len(deliveries) == 0


def test_tracked_message_from_before_a_restart_gets_its_reports():
    deliveries = Deliveries()
    deliveries.track("m1", ["a", "b"])

    deliveries.receipt(receipt("a"))
    report = deliveries.receipt(receipt("b"))

    assert report is not None and (report.message_id, report.status) == ("m1", RECEIVED)


def test_oldest_message_is_forgotten_beyond_the_bound():
    deliveries = Deliveries(max_tracked=2)
    for number in range(3):
        deliveries.accepted(f"m{number}", 1, 1, f"id{number}")
        deliveries.settle(f"m{number}")

    assert len(deliveries) == 2
    assert deliveries.receipt(receipt("id0")) is None  # held as unknown now
