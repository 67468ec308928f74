"""Price lists: publication, versions in force over time, margins, assignments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from portevoix.platform.prices import (
    RETAIL,
    SMS,
    VOICE,
    WHOLESALE,
    BelowWholesaleError,
    InvalidPriceEntryError,
    InvalidPriceListError,
    PriceEntry,
    PriceTable,
    UnknownPriceListError,
    price_list_id_for,
)
from portevoix.platform.pricing import Pricing

JAN = datetime(2026, 1, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)
WHOLESALE_ENTRIES = [
    PriceEntry("FR", "", SMS, 450), PriceEntry("TN", "", SMS, 900),
    PriceEntry("TN", "ooredoo-tn", SMS, 800), PriceEntry("FR", "", VOICE, 1200),
]


@pytest.fixture
def pricing() -> Pricing:
    return Pricing(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


@pytest.fixture
def platform_id() -> UUID:
    return uuid4()


@pytest.fixture
def reseller(pricing: Pricing, platform_id: UUID) -> UUID:
    reseller_id = uuid4()
    wholesale = pricing.publish_price_list(platform_id, "wholesale", WHOLESALE, "SMS", 3,
                                           WHOLESALE_ENTRIES, JAN)
    pricing.assign(reseller_id, wholesale)
    return reseller_id


def test_operator_price_wins_over_the_country_default() -> None:
    table = PriceTable(WHOLESALE_ENTRIES)

    assert table.price("TN", "ooredoo-tn") == 800
    assert table.price("TN", "orange-tn") == 900
    assert table.price("FR", "orange-fr", VOICE) == 1200
    assert table.price("MA", "") is None


def test_a_revision_supersedes_from_its_date_only(pricing: Pricing, platform_id: UUID) -> None:
    list_id = pricing.publish_price_list(platform_id, "w", WHOLESALE, "SMS", 3,
                                         WHOLESALE_ENTRIES, JAN)

    pricing.revise_price_list(list_id, [PriceEntry("FR", "", SMS, 400)], MAR)

    price_list = pricing.price_list(list_id)
    assert price_list.table_at(MAR - timedelta(seconds=1)).price("FR", "") == 450
    assert price_list.table_at(MAR).price("FR", "") == 400
    assert price_list.table_at(MAR).price("TN", "") is None
    assert price_list.table_at(JAN - timedelta(days=1)).price("FR", "") is None


def test_a_revision_must_come_after_the_version_it_supersedes(pricing: Pricing,
                                                              platform_id: UUID) -> None:
    list_id = pricing.publish_price_list(platform_id, "w", WHOLESALE, "SMS", 3,
                                         WHOLESALE_ENTRIES, MAR)

    with pytest.raises(InvalidPriceListError):
        pricing.revise_price_list(list_id, WHOLESALE_ENTRIES, JAN)


def test_retail_below_wholesale_is_refused_naming_the_destinations(pricing: Pricing,
                                                                   reseller: UUID) -> None:
    entries = [PriceEntry("FR", "", SMS, 600), PriceEntry("TN", "ooredoo-tn", SMS, 700)]

    with pytest.raises(BelowWholesaleError) as refused:
        pricing.publish_price_list(reseller, "packs", RETAIL, "SMS", 3, entries, JAN)

    assert [(e.country, e.operator, cost) for e, cost in refused.value.entries] == [
        ("TN", "ooredoo-tn", 800)]
    with pytest.raises(UnknownPriceListError):  # nothing was recorded
        pricing.price_list(price_list_id_for(reseller, "packs"))


def test_retail_below_wholesale_is_recorded_when_accepted(pricing: Pricing, reseller: UUID) -> None:
    entries = [PriceEntry("TN", "ooredoo-tn", SMS, 700)]

    list_id = pricing.publish_price_list(reseller, "promo", RETAIL, "SMS", 3, entries, JAN,
                                         accept_below_wholesale=True)

    assert pricing.price_list(list_id).below_wholesale_accepted is True


def test_publishing_again_as_it_is_changes_nothing(pricing: Pricing, platform_id: UUID) -> None:
    first = pricing.publish_price_list(platform_id, "w", WHOLESALE, "SMS", 3,
                                       WHOLESALE_ENTRIES, JAN)

    again = pricing.publish_price_list(platform_id, "w", WHOLESALE, "SMS", 3,
                                       WHOLESALE_ENTRIES, JAN)

    assert again == first
    with pytest.raises(InvalidPriceListError):
        pricing.publish_price_list(platform_id, "w", WHOLESALE, "SMS", 3,
                                   WHOLESALE_ENTRIES[:1], JAN)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (PriceEntry("fr", "", SMS, 450), "country"),
        (PriceEntry("FRA", "", SMS, 450), "country"),
        (PriceEntry("FR", "Orange FR", SMS, 450), "operator"),
        (PriceEntry("FR", "", "mms", 450), "kind"),
        (PriceEntry("FR", "", SMS, 0), "price"),
        (PriceEntry("FR", "", SMS, 4.5), "price"),  # type: ignore[arg-type]
        (PriceEntry("FR", "", SMS, True), "price"),
    ],
)
def test_malformed_entries_are_refused_with_the_reason(pricing: Pricing, platform_id: UUID,
                                                        entry: PriceEntry, reason: str) -> None:
    with pytest.raises(InvalidPriceEntryError) as refused:
        pricing.publish_price_list(platform_id, "w", WHOLESALE, "SMS", 3, [entry], JAN)

    assert reason in refused.value.reason


def test_a_destination_priced_twice_in_one_version_is_refused(pricing: Pricing,
                                                              platform_id: UUID) -> None:
    twice = [PriceEntry("FR", "", SMS, 450), PriceEntry("FR", "", SMS, 460)]

    with pytest.raises(InvalidPriceEntryError):
        pricing.publish_price_list(platform_id, "w", WHOLESALE, "SMS", 3, twice, JAN)


def test_an_effective_date_without_time_zone_is_refused(
    pricing: Pricing, platform_id: UUID
) -> None:
    with pytest.raises(InvalidPriceListError):
        pricing.publish_price_list(platform_id, "w", WHOLESALE, "SMS", 3, WHOLESALE_ENTRIES,
                                   datetime(2026, 1, 1))


def test_reassigning_changes_the_prices_a_tenant_is_charged(pricing: Pricing,
                                                            platform_id: UUID) -> None:
    tenant = uuid4()
    cheap = pricing.publish_price_list(platform_id, "cheap", WHOLESALE, "SMS", 3,
                                       [PriceEntry("FR", "", SMS, 300)], JAN)
    dear = pricing.publish_price_list(platform_id, "dear", WHOLESALE, "SMS", 3,
                                      [PriceEntry("FR", "", SMS, 500)], JAN)
    pricing.assign(tenant, cheap)

    pricing.assign(tenant, dear)

    assert pricing.table_for(tenant, MAR).price("FR", "") == 500


def test_a_tenant_without_a_list_has_no_prices(pricing: Pricing) -> None:
    with pytest.raises(UnknownPriceListError):
        pricing.table_for(uuid4(), MAR)
