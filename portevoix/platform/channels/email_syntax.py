"""E-mail to SMS: the seeds' three address and subject syntaxes, and the mail's text (000 §2,
001 §2, 003 §6).

1. ``password.number@domain``, subject empty or a deferred time ``hhmmjjmmaaaa``;
   the same address with a subject of numbers or a group name sends to those too.
2. ``sms.password@domain``, subject the numbers (``-`` separated) or a group name.
3. ``sms@domain``, subject ``password:number[-number…][:hhmmjjmmaaaa]`` or
   ``password:group[:hhmmjjmmaaaa]``.

At most :data:`MAX_NUMBERS` numbers a mail. The sender's address is the login: it is checked
by the gateway, not here. Pure functions: a mail in, a :class:`MailSend` or a
:class:`MailSyntaxError` out. The deferred time is kept as text: only the account knows its
time zone.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

MAX_NUMBERS = 10
MAX_BODY = 5_000  # characters, after the signature is cut
KEYWORD = "sms"  # the local part of syntax 3, and the prefix of syntax 2

UNKNOWN_DOMAIN = "unknown domain"
BAD_ADDRESS = "the address follows none of the syntaxes"
NO_PASSWORD = "no password"
BAD_NUMBER = "not a phone number"
TOO_MANY_NUMBERS = "too many numbers"
BAD_GROUP = "not a group name"
NO_RECIPIENTS = "the subject must name the numbers or the group"
BAD_SUBJECT = "the subject follows none of the syntaxes"
BAD_DEFERRED = "not a deferred time hhmmjjmmaaaa"
NO_TEXT_PART = "no text part"
BAD_CHARSET = "the text cannot be decoded"
BODY_TOO_LONG = "body too long"

_NUMBER = re.compile(r"\+?\d{6,15}", re.ASCII)
_NUMBER_LIST = re.compile(r"[+\d\s\-,;]+", re.ASCII)  # number characters only: a list
_SEPARATORS = re.compile(r"[\-,;]")
_GROUP = re.compile(r"\w[\w .\-]{0,63}")
_DEFERRED = re.compile(r"\d{12}", re.ASCII)
_SIGNATURE = "-- "  # RFC 3676 §4.3


class MailSyntaxError(ValueError):
    """The mail cannot be read as a send request; ``reason`` is one of this module's
    constants, ``value`` the part of the mail at fault."""

    def __init__(self, reason: str, value: str = "") -> None:
        super().__init__(f"{reason}: {value}" if value else reason)
        self.reason, self.value = reason, value


@dataclass(frozen=True)
class MailSend:
    """What a mail asks: ``numbers`` as written (the send pipeline normalises them) and/or a
    ``group`` name, ``deferred`` as ``hhmmjjmmaaaa`` text or None for now."""

    password: str
    numbers: tuple[str, ...] = ()
    group: str | None = None
    deferred: str | None = None
    text: str = ""
    syntax: int = 1


def check_domain(address: str, domains: Collection[str]) -> tuple[str, str]:
    """``(local part, domain)`` of an address at one of ``domains`` (lower case)."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    domain = domain.lower().rstrip(".")
    if not at or not local:
        raise MailSyntaxError(BAD_ADDRESS, address)
    if domain not in {d.lower() for d in domains}:
        raise MailSyntaxError(UNKNOWN_DOMAIN, domain)
    return local, domain


def parse_request(address: str, subject: str, domains: Collection[str]) -> MailSend:
    """The request an address and subject make, without the text."""
    local, _ = check_domain(address, domains)
    subject = " ".join(subject.split())  # folded headers, stray spaces
    keyword, dot, rest = local.partition(".")
    if local.lower() == KEYWORD:
        return _syntax_3(subject)
    if dot and keyword.lower() == KEYWORD:
        if not rest:
            raise MailSyntaxError(NO_PASSWORD, address)
        if not subject:
            raise MailSyntaxError(NO_RECIPIENTS)
        numbers, group = _targets(subject)
        return MailSend(rest, numbers, group, syntax=2)
    password, dot, number = local.rpartition(".")
    if not dot or not password or not _NUMBER.fullmatch(number):
        raise MailSyntaxError(BAD_ADDRESS, address)
    if not subject:
        return MailSend(password, (number,))
    if is_deferred(subject):
        return MailSend(password, (number,), deferred=subject)
    numbers, group = _targets(subject)  # 000 §2 syntax 2: the subject adds recipients
    numbers = _at_most((number, *(n for n in numbers if n != number)))
    return MailSend(password, numbers, group, syntax=2)


def parse_mail(address: str, raw: bytes, domains: Collection[str]) -> MailSend:
    """The request ``raw`` (an RFC 5322 message) makes to ``address``, text included."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)  # what policy.default builds
    request = parse_request(address, str(message.get("Subject", "")), domains)
    return MailSend(request.password, request.numbers, request.group, request.deferred,
                    body_text(message), request.syntax)


def body_text(message: EmailMessage) -> str:
    """The text/plain part (the plain alternative of a multipart mail), decoded strictly
    from its charset, the signature (from a ``-- `` line) cut, trailing space trimmed."""
    part = message.get_body(preferencelist=("plain",))
    if part is None or part.get_content_type() != "text/plain":
        raise MailSyntaxError(NO_TEXT_PART, message.get_content_type())
    payload = part.get_payload(decode=True)
    charset = part.get_content_charset() or "us-ascii"
    try:
        text = payload.decode(charset) if isinstance(payload, bytes) else ""
    except (LookupError, UnicodeDecodeError):
        raise MailSyntaxError(BAD_CHARSET, charset) from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if _SIGNATURE in lines:
        lines = lines[:lines.index(_SIGNATURE)]
    text = "\n".join(line.rstrip() for line in lines).strip()
    if len(text) > MAX_BODY:
        raise MailSyntaxError(BODY_TOO_LONG, f"{len(text)} characters, at most {MAX_BODY}")
    return text


def is_deferred(value: str) -> bool:
    """Whether ``value`` is twelve digits naming a real time ``hhmmjjmmaaaa``."""
    if not _DEFERRED.fullmatch(value):
        return False
    try:
        datetime(int(value[8:]), int(value[6:8]), int(value[4:6]), int(value[:2]),
                 int(value[2:4]))
    except ValueError:
        return False
    return True


def _syntax_3(subject: str) -> MailSend:
    parts = [part.strip() for part in subject.split(":")]
    if len(parts) not in (2, 3):
        raise MailSyntaxError(BAD_SUBJECT, subject)
    password, target = parts[0], parts[1]
    if not password:
        raise MailSyntaxError(NO_PASSWORD, subject)
    if not target:
        raise MailSyntaxError(NO_RECIPIENTS, subject)
    deferred = parts[2] if len(parts) == 3 else None
    if deferred is not None and not is_deferred(deferred):
        raise MailSyntaxError(BAD_DEFERRED, deferred)
    numbers, group = _targets(target)
    return MailSend(password, numbers, group, deferred, syntax=3)


def _targets(value: str) -> tuple[tuple[str, ...], str | None]:
    """Numbers if ``value`` holds only number characters, else a group name."""
    if _NUMBER_LIST.fullmatch(value):
        numbers = tuple(token.strip() for token in _SEPARATORS.split(value) if token.strip())
        for number in numbers:
            if not _NUMBER.fullmatch(number):
                raise MailSyntaxError(BAD_NUMBER, number)
        if not numbers:
            raise MailSyntaxError(NO_RECIPIENTS, value)
        return _at_most(numbers), None
    if not _GROUP.fullmatch(value):
        raise MailSyntaxError(BAD_GROUP, value)
    return (), value


def _at_most(numbers: tuple[str, ...]) -> tuple[str, ...]:
    if len(numbers) > MAX_NUMBERS:
        raise MailSyntaxError(TOO_MANY_NUMBERS, f"{len(numbers)}, at most {MAX_NUMBERS}")
    return numbers
