"""The platform, resellers and customers: creation, their ledger accounts, their commands."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid4, uuid5

import pytest

from portevoix.ledger.accounts import account_id_for
from portevoix.ledger.errors import AccountNotFoundError
from portevoix.ledger.services import ISSUANCE, REVENUE, WALLET
from portevoix.tenants.customers import customer_id_for
from portevoix.tenants.errors import (
    InvalidBrandingError,
    InvalidCountryError,
    InvalidEmailError,
    InvalidHostnameError,
    InvalidSlugError,
    InvalidTimezoneError,
    InvalidUnitError,
    TenantExistsError,
    TenantSuspendedError,
    UnknownTenantError,
)
from portevoix.tenants.parties import PLATFORM_ID, reseller_id_for

# The platform ------------------------------------------------------------------------------


def test_the_platform_id_is_a_constant():
    assert uuid5(NAMESPACE_URL, "portevoix:platform") == PLATFORM_ID


def test_creating_the_platform_opens_its_issuance_and_revenue_system_accounts(bare_world):
    tenancy, ledger = bare_world.tenancy, bare_world.ledger

    platform_id = tenancy.create_platform()

    platform = tenancy.platform()
    assert (platform_id, platform.name, platform.unit, platform.scale) == (
        PLATFORM_ID, "Portevoix", "SMS", 3,
    )
    for purpose in (ISSUANCE, REVENUE):
        account = ledger.account(account_id_for(PLATFORM_ID, purpose, "SMS"))
        assert (account.floor, account.scale) == (None, 3)


def test_creating_the_platform_again_is_harmless_but_not_with_another_unit(tenancy):
    assert tenancy.create_platform() == PLATFORM_ID

    with pytest.raises(TenantExistsError):
        tenancy.create_platform(unit="EUR", scale=2)


@pytest.mark.parametrize(("unit", "scale"), [("sms", 3), ("S", 3), ("SMS", -1), ("SMS", 7),
                                             ("SMS", True)])
def test_the_platform_needs_a_unit_in_capitals_and_a_scale_of_0_to_6(bare_world, unit, scale):
    with pytest.raises(InvalidUnitError):
        bare_world.tenancy.create_platform(unit=unit, scale=scale)


def test_nothing_is_created_before_the_platform(bare_world):
    with pytest.raises(UnknownTenantError) as refused:
        bare_world.tenancy.create_reseller("acme", "Acme", "ops@acme.fr")

    assert refused.value.tenant_id == PLATFORM_ID


# Resellers ---------------------------------------------------------------------------------


def test_creating_a_reseller_opens_its_wallet_issuance_and_revenue(tenancy, ledger):
    reseller_id = tenancy.create_reseller("acme", "Acme SMS", "Ops@Acme.fr")

    assert reseller_id == reseller_id_for("acme")
    floors = {purpose: ledger.account(account_id_for(reseller_id, purpose, "SMS")).floor
              for purpose in (WALLET, ISSUANCE, REVENUE)}
    assert floors == {WALLET: 0, ISSUANCE: None, REVENUE: None}


def test_a_new_reseller_is_active_with_default_branding_and_no_customer_transfers(tenancy):
    reseller = tenancy.reseller(tenancy.create_reseller("acme", "Acme SMS", "ops@acme.fr"))

    assert (reseller.slug, reseller.name, reseller.contact_email) == (
        "acme", "Acme SMS", "ops@acme.fr",
    )
    assert (reseller.status, reseller.domains, reseller.allow_customer_transfers) == (
        "active", [], False,
    )
    assert reseller.branding["name"] == "Acme SMS"
    assert reseller.branding["support_email"] == "ops@acme.fr"


def test_creating_a_reseller_again_with_the_same_attributes_returns_its_id(tenancy):
    first = tenancy.create_reseller("acme", "Acme SMS", "ops@acme.fr")
    recorded = tenancy.recorder.max_notification_id()

    again = tenancy.create_reseller("acme", " Acme  SMS ", "OPS@acme.fr")

    assert again == first
    assert tenancy.recorder.max_notification_id() == recorded


def test_creating_a_reseller_again_with_other_attributes_is_refused(tenancy):
    reseller_id = tenancy.create_reseller("acme", "Acme SMS", "ops@acme.fr")

    with pytest.raises(TenantExistsError) as refused:
        tenancy.create_reseller("acme", "Another Acme", "ops@acme.fr")

    assert refused.value.tenant_id == reseller_id
    assert tenancy.reseller(reseller_id).name == "Acme SMS"


def test_a_crash_after_opening_the_accounts_is_repaired_by_retrying(tenancy, ledger):
    ledger.open_account(reseller_id_for("acme"), WALLET, "SMS", 3, floor=0)

    reseller_id = tenancy.create_reseller("acme", "Acme SMS", "ops@acme.fr")

    assert tenancy.reseller(reseller_id).slug == "acme"
    assert ledger.account(account_id_for(reseller_id, REVENUE, "SMS")).floor is None


@pytest.mark.parametrize(
    ("slug", "email", "error"),
    [("A", "ops@acme.fr", InvalidSlugError), ("acme", "ops", InvalidEmailError)],
)
def test_an_invalid_reseller_is_refused_and_opens_no_account(tenancy, ledger, slug, email,
                                                             error):
    with pytest.raises(error):
        tenancy.create_reseller(slug, "Acme", email)

    with pytest.raises(AccountNotFoundError):
        ledger.account(account_id_for(uuid5(PLATFORM_ID, "reseller:acme"), WALLET, "SMS"))


def test_a_reseller_serves_its_client_area_on_the_domains_it_adds(world):
    reseller_id = world.a_reseller()

    world.tenancy.add_domain(reseller_id, "SMS.Acme.fr")
    world.tenancy.add_domain(reseller_id, "sms.acme.fr")
    world.tenancy.add_domain(reseller_id, "espace.acme.fr")
    world.tenancy.remove_domain(reseller_id, "sms.acme.fr")

    assert world.tenancy.reseller(reseller_id).domains == ["espace.acme.fr"]


def test_an_invalid_domain_is_refused(world):
    reseller_id = world.a_reseller()

    with pytest.raises(InvalidHostnameError):
        world.tenancy.add_domain(reseller_id, "acme")


def test_updating_branding_changes_only_the_fields_given(world):
    reseller_id = world.a_reseller()
    before = dict(world.tenancy.reseller(reseller_id).branding)

    world.tenancy.update_branding(reseller_id, primary_colour="#FF6600", default_sender="ACME")

    assert world.tenancy.reseller(reseller_id).branding == {
        **before, "primary_colour": "#ff6600", "default_sender": "ACME",
    }


def test_invalid_branding_records_nothing(world):
    reseller_id = world.a_reseller()
    version = world.tenancy.reseller(reseller_id).version

    with pytest.raises(InvalidBrandingError):
        world.tenancy.update_branding(reseller_id, default_sender="ACME", logo_url="logo")

    assert world.tenancy.reseller(reseller_id).version == version


def test_a_reseller_can_permit_then_forbid_transfers_between_its_customers(world):
    reseller_id = world.a_reseller()

    world.tenancy.permit_customer_transfers(reseller_id)
    permitted = world.tenancy.reseller(reseller_id).allow_customer_transfers
    world.tenancy.forbid_customer_transfers(reseller_id)

    assert (permitted, world.tenancy.reseller(reseller_id).allow_customer_transfers) == (
        True, False,
    )


def test_suspending_twice_records_one_event_and_reactivating_restores(world):
    reseller_id = world.a_reseller()

    world.tenancy.suspend(reseller_id, "unpaid invoice")
    world.tenancy.suspend(reseller_id, "unpaid invoice")
    suspended = world.tenancy.reseller(reseller_id)
    world.tenancy.reactivate(reseller_id)

    assert (suspended.status, suspended.version) == ("suspended", 2)
    assert world.tenancy.reseller(reseller_id).status == "active"


def test_renaming_a_reseller_keeps_its_slug_and_id(world):
    reseller_id = world.a_reseller("acme")

    world.tenancy.rename(reseller_id, "Acme Communication")

    reseller = world.tenancy.reseller(reseller_id)
    assert (reseller.id, reseller.slug, reseller.name) == (
        reseller_id, "acme", "Acme Communication",
    )


# Customers ---------------------------------------------------------------------------------


def test_creating_a_customer_opens_its_wallet(world):
    reseller_id = world.a_reseller()

    customer_id = world.tenancy.create_customer(
        reseller_id, "mairie-lyon", "Mairie de Lyon", "contact@mairie-lyon.fr"
    )

    assert customer_id == customer_id_for(reseller_id, "mairie-lyon")
    wallet = world.ledger.account(account_id_for(customer_id, WALLET, "SMS"))
    assert (wallet.owner_id, wallet.floor, wallet.scale) == (customer_id, 0, 3)


def test_a_new_customer_sends_from_france_on_paris_time_unless_told_otherwise(world):
    reseller_id = world.a_reseller()

    default = world.tenancy.customer(world.a_customer(reseller_id))
    moroccan = world.tenancy.customer(world.tenancy.create_customer(
        reseller_id, "atlas", "Atlas", "info@atlas.ma", default_country="ma",
        timezone="Africa/Casablanca",
    ))

    assert (default.default_country, default.timezone) == ("FR", "Europe/Paris")
    assert (moroccan.default_country, moroccan.timezone) == ("MA", "Africa/Casablanca")


@pytest.mark.parametrize(
    ("country", "timezone", "error"),
    [("FRA", "Europe/Paris", InvalidCountryError), ("FR", "Paris", InvalidTimezoneError)],
)
def test_a_customer_needs_a_real_country_and_time_zone(world, country, timezone, error):
    reseller_id = world.a_reseller()

    with pytest.raises(error):
        world.tenancy.create_customer(reseller_id, "atlas", "Atlas", "info@atlas.ma",
                                      default_country=country, timezone=timezone)


def test_two_resellers_may_each_have_a_customer_with_the_same_slug(world):
    first = world.a_customer(world.a_reseller(), "mairie")
    second = world.a_customer(world.a_reseller(), "mairie")

    assert first != second


def test_creating_a_customer_again_with_other_attributes_is_refused(world):
    reseller_id = world.a_reseller()
    world.a_customer(reseller_id, "mairie", "contact@mairie.fr")

    with pytest.raises(TenantExistsError):
        world.a_customer(reseller_id, "mairie", "other@mairie.fr")


def test_a_customer_of_an_unknown_reseller_is_refused(world):
    unknown = uuid4()

    with pytest.raises(UnknownTenantError) as refused:
        world.a_customer(unknown)

    assert refused.value.tenant_id == unknown


def test_a_suspended_reseller_cannot_take_new_customers(world):
    reseller_id = world.a_reseller()
    world.tenancy.suspend(reseller_id)

    with pytest.raises(TenantSuspendedError):
        world.a_customer(reseller_id)


def test_a_customer_pays_from_its_own_wallet_when_in_no_group(world):
    customer_id = world.a_customer(world.a_reseller())

    assert world.tenancy.wallet_of(customer_id) == account_id_for(customer_id, WALLET, "SMS")


@pytest.mark.parametrize("getter", ["reseller", "customer"])
def test_looking_up_an_unknown_tenant_is_refused_with_its_id(tenancy, getter):
    unknown = uuid4()

    with pytest.raises(UnknownTenantError) as refused:
        getattr(tenancy, getter)(unknown)

    assert refused.value.tenant_id == unknown


def test_a_reseller_is_not_found_as_a_customer(world):
    reseller_id = world.a_reseller()

    with pytest.raises(UnknownTenantError):
        world.tenancy.customer(reseller_id)
