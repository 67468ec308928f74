"""Stored events: replaying them gives back the live state, under topics that never move."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.utils import resolve_topic

from portevoix.tenants.api_keys import ApiKey
from portevoix.tenants.customers import Customer
from portevoix.tenants.domain_groups import DomainGroup
from portevoix.tenants.parties import Platform, Reseller
from portevoix.tenants.secrets import hash_password, new_api_key_secret
from portevoix.tenants.users import User

EVENT_TOPICS = {
    "portevoix.tenants:Platform.Established",
    "portevoix.tenants:Platform.Renamed",
    "portevoix.tenants:Reseller.Registered",
    "portevoix.tenants:Reseller.Renamed",
    "portevoix.tenants:Reseller.DomainAdded",
    "portevoix.tenants:Reseller.DomainRemoved",
    "portevoix.tenants:Reseller.BrandingUpdated",
    "portevoix.tenants:Reseller.CustomerTransfersPermitted",
    "portevoix.tenants:Reseller.CustomerTransfersForbidden",
    "portevoix.tenants:Reseller.Suspended",
    "portevoix.tenants:Reseller.Reactivated",
    "portevoix.tenants:Customer.Registered",
    "portevoix.tenants:Customer.Renamed",
    "portevoix.tenants:Customer.OptionsChanged",
    "portevoix.tenants:Customer.JoinedDomainGroup",
    "portevoix.tenants:Customer.LeftDomainGroup",
    "portevoix.tenants:Customer.Suspended",
    "portevoix.tenants:Customer.Reactivated",
    "portevoix.tenants:DomainGroup.Formed",
    "portevoix.tenants:DomainGroup.Renamed",
    "portevoix.tenants:User.Registered",
    "portevoix.tenants:User.RoleChanged",
    "portevoix.tenants:User.PasswordChanged",
    "portevoix.tenants:User.Deactivated",
    "portevoix.tenants:ApiKey.Issued",
    "portevoix.tenants:ApiKey.Revoked",
}


def every_aggregate_changed_every_way():
    """One aggregate of each kind, built in memory, each of its commands applied once."""
    platform = Platform.establish("Portevoix")
    platform.rename("Portevoix Pro")
    reseller = Reseller.register("acme", "Acme SMS", "ops@acme.fr")
    reseller.rename("Acme Communication")
    reseller.add_domain("sms.acme.fr")
    reseller.add_domain("espace.acme.fr")
    reseller.remove_domain("sms.acme.fr")
    reseller.update_branding(primary_colour="#ff6600", logo_url="https://acme.fr/logo.png")
    reseller.permit_customer_transfers()
    reseller.forbid_customer_transfers()
    reseller.suspend("unpaid")
    reseller.reactivate()
    group = DomainGroup.form(reseller.id, "mairie-lyon.fr", "Mairie")
    group.rename("Ville de Lyon")
    customer = Customer.register(reseller.id, "voirie", "Voirie", "voirie@mairie-lyon.fr")
    customer.rename("Voirie de Lyon")
    customer.change_options(ip_allow_list=["192.0.2.0/24"], low_balance_threshold=1500,
                            replies_forwarding="email", replies_target="sms@mairie-lyon.fr")
    customer.join_domain_group(group)
    customer.leave_domain_group()
    customer.join_domain_group(group)
    customer.suspend("audit")
    customer.reactivate()
    user = User.register(customer.id, "customer", "ana@mairie-lyon.fr", "Ana", "sender",
                         hash_password("first password", n=16))
    user.change_role("finance")
    user.change_password(hash_password("second password", n=16))
    user.deactivate()
    admin = User.register(customer.id, "customer", "bob@mairie-lyon.fr", "Bob", "admin",
                          hash_password("bob's password", n=16))
    key = ApiKey.issue(uuid4(), admin, "CRM", ["send", "admin"], new_api_key_secret())
    key.revoke()
    return [platform, reseller, group, customer, user, key]


def state_of(aggregate):
    return {name: value for name, value in vars(aggregate).items()
            if name != "_pending_events"}


@pytest.mark.parametrize("index", range(6),
                         ids=["Platform", "Reseller", "DomainGroup", "Customer", "User", "ApiKey"])
def test_replay_equals_live_state(bare_world, index):
    live = every_aggregate_changed_every_way()[index]
    bare_world.tenancy.save(live)

    replayed = bare_world.tenancy.repository.get(live.id)

    assert type(replayed) is type(live)
    assert state_of(replayed) == state_of(live)


def test_every_tenancy_event_is_stored_under_its_pinned_topic(bare_world):
    bare_world.tenancy.save(*every_aggregate_changed_every_way())

    topics = {notification.topic for notification in bare_world.notifications()}

    assert topics == EVENT_TOPICS


def test_every_stored_topic_resolves_to_the_class_that_records_it(bare_world):
    bare_world.tenancy.save(*every_aggregate_changed_every_way())

    events = bare_world.events()

    assert {f"portevoix.tenants:{type(e).__qualname__}" for e in events} == EVENT_TOPICS


@pytest.mark.parametrize("aggregate", [Platform, Reseller, Customer, DomainGroup, User, ApiKey],
                         ids=lambda cls: cls.__name__)
def test_aggregates_and_their_unused_created_events_keep_pinned_topics(aggregate):
    name = aggregate.__name__

    assert resolve_topic(f"portevoix.tenants:{name}") is aggregate
    assert resolve_topic(f"portevoix.tenants:{name}.Created") is aggregate.Created
