"""Quoting a customer: its retail list over its reseller's wholesale list, its options."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portevoix.ledger.services import Ledger
from portevoix.platform.prices import RETAIL, SMS, WHOLESALE, PriceEntry, UnknownPriceListError
from portevoix.platform.pricing import Pricing
from portevoix.platform.quotes import OVERSEAS_NOT_ALLOWED
from portevoix.platform.quoting import Quoting
from portevoix.tenants.parties import PLATFORM_ID
from portevoix.tenants.services import Tenancy

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
JAN = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def world() -> tuple[Quoting, Tenancy, Pricing]:
    ledger = Ledger(env=MEMORY)
    tenancy = Tenancy(ledger, env=MEMORY, scrypt_n=2)
    pricing = Pricing(env=MEMORY)
    tenancy.create_platform()
    return Quoting(pricing, tenancy), tenancy, pricing


def test_a_customer_is_quoted_at_its_retail_over_its_resellers_wholesale(world) -> None:
    quoting, tenancy, pricing = world
    reseller = tenancy.create_reseller("smsplus", "SMS Plus", "a@smsplus.example")
    customer = tenancy.create_customer(reseller, "bakery", "Bakery", "p@bakery.example",
                                       default_country="TN")
    wholesale = pricing.publish_price_list(PLATFORM_ID, "w", WHOLESALE, "SMS", 3,
                                           [PriceEntry("TN", "", SMS, 2000)], JAN)
    retail = pricing.publish_price_list(reseller, "r", RETAIL, "SMS", 3,
                                        [PriceEntry("TN", "", SMS, 2500)], JAN)
    pricing.assign(reseller, wholesale)
    pricing.assign(customer, retail)

    result = quoting.quote_text(customer, "Aslema", ["20 123 456"])  # national, in Tunisia

    assert [(line.e164, line.price, line.wholesale_cost) for line in result.lines] == [
        ("+21620123456", 2500, 2000)]


def test_the_customers_options_decide_overseas_sends(world) -> None:
    quoting, tenancy, pricing = world
    reseller = tenancy.create_reseller("smsplus", "SMS Plus", "a@smsplus.example")
    customer = tenancy.create_customer(reseller, "bakery", "Bakery", "p@bakery.example")
    entries = [PriceEntry("MQ", "", SMS, 1500)]
    pricing.assign(reseller, pricing.publish_price_list(PLATFORM_ID, "w", WHOLESALE, "SMS", 3,
                                                        entries, JAN))
    pricing.assign(customer, pricing.publish_price_list(reseller, "r", RETAIL, "SMS", 3,
                                                        entries, JAN))

    refused = quoting.quote_text(customer, "Bonjour", ["0696 12 34 56"])
    tenancy.change_options(customer, overseas_destinations=True)
    allowed = quoting.quote_text(customer, "Bonjour", ["0696 12 34 56"])

    assert [r.reason for r in refused.refused] == [OVERSEAS_NOT_ALLOWED]
    assert [line.e164 for line in allowed.lines] == ["+596696123456"]


def test_a_customer_without_a_price_list_cannot_be_quoted(world) -> None:
    quoting, tenancy, _ = world
    reseller = tenancy.create_reseller("smsplus", "SMS Plus", "a@smsplus.example")
    customer = tenancy.create_customer(reseller, "bakery", "Bakery", "p@bakery.example")

    with pytest.raises(UnknownPriceListError):
        quoting.quote_text(customer, "Bonjour", ["0612345678"])
