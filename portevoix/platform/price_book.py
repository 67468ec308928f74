"""Who may publish which price list, and who may be charged by it.

The platform publishes wholesale lists and charges resellers by them; a reseller publishes
retail lists and charges its own customers by them. ``Pricing`` keeps the lists; this checks
the parties against the tenancy before it is asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from portevoix.platform.prices import RETAIL, WHOLESALE, PriceEntry, PriceListError
from portevoix.platform.pricing import Pricing
from portevoix.tenants.errors import TenancyError
from portevoix.tenants.parties import PLATFORM_ID
from portevoix.tenants.services import Tenancy


class PriceListNotAllowedError(PriceListError):
    def __init__(self, tenant_id: UUID, reason: str) -> None:
        super().__init__(f"not for {tenant_id}: {reason}")
        self.tenant_id, self.reason = tenant_id, reason


class PriceBook:
    """Publishing and assigning price lists, within the platform → reseller → customer tree."""

    def __init__(self, pricing: Pricing, tenancy: Tenancy) -> None:
        self.pricing, self.tenancy = pricing, tenancy

    def publish(self, owner_id: UUID, name: str, entries: Sequence[PriceEntry],
                effective_from: datetime, accept_below_wholesale: bool = False) -> UUID:
        """The platform's lists are wholesale, a reseller's retail."""
        level = WHOLESALE if owner_id == PLATFORM_ID else RETAIL
        if level == RETAIL:
            self._reseller(owner_id, "only the platform and resellers publish price lists")
        platform = self.tenancy.platform()
        return self.pricing.publish_price_list(owner_id, name, level, platform.unit,
                                               platform.scale, entries, effective_from,
                                               accept_below_wholesale)

    def assign(self, tenant_id: UUID, price_list_id: UUID) -> None:
        """A reseller is charged by a wholesale list of the platform; a customer by a retail
        list of its own reseller."""
        price_list = self.pricing.price_list(price_list_id)
        try:
            customer = self.tenancy.customer(tenant_id)
        except TenancyError:
            self._reseller(tenant_id, "only resellers and customers are charged by a list")
            if price_list.level != WHOLESALE or price_list.owner_id != PLATFORM_ID:
                raise PriceListNotAllowedError(
                    tenant_id, "a reseller is charged by a wholesale list of the platform"
                ) from None
        else:
            if price_list.level != RETAIL or price_list.owner_id != customer.reseller_id:
                raise PriceListNotAllowedError(
                    tenant_id, "a customer is charged by a retail list of its own reseller")
        self.pricing.assign(tenant_id, price_list_id)

    def _reseller(self, tenant_id: UUID, reason: str) -> None:
        try:
            self.tenancy.reseller(tenant_id)
        except TenancyError:
            raise PriceListNotAllowedError(tenant_id, reason) from None
