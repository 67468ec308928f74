"""How tenants are named: a slug (their stable key, part of their id) and a display name.

A slug is chosen once and never changes, because the tenant's id is derived from it (so
creating the same reseller twice finds the first one). The display name can be changed at
will; it is free text, trimmed, of bounded length.
"""

from __future__ import annotations

import re

from portevoix.tenants.errors import InvalidNameError, InvalidSlugError

_SLUG = re.compile(r"[a-z0-9-]{2,40}")
MAX_NAME = 100


def normalise_slug(value: str) -> str:
    """``value`` trimmed, if it is 2 to 40 characters of ``a-z``, ``0-9`` and ``-``.

    Upper case is refused rather than folded: a slug appears in URLs and ids, and silently
    changing what the operator typed would hide which slug was actually taken.
    """
    slug = value.strip() if isinstance(value, str) else ""
    if not _SLUG.fullmatch(slug) or slug.startswith("-") or slug.endswith("-"):
        raise InvalidSlugError(value)
    return slug


def normalise_name(value: str, max_length: int = MAX_NAME) -> str:
    """``value`` trimmed, with internal runs of white space collapsed; 1 to max_length long."""
    name = " ".join(value.split()) if isinstance(value, str) else ""
    if not name or len(name) > max_length:
        raise InvalidNameError(value, max_length)
    return name
