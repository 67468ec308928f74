"""The e-mail gateway: an SMTP server (aiosmtpd) that turns mails into ``Sending.submit``.

The SMTP conversation only says whether the mail was taken: 550 at RCPT for a domain that is
neither the platform's nor a reseller's, 250 once the mail was processed (451 if processing
failed for a reason worth retrying; the Message-ID is the campaign's reference, so a retried
mail is the same campaign). The outcome goes back by e-mail to the envelope sender: a mail that
cannot be read or authenticated always gets an error reply; a refused send gets one if the
account's ``refusal_email`` option is on, a recorded one if ``confirmation_email`` is. The
notifications that come later (the end of a deferred or bulk send, deliveries, messages that
could not be delivered: ``platform/notifications.py``) go to the same sender: it is the
campaign's ``notify_email``.

Who sends: the From address must be the envelope sender and a user of a customer account,
and the password in the mail authenticates that user (000 §2: "votre adresse émettrice est
celle avec laquelle vous vous êtes enregistrés"). Bounces (empty envelope sender) and
automatic mails (``Auto-Submitted``) are taken and dropped without a reply, so no mail loop
starts.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.utils import parseaddr
from types import TracebackType
from uuid import UUID

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from portevoix.platform import codes
from portevoix.platform.channels.compat_dates import DeferredFormatError, parse_deferred
from portevoix.platform.channels.email_syntax import (
    KEYWORD,
    MAX_NUMBERS,
    MailSend,
    MailSyntaxError,
    check_domain,
    parse_mail,
)
from portevoix.platform.channels.mail_out import MailOut
from portevoix.platform.sending import Sending, SendRefusedError, SendRequest, SubmitResult
from portevoix.tenants.errors import TenancyError
from portevoix.tenants.services import Tenancy

log = logging.getLogger(__name__)

GroupNumbers = Callable[[UUID, str], Sequence[str]]  # (customer, group name) -> its numbers
MAX_MAIL_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Reply:
    """The mail that tells the sender what became of theirs."""

    to: str
    subject: str
    body: str
    in_reply_to: str = ""


def no_groups(customer_id: UUID, name: str) -> Sequence[str]:
    """A gateway without address books: every group is empty (code 86). The running
    platform's gateway is given ``Services.group_numbers``."""
    return ()


class EmailGateway:
    """The aiosmtpd handler: ``handle_RCPT`` and ``handle_DATA``; :meth:`answer` does the
    work (synchronously, in a worker thread) and says which reply to send."""

    def __init__(self, sending: Sending, tenancy: Tenancy, mail_out: MailOut,
                 domains: Callable[[], Collection[str]], clock: Callable[[], datetime],
                 groups: GroupNumbers = no_groups, workers: int = 1) -> None:
        self.sending, self.tenancy, self.mail_out = sending, tenancy, mail_out
        self.domains, self.clock, self.groups = domains, clock, groups
        # One worker by default: the services' stores are then used from one thread only.
        self.executor = ThreadPoolExecutor(max_workers=workers,
                                           thread_name_prefix="email-gateway")

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
            self, server: SMTP, session: Session, envelope: Envelope, address: str,
            rcpt_options: list[str]) -> str:
        try:
            check_domain(address, self.domains())
        except MailSyntaxError as error:
            return f"550 5.1.2 {error}"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
            self, server: SMTP, session: Session, envelope: Envelope) -> str:
        mail_from = envelope.mail_from or ""
        mail_from = "" if mail_from == "<>" else mail_from  # aiosmtpd's null reverse-path
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        recipients = list(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.executor, self.process, mail_from, recipients, raw)
        except Exception:
            log.exception("mail from %s to %s could not be processed", mail_from, recipients)
            return "451 4.3.0 the mail could not be processed, try again later"
        return "250 2.0.0 accepted for processing"

    def close(self) -> None:
        self.executor.shutdown(wait=True)

    def process(self, mail_from: str, recipients: Sequence[str], raw: bytes) -> None:
        """Answer each recipient address of one mail, and mail the replies."""
        for index, recipient in enumerate(recipients):
            suffix = f"#{index}" if len(recipients) > 1 else ""
            reply = self.answer(mail_from, recipient, raw, suffix)
            if reply is None:
                continue
            try:
                self.mail_out.reply(reply.to, reply.subject, reply.body, reply.in_reply_to)
            except (OSError, smtplib.SMTPException):  # the send is recorded all the same
                log.exception("the reply to %s could not be mailed", reply.to)

    def answer(self, mail_from: str, recipient: str, raw: bytes,
               reference_suffix: str = "") -> Reply | None:
        """What to reply to ``raw`` sent by ``mail_from`` to ``recipient``; None: no reply."""
        message = message_from_bytes(raw, policy=policy.default)
        auto = str(message.get("Auto-Submitted", "no")).strip().lower()
        if not mail_from or auto != "no":
            log.info("dropped an automatic mail from %r (%s)", mail_from, auto)
            return None
        message_id = str(message.get("Message-ID", "")).strip()
        subject = str(message.get("Subject", ""))

        def reply(title: str, body: str) -> Reply:
            return Reply(mail_from, f"{title} (Re: {subject})" if subject else title, body,
                         message_id)

        sender = parseaddr(str(message.get("From", "")))[1]
        if sender.lower() != mail_from.lower():
            return reply(*_refused(codes.BAD_CREDENTIALS,
                                   f"the From address {sender!r} is not the sender {mail_from!r}"))
        try:
            request = parse_mail(recipient, raw, self.domains())
        except MailSyntaxError as error:
            return reply(*_unreadable(error))
        try:
            customer_id = self._customer(sender, request.password)
        except SendRefusedError as refused:
            return reply(*_refused(refused.code, refused.detail))
        options = self.tenancy.customer(customer_id).options
        try:
            # No Message-ID: no reference, so two such mails are two campaigns.
            reference = message_id + reference_suffix if message_id else ""
            result = self._submit(customer_id, request, reference, mail_from)
        except SendRefusedError as refused:
            if not options.get("refusal_email", True):
                return None
            return reply(*_refused(refused.code, refused.detail))
        if options.get("confirmation_email") or (result.refused and
                                                  options.get("refusal_email", True)):
            return reply(*_recorded(result))
        return None

    def _customer(self, sender: str, password: str) -> UUID:
        try:
            user = self.tenancy.authenticate(sender, password)
        except TenancyError as error:
            raise SendRefusedError(codes.BAD_CREDENTIALS, str(error)) from error
        if user.tenant_kind != "customer" or not user.can("send_messages"):
            raise SendRefusedError(codes.BAD_CREDENTIALS,
                                   f"{sender} may not send messages for a customer account")
        return user.tenant_id

    def _submit(self, customer_id: UUID, request: MailSend, reference: str,
                notify_email: str) -> SubmitResult:
        numbers = list(request.numbers)
        if request.group is not None:
            members = self.groups(customer_id, request.group)
            if not members:
                raise SendRefusedError(codes.EMPTY_GROUP,
                                       f"the contact group {request.group!r} is empty or unknown")
            numbers += [n for n in members if n not in numbers]
        scheduled_at = None
        if request.deferred is not None:
            timezone = self.tenancy.customer(customer_id).timezone
            try:
                scheduled_at = parse_deferred(request.deferred, timezone, now=self.clock()).at
            except DeferredFormatError as error:
                raise SendRefusedError(codes.INVALID_DEFERRED_FORMAT, str(error)) from error
        return self.sending.submit(SendRequest(
            customer_id, text=request.text, numbers=numbers, scheduled_at=scheduled_at,
            channel="email", reference=reference, notify_email=notify_email))


class FreePortController(Controller):
    """aiosmtpd's controller, able to listen on port 0 (a free port, read back once bound)."""

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class EmailGatewayServer:
    """The gateway listening on ``host:port`` (0: a free port, in ``port`` once started), in
    a thread of its own; a context manager."""

    def __init__(self, gateway: EmailGateway, host: str = "127.0.0.1", port: int = 0,
                 server_hostname: str | None = None) -> None:
        self.gateway = gateway
        self.controller = FreePortController(gateway, hostname=host, port=port,
                                      server_hostname=server_hostname,
                                      data_size_limit=MAX_MAIL_BYTES)

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def start(self) -> EmailGatewayServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
        self.gateway.close()

    def __enter__(self) -> EmailGatewayServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


# Reply texts ------------------------------------------------------------------------------

_HELP = (
    "The three ways to write a send request:\n"
    "  1. to password.number@<domain>; subject empty, or a deferred time hhmmjjmmaaaa\n"
    f"  2. to {KEYWORD}.password@<domain>; subject the numbers (number-number...) or a group\n"
    f"  3. to {KEYWORD}@<domain>; subject password:number[-number...][:hhmmjjmmaaaa]\n"
    "     or password:group\n"
    f"At most {MAX_NUMBERS} numbers a mail; the text is the plain-text part of the mail.\n"
)


def _unreadable(error: MailSyntaxError) -> tuple[str, str]:
    return ("SMS not sent: your e-mail could not be read",
            f"Your e-mail could not be read as a send request: {error}.\n"
            "Nothing was sent and nothing was charged.\n\n" + _HELP)


def _refused(code: int, detail: str) -> tuple[str, str]:
    meaning = codes.MEANINGS.get(code, "")
    return (f"SMS refused: code {code}",
            f"Your send request was refused with code {code}: {meaning}.\n{detail}\n"
            "Nothing was sent and nothing was charged.\n")


def _recorded(result: SubmitResult) -> tuple[str, str]:
    lines = [f"Your send request was recorded with code {result.code}: "
             f"{codes.MEANINGS.get(result.code, '')}.",
             f"Campaign {result.campaign_id}: {result.recipients} recipient(s), "
             f"{result.segments} segment(s)."]
    lines += [f"Refused {r.number}: code {r.code}, {r.detail}" for r in result.refused]
    lines += [f"Listed twice, sent once: {number}" for number in result.duplicates]
    lines += list(result.notes)
    return f"SMS recorded: code {result.code}", "\n".join(lines) + "\n"

