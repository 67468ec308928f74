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
from portevoix.recent_reads import RecentReads
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


class Directory(RecentReads, Application[UUID]):
    """Read access to tenancy's aggregates; ``services.Tenancy`` adds the use cases.

    ``recent=True`` reads an aggregate as last read, until the log shows it changed, shared,
    for reading only (see ``recent_reads``): the send path's look-ups.
    """

    def platform(self, *, recent: bool = False) -> Platform:
        return self._get(PLATFORM_ID, Platform, UnknownTenantError, recent)

    def reseller(self, reseller_id: UUID, *, recent: bool = False) -> Reseller:
        return self._get(reseller_id, Reseller, UnknownTenantError, recent)

    def customer(self, customer_id: UUID, *, recent: bool = False) -> Customer:
        return self._get(customer_id, Customer, UnknownTenantError, recent)

    def customer_or_none(self, tenant_id: UUID) -> Customer | None:
        """The customer with this id as last read (``recent_reads``); None for another kind of
        tenant (or none)."""
        return self._find(tenant_id, Customer, recent=True)

    def domain_group(self, group_id: UUID) -> DomainGroup:
        return self._get(group_id, DomainGroup, UnknownDomainGroupError)

    def user(self, user_id: UUID, *, recent: bool = False) -> User:
        return self._get(user_id, User, UnknownUserError, recent)

    def api_key(self, key_id: UUID) -> ApiKey:
        return self._get(key_id, ApiKey, UnknownApiKeyError)

    def tenant(self, tenant_id: UUID) -> Tenant:
        """The platform, reseller or customer with this id (users belong to these)."""
        party = self._party(tenant_id)
        if isinstance(party, DomainGroup):
            raise UnknownTenantError(tenant_id)
        return party

    def wallet_of(self, tenant_id: UUID, *, recent: bool = False) -> UUID:
        """The ledger account that pays for ``tenant_id``: a customer in a domain group pays
        from the group's wallet; the platform, which has no wallet, from its issuance."""
        return self._wallet(self._party(tenant_id, recent), recent)

    def _wallet(self, party: Party, recent: bool = False) -> UUID:
        unit = self.platform(recent=recent).unit
        if isinstance(party, Platform):
            return account_id_for(party.id, ISSUANCE, unit)
        owner_id = party.wallet_owner_id if isinstance(party, Customer) else party.id
        return account_id_for(owner_id, WALLET, unit)

    def _ensure_active(self, party: Party, recent: bool = False) -> None:
        """Refuse a suspended tenant, or a customer or group of a suspended reseller."""
        if not party.is_active:
            raise TenantSuspendedError(party.id)
        if isinstance(party, Customer | DomainGroup):
            reseller = self.reseller(party.reseller_id, recent=recent)
            if not reseller.is_active:
                raise TenantSuspendedError(reseller.id)

    def _suspendable(self, tenant_id: UUID) -> Reseller | Customer:
        party = self._party(tenant_id)
        if not isinstance(party, Reseller | Customer):
            raise UnknownTenantError(tenant_id)
        return party

    def _party(self, party_id: UUID, recent: bool = False) -> Party:
        found = self._find(party_id, Aggregate, recent)
        if not isinstance(found, Platform | Reseller | Customer | DomainGroup):
            raise UnknownTenantError(party_id)
        return found

    def _get(self, aggregate_id: UUID, kind: type[A],
             missing: Callable[[UUID], Exception], recent: bool = False) -> A:
        found = self._find(aggregate_id, kind, recent)
        if found is None:
            raise missing(aggregate_id)
        return found

    def _find(self, aggregate_id: UUID, kind: type[A], recent: bool = False) -> A | None:
        try:
            found: object = (self.recent(aggregate_id) if recent
                             else self.repository.get(aggregate_id))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

