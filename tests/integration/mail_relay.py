"""A capturing SMTP relay on 127.0.0.1 (aiosmtpd) that can go down and come back on the same
port, for the tests of the mail the platform sends."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, Envelope, Session

from portevoix.platform.channels.email_gateway import FreePortController


@dataclass
class Mailbox:
    """What the relay took: (recipients, message)."""

    mails: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.mails.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def wait_for(self, count: int, timeout_s: float = 15) -> list[tuple[list[str], EmailMessage]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.mails) >= count:
                    return list(self.mails)
            time.sleep(0.02)
        raise TimeoutError(f"{len(self.mails)} mails, expected {count}")

    def taken(self) -> list[tuple[list[str], EmailMessage]]:
        with self.lock:
            return list(self.mails)


class Relay:
    """The relay: ``start`` takes a free port the first time and the same one after ``stop``
    (the relay going down and coming back)."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = 0
        self._controller: FreePortController | None = None

    def start(self) -> Relay:
        self._controller = FreePortController(self.mailbox, hostname="127.0.0.1",
                                              port=self.port)
        self._controller.start()
        self.port = int(self._controller.port)
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"
