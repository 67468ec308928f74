"""command_status to our reasons, and a message's outcome from its segments' answers."""

from __future__ import annotations

import pytest

from portevoix.platform.smpp import pdu
from portevoix.platform.smpp.results import (
    INVALID_MESSAGE,
    INVALID_NUMBER,
    INVALID_SENDER,
    REJECTED,
    SYSTEM_ERROR,
    THROTTLED,
    Accepted,
    Ambiguous,
    Rejected,
    reason_for,
)
from portevoix.platform.smpp.submissions import Submission


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (pdu.ESME_RINVDSTADR, INVALID_NUMBER),
        (pdu.ESME_RINVDSTTON, INVALID_NUMBER),
        (pdu.ESME_RINVSRCADR, INVALID_SENDER),
        (pdu.ESME_RINVSRCTON, INVALID_SENDER),
        (pdu.ESME_RTHROTTLED, THROTTLED),
        (pdu.ESME_RMSGQFUL, THROTTLED),
        (pdu.ESME_RINVMSGLEN, INVALID_MESSAGE),
        (pdu.ESME_RINVDCS, INVALID_MESSAGE),
        (pdu.ESME_RINVESMCLASS, INVALID_MESSAGE),
        (pdu.ESME_RSYSERR, SYSTEM_ERROR),
        (pdu.ESME_RSUBMITFAIL, SYSTEM_ERROR),
        (None, SYSTEM_ERROR),
        (pdu.ESME_RINVEXPIRY, REJECTED),
        (pdu.ESME_RX_P_APPN, REJECTED),
        (0x400, REJECTED),
    ],
)
def test_command_status_maps_to_our_reason(status, reason):
    assert reason_for(status) == reason


def test_message_with_every_part_accepted_is_accepted_with_ids_in_part_order():
    submission = Submission("m1", 3)

    submission.accept(2, "B")
    submission.accept(3, "C")
    assert not submission.settled
    submission.accept(1, "A")

    assert submission.settled
    assert submission.outcome() == Accepted("m1", ("A", "B", "C"))


def test_refused_part_makes_the_message_rejected_with_the_status_and_parts_taken():
    submission = Submission("m1", 3)
    submission.accept(1, "A")

    submission.refuse(2, pdu.ESME_RINVDSTADR)
    submission.refuse(3, None, "not sent")

    assert submission.outcome() == Rejected("m1", pdu.ESME_RINVDSTADR, INVALID_NUMBER, 1, ("A",))


def test_refusal_outranks_an_unanswered_part():
    submission = Submission("m1", 2)

    submission.unanswered(1, "bind lost")
    submission.refuse(2, pdu.ESME_RSUBMITFAIL)

    outcome = submission.outcome()
    assert isinstance(outcome, Rejected)
    assert (outcome.command_status, outcome.accepted_parts) == (pdu.ESME_RSUBMITFAIL, 0)


def test_unanswered_part_makes_the_message_ambiguous_naming_it():
    submission = Submission("m1", 3)
    submission.accept(1, "A")
    submission.unanswered(2, "bind lost")
    submission.accept(3, "C")

    outcome = submission.outcome()

    assert outcome == Ambiguous("m1", "part 2: bind lost", ("A", "C"), (2,))


def test_message_never_sent_is_rejected_as_a_system_error_without_status():
    submission = Submission("m1", 2)

    submission.refuse(1, None, "closed")
    submission.refuse(2, None, "closed")

    assert submission.outcome() == Rejected("m1", None, SYSTEM_ERROR, 0, (), "closed")


def test_late_answer_for_a_settled_part_changes_nothing():
    submission = Submission("m1", 1)
    submission.unanswered(1, "no submit_sm_resp within 10s")

    submission.accept(1, "A")

    assert isinstance(submission.outcome(), Ambiguous)
