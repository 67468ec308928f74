"""Notification e-mails: which sends notify, what the mails say, and how the job sends them."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from portevoix.platform import notifications as rules
from portevoix.platform.notifications import (
    COMPLETION,
    CONFIRMATION,
    DELIVERY,
    MAX_AGE,
    PER_MESSAGE_LIMIT,
    REFUSAL,
    Account,
    Notification,
    render,
    send_pending,
)

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
CUSTOMER, CAMPAIGN = uuid4(), UUID("00000000-0000-0000-0000-00000000c0de")
ALL_ON = {"confirmation_email": True, "refusal_email": True, "completion_email": True,
          "delivery_email": True}
ACCOUNT = Account("contact@mairie.example", ALL_ON, scale=3, unit="SMS")


def a_notification(kind: str = CONFIRMATION, address: str = "", at: datetime = NOW,
                   campaign_id: UUID | None = CAMPAIGN, **facts: Any) -> Notification:
    defaults = {CONFIRMATION: {"reference": "r1", "recipients": 2, "segments": 2,
                               "price": 2_000, "status": "scheduled", "scheduled_at": None},
                COMPLETION: {"reference": "r1", "recipients": 12, "submitted": 10,
                             "rejected": 1, "unknown": 1, "charged": 11_000,
                             "released": 1_000, "deferred": False},
                DELIVERY: {"reference": "r1", "number": "+33612345678",
                           "done_at": "2026-06-01T08:05:00+00:00"},
                REFUSAL: {"reference": "r1", "code": 83, "detail": "no credit"}}[kind]
    return Notification(uuid4(), CUSTOMER, campaign_id, kind, address,
                        {**defaults, **facts}, at)


# Rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("settings", "tracked", "confirms"), [
    ({"test": False, "channel": "http.php"}, True, True),
    ({"test": False, "channel": "json_api"}, True, True),
    ({"test": True, "channel": "http.php"}, False, False),
    ({"test": False, "channel": "replies"}, False, False),
    ({"test": False, "channel": "alerts"}, False, False),
    ({"test": False, "channel": "proof"}, False, False),
    ({"test": False, "channel": "email"}, True, False),  # the gateway confirms it itself
])
def test_which_campaigns_notify_and_which_are_confirmed(settings, tracked, confirms):
    assert (rules.tracked(settings), rules.confirms(settings)) == (tracked, confirms)


def test_messages_are_notified_one_by_one_only_up_to_the_limit():
    assert rules.per_message(PER_MESSAGE_LIMIT)
    assert not rules.per_message(PER_MESSAGE_LIMIT + 1)


@pytest.mark.parametrize(("recipients", "deferred", "cancelled", "expected"), [
    (1, False, False, False),  # one message now: its confirmation and delivery say it all
    (1, True, False, True),  # a deferred send
    (2, False, False, True),  # a bulk send
    (10_000, False, False, True),
    (5, True, True, False),  # cancelled by the customer
])
def test_the_end_of_a_deferred_or_bulk_send_is_notified_unless_cancelled(
        recipients, deferred, cancelled, expected):
    assert rules.completes(recipients, deferred, cancelled) is expected


def test_an_event_older_than_a_day_is_not_notified():
    assert rules.fresh(NOW - MAX_AGE + timedelta(seconds=1), NOW)
    assert not rules.fresh(NOW - MAX_AGE, NOW)


@pytest.mark.parametrize(("kind", "option"), [
    (CONFIRMATION, "confirmation_email"), (REFUSAL, "refusal_email"),
    (COMPLETION, "completion_email"), (DELIVERY, "delivery_email"),
])
def test_each_kind_has_its_own_switch(kind, option):
    assert rules.switched_on(kind, {**ALL_ON})
    assert not rules.switched_on(kind, {**ALL_ON, option: False})


# Texts ------------------------------------------------------------------------------------


def test_a_confirmation_names_the_send_and_counts_in_the_accounts_scale():
    subject, body = render(a_notification(), ACCOUNT)

    assert subject == "SMS send recorded: r1"
    assert f"send r1 (campaign {CAMPAIGN})" in body
    assert "Recipients: 2, SMS segments: 2, amount reserved: 2.000 SMS." in body
    assert "It leaves now." in body


def test_a_deferred_confirmation_gives_the_time_in_the_customers_zone():
    notification = a_notification(scheduled_at="2034-12-04T11:30:00+00:00",
                                  timezone="Europe/Paris")

    _, body = render(notification, ACCOUNT)

    assert "It will leave at 2034-12-04 12:30 (Europe/Paris)." in body


def test_a_confirmation_of_a_send_awaiting_approval_says_so():
    _, body = render(a_notification(status="awaiting_approval"), ACCOUNT)

    assert "waits for your approval" in body


def test_a_completion_summarises_outcomes_and_money():
    subject, body = render(a_notification(COMPLETION), ACCOUNT)

    assert subject == "SMS send ended: r1"
    assert ("Recipients: 12; accepted by the operators: 10; rejected: 1; fate unknown: 1."
            in body)
    assert "Charged: 11.000 SMS; released from the reservation: 1.000 SMS." in body


def test_a_completion_without_reference_names_the_campaign():
    subject, body = render(a_notification(COMPLETION, reference=""), ACCOUNT)

    assert subject == f"SMS send ended: campaign {CAMPAIGN}"
    assert f"Your send (campaign {CAMPAIGN}) has ended." in body


def test_a_delivery_names_the_number_and_the_time():
    subject, body = render(a_notification(DELIVERY, timezone="Europe/Paris"), ACCOUNT)

    assert subject == "SMS delivered to +33612345678"
    assert "reached +33612345678 at 2026-06-01 10:05 (Europe/Paris)" in body


def test_a_refused_request_gives_its_code_and_meaning():
    subject, body = render(a_notification(REFUSAL, campaign_id=None), ACCOUNT)

    assert subject == "SMS refused: code 83"
    assert "request r1 was refused with code 83" in body
    assert "no credit" in body and "nothing was charged" in body


def test_refused_numbers_of_a_recorded_request_are_listed():
    refused = [[f"06000000{i:02d}", 84, "not a mobile number"] for i in range(25)]
    notification = a_notification(REFUSAL, code=None, detail=None, refused=refused)

    subject, body = render(notification, ACCOUNT)

    assert subject == "SMS numbers refused: 25"
    assert "0600000000: code 84, not a mobile number" in body
    assert "and 5 more." in body


@pytest.mark.parametrize(("facts", "said"), [
    ({"status": "rejected", "reason": "ESME_RINVDSTADR"},
     "was rejected by the operator's SMS centre (ESME_RINVDSTADR)"),
    ({"status": "failed", "stat": "UNDELIV", "error_code": "1"},
     "could not be delivered (UNDELIV, error 1)"),
    ({"status": "expired", "stat": "EXPIRED", "error_code": ""},
     "expired before it could be delivered (EXPIRED)"),
])
def test_a_message_that_could_not_be_sent_says_why(facts, said):
    notification = a_notification(REFUSAL, code=None, number="+33612345678", **facts)

    subject, body = render(notification, ACCOUNT)

    assert subject == "SMS not delivered to +33612345678"
    assert said in body


# The job ----------------------------------------------------------------------------------


@dataclass
class Queue:
    rows: list[Notification]
    marks: dict[UUID, str] = field(default_factory=dict)

    def pending(self, limit: int = 200) -> list[Notification]:
        return [n for n in self.rows if n.notification_id not in self.marks][:limit]

    def mark(self, notification_id: UUID, at: datetime, outcome: str) -> None:
        self.marks[notification_id] = outcome


@dataclass
class Relay:
    """Takes mail, or fails with ``error`` for the addresses in ``failing`` (all if empty)."""

    error: Exception | None = None
    failing: frozenset[str] = frozenset()
    mails: list[tuple[str, str]] = field(default_factory=list)
    attempts: int = 0

    def reply(self, to: str, subject: str, body: str, in_reply_to: str = "") -> object:
        self.attempts += 1
        if self.error is not None and (not self.failing or to in self.failing):
            raise self.error
        self.mails.append((to, subject))
        return None


def run(queue: Queue, relay: Relay | None, account: Account | None = ACCOUNT,
        now: datetime = NOW) -> int:
    return send_pending(queue, lambda _: account, relay, lambda: now)


def test_pending_mails_go_to_their_address_or_else_the_contact_and_are_marked():
    to_rep, to_contact = a_notification(address="compta@mairie.example"), a_notification()
    queue, relay = Queue([to_rep, to_contact]), Relay()

    mailed = run(queue, relay)

    assert mailed == 2
    assert [to for to, _ in relay.mails] == ["compta@mairie.example", "contact@mairie.example"]
    assert queue.marks[to_rep.notification_id] == "mailed to compta@mairie.example"
    assert run(queue, relay) == 0  # marked: never again


def test_a_switch_turned_off_after_queueing_marks_the_mail_not_sent():
    queue, relay = Queue([a_notification(DELIVERY)]), Relay()
    account = Account("contact@mairie.example", {**ALL_ON, "delivery_email": False}, 3, "SMS")

    run(queue, relay, account)

    assert relay.mails == []
    assert list(queue.marks.values()) == ["not sent: option delivery_email is off"]


def test_an_unreachable_relay_leaves_everything_pending_and_ends_the_pass():
    queue = Queue([a_notification(), a_notification(), a_notification()])
    relay = Relay(ConnectionRefusedError(111, "Connection refused"))

    mailed = run(queue, relay)

    assert (mailed, relay.attempts, queue.marks) == (0, 1, {})


def test_a_relay_asking_to_try_later_leaves_the_mail_pending():
    queue = Queue([a_notification()])
    relay = Relay(smtplib.SMTPDataError(451, b"4.3.0 try later"))

    run(queue, relay)

    assert queue.marks == {}


def test_an_address_refused_for_good_is_marked_and_the_next_mail_goes():
    bad, good = a_notification(address="nobody@invalid.example"), a_notification()
    refused = smtplib.SMTPRecipientsRefused({"nobody@invalid.example": (550, b"no such user")})
    queue = Queue([bad, good])
    relay = Relay(refused, frozenset({"nobody@invalid.example"}))

    mailed = run(queue, relay)

    assert mailed == 1
    assert queue.marks[bad.notification_id].startswith("not sent: nobody@invalid.example")
    assert queue.marks[good.notification_id] == "mailed to contact@mairie.example"


def test_without_a_relay_mails_stay_pending():
    queue = Queue([a_notification()])

    assert run(queue, None) == 0
    assert queue.marks == {}


def test_a_mail_pending_for_a_day_is_marked_not_sent_even_without_a_relay():
    stale = a_notification(at=NOW - MAX_AGE)
    queue = Queue([stale, a_notification()])

    run(queue, None)

    assert queue.marks == {stale.notification_id: "not sent: still pending 24 hours later"}


def test_a_customer_without_a_contact_address_and_no_email_rep_is_marked():
    queue, relay = Queue([a_notification()]), Relay()

    run(queue, relay, Account("", ALL_ON, 3, "SMS"))

    assert list(queue.marks.values()) == ["not sent: no address"]


def test_a_customer_that_no_longer_exists_is_marked():
    queue = Queue([a_notification()])

    run(queue, Relay(), account=None)

    assert list(queue.marks.values()) == ["not sent: no such customer"]
