"""API keys: shown once, stored hashed, scoped to what their user may do, revocable."""

from __future__ import annotations

import hashlib
from uuid import uuid4

import pytest

from portevoix.tenants.api_keys import API_SCOPES
from portevoix.tenants.errors import (
    ApiKeyRevokedError,
    InvalidCredentialsError,
    InvalidScopeError,
    NotAuthorisedError,
    TenantSuspendedError,
    UnknownApiKeyError,
)


@pytest.fixture
def owner(world):
    return world.a_user(world.a_customer(world.a_reseller()), role="owner")


def test_a_new_key_returns_its_secret_once_marked_pvx(world, owner):
    tenant_id = world.tenancy.user(owner).tenant_id

    key_id, secret = world.tenancy.create_api_key(tenant_id, owner, "CRM", ["send", "read"])

    key = world.tenancy.api_key(key_id)
    assert secret.startswith("pvx_") and len(secret) == 4 + 43
    assert (key.tenant_id, key.user_id, key.name, key.scopes, key.revoked) == (
        tenant_id, owner, "CRM", ["send", "read"], False,
    )


def test_api_key_secret_is_not_stored(world, owner):
    _, secret = world.tenancy.create_api_key(world.tenancy.user(owner).tenant_id, owner, "CRM",
                                             ["send"])

    stored = world.stored_state()

    assert secret.encode() not in stored
    assert secret[len("pvx_") + 8:].encode() not in stored


def test_a_key_keeps_a_sha256_of_its_secret_and_a_prefix_to_find_it(world, owner):
    key_id, secret = world.tenancy.create_api_key(world.tenancy.user(owner).tenant_id, owner,
                                                  "CRM", ["send"])

    key = world.tenancy.api_key(key_id)

    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.prefix == secret[:12]


def test_two_keys_never_share_a_secret(world, owner):
    tenant_id = world.tenancy.user(owner).tenant_id

    secrets = {world.tenancy.create_api_key(tenant_id, owner, "CRM", ["send"])[1]
               for _ in range(5)}

    assert len(secrets) == 5


def test_checking_a_key_with_its_secret_returns_the_key(world, owner):
    key_id, secret = world.tenancy.create_api_key(world.tenancy.user(owner).tenant_id, owner,
                                                  "CRM", ["send"])

    key = world.tenancy.check_api_key(key_id, secret)

    assert key.id == key_id
    assert key.allows("send") and not key.allows("admin")


@pytest.mark.parametrize("tamper", [lambda s: s[:-1], lambda s: s + "x", lambda s: "",
                                    lambda s: s.upper()])
def test_a_wrong_secret_is_refused_as_invalid_credentials(world, owner, tamper):
    key_id, secret = world.tenancy.create_api_key(world.tenancy.user(owner).tenant_id, owner,
                                                  "CRM", ["send"])

    with pytest.raises(InvalidCredentialsError):
        world.tenancy.check_api_key(key_id, tamper(secret))


def test_an_unknown_key_is_refused_as_invalid_credentials(world):
    with pytest.raises(InvalidCredentialsError):
        world.tenancy.check_api_key(uuid4(), "pvx_whatever")


def test_a_revoked_key_is_refused(world, owner):
    key_id, secret = world.tenancy.create_api_key(world.tenancy.user(owner).tenant_id, owner,
                                                  "CRM", ["send"])

    world.tenancy.revoke_api_key(key_id)

    with pytest.raises(ApiKeyRevokedError) as refused:
        world.tenancy.check_api_key(key_id, secret)
    assert refused.value.key_id == key_id
    assert not world.tenancy.api_key(key_id).allows("send")


def test_a_deactivated_users_keys_stop_working(world, owner):
    key_id, secret = world.tenancy.create_api_key(world.tenancy.user(owner).tenant_id, owner,
                                                  "CRM", ["send"])

    world.tenancy.deactivate_user(owner)

    with pytest.raises(InvalidCredentialsError):
        world.tenancy.check_api_key(key_id, secret)


def test_a_suspended_customers_keys_stop_working(world, owner):
    tenant_id = world.tenancy.user(owner).tenant_id
    key_id, secret = world.tenancy.create_api_key(tenant_id, owner, "CRM", ["send"])

    world.tenancy.suspend(tenant_id)

    with pytest.raises(TenantSuspendedError):
        world.tenancy.check_api_key(key_id, secret)


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [(["read", "send"], ["send", "read"]), (["send", "send"], ["send"]),
     (list(API_SCOPES), ["send", "read", "balance", "contacts", "admin"])],
)
def test_scopes_are_kept_once_each_in_a_fixed_order(world, owner, scopes, expected):
    key_id, _ = world.tenancy.create_api_key(world.tenancy.user(owner).tenant_id, owner, "CRM",
                                             scopes)

    assert world.tenancy.api_key(key_id).scopes == expected


@pytest.mark.parametrize("scopes", [[], ["write"], "send", ["send", "Send"]])
def test_unknown_or_missing_scopes_are_refused(world, owner, scopes):
    with pytest.raises(InvalidScopeError):
        world.tenancy.create_api_key(world.tenancy.user(owner).tenant_id, owner, "CRM", scopes)


@pytest.mark.parametrize(
    ("role", "scope", "allowed"),
    [("sender", "send", True), ("sender", "read", True), ("sender", "balance", False),
     ("sender", "admin", False), ("finance", "balance", True), ("finance", "send", False),
     ("admin", "admin", True)],
)
def test_a_key_never_does_more_than_its_users_role(world, role, scope, allowed):
    tenant_id = world.a_customer(world.a_reseller())
    user_id = world.a_user(tenant_id, role=role)

    if allowed:
        key_id, _ = world.tenancy.create_api_key(tenant_id, user_id, "CRM", [scope])
        assert world.tenancy.api_key(key_id).scopes == [scope]
    else:
        with pytest.raises(NotAuthorisedError):
            world.tenancy.create_api_key(tenant_id, user_id, "CRM", [scope])


def test_a_key_cannot_be_made_for_another_tenant(world, owner):
    other_tenant = world.a_customer(world.a_reseller())

    with pytest.raises(NotAuthorisedError) as refused:
        world.tenancy.create_api_key(other_tenant, owner, "CRM", ["send"])

    assert refused.value.user_id == owner


def test_an_unknown_key_id_is_refused_by_the_getter(world):
    unknown = uuid4()

    with pytest.raises(UnknownApiKeyError) as refused:
        world.tenancy.api_key(unknown)

    assert refused.value.key_id == unknown
