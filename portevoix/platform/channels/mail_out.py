"""Mail the platform sends: the e-mail gateway's replies, through an SMTP relay (smtplib).

Replies are automatic (RFC 3834): ``Auto-Submitted: auto-replied`` and an empty envelope
sender, so that an autoresponder or a bounce never answers them and no mail loop starts.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

# Headers folded only past SMTP's line limit: Python folds a long subject that has no room
# on its first line with a leading space that readers then show.
_POLICY = policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class RelaySettings:
    """Where outgoing mail goes: ``host:port`` of a relay that accepts it without login."""

    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "no-reply@localhost"  # the From of every reply
    timeout_s: float = 10.0

    @classmethod
    def parse(cls, relay: str, sender: str) -> RelaySettings:
        """``host:port`` (``host`` alone: port 25)."""
        host, colon, port = relay.rpartition(":")
        if not colon:
            return cls(relay, 25, sender)
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{relay!r} is not HOST:PORT")
        return cls(host, int(port), sender)


class MailOut:
    """Sends one message per call; a connection each (replies are few and far between)."""

    def __init__(self, settings: RelaySettings) -> None:
        self.settings = settings

    def reply(self, to: str, subject: str, body: str, in_reply_to: str = "") -> EmailMessage:
        """Mail ``body`` to ``to``; raises ``OSError`` or ``smtplib.SMTPException`` if the
        relay cannot be reached or refuses it."""
        message = EmailMessage(policy=_POLICY)
        message["From"] = self.settings.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain=self.settings.sender.rpartition("@")[2])
        message["Auto-Submitted"] = "auto-replied"
        if in_reply_to:
            message["In-Reply-To"] = in_reply_to
            message["References"] = in_reply_to
        message.set_content(body)
        with smtplib.SMTP(self.settings.host, self.settings.port,
                          timeout=self.settings.timeout_s) as smtp:
            smtp.send_message(message, from_addr="", to_addrs=[to])
        return message
