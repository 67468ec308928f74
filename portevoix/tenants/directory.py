"""Finding tenancy's aggregates by id, and what every use case asks of them.

The look-ups a portal or another service needs (a customer, a user, the wallet paying for a
tenant) and the checks shared by the use cases in ``services.py`` (is this tenant active?).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate

from portevoix.ledger.accounts import account_id_for
from portevoix.ledger.services import ISSUANCE, WALLET
from portevoix.tenants.api_keys import ApiKey
from portevoix.tenants.credit import Party
from portevoix.tenants.customers import Customer
from portevoix.tenants.domain_groups import DomainGroup
from portevoix.tenants.errors import (
    TenantSuspendedError,
    UnknownApiKeyError,
    UnknownDomainGroupError,
    UnknownTenantError,
    UnknownUserError,
)
from portevoix.tenants.parties import PLATFORM_ID, Platform, Reseller
from portevoix.tenants.users import User

A = TypeVar("A", bound=Aggregate)
Tenant = Platform | Reseller | Customer


class Directory(Application[UUID]):
    """Read access to tenancy's aggregates; ``services.Tenancy`` adds the use cases."""

    def platform(self) -> Platform:
        return self._get(PLATFORM_ID, Platform, UnknownTenantError)

    def reseller(self, reseller_id: UUID) -> Reseller:
        return self._get(reseller_id, Reseller, UnknownTenantError)

    def customer(self, customer_id: UUID) -> Customer:
        return self._get(customer_id, Customer, UnknownTenantError)

    def domain_group(self, group_id: UUID) -> DomainGroup:
        return self._get(group_id, DomainGroup, UnknownDomainGroupError)

    def user(self, user_id: UUID) -> User:
        return self._get(user_id, User, UnknownUserError)

    def api_key(self, key_id: UUID) -> ApiKey:
        return self._get(key_id, ApiKey, UnknownApiKeyError)

    def tenant(self, tenant_id: UUID) -> Tenant:
        """The platform, reseller or customer with this id (users belong to these)."""
        party = self._party(tenant_id)
        if isinstance(party, DomainGroup):
            raise UnknownTenantError(tenant_id)
        return party

    def wallet_of(self, tenant_id: UUID) -> UUID:
        """The ledger account that pays for ``tenant_id``: a customer in a domain group pays
        from the group's wallet; the platform, which has no wallet, from its issuance."""
        return self._wallet(self._party(tenant_id))

    def _wallet(self, party: Party) -> UUID:
        unit = self.platform().unit
        if isinstance(party, Platform):
            return account_id_for(party.id, ISSUANCE, unit)
        owner_id = party.wallet_owner_id if isinstance(party, Customer) else party.id
        return account_id_for(owner_id, WALLET, unit)

    def _ensure_active(self, party: Party) -> None:
        """Refuse a suspended tenant, or a customer or group of a suspended reseller."""
        if not party.is_active:
            raise TenantSuspendedError(party.id)
        if isinstance(party, Customer | DomainGroup):
            reseller = self.reseller(party.reseller_id)
            if not reseller.is_active:
                raise TenantSuspendedError(reseller.id)

    def _suspendable(self, tenant_id: UUID) -> Reseller | Customer:
        party = self._party(tenant_id)
        if not isinstance(party, Reseller | Customer):
            raise UnknownTenantError(tenant_id)
        return party

    def _party(self, party_id: UUID) -> Party:
        found = self._find(party_id, Aggregate)
        if not isinstance(found, Platform | Reseller | Customer | DomainGroup):
            raise UnknownTenantError(party_id)
        return found

    def _get(self, aggregate_id: UUID, kind: type[A],
             missing: Callable[[UUID], Exception]) -> A:
        found = self._find(aggregate_id, kind)
        if found is None:
            raise missing(aggregate_id)
        return found

    def _find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        try:
            found: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

