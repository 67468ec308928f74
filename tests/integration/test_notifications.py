"""Notification e-mails and low-balance SMS over the real parts on 127.0.0.1: sends through
the SMSC simulator, ``http.php`` over a socket, mail through ``PORTEVOIX_SMTP_RELAY`` to a
capturing SMTP server (seed 000 §7: confirmation e-mails, low-balance alert)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from uuid import UUID, uuid5

import pytest
from mail_relay import Relay
from send_world import RETAIL_FR, World
from test_http_php import Client, served, with_user

from portevoix.platform.campaigns import Campaign
from portevoix.platform.sending import SendRequest
from portevoix.platform.smpp.outcomes import parse_rule
from portevoix.platform.smpp.simulator import SimulatorConfig, SimulatorThread
from portevoix.projections.journal import journal_page
from portevoix.services import build_services
from portevoix.settings import Settings

pytestmark = pytest.mark.timeout(300)

CONTACT, EMAIL_REP = "sms@mairie.example", "compta@mairie.example"
DELIVERED, UNDELIVERABLE, REJECTED = "+33612345601", "+33612345602", "+33612345603"
RULES = ("^33612345602=undeliverable", "^33612345603=reject")
SUBJECTS = {"confirmation": "SMS send recorded", "completion": "SMS send ended",
            "delivery": "SMS delivered to", "refusal": "SMS not delivered to"}
ALL_ON = {"confirmation_email": True, "refusal_email": True, "completion_email": True,
          "delivery_email": True}


@dataclass
class Notify:
    world: World
    relay: Relay

    def send(self, numbers: list[str], text: str = "Conseil municipal jeudi à 18 h.",
             reference: str = "", dispatch: bool = True) -> UUID:
        result = self.world.services.sending.submit(SendRequest(
            self.world.customer, text=text, numbers=numbers, reference=reference,
            channel="json_api"))
        assert result.campaign_id is not None
        if dispatch:
            self.world.dispatch_until_done([result.campaign_id])
        return result.campaign_id

    def notify(self) -> int:
        return self.world.services.send_pending_notifications()

    def mails(self) -> list[tuple[list[str], EmailMessage]]:
        return self.relay.mailbox.taken()

    def kinds(self) -> list[str]:
        return sorted(kind for _, mail in self.mails() for kind, prefix in SUBJECTS.items()
                      if mail["Subject"].startswith(prefix))

    def only(self, kind: str) -> tuple[list[str], EmailMessage]:
        """The one mail of ``kind``."""
        [found] = [(recipients, mail) for recipients, mail in self.mails()
                   if mail["Subject"].startswith(SUBJECTS[kind])]
        return found

    def options(self, **changes: object) -> None:
        self.world.services.tenancy.change_options(self.world.customer, **changes)


@pytest.fixture
def notify(database_url: str) -> Iterator[Notify]:
    relay = Relay().start()
    simulator = SimulatorThread(SimulatorConfig(
        accounts={"portevoix": "secret"}, rules=tuple(parse_rule(r) for r in RULES))).start()
    services = build_services(Settings(database_url=database_url, smtp_relay=relay.address,
                                       mail_from="no-reply@portevoix.example"))
    try:
        world = World(services, simulator)
        world.fund(100 * RETAIL_FR)
        yield Notify(world, relay)
    finally:
        services.close()
        simulator.stop()
        relay.stop()


def _body(mail: EmailMessage) -> str:
    return str(mail.get_content())


def test_a_recorded_request_is_confirmed_once_to_the_contact_address(notify: Notify) -> None:
    notify.options(confirmation_email=True)

    campaign_id = notify.send([DELIVERED], reference="conf-1", dispatch=False)
    first, again = notify.notify(), notify.notify()

    [(recipients, mail)] = notify.mails()
    assert (first, again, recipients) == (1, 0, [CONTACT])
    assert mail["Subject"] == "SMS send recorded: conf-1"
    assert mail["From"] == "no-reply@portevoix.example"
    assert f"send conf-1 (campaign {campaign_id}) was recorded" in _body(mail)
    assert "amount reserved: 1.000 SMS" in _body(mail)


def test_an_http_php_request_is_confirmed_at_its_email_rep(notify: Notify) -> None:
    notify.options(confirmation_email=True)
    key = with_user(notify.world)

    with served(notify.world) as base:
        code = Client(notify.world, base, key).code(numero="0612345601", email_rep=EMAIL_REP,
                                                    refaccuse="php-1")
    notify.notify()

    [(recipients, mail)] = notify.mails()
    assert (code, recipients, mail["Subject"]) == (80, [EMAIL_REP], "SMS send recorded: php-1")


def test_an_http_php_refusal_is_mailed_to_email_rep_after_the_answer_and_records_nothing(
        notify: Notify) -> None:
    world = notify.world
    key = with_user(world)

    with served(world) as base:
        code = Client(world, base, key).code(numero="12345", email_rep=EMAIL_REP,
                                             refaccuse="php-84")
        mailed_before = len(notify.mails())
    notify.notify()

    [(recipients, mail)] = notify.mails()
    assert (code, mailed_before, recipients) == (84, 0, [EMAIL_REP])
    assert mail["Subject"] == "SMS refused: code 84"
    assert "request php-84 was refused with code 84" in _body(mail)
    [row] = world.services.notifications.rows()
    assert row["campaign_id"] is None
    assert world.services.ledger.run(
        lambda work: work.find(uuid5(world.customer, "campaign:php-84"), Campaign)) is None


def test_an_http_php_refusal_without_email_rep_is_not_mailed(notify: Notify) -> None:
    key = with_user(notify.world)

    with served(notify.world) as base:
        code = Client(notify.world, base, key).code(numero="12345")
    notify.notify()

    assert (code, notify.mails(), notify.world.services.notifications.rows()) == (84, [], [])


def test_an_http_php_request_outside_the_ip_allow_list_is_not_mailed_about(
        notify: Notify) -> None:
    key = with_user(notify.world)
    notify.options(ip_allow_list=["192.0.2.0/24"])

    with served(notify.world) as base:
        code = Client(notify.world, base, key).code(email_rep=EMAIL_REP)
    notify.notify()

    assert (code, notify.mails(), notify.world.services.notifications.rows()) == (96, [], [])


def test_the_end_of_a_bulk_send_is_one_summary_with_its_outcomes_and_money(
        notify: Notify) -> None:
    notify.options(completion_email=True)

    notify.send([DELIVERED, UNDELIVERABLE, REJECTED], reference="bulk-1")
    notify.notify()

    recipients, mail = notify.only("completion")
    assert notify.kinds() == ["completion", "refusal", "refusal"]  # refusal_email is on
    assert (recipients, mail["Subject"]) == ([CONTACT], "SMS send ended: bulk-1")
    body = _body(mail)
    assert "Recipients: 3; accepted by the operators: 2; rejected: 1; fate unknown: 0." in body
    assert "Charged: 2.000 SMS; released from the reservation: 1.000 SMS." in body


def test_the_end_of_a_deferred_send_is_mailed(notify: Notify) -> None:
    notify.options(completion_email=True)
    services = notify.world.services
    result = services.sending.submit(SendRequest(
        notify.world.customer, text="Rappel : collecte demain.", numbers=[DELIVERED],
        scheduled_at=services.clock() + timedelta(seconds=2), reference="later-1"))
    assert result.campaign_id is not None and result.code == 81

    notify.world.dispatch_until_done([result.campaign_id])
    notify.notify()

    [(_, mail)] = notify.mails()
    assert mail["Subject"] == "SMS send ended: later-1"
    assert "Your deferred send later-1" in _body(mail)


def test_a_message_received_by_the_handset_is_confirmed_by_mail(notify: Notify) -> None:
    notify.options(delivery_email=True)

    notify.send([DELIVERED], reference="dlr-1")
    notify.notify()

    [(recipients, mail)] = notify.mails()
    assert (recipients, mail["Subject"]) == ([CONTACT], f"SMS delivered to {DELIVERED}")
    assert "Your message of the send dlr-1" in _body(mail)


def test_a_message_that_could_not_be_delivered_is_explained_by_mail(notify: Notify) -> None:
    notify.send([UNDELIVERABLE], reference="undeliv-1")  # refusal_email is on by default
    notify.notify()

    [(_, mail)] = notify.mails()
    assert mail["Subject"] == f"SMS not delivered to {UNDELIVERABLE}"
    assert "could not be delivered (UNDELIV" in _body(mail)


@pytest.mark.parametrize("off", sorted(SUBJECTS))
def test_each_switch_off_stops_its_own_mails_only(notify: Notify, off: str) -> None:
    notify.options(**{**ALL_ON, f"{off}_email": False})

    notify.send([DELIVERED, UNDELIVERABLE], reference=f"switch-{off}")
    notify.notify()

    assert notify.kinds() == sorted(set(SUBJECTS) - {off})


def test_beyond_ten_recipients_only_the_summary_is_mailed(notify: Notify) -> None:
    notify.options(delivery_email=True, completion_email=True)
    numbers = [f"+336123456{i:02d}" for i in range(10, 21)]  # 11, all delivered

    notify.send(numbers, reference="big-1")
    notify.notify()

    assert notify.kinds() == ["completion"]
    assert "Recipients: 11; accepted by the operators: 11" in _body(notify.mails()[0][1])


def test_mails_wait_while_the_relay_is_down_and_go_out_on_the_next_run(
        notify: Notify) -> None:
    notify.options(confirmation_email=True)
    notify.relay.stop()

    notify.send([DELIVERED], reference="down-1", dispatch=False)
    while_down = notify.notify()
    pending = [row for row in notify.world.services.notifications.rows()
               if row["sent_at"] is None]
    notify.relay.start()
    back, again = notify.notify(), notify.notify()

    assert (while_down, len(pending), back, again) == (0, 1, 1, 0)
    [(_, mail)] = notify.mails()
    assert mail["Subject"] == "SMS send recorded: down-1"


def test_a_low_balance_alert_by_sms_is_a_charged_send_to_the_alert_number(
        notify: Notify) -> None:
    world, services = notify.world, notify.world.services
    alert_number = "+33611111111"
    notify.options(low_balance_threshold=99 * RETAIL_FR + 1, low_balance_channel="sms",
                   low_balance_number=alert_number)
    notify.send([DELIVERED], reference="crossing")  # 100 → 99 credits: below the threshold

    first, again = services.send_pending_alerts(), services.send_pending_alerts()
    services.catch_up()
    [alert] = [entry for entry in journal_page(services.engine, world.customer)[0]
               if entry.reference.startswith("alert:")]
    world.dispatch_until_done([alert.campaign_id])

    assert (first, again, alert.channel, alert.recipients) == (1, 0, "alerts", 1)
    [sent] = [r for r in world.smsc.record if r.destination_addr == alert_number[1:]]
    assert sent.text is not None and sent.text.startswith("Low balance: 99.000 SMS left")
    assert world.available() == 98 * RETAIL_FR  # the alert SMS is charged
    assert notify.mails() == []  # by SMS only
