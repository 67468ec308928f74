"""Who is asking, on the compatibility interfaces: a customer, from a login and a secret.

``http.php`` clients send the login e-mail of a user of a customer (``user`` or ``email``)
with either that user's password or an API key secret of that customer (``pass`` or
``cleAPI``); URL2SMS clients send an API key secret alone. Every failure, whatever its cause
(unknown login, wrong secret, revoked key, key of another customer, key without the ``send``
scope, a user of a reseller, a suspended account), is one :class:`InvalidCredentialsError`:
the interfaces answer 82 or 401 and say no more.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select

from portevoix.projections.tenancy import api_keys
from portevoix.tenants.api_keys import ApiKey
from portevoix.tenants.errors import InvalidCredentialsError, TenancyError
from portevoix.tenants.parties import CUSTOMER
from portevoix.tenants.secrets import API_KEY_MARK, api_key_prefix
from portevoix.tenants.services import Tenancy
from portevoix.tenants.users import User, user_id_for

SEND_SCOPE = "send"


class Parts(Protocol):
    """What the look-up needs of ``Services``."""

    tenancy: Tenancy
    engine: Engine

    def catch_up(self) -> int: ...


def customer_for(services: Parts, login: str, secret: str) -> UUID:
    """The customer whose user ``login`` is, if ``secret`` is that user's password or one of
    the customer's API key secrets; else InvalidCredentialsError."""
    try:
        key = _api_key(services, secret)
        if key is not None:
            if (not key.allows(SEND_SCOPE)
                    or key.tenant_id != _user(services.tenancy, login).tenant_id):
                raise InvalidCredentialsError()
            return key.tenant_id
        # Not a key: a password, checked at the same scrypt cost whether the login exists.
        user = services.tenancy.authenticate(login, secret)
        if user.tenant_kind != CUSTOMER:
            raise InvalidCredentialsError()
        return user.tenant_id
    except (TenancyError, ValueError) as error:
        raise InvalidCredentialsError() from error


def customer_for_key(services: Parts, secret: str) -> UUID:
    """The customer holding the API key ``secret`` (with the ``send`` scope), else
    InvalidCredentialsError."""
    key = customer_key(services, secret)
    if not key.allows(SEND_SCOPE):
        raise InvalidCredentialsError()
    return key.tenant_id


def customer_key(services: Parts, secret: str) -> ApiKey:
    """The usable API key of a customer with this secret (scopes are the caller's to check),
    else InvalidCredentialsError: unknown, revoked, suspended, not a customer's."""
    try:
        key = _api_key(services, secret)
    except (TenancyError, ValueError) as error:
        raise InvalidCredentialsError() from error
    if key is None:
        raise InvalidCredentialsError()
    return key


def _user(tenancy: Tenancy, login: str) -> User:
    user = tenancy.user(user_id_for(login), recent=True)
    if user.tenant_kind != CUSTOMER or not user.active:
        raise InvalidCredentialsError()
    return user


def _api_key(services: Parts, secret: str) -> ApiKey | None:
    """The usable key of a customer with this secret; None if no key has it.

    The directory projection may lag a key issued a moment ago: only when the prefix is not
    found are the projections brought up to date and the look-up made again. The key, its
    user and tenant are read from memory until the log shows them changed (``recent_reads``).
    """
    if not secret.startswith(API_KEY_MARK):
        return None
    prefix = api_key_prefix(secret)
    candidates = _key_ids(services.engine, prefix)
    if not candidates:
        services.catch_up()
        candidates = _key_ids(services.engine, prefix)
    for key_id in candidates:
        try:
            key = services.tenancy.check_api_key(key_id, secret, recent=True)
        except InvalidCredentialsError:
            continue  # another key sharing the prefix (48 random bits: rare)
        if services.tenancy.customer_or_none(key.tenant_id) is None:
            raise InvalidCredentialsError()
        return key
    return None


# A key's prefix names it for good (keys are revoked, never deleted or renamed): the ids
# found for a prefix are kept, in a bounded map per projection engine.
_KEY_IDS: WeakKeyDictionary[Engine, dict[str, list[UUID]]] = WeakKeyDictionary()
_KEY_IDS_KEPT = 100_000


def _key_ids(engine: Engine, prefix: str) -> list[UUID]:
    known = _KEY_IDS.setdefault(engine, {})
    found = known.get(prefix)
    if found is not None:
        return found
    with engine.connect() as conn:
        ids = list(conn.execute(select(api_keys.c.key_id)
                                .where(api_keys.c.prefix == prefix)).scalars())
    if ids:
        if len(known) >= _KEY_IDS_KEPT:
            known.clear()
        known[prefix] = ids
    return ids
