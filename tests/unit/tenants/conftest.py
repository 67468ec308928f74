"""Builders for tenancy's unit tests: a platform on the in-memory stores, and its cast."""

from __future__ import annotations

from itertools import count
from typing import Any
from uuid import UUID, uuid4

import pytest

from portevoix.ledger.services import Ledger
from portevoix.tenants.parties import PLATFORM_ID
from portevoix.tenants.services import Tenancy

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
PASSWORD = "correct horse battery"
# scrypt at its production cost takes ~40 ms a hash; the tests only need it to be scrypt.
TEST_SCRYPT_N = 16


class World:
    """A ledger and a tenancy with the platform established; builders for the rest."""

    def __init__(self, establish: bool = True) -> None:
        self.ledger = Ledger(env=POPO)
        self.tenancy = Tenancy(self.ledger, env=POPO, scrypt_n=TEST_SCRYPT_N)
        if establish:
            self.tenancy.create_platform()
        self._numbers = count(1)

    def a_reseller(self, slug: str = "", *, allows_customer_transfers: bool = False) -> UUID:
        slug = slug or f"reseller-{next(self._numbers)}"
        reseller_id = self.tenancy.create_reseller(slug, f"Reseller {slug}", f"ops@{slug}.fr")
        if allows_customer_transfers:
            self.tenancy.permit_customer_transfers(reseller_id)
        return reseller_id

    def a_customer(self, reseller_id: UUID, slug: str = "", email: str = "") -> UUID:
        slug = slug or f"customer-{next(self._numbers)}"
        email = email or f"contact@{slug}.fr"
        return self.tenancy.create_customer(reseller_id, slug, f"Customer {slug}", email)

    def a_domain_group(self, reseller_id: UUID, domain: str) -> UUID:
        return self.tenancy.create_domain_group(reseller_id, domain, f"Everyone at {domain}")

    def a_user(self, tenant_id: UUID, role: str = "owner", email: str = "") -> UUID:
        email = email or f"user-{next(self._numbers)}@example.com"
        return self.tenancy.create_user(tenant_id, email, "Ana Martin", role, PASSWORD)

    def funded(self, tenant_id: UUID, amount: int) -> UUID:
        """Grant ``amount`` to ``tenant_id`` from its parent (the platform for a reseller,
        the reseller for a customer or a domain group)."""
        party = self.tenancy.repository.get(tenant_id)
        issuer = getattr(party, "reseller_id", PLATFORM_ID)
        self.tenancy.grant_credit(issuer, uuid4(), tenant_id, amount)
        return tenant_id

    def available(self, tenant_id: UUID) -> int:
        """What the wallet paying for ``tenant_id`` can still spend."""
        return self.ledger.account(self.tenancy.wallet_of(tenant_id)).available

    def notifications(self) -> list[Any]:
        return list(self.tenancy.recorder.select_notifications(start=1, limit=10**6))

    def events(self) -> list[Any]:
        return [self.tenancy.mapper.to_domain_event(n) for n in self.notifications()]

    def stored_state(self) -> bytes:
        """Every event tenancy recorded, serialised, end to end."""
        return b"".join(notification.state for notification in self.notifications())


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def bare_world() -> World:
    """A world whose platform is not established yet."""
    return World(establish=False)


@pytest.fixture
def tenancy(world: World) -> Tenancy:
    return world.tenancy


@pytest.fixture
def ledger(world: World) -> Ledger:
    return world.ledger
