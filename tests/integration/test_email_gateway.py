"""The e-mail gateway over real SMTP on 127.0.0.1: mails in through ``smtplib``, replies out
to a capturing SMTP server, sends through the SMSC simulator (000 §2, 001 §2)."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import uuid5

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from send_world import RETAIL_FR, World, a_world

from portevoix.contacts.fields import ContactFields
from portevoix.platform import codes
from portevoix.platform.campaigns import Campaign
from portevoix.platform.channels.email_gateway import (
    EmailGateway,
    EmailGatewayServer,
    FreePortController,
)
from portevoix.platform.channels.mail_out import MailOut, RelaySettings
from portevoix.platform.schedule import local_time

pytestmark = pytest.mark.timeout(180)

DOMAIN = "sms.portevoix.example"
RESELLER_DOMAIN = "sms.smsplus.example"
ALICE, PASSWORD = "alice@mairie.example", "XV65JU-mairie"
NUMBER = "0612345678"


@dataclass
class Inbox:
    """What the capturing relay received: (envelope sender, recipients, message)."""

    mails: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.mails.append((envelope.mail_from or "", list(envelope.rcpt_tos), message))
        return "250 OK"

    def wait_for_one(self, timeout_s: float = 10) -> tuple[str, list[str], EmailMessage]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if self.mails:
                    assert len(self.mails) == 1, [m[2]["Subject"] for m in self.mails]
                    return self.mails[0]
            time.sleep(0.02)
        raise TimeoutError("no reply was mailed")


@dataclass
class Gateway:
    world: World
    server: EmailGatewayServer
    inbox: Inbox
    inbox_port: int

    def mail(self, to: str, subject: str = "", body: str = "Bonjour, réunion à 18 h.",
             sender: str = ALICE, envelope_sender: str | None = None,
             message: EmailMessage | None = None, message_id: str = "<m1@mairie.example>"
             ) -> None:
        if message is None:
            message = EmailMessage()
            message.set_content(body)
        message["From"], message["To"] = sender, to
        message["Subject"], message["Message-ID"] = subject, message_id
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as smtp:
            smtp.sendmail(envelope_sender or sender, [to],
                          message.as_bytes(policy=policy.SMTP))

    def reply(self) -> EmailMessage:
        envelope_sender, recipients, message = self.inbox.wait_for_one()
        assert (envelope_sender, recipients) == ("<>", [ALICE])  # an automatic reply, to Alice
        return message

    def campaign(self, message_id: str = "<m1@mairie.example>") -> Any:
        campaign_id = uuid5(self.world.customer, f"campaign:{message_id}")
        return self.world.services.ledger.run(lambda work: work.find(campaign_id, Campaign))


@pytest.fixture
def gateway(database_url: str) -> Iterator[Gateway]:
    inbox = Inbox()
    relay = FreePortController(inbox, hostname="127.0.0.1", port=0)
    relay.start()
    try:
        with a_world(database_url) as world:
            tenancy = world.services.tenancy
            tenancy.create_user(world.customer, ALICE, "Alice", "sender", PASSWORD)
            tenancy.add_domain(world.reseller, RESELLER_DOMAIN)
            tenancy.change_options(world.customer, confirmation_email=True)
            world.fund(100 * RETAIL_FR)
            mail_out = MailOut(RelaySettings("127.0.0.1", relay.port, f"no-reply@{DOMAIN}"))

            def domains() -> set[str]:
                return {DOMAIN, *tenancy.reseller(world.reseller).domains}

            handler = EmailGateway(world.services.sending, tenancy, mail_out, domains,
                                   world.services.clock, groups=world.services.group_numbers)
            with EmailGatewayServer(handler) as server:
                yield Gateway(world, server, inbox, relay.port)
    finally:
        relay.stop()


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.mark.parametrize(("to", "subject", "numbers"), [
    (f"{PASSWORD}.{NUMBER}@{DOMAIN}", "", ["+33612345678"]),
    (f"{PASSWORD}.+33612345678@{RESELLER_DOMAIN}", "", ["+33612345678"]),
    (f"sms.{PASSWORD}@{DOMAIN}", "0612345678-33612345679", ["+33612345678", "+33612345679"]),
    (f"sms@{DOMAIN}", f"{PASSWORD}:{NUMBER}", ["+33612345678"]),
    (f"sms@{RESELLER_DOMAIN}", f"{PASSWORD} : 0612345678-+33612345679",
     ["+33612345678", "+33612345679"]),
], ids=["syntax-1", "syntax-1-reseller-domain", "syntax-2", "syntax-3", "syntax-3-two"])
def test_each_syntax_sends_the_text_and_confirms_by_mail(
        gateway: Gateway, to: str, subject: str, numbers: list[str]) -> None:
    before = gateway.world.available()

    gateway.mail(to, subject)
    reply = gateway.reply()
    campaign = gateway.campaign()
    gateway.world.dispatch_until_done([campaign.id])

    assert reply["Subject"].startswith(f"SMS recorded: code {codes.SENT}")
    assert reply["In-Reply-To"] == "<m1@mairie.example>"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert campaign.settings["channel"] == "email"
    assert campaign.settings["text"] == "Bonjour, réunion à 18 h."
    assert sorted(e.destination_addr for e in gateway.world.smsc.record) == [
        n.lstrip("+") for n in numbers]
    assert before - gateway.world.available() == len(numbers) * RETAIL_FR


def test_a_request_by_mail_gets_its_later_notifications_at_the_sender_not_a_second_confirmation(
        gateway: Gateway) -> None:
    world = gateway.world
    world.services.tenancy.change_options(world.customer, delivery_email=True,
                                          completion_email=True)
    world.services.mail_out = MailOut(RelaySettings("127.0.0.1", gateway.inbox_port,
                                                    f"no-reply@{DOMAIN}"))
    gateway.mail(f"sms.{PASSWORD}@{DOMAIN}", "0612345678-0612345679")
    gateway.reply()  # the gateway's own confirmation

    world.dispatch_until_done([gateway.campaign().id])
    world.services.send_pending_notifications()

    subjects = sorted(str(mail["Subject"]) for _, _, mail in gateway.inbox.mails)
    assert [recipients for _, recipients, _ in gateway.inbox.mails] == [[ALICE]] * 4
    assert [s.split(":")[0] for s in subjects] == [
        "SMS delivered to +33612345678", "SMS delivered to +33612345679", "SMS recorded",
        "SMS send ended"]


def test_a_deferred_subject_records_the_send_for_that_time(gateway: Gateway) -> None:
    gateway.mail(f"{PASSWORD}.{NUMBER}@{DOMAIN}", "123015092034")
    reply = gateway.reply()
    campaign = gateway.campaign()

    assert reply["Subject"].startswith(f"SMS recorded: code {codes.DEFERRED}")
    assert campaign.scheduled_at == local_time("2034-09-15", "12:30", "Europe/Paris")


def test_the_same_mail_again_is_the_same_campaign(gateway: Gateway) -> None:
    gateway.mail(f"sms@{DOMAIN}", f"{PASSWORD}:{NUMBER}")
    gateway.reply()
    gateway.inbox.mails.clear()
    before = gateway.world.available()

    gateway.mail(f"sms@{DOMAIN}", f"{PASSWORD}:{NUMBER}")  # a retry: same Message-ID
    gateway.reply()

    assert gateway.world.available() == before


def _no_text_part() -> EmailMessage:
    message = EmailMessage()
    message.set_content("<p>Bonjour</p>", subtype="html")
    return message


def _wrong_charset() -> EmailMessage:
    message = EmailMessage()
    message.set_content("Réunion à l'école".encode("latin-1"), "text", "plain", cte="8bit")
    message.set_param("charset", "utf-8")
    return message


def _unknown_charset() -> EmailMessage:
    message = EmailMessage()
    message.set_content(b"Bonjour", "text", "plain", cte="7bit")
    message.set_param("charset", "x-no-such-charset")
    return message


def _huge() -> EmailMessage:
    message = EmailMessage()
    message.set_content("Bonjour, réunion à 18 h.\n" * 300)
    return message


ELEVEN = "-".join(f"06123456{n:02d}" for n in range(11))
Malformed = dict[str, Any]
MALFORMED: dict[str, tuple[Callable[[], Malformed], str]] = {
    "no-text-part": (lambda: {"message": _no_text_part()}, "no text part"),
    "huge-body": (lambda: {"message": _huge()}, "body too long"),
    "wrong-charset": (lambda: {"message": _wrong_charset()}, "cannot be decoded"),
    "unknown-charset": (lambda: {"message": _unknown_charset()}, "cannot be decoded"),
    "eleven-numbers": (lambda: {"subject": f"{PASSWORD}:{ELEVEN}"}, "too many numbers"),
    "bad-subject": (lambda: {"subject": f"{PASSWORD}:{NUMBER}:tomorrow"}, "deferred time"),
    "bad-password": (lambda: {"subject": f"wrong-password:{NUMBER}"},
                     f"code {codes.BAD_CREDENTIALS}"),
    "forged-from": (lambda: {"subject": f"{PASSWORD}:{NUMBER}", "sender": "mallory@evil.example",
                             "envelope_sender": ALICE}, f"code {codes.BAD_CREDENTIALS}"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_or_unauthenticated_mail_gets_an_error_reply_and_sends_nothing(
        gateway: Gateway, case: str) -> None:
    arrange, expected = MALFORMED[case]
    before = gateway.world.available()
    options = {"subject": f"{PASSWORD}:{NUMBER}", **arrange()}

    gateway.mail(f"sms@{DOMAIN}", **options)
    reply = gateway.reply()
    gateway.world.dispatch_until_done([])

    assert reply["Subject"].startswith(("SMS not sent", "SMS refused"))
    assert expected in _body(reply) or expected in reply["Subject"]
    assert "Nothing was sent" in _body(reply)
    assert gateway.campaign() is None
    assert gateway.world.available() == before
    assert list(gateway.world.smsc.record) == []


def test_a_forged_sender_that_is_not_a_user_is_refused(gateway: Gateway) -> None:
    gateway.mail(f"sms@{DOMAIN}", f"{PASSWORD}:{NUMBER}", sender="mallory@evil.example")

    _, recipients, reply = gateway.inbox.wait_for_one()

    assert recipients == ["mallory@evil.example"]
    assert reply["Subject"].startswith(f"SMS refused: code {codes.BAD_CREDENTIALS}")
    assert gateway.campaign() is None


def test_an_unknown_domain_is_refused_at_rcpt_and_gets_no_reply(gateway: Gateway) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        gateway.mail("sms@elsewhere.example", f"{PASSWORD}:{NUMBER}")

    assert refused.value.recipients["sms@elsewhere.example"][0] == 550
    assert gateway.inbox.mails == []


def test_a_refused_send_is_explained_by_mail_with_its_code(gateway: Gateway) -> None:
    # Nothing is left once the signature is cut.
    gateway.mail(f"sms@{DOMAIN}", f"{PASSWORD}:{NUMBER}", body=" \n-- \nAlice")

    reply = gateway.reply()

    assert reply["Subject"].startswith(f"SMS refused: code {codes.EMPTY_MESSAGE}")
    assert codes.MEANINGS[codes.EMPTY_MESSAGE] in _body(reply)


def test_a_group_in_the_subject_sends_to_the_members_of_that_list(gateway: Gateway) -> None:
    books, customer = gateway.world.services.address_books, gateway.world.customer
    assert books is not None
    list_id = books.create_list(customer, "Liste clients")
    books.add_contacts(customer, [ContactFields("+33612345678"), ContactFields("+33612345679"),
                                  ContactFields("+33612345670")], [list_id])
    books.block(customer, [books.add_contact(customer, ContactFields("+33612345671"),
                                             [list_id])])

    gateway.mail(f"sms@{DOMAIN}", f"{PASSWORD}:liste clients")
    reply = gateway.reply()
    gateway.world.dispatch_until_done([gateway.campaign().id])

    assert reply["Subject"].startswith(f"SMS recorded: code {codes.SENT}")
    assert sorted(e.destination_addr for e in gateway.world.smsc.record) == [
        "33612345670", "33612345678", "33612345679"]  # the blocked contact left out


def test_with_refusal_emails_off_a_refused_send_gets_no_reply(gateway: Gateway) -> None:
    gateway.world.services.tenancy.change_options(gateway.world.customer, refusal_email=False)

    gateway.mail(f"sms@{DOMAIN}", f"{PASSWORD}:liste_clients")  # no such group: code 86

    assert gateway.inbox.mails == []  # the reply, if any, is mailed before the 250
    assert gateway.campaign() is None


def test_with_confirmations_off_a_recorded_send_gets_no_reply(gateway: Gateway) -> None:
    gateway.world.services.tenancy.change_options(gateway.world.customer,
                                                  confirmation_email=False)

    gateway.mail(f"sms@{DOMAIN}", f"{PASSWORD}:{NUMBER}")

    assert gateway.inbox.mails == []
    assert gateway.campaign() is not None


def test_a_bounce_is_taken_and_never_answered(gateway: Gateway) -> None:
    message = EmailMessage()
    message.set_content("Delivery failed")
    message["From"], message["To"] = "MAILER-DAEMON@mairie.example", f"sms@{DOMAIN}"
    message["Subject"] = f"{PASSWORD}:{NUMBER}"
    with smtplib.SMTP("127.0.0.1", gateway.server.port, timeout=30) as smtp:
        smtp.sendmail("", [f"sms@{DOMAIN}"], message.as_bytes(policy=policy.SMTP))

    assert gateway.inbox.mails == []
    assert gateway.campaign() is None


def test_the_command_serves_the_gateway_until_interrupted(tmp_path: Path) -> None:
    inbox = Inbox()
    relay = FreePortController(inbox, hostname="127.0.0.1", port=0)
    relay.start()
    command = [str(Path(sys.executable).parent / "portevoix"), "email-gateway", "--port", "0",
               "--domain", DOMAIN, "--relay", f"127.0.0.1:{relay.port}"]
    environment = {**os.environ, "PORTEVOIX_DATABASE_URL": f"sqlite:///{tmp_path}/p.db"}
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # blocks until listening (or the process ends)
        listening = re.search(r"127\.0\.0\.1:(\d+)", first)
        assert listening is not None, first
        port = int(listening.group(1))
        message = EmailMessage()
        message.set_content("Bonjour")
        message["From"], message["Subject"] = ALICE, f"{PASSWORD}:{NUMBER}"
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            unknown = smtp.sendmail(ALICE, ["sms@elsewhere.example", f"sms@{DOMAIN}"],
                                    message.as_bytes(policy=policy.SMTP))
        _, recipients, reply = inbox.wait_for_one()
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        relay.stop()

    assert unknown["sms@elsewhere.example"][0] == 550
    assert recipients == [ALICE]
    assert reply["Subject"].startswith(f"SMS refused: code {codes.BAD_CREDENTIALS}")
    assert process.returncode == 0
    assert "stopped" in output
