"""Forwarding replies on the in-memory store: claimed before they go, once, paced after a
failure, taken up again when a forwarder died."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from portevoix.platform.forwarding import NONE, Forwarding, ForwardingError
from portevoix.platform.replies import CLAIM_TIMEOUT, FIRST_RETRY, MAX_RETRY, Inbox
from portevoix.platform.smpp import results

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
CUSTOMER = uuid4()
TARGET = "accueil@mairie.example"


class NoLists:
    def opt_out(self, customer_id: UUID, e164: str, source: str) -> bool:
        return True

    def opt_in(self, customer_id: UUID, e164: str, source: str) -> bool:
        return True


@dataclass
class Relay:
    down: bool = False
    mails: list[str] = field(default_factory=list)

    def reply(self, to: str, subject: str, body: str, in_reply_to: str = "") -> object:
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        self.mails.append(body)
        return None


@dataclass
class Clock:
    """Real time plus ``ahead``: the replies' event times are real."""

    ahead: timedelta = timedelta(0)

    def __call__(self) -> float:
        return time.time() + self.ahead.total_seconds()


@dataclass
class Setup:
    inbox: Inbox
    relay: Relay
    clock: Clock
    options: dict[str, Any]
    texts: list[tuple[str, str]] = field(default_factory=list)
    code: int = 80

    def forwarder(self) -> Forwarding:
        def send_sms(customer_id: UUID, number: str, text: str, reference: str) -> int:
            self.texts.append((number, reference))
            return self.code

        return Forwarding(self.inbox, lambda _: self.options, self.relay, send_sms, "secret",
                          clock=self.clock)

    def receive(self, text: str = "Oui") -> UUID:
        return self.inbox.receive(results.Reply("+33612345678", "SMSPlus", text,
                                                datetime.now(UTC)))


@pytest.fixture
def setup() -> Setup:
    inbox = Inbox(NoLists(), lambda source, destination: CUSTOMER, env=POPO)
    return Setup(inbox, Relay(), Clock(),
                 {"replies_forwarding": "email", "replies_target": TARGET})


def test_a_reply_is_forwarded_once_however_often_it_is_asked(setup: Setup):
    reply_id = setup.receive()
    forwarding = setup.forwarder()

    channels = [forwarding.forward(reply_id), forwarding.forward(reply_id),
                forwarding.forward_pending([reply_id])]

    assert channels == ["email", NONE, 0]
    assert len(setup.relay.mails) == 1
    assert setup.inbox.reply(reply_id).forwarded == "email"


def test_a_reply_recorded_when_the_process_died_is_forwarded_by_the_pending_pass(setup: Setup):
    reply_id = setup.receive()  # recorded; the forwarding never ran

    forwarded = setup.forwarder().forward_pending([reply_id])

    assert (forwarded, len(setup.relay.mails)) == (1, 1)


def test_a_fresh_claim_holds_off_other_forwarders_until_it_times_out(setup: Setup):
    reply_id = setup.receive()
    assert setup.inbox.claim(reply_id, "email", TARGET, datetime.now(UTC))  # then it died
    forwarding = setup.forwarder()

    meanwhile = forwarding.forward_pending([reply_id])
    setup.clock.ahead = CLAIM_TIMEOUT + timedelta(seconds=1)
    later = forwarding.forward_pending([reply_id])

    assert (meanwhile, later, len(setup.relay.mails)) == (0, 1, 1)


def test_a_second_claim_on_the_same_version_loses(setup: Setup):
    reply_id = setup.receive()
    now = datetime.now(UTC)
    mine = setup.inbox.reply(reply_id)  # loaded by another forwarder before the claim

    first = setup.inbox.claim(reply_id, "email", TARGET, now)
    mine.claim("email", TARGET, now)
    with pytest.raises(IntegrityError):
        setup.inbox.save(mine)

    assert first


def test_after_a_failure_the_reply_waits_then_goes_once(setup: Setup):
    reply_id = setup.receive()
    setup.relay.down = True
    forwarding = setup.forwarder()
    with pytest.raises(ForwardingError):
        forwarding.forward(reply_id)
    setup.relay.down = False

    at_once = forwarding.forward_pending([reply_id])
    setup.clock.ahead = FIRST_RETRY + timedelta(seconds=1)
    after_the_pause = forwarding.forward_pending([reply_id])
    again = forwarding.forward_pending([reply_id])

    assert (at_once, after_the_pause, again) == (0, 1, 0)
    assert len(setup.relay.mails) == 1
    reply = setup.inbox.reply(reply_id)
    assert (reply.forwarded, reply.failures, reply.forwarding_error) == ("email", 1, "")


@pytest.mark.parametrize(("failures", "pause"), [
    (1, FIRST_RETRY), (2, 2 * FIRST_RETRY), (3, 4 * FIRST_RETRY), (12, MAX_RETRY)])
def test_the_pause_after_failures_doubles_up_to_an_hour(setup: Setup, failures, pause):
    reply_id = setup.receive()
    reply = setup.inbox.reply(reply_id)
    for _ in range(failures):
        reply.record_failure("email", TARGET, "relay down")
    failed_at = reply.modified_on

    assert not reply.may_forward(failed_at + pause - timedelta(seconds=1))
    assert reply.may_forward(failed_at + pause)


def test_a_reply_of_a_customer_who_forwards_nothing_is_settled_at_once(setup: Setup):
    setup.options = {"replies_forwarding": "none", "replies_target": ""}
    reply_id = setup.receive()

    channel = setup.forwarder().forward(reply_id)

    reply = setup.inbox.reply(reply_id)
    assert (channel, reply.forwarded, reply.may_forward(datetime.now(UTC))) == (
        NONE, NONE, False)


def test_an_sms_forward_the_account_cannot_pay_for_is_a_failure(setup: Setup):
    setup.options = {"replies_forwarding": "sms", "replies_target": "+33699999999"}
    setup.code = 83
    reply_id = setup.receive()

    with pytest.raises(ForwardingError, match="code 83"):
        setup.forwarder().forward(reply_id)

    reply = setup.inbox.reply(reply_id)
    assert (reply.forwarded, reply.failures) == (None, 1)
    assert setup.texts == [("+33699999999", f"reply:{reply_id}")]
