"""The "Packs SMS" question on SQLite and PostgreSQL: prices in force by country, operator
and keyword, before and after a revision supersedes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from portevoix.platform.prices import RETAIL, SMS, VOICE, PriceEntry
from portevoix.projections.price_lists import prices
from portevoix.services import Services, build_services
from portevoix.settings import Settings

JAN = datetime(2026, 1, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)
ENTRIES = [
    PriceEntry("FR", "", SMS, 650), PriceEntry("FR", "free-fr", SMS, 600),
    PriceEntry("TN", "", SMS, 1200), PriceEntry("TN", "ooredoo-tn", SMS, 1100),
    PriceEntry("MQ", "", SMS, 715), PriceEntry("FR", "", VOICE, 1410),
]


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    services = build_services(Settings(database_url=database_url))
    yield services
    services.close()


@pytest.fixture
def packs(services: Services):
    list_id = services.pricing.publish_price_list(uuid4(), "packs", RETAIL, "SMS", 3, ENTRIES,
                                                  JAN)
    services.pricing.revise_price_list(
        list_id, [*ENTRIES[:2], PriceEntry("TN", "", SMS, 1000)], MAR)
    services.catch_up()
    return list_id


def rows(found: list) -> list[tuple[str, str, str, int]]:
    return [(r.country, r.operator, r.kind, r.price) for r in found]


def test_prices_by_country_follow_the_version_in_force(services: Services, packs) -> None:
    before = prices(services.engine, packs, MAR - timedelta(days=1), country="TN")
    after = prices(services.engine, packs, MAR, country="tn")

    assert rows(before) == [("TN", "", SMS, 1200), ("TN", "ooredoo-tn", SMS, 1100)]
    assert rows(after) == [("TN", "", SMS, 1000)]


@pytest.mark.parametrize(("prefix", "expected"), [
    ("+33 6 51", [("FR", "", SMS, 650), ("FR", "", VOICE, 1410), ("FR", "free-fr", SMS, 600)]),
    ("216 2", [("TN", "", SMS, 1200), ("TN", "ooredoo-tn", SMS, 1100)]),
    ("21640", [("TN", "", SMS, 1200)]),  # Tunisie Telecom: only the country's price
    ("999", []),
])
def test_an_operator_prefix_finds_its_operators_and_country_prices(
    services: Services, packs, prefix: str, expected: list[tuple[str, str, str, int]]
) -> None:
    found = prices(services.engine, packs, JAN, operator_prefix=prefix)

    assert rows(found) == expected


@pytest.mark.parametrize(("keyword", "countries"), [
    ("Tunisie", {"TN"}), ("tunisia", {"TN"}), ("martinique", {"MQ"}), ("ooredoo", {"TN"}),
    ("100%", set()),
])
def test_keyword_matches_country_names_in_french_and_english_and_operators(
    services: Services, packs, keyword: str, countries: set[str]
) -> None:
    found = prices(services.engine, packs, JAN, keyword=keyword)

    assert {row.country for row in found} == countries


def test_country_names_follow_the_locale(services: Services, packs) -> None:
    [french] = prices(services.engine, packs, JAN, country="MQ")
    [arabic] = prices(services.engine, packs, JAN, country="MQ", locale="ar")

    assert french.country_name == "Martinique"
    assert arabic.country_name == "جزر المارتينيك"


def test_rebuild_gives_the_same_prices(services: Services, packs) -> None:
    before = prices(services.engine, packs, JAN)

    services.rebuild_projections()

    assert prices(services.engine, packs, JAN) == before
