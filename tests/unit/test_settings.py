"""Settings read from ``PORTEVOIX_*``: the mail relay and the From of the platform's mail."""

from __future__ import annotations

import pytest

from portevoix.platform.channels.mail_out import RelaySettings
from portevoix.settings import Settings


def test_the_relay_and_its_from_come_from_the_environment():
    settings = Settings.from_env({"PORTEVOIX_SMTP_RELAY": " smtp.example:2525 ",
                                  "PORTEVOIX_MAIL_FROM": "no-reply@sms.example"})

    relay = RelaySettings.parse(settings.smtp_relay, settings.mail_from)

    assert (relay.host, relay.port, relay.sender) == ("smtp.example", 2525,
                                                      "no-reply@sms.example")


def test_without_a_relay_setting_there_is_none():
    settings = Settings.from_env({})

    assert (settings.smtp_relay, settings.mail_from) == ("", "no-reply@localhost")


@pytest.mark.parametrize("relay", ["smtp.example:http", "smtp.example:70000"])
def test_a_malformed_relay_is_refused(relay):
    with pytest.raises(ValueError, match="HOST:PORT"):
        RelaySettings.parse(Settings.from_env({"PORTEVOIX_SMTP_RELAY": relay}).smtp_relay, "")
