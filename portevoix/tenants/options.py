"""A customer's account options, as data: name, kind of value, default, what it does.

These are the settings the services in ``seeds/`` list under "Paramétrage SMS" / "Modifier les
options". They are kept on the customer and recorded in its events, so every value is one the
event store serialises as is: ``bool``, ``int``, ``str``, ``None`` or a ``list`` of ``str``
(never a tuple or a set). Amounts (the low-balance threshold) are in ledger units, that is
thousandths of an SMS credit at the platform's default scale.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from portevoix.tenants.errors import InvalidOptionValueError, UnknownOptionError

OptionValue = bool | int | str | list[str] | None

BOOL, INT, OPTIONAL_INT, CHOICE, TEXT, IP_LIST, HTTP_URL = (
    "bool", "int", "optional_int", "choice", "text", "ip_list", "http_url"
)
MAX_URL = 500


@dataclass(frozen=True)
class Option:
    """One option: ``kind`` says which values it takes (``choices`` for a ``choice``)."""

    kind: str
    default: OptionValue
    description: str
    choices: tuple[str, ...] = ()
    max_length: int = 0

    @property
    def expected(self) -> str:
        """What a valid value looks like, for error messages."""
        return {
            BOOL: "true or false",
            INT: "a whole number, 0 or more",
            OPTIONAL_INT: "a whole number, 0 or more, or none",
            CHOICE: "one of " + ", ".join(self.choices),
            TEXT: f"text of at most {self.max_length} characters",
            IP_LIST: "a list of IP addresses or networks such as 192.0.2.0/24",
            HTTP_URL: f"an absolute http:// or https:// URL of at most {self.max_length} "
                      "characters, or nothing",
        }[self.kind]


OPTIONS: Mapping[str, Option] = MappingProxyType({
    "long_sms": Option(BOOL, True, "Messages over 160 characters go out as several segments."),
    "duplicate_check_24h": Option(
        BOOL, True, "Refuse the same text to the same number twice within 24 hours."),
    "overseas_destinations": Option(
        BOOL, False, "Allow sending to the French overseas departments and territories."),
    "flash_allowed": Option(BOOL, True, "Allow flash messages, shown without being stored."),
    "bad_number_cleanup": Option(
        BOOL, True, "Move numbers an operator reports as bad to the 'bad numbers' group."),
    "confirmation_email": Option(BOOL, False, "E-mail when a send request is recorded."),
    "refusal_email": Option(BOOL, True, "E-mail the reason when a message cannot be sent."),
    "completion_email": Option(BOOL, False, "E-mail when a deferred or bulk send has ended."),
    "delivery_email": Option(BOOL, False, "E-mail when a message reaches the handset."),
    "low_balance_threshold": Option(
        OPTIONAL_INT, None, "Alert when the available balance falls below this (ledger units)."),
    "low_balance_channel": Option(
        CHOICE, "email", "How the low-balance alert comes: by e-mail to the contact address, "
        "by SMS to the alert number (charged like any send), or both.",
        choices=("email", "sms", "email_and_sms")),
    "low_balance_number": Option(
        TEXT, "", "The mobile number low-balance alerts are sent to by SMS.", max_length=20),
    "daily_quota": Option(OPTIONAL_INT, None, "Most messages sent per day; none: no limit."),
    "proof_threshold": Option(
        INT, 500, "Campaigns to more recipients than this wait for approval after a proof."),
    "proof_number": Option(
        TEXT, "", "The customer's own mobile, where the proof of a large send goes.",
        max_length=20),
    "ip_allow_list": Option(IP_LIST, [], "API calls only from these addresses; empty: any."),
    "replies_forwarding": Option(
        CHOICE, "none", "Where replies go.", choices=("none", "email", "sms", "url")),
    "replies_target": Option(
        TEXT, "", "The address, number or URL replies are forwarded to.", max_length=500),
    "non_gsm_policy": Option(
        CHOICE, "ucs2", "Texts outside the GSM alphabet: send as UCS-2 or replace characters.",
        choices=("ucs2", "replace")),
    "delivery_policy": Option(
        CHOICE, "at_most_once", "Whether a lost submission may be retried (and so duplicated).",
        choices=("at_most_once", "at_least_once")),
    "default_sender": Option(
        TEXT, "", "Sender shown when a send names none; empty: the reseller's.", max_length=16),
    "status_callback_url": Option(
        HTTP_URL, "", "Where message status callbacks are posted when a send names no URL; "
        "empty: none.", max_length=MAX_URL),
})


def default_options() -> dict[str, OptionValue]:
    """Every option at its default (a fresh copy: lists are not shared)."""
    return {name: _copy(option.default) for name, option in OPTIONS.items()}


def validate_options(changes: Mapping[str, Any]) -> dict[str, OptionValue]:
    """``changes`` checked one by one and normalised (IP lists to canonical text).

    Raises UnknownOptionError for a name not in OPTIONS and InvalidOptionValueError for a
    value of the wrong kind; ``bool`` is not accepted where a number is expected.
    """
    valid: dict[str, OptionValue] = {}
    for name, value in changes.items():
        option = OPTIONS.get(name)
        if option is None:
            raise UnknownOptionError(name)
        valid[name] = _validate(name, option, value)
    return valid


def check_consistency(options: Mapping[str, OptionValue]) -> None:
    """Rules between options: forwarding replies needs somewhere to forward them to, and
    low-balance alerts by SMS a number to send them to."""
    forwarding, target = options["replies_forwarding"], options["replies_target"]
    if forwarding != "none" and not target:
        raise InvalidOptionValueError(
            "replies_target", target, f"where to forward replies by {forwarding}"
        )
    channel, number = options["low_balance_channel"], options["low_balance_number"]
    if channel != "email" and not number:
        raise InvalidOptionValueError(
            "low_balance_number", number, "the mobile number low-balance alerts are sent to"
        )


def _validate(name: str, option: Option, value: Any) -> OptionValue:
    kind = option.kind
    if kind == BOOL and type(value) is bool:
        return value
    if kind in (INT, OPTIONAL_INT) and type(value) is int and value >= 0:
        return value
    if kind == OPTIONAL_INT and value is None:
        return None
    if kind == CHOICE and isinstance(value, str) and value in option.choices:
        return value
    if kind == TEXT and isinstance(value, str) and len(value.strip()) <= option.max_length:
        return value.strip()
    if kind == IP_LIST and isinstance(value, list):
        return [_network(name, option, entry) for entry in value]
    if kind == HTTP_URL and isinstance(value, str) and (
            not value.strip() or http_url_problem(value.strip(), option.max_length) is None):
        return value.strip()
    raise InvalidOptionValueError(name, value, option.expected)


_UNSAFE = re.compile(r"[^\x21-\x7e]")  # spaces, controls and non-ASCII: percent-encode them


def http_url_problem(url: str, max_length: int = MAX_URL) -> str | None:
    """What makes ``url`` unusable as a callback address, or None: it must be an absolute
    ``http://`` or ``https://`` URL with a host (and a valid port if any), of printable ASCII
    (an internationalised host in punycode), with no ``user:password@``, and at most
    ``max_length`` characters."""
    if len(url) > max_length:
        return f"at most {max_length} characters"
    if _UNSAFE.search(url):
        return "printable ASCII only (percent-encode the rest)"
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return "not a URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "an http:// or https:// URL"
    if not parts.hostname:
        return "a URL with a host"
    if "@" in parts.netloc:
        return "no user or password in the URL"
    if not port_ok:
        return "a valid port"
    return None


def _network(name: str, option: Option, entry: Any) -> str:
    """An address (``192.0.2.7``) or network (``192.0.2.0/24``) in canonical text.

    A network with host bits set (``192.0.2.7/24``) is refused: it is most likely a typo.
    """
    if isinstance(entry, str):
        text = entry.strip()
        try:
            if "/" in text:
                return str(ipaddress.ip_network(text, strict=True))
            return str(ipaddress.ip_address(text))
        except ValueError:
            pass
    raise InvalidOptionValueError(name, entry, option.expected)


def _copy(value: OptionValue) -> OptionValue:
    return list(value) if isinstance(value, list) else value
