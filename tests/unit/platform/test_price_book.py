"""The platform publishes wholesale lists for resellers; resellers retail lists for their own
customers; nobody else."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from portevoix.ledger.services import Ledger
from portevoix.platform.price_book import PriceBook, PriceListNotAllowedError
from portevoix.platform.prices import RETAIL, SMS, WHOLESALE, PriceEntry
from portevoix.platform.pricing import Pricing
from portevoix.tenants.parties import PLATFORM_ID
from portevoix.tenants.services import Tenancy

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
JAN = datetime(2026, 1, 1, tzinfo=UTC)
ENTRIES = [PriceEntry("FR", "", SMS, 1000)]


class Tree:
    def __init__(self) -> None:
        self.tenancy = Tenancy(Ledger(env=MEMORY), env=MEMORY, scrypt_n=2)
        self.pricing = Pricing(env=MEMORY)
        self.book = PriceBook(self.pricing, self.tenancy)
        self.tenancy.create_platform()
        self.reseller = self.tenancy.create_reseller("aa", "A", "a@a.example")
        self.other = self.tenancy.create_reseller("bb", "B", "b@b.example")
        self.customer = self.tenancy.create_customer(self.reseller, "cc", "C", "c@c.example")


@pytest.fixture
def tree() -> Tree:
    return Tree()


def test_the_platform_publishes_wholesale_and_resellers_retail(tree: Tree) -> None:
    wholesale = tree.book.publish(PLATFORM_ID, "w", ENTRIES, JAN)
    retail = tree.book.publish(tree.reseller, "r", ENTRIES, JAN)

    assert tree.pricing.price_list(wholesale).level == WHOLESALE
    assert tree.pricing.price_list(retail).level == RETAIL


def test_a_customer_cannot_publish_a_price_list(tree: Tree) -> None:
    with pytest.raises(PriceListNotAllowedError):
        tree.book.publish(tree.customer, "mine", ENTRIES, JAN)


@pytest.mark.parametrize(("tenant", "owner", "allowed"), [
    ("reseller", "platform", True),
    ("reseller", "reseller", False),
    ("customer", "reseller", True),
    ("customer", "other", False),
    ("customer", "platform", False),
])
def test_who_may_be_charged_by_which_list(tree: Tree, tenant: str, owner: str,
                                          allowed: bool) -> None:
    owners: dict[str, UUID] = {"platform": PLATFORM_ID, "reseller": tree.reseller,
                               "other": tree.other}
    list_id = tree.book.publish(owners[owner], "list", ENTRIES, JAN)
    tenant_id = {"reseller": tree.reseller, "customer": tree.customer}[tenant]

    if allowed:
        tree.book.assign(tenant_id, list_id)
        assert tree.pricing.assigned_list(tenant_id).id == list_id
    else:
        with pytest.raises(PriceListNotAllowedError):
            tree.book.assign(tenant_id, list_id)
