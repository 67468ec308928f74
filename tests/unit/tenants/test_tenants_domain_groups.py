"""Domain groups: one wallet shared by a reseller's customers at one e-mail domain."""

from __future__ import annotations

from uuid import uuid4

import pytest

from portevoix.ledger.accounts import account_id_for
from portevoix.ledger.services import WALLET
from portevoix.tenants.domain_groups import domain_group_id_for
from portevoix.tenants.errors import (
    DomainMismatchError,
    OtherResellerError,
    TenantExistsError,
    UnknownDomainGroupError,
)


def test_creating_a_domain_group_opens_its_shared_wallet(world):
    reseller_id = world.a_reseller()

    group_id = world.tenancy.create_domain_group(reseller_id, "Mairie-Lyon.fr", "Mairie")

    assert group_id == domain_group_id_for(reseller_id, "mairie-lyon.fr")
    group = world.tenancy.domain_group(group_id)
    assert (group.reseller_id, group.domain, group.name) == (
        reseller_id, "mairie-lyon.fr", "Mairie",
    )
    wallet = world.ledger.account(account_id_for(group_id, WALLET, "SMS"))
    assert wallet.floor == 0


def test_creating_a_group_again_is_harmless_but_not_under_another_name(world):
    reseller_id = world.a_reseller()
    group_id = world.tenancy.create_domain_group(reseller_id, "mairie-lyon.fr", "Mairie")

    again = world.tenancy.create_domain_group(reseller_id, "MAIRIE-LYON.FR.", "Mairie")

    assert again == group_id
    with pytest.raises(TenantExistsError):
        world.tenancy.create_domain_group(reseller_id, "mairie-lyon.fr", "Town hall")


def test_a_customer_at_the_domain_joins_and_then_pays_from_the_group_wallet(world):
    reseller_id = world.a_reseller()
    group_id = world.a_domain_group(reseller_id, "mairie-lyon.fr")
    customer_id = world.a_customer(reseller_id, "etat-civil", "etat-civil@mairie-lyon.fr")

    world.tenancy.join_domain_group(customer_id, group_id)

    customer = world.tenancy.customer(customer_id)
    assert (customer.domain_group_id, customer.wallet_owner_id) == (group_id, group_id)
    assert world.tenancy.wallet_of(customer_id) == world.tenancy.wallet_of(group_id)


def test_customers_in_one_group_spend_the_same_credit(world):
    reseller_id = world.a_reseller()
    group_id = world.a_domain_group(reseller_id, "mairie-lyon.fr")
    members = [world.a_customer(reseller_id, slug, f"{slug}@mairie-lyon.fr")
               for slug in ("etat-civil", "voirie")]
    for member in members:
        world.tenancy.join_domain_group(member, group_id)

    world.funded(group_id, 3000)

    assert [world.available(member) for member in members] == [3000, 3000]


def test_the_customer_outside_the_domain_cannot_join_its_group(world):
    reseller_id = world.a_reseller()
    group_id = world.a_domain_group(reseller_id, "mairie-lyon.fr")
    customer_id = world.a_customer(reseller_id, "intrus", "intrus@gmail.com")

    with pytest.raises(DomainMismatchError) as refused:
        world.tenancy.join_domain_group(customer_id, group_id)

    assert (refused.value.email, refused.value.domain) == ("intrus@gmail.com", "mairie-lyon.fr")
    assert world.tenancy.customer(customer_id).domain_group_id is None


def test_a_subdomain_is_not_the_domain(world):
    reseller_id = world.a_reseller()
    group_id = world.a_domain_group(reseller_id, "mairie-lyon.fr")
    customer_id = world.a_customer(reseller_id, "ecoles", "direction@ecoles.mairie-lyon.fr")

    with pytest.raises(DomainMismatchError):
        world.tenancy.join_domain_group(customer_id, group_id)


def test_a_customer_cannot_join_another_resellers_group(world):
    group_id = world.a_domain_group(world.a_reseller(), "mairie-lyon.fr")
    reseller_id = world.a_reseller()
    customer_id = world.a_customer(reseller_id, "voirie", "voirie@mairie-lyon.fr")

    with pytest.raises(OtherResellerError) as refused:
        world.tenancy.join_domain_group(customer_id, group_id)

    assert (refused.value.tenant_id, refused.value.reseller_id) == (group_id, reseller_id)


def test_joining_twice_records_one_event(world):
    reseller_id = world.a_reseller()
    group_id = world.a_domain_group(reseller_id, "mairie-lyon.fr")
    customer_id = world.a_customer(reseller_id, "voirie", "voirie@mairie-lyon.fr")

    world.tenancy.join_domain_group(customer_id, group_id)
    version = world.tenancy.customer(customer_id).version
    world.tenancy.join_domain_group(customer_id, group_id)

    assert world.tenancy.customer(customer_id).version == version


def test_a_customer_that_leaves_pays_from_its_own_wallet_again(world):
    reseller_id = world.a_reseller()
    group_id = world.a_domain_group(reseller_id, "mairie-lyon.fr")
    customer_id = world.a_customer(reseller_id, "voirie", "voirie@mairie-lyon.fr")
    world.tenancy.join_domain_group(customer_id, group_id)

    world.tenancy.leave_domain_group(customer_id)

    assert world.tenancy.customer(customer_id).domain_group_id is None
    assert world.tenancy.wallet_of(customer_id) == account_id_for(customer_id, WALLET, "SMS")


def test_a_grouped_customers_low_balance_threshold_watches_the_group_wallet(world):
    reseller_id = world.a_reseller()
    group_id = world.a_domain_group(reseller_id, "mairie-lyon.fr")
    customer_id = world.a_customer(reseller_id, "voirie", "voirie@mairie-lyon.fr")
    world.tenancy.join_domain_group(customer_id, group_id)

    world.tenancy.change_options(customer_id, low_balance_threshold=1500)

    group_wallet = world.ledger.account(world.tenancy.wallet_of(group_id))
    own_wallet = world.ledger.account(account_id_for(customer_id, WALLET, "SMS"))
    assert (group_wallet.low_balance_threshold, own_wallet.low_balance_threshold) == (1500, None)


def test_an_unknown_group_is_refused_with_its_id(world):
    unknown = uuid4()

    with pytest.raises(UnknownDomainGroupError) as refused:
        world.tenancy.domain_group(unknown)

    assert refused.value.group_id == unknown
