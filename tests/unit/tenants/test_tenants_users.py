"""Users: unique e-mail addresses, roles and what they allow, signing in."""

from __future__ import annotations

from uuid import uuid4

import pytest

from portevoix.tenants.errors import (
    EmailTakenError,
    InvalidCredentialsError,
    InvalidRoleError,
    TenantSuspendedError,
    UnknownActionError,
    UnknownTenantError,
    UnknownUserError,
    WeakPasswordError,
)
from portevoix.tenants.parties import PLATFORM_ID
from portevoix.tenants.secrets import verify_password
from portevoix.tenants.users import ACTIONS, ROLES, user_id_for

PASSWORD = "correct horse battery"


def test_a_users_id_derives_from_their_email_in_any_case(world):
    reseller_id = world.a_reseller()

    user_id = world.tenancy.create_user(reseller_id, " Ana@Acme.FR", "Ana", "owner", PASSWORD)

    assert user_id == user_id_for("ana@acme.fr")
    user = world.tenancy.user(user_id)
    assert (user.tenant_id, user.tenant_kind, user.email, user.role, user.active) == (
        reseller_id, "reseller", "ana@acme.fr", "owner", True,
    )


@pytest.mark.parametrize("kind", ["platform", "reseller", "customer"])
def test_users_belong_to_the_platform_a_reseller_or_a_customer(world, kind):
    reseller_id = world.a_reseller()
    tenant_id = {"platform": PLATFORM_ID, "reseller": reseller_id,
                 "customer": world.a_customer(reseller_id)}[kind]

    user = world.tenancy.user(world.a_user(tenant_id))

    assert (user.tenant_id, user.tenant_kind) == (tenant_id, kind)


def test_a_domain_group_has_no_users(world):
    group_id = world.a_domain_group(world.a_reseller(), "mairie-lyon.fr")

    with pytest.raises(UnknownTenantError):
        world.a_user(group_id)


def test_second_user_with_same_email_is_refused(world):
    world.a_user(world.a_reseller(), email="ana@acme.fr")
    other_tenant = world.a_customer(world.a_reseller())

    with pytest.raises(EmailTakenError) as refused:
        world.a_user(other_tenant, email="ANA@acme.fr")

    assert refused.value.email == "ana@acme.fr"
    assert world.tenancy.user(user_id_for("ana@acme.fr")).tenant_id != other_tenant


def test_a_password_is_stored_only_as_a_scrypt_hash(world):
    user_id = world.a_user(world.a_reseller())

    assert world.tenancy.user(user_id).password_hash.startswith("scrypt$")
    assert PASSWORD.encode() not in world.stored_state()


def test_a_weak_password_is_refused_and_creates_no_user(world):
    reseller_id = world.a_reseller()

    with pytest.raises(WeakPasswordError):
        world.tenancy.create_user(reseller_id, "ana@acme.fr", "Ana", "owner", "1234567")

    with pytest.raises(UnknownUserError):
        world.tenancy.user(user_id_for("ana@acme.fr"))


def test_an_unknown_role_is_refused_listing_the_roles(world):
    with pytest.raises(InvalidRoleError) as refused:
        world.a_user(world.a_reseller(), role="superuser")

    assert refused.value.allowed == ROLES == ("owner", "admin", "sender", "finance")


# What roles allow --------------------------------------------------------------------------

ALLOWED = {
    "owner": set(ACTIONS),
    "admin": set(ACTIONS),
    "finance": {"view_balances", "view_statements", "confirm_payments", "transfer_credit"},
    "sender": {"send_messages", "view_history", "manage_contacts"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_what_each_role_may_do(world, role, action):
    user = world.tenancy.user(world.a_user(world.a_reseller(), role=role))

    assert user.can(action) is (action in ALLOWED[role])


def test_a_user_acts_only_in_their_own_tenant(world):
    user = world.tenancy.user(world.a_user(world.a_reseller(), role="owner"))

    assert user.can_in(user.tenant_id, "manage_users")
    assert not user.can_in(world.a_reseller(), "manage_users")


def test_an_unknown_action_is_an_error_rather_than_a_silent_no(world):
    user = world.tenancy.user(world.a_user(world.a_reseller()))

    with pytest.raises(UnknownActionError):
        user.can("transfer_credits")


def test_changing_a_role_changes_what_the_user_may_do(world):
    user_id = world.a_user(world.a_reseller(), role="sender")

    world.tenancy.change_role(user_id, "finance")

    user = world.tenancy.user(user_id)
    assert (user.role, user.can("transfer_credit"), user.can("send_messages")) == (
        "finance", True, False,
    )


def test_a_deactivated_user_may_do_nothing(world):
    user_id = world.a_user(world.a_reseller(), role="owner")

    world.tenancy.deactivate_user(user_id)

    user = world.tenancy.user(user_id)
    assert not user.active
    assert not any(user.can(action) for action in ACTIONS)


# Signing in --------------------------------------------------------------------------------


def test_the_right_email_and_password_sign_the_user_in(world):
    user_id = world.a_user(world.a_reseller(), email="ana@acme.fr")

    assert world.tenancy.authenticate(" ANA@acme.fr ", PASSWORD).id == user_id


@pytest.mark.parametrize(
    ("email", "password"),
    [("ana@acme.fr", "wrong password"), ("bob@acme.fr", PASSWORD), ("not an email", PASSWORD),
     ("ana@acme.fr", "")],
)
def test_wrong_credentials_are_refused_without_saying_which_part(world, email, password):
    world.a_user(world.a_reseller(), email="ana@acme.fr")

    with pytest.raises(InvalidCredentialsError) as refused:
        world.tenancy.authenticate(email, password)

    assert str(refused.value) == "invalid credentials"


def test_an_unknown_email_still_costs_a_password_check(world, monkeypatch):
    checked = []

    def counting_verify(password, hashed):
        checked.append(hashed)
        return verify_password(password, hashed)

    monkeypatch.setattr("portevoix.tenants.services.verify_password", counting_verify)

    with pytest.raises(InvalidCredentialsError):
        world.tenancy.authenticate("nobody@acme.fr", PASSWORD)

    assert len(checked) == 1
    assert checked[0].startswith(f"scrypt${world.tenancy.scrypt_n}$")


def test_a_deactivated_user_cannot_sign_in_even_with_the_right_password(world):
    user_id = world.a_user(world.a_reseller(), email="ana@acme.fr")
    world.tenancy.deactivate_user(user_id)

    with pytest.raises(InvalidCredentialsError):
        world.tenancy.authenticate("ana@acme.fr", PASSWORD)


def test_after_a_password_change_only_the_new_password_works(world):
    user_id = world.a_user(world.a_reseller(), email="ana@acme.fr")

    world.tenancy.change_password(user_id, "a brand new secret")

    assert world.tenancy.authenticate("ana@acme.fr", "a brand new secret").id == user_id
    with pytest.raises(InvalidCredentialsError):
        world.tenancy.authenticate("ana@acme.fr", PASSWORD)


def test_a_user_of_a_suspended_reseller_cannot_sign_in(world):
    reseller_id = world.a_reseller()
    world.a_user(reseller_id, email="ana@acme.fr")
    world.tenancy.suspend(reseller_id)

    with pytest.raises(TenantSuspendedError) as refused:
        world.tenancy.authenticate("ana@acme.fr", PASSWORD)

    assert refused.value.tenant_id == reseller_id


def test_a_customers_user_cannot_sign_in_while_its_reseller_is_suspended(world):
    reseller_id = world.a_reseller()
    world.a_user(world.a_customer(reseller_id), email="ana@mairie.fr")
    world.tenancy.suspend(reseller_id)

    with pytest.raises(TenantSuspendedError) as refused:
        world.tenancy.authenticate("ana@mairie.fr", PASSWORD)

    assert refused.value.tenant_id == reseller_id


def test_an_unknown_user_is_refused_with_its_id(world):
    unknown = uuid4()

    with pytest.raises(UnknownUserError) as refused:
        world.tenancy.user(unknown)

    assert refused.value.user_id == unknown
