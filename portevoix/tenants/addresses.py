"""E-mail addresses and domain names as tenancy keeps them: validated, lowercase, stripped.

E-mail addresses identify users platform-wide and tie customers to domain groups, so they are
compared case-insensitively: we keep them lowercase (local part included, as every mail
service our customers use treats it). Internationalised domains are accepted in their ASCII
(``xn--``) form only.
"""

from __future__ import annotations

import re

from portevoix.tenants.errors import InvalidEmailError, InvalidHostnameError

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_LOCAL_PART = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
MAX_HOSTNAME, MAX_EMAIL, MAX_LOCAL_PART = 253, 254, 64


def normalise_hostname(value: str) -> str:
    """``value`` as a lowercase host name of at least two labels (``sms.example.com``).

    A trailing dot (the DNS root) is dropped; an all-numeric top-level label (an IP address)
    is refused.
    """
    hostname = value.strip().lower().removesuffix(".") if isinstance(value, str) else ""
    labels = hostname.split(".")
    if (
        not hostname
        or len(hostname) > MAX_HOSTNAME
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise InvalidHostnameError(value)
    return hostname


def is_hostname(value: str) -> bool:
    try:
        normalise_hostname(value)
    except InvalidHostnameError:
        return False
    return True


def normalise_email(value: str) -> str:
    """``value`` stripped and lowercase, if it is an address at a valid host name."""
    email = value.strip().lower() if isinstance(value, str) else ""
    local, at, domain = email.rpartition("@")
    if (
        not at
        or len(email) > MAX_EMAIL
        or len(local) > MAX_LOCAL_PART
        or not _LOCAL_PART.fullmatch(local)
        or not is_hostname(domain)
        or domain != domain.removesuffix(".")
    ):
        raise InvalidEmailError(value)
    return email


def email_domain(email: str) -> str:
    """The host name an address is at: ``ana@Mairie-Lyon.fr`` gives ``mairie-lyon.fr``."""
    return normalise_email(email).rpartition("@")[2]
