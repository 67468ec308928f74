"""Low-balance alerts by e-mail, by SMS or both: what is sent, what is marked, what waits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from portevoix.platform.alerts import (
    EMAIL,
    EMAIL_AND_SMS,
    SMS,
    PendingAlert,
    Recipient,
    send_pending_alerts,
    sms_text,
)

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
CUSTOMER = uuid4()
NUMBER = "+33611111111"


def an_alert() -> PendingAlert:
    return PendingAlert(uuid4(), uuid4(), threshold=2_000, available=1_500,
                        reached_at=datetime(2026, 6, 1, 9, 58, tzinfo=UTC))


@dataclass
class Alerts:
    rows: list[PendingAlert]
    marks: dict[UUID, str] = field(default_factory=dict)

    def pending(self, limit: int = 100) -> list[PendingAlert]:
        return [a for a in self.rows if a.alert_id not in self.marks][:limit]

    def mark_sent(self, alert_id: UUID, at: datetime, outcome: str) -> None:
        self.marks[alert_id] = outcome


@dataclass
class Relay:
    down: bool = False
    mails: list[str] = field(default_factory=list)

    def reply(self, to: str, subject: str, body: str, in_reply_to: str = "") -> object:
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        self.mails.append(to)
        return None


@dataclass
class Texts:
    """Records each send; answers ``code``. The same reference twice is one send, as
    ``submit`` makes it."""

    code: int = 80
    sends: list[tuple[UUID, str, str, str]] = field(default_factory=list)

    def __call__(self, customer_id: UUID, number: str, text: str, reference: str) -> int:
        self.sends.append((customer_id, number, text, reference))
        return self.code


def to(channel: str, number: str = NUMBER) -> Recipient:
    return Recipient("sms@mairie.example", 3, channel, number, CUSTOMER, "SMS")


def run(alerts: Alerts, recipient: Recipient, relay: Relay | None, texts: Texts) -> int:
    return send_pending_alerts(alerts, lambda _: recipient, relay, lambda: NOW,
                               send_sms=texts)


def test_by_email_only_the_contact_address_is_mailed():
    alerts, relay, texts = Alerts([an_alert()]), Relay(), Texts()

    sent = run(alerts, to(EMAIL), relay, texts)

    assert (sent, relay.mails, texts.sends) == (1, ["sms@mairie.example"], [])


def test_by_sms_the_alert_number_gets_a_send_charged_to_the_customer_without_a_relay():
    alert = an_alert()
    alerts, texts = Alerts([alert]), Texts()

    sent = run(alerts, to(SMS), None, texts)

    [(customer_id, number, text, reference)] = texts.sends
    assert (sent, customer_id, number, reference) == (1, CUSTOMER, NUMBER,
                                                      f"alert:{alert.alert_id}")
    assert text == ("Low balance: 1.500 SMS left, below your alert threshold of 2.000 SMS "
                    "(2026-06-01 09:58 UTC).")
    assert alerts.marks[alert.alert_id] == f"SMS to {NUMBER} sent: code 80"


def test_by_both_a_relay_down_keeps_the_alert_and_the_retry_is_the_same_send():
    alert = an_alert()
    alerts, relay, texts = Alerts([alert]), Relay(down=True), Texts()

    first = run(alerts, to(EMAIL_AND_SMS), relay, texts)
    relay.down = False
    second = run(alerts, to(EMAIL_AND_SMS), relay, texts)

    assert (first, second) == (0, 1)
    assert {reference for *_, reference in texts.sends} == {f"alert:{alert.alert_id}"}
    assert relay.mails == ["sms@mairie.example"]
    assert alerts.marks[alert.alert_id] == (f"SMS to {NUMBER} sent: code 80; "
                                            "mailed to sms@mairie.example")


def test_an_alert_sms_the_account_cannot_pay_for_is_recorded_and_the_mail_still_goes():
    alert = an_alert()
    alerts, relay = Alerts([alert]), Relay()

    run(alerts, to(EMAIL_AND_SMS), relay, Texts(code=83))

    assert relay.mails == ["sms@mairie.example"]
    assert alerts.marks[alert.alert_id].startswith(f"SMS to {NUMBER} refused: code 83")


def test_by_email_without_a_relay_the_alert_waits():
    alerts = Alerts([an_alert()])

    assert run(alerts, to(EMAIL), None, Texts()) == 0
    assert alerts.marks == {}


@pytest.mark.parametrize("available", [0, 1, 999_999_999_999])
def test_the_alert_sms_fits_one_segment(available):
    alert = PendingAlert(uuid4(), uuid4(), 10**12, available, NOW)

    assert len(sms_text(alert, to(SMS))) <= 160
