"""A reseller's branding: what its customers see instead of Portevoix.

The branded client area shows the reseller's name, logo and colour, gives its support address,
and sends with its default sender when a customer names none. Branding is a plain ``dict``
with str keys (it is recorded in events); ``validate_branding`` is the only way in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from portevoix.tenants.addresses import normalise_email
from portevoix.tenants.errors import InvalidBrandingError, InvalidEmailError
from portevoix.tenants.names import MAX_NAME

BRANDING_FIELDS = ("name", "logo_url", "primary_colour", "support_email", "default_sender")
MAX_URL, MAX_SENDER = 500, 16
_COLOUR = re.compile(r"#[0-9a-f]{6}")


def default_branding(name: str, support_email: str) -> dict[str, str]:
    """A new reseller's branding: its own name and contact address, nothing else yet."""
    return {
        "name": name, "logo_url": "", "primary_colour": "", "support_email": support_email,
        "default_sender": "",
    }


def validate_branding(changes: Mapping[str, Any]) -> dict[str, str]:
    """``changes`` checked and normalised; every field but ``name`` may be "" to clear it.

    ``logo_url`` is an absolute http(s) URL, ``primary_colour`` ``#rrggbb`` (kept lower
    case), ``support_email`` an e-mail address, ``default_sender`` at most 16 characters
    (whether a sender is approved is the sender-ID rules' business, not branding's).
    """
    valid: dict[str, str] = {}
    for field, value in changes.items():
        if field not in BRANDING_FIELDS:
            raise InvalidBrandingError(field, value, "one of " + ", ".join(BRANDING_FIELDS))
        if not isinstance(value, str):
            raise InvalidBrandingError(field, value, "text")
        valid[field] = _CHECKS[field](value.strip())
    return valid


def _name(value: str) -> str:
    name = " ".join(value.split())
    if not name or len(name) > MAX_NAME:
        raise InvalidBrandingError("name", value, f"1 to {MAX_NAME} characters")
    return name


def _logo_url(value: str) -> str:
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.netloc
                  or len(value) > MAX_URL):
        raise InvalidBrandingError("logo_url", value, "an http(s) URL")
    return value


def _primary_colour(value: str) -> str:
    colour = value.lower()
    if colour and not _COLOUR.fullmatch(colour):
        raise InvalidBrandingError("primary_colour", value, "a colour such as #1a73e8")
    return colour


def _support_email(value: str) -> str:
    try:
        return normalise_email(value) if value else ""
    except InvalidEmailError:
        raise InvalidBrandingError("support_email", value, "an e-mail address") from None


def _default_sender(value: str) -> str:
    if len(value) > MAX_SENDER:
        raise InvalidBrandingError(
            "default_sender", value, f"at most {MAX_SENDER} characters"
        )
    return value


_CHECKS = {
    "name": _name,
    "logo_url": _logo_url,
    "primary_colour": _primary_colour,
    "support_email": _support_email,
    "default_sender": _default_sender,
}
