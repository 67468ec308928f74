"""The platform and its resellers: who sells credit to whom.

There is one platform (its id is a constant); it sells wholesale credit to resellers, each of
which runs a branded client area on its own domains for its customers (see ``customers.py``).
Ids are derived from natural keys (uuid5 of the parent's id and the slug), so creating the
same reseller twice collides in the event store instead of making a twin.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from portevoix.tenants.addresses import normalise_email, normalise_hostname
from portevoix.tenants.branding import default_branding, validate_branding
from portevoix.tenants.errors import InvalidUnitError
from portevoix.tenants.names import normalise_name, normalise_slug

PLATFORM_ID = uuid5(NAMESPACE_URL, "portevoix:platform")
ACTIVE, SUSPENDED = "active", "suspended"
PLATFORM, RESELLER, CUSTOMER = "platform", "reseller", "customer"
_UNIT = re.compile(r"[A-Z]{2,10}")
MAX_SCALE = 6


def reseller_id_for(slug: str) -> UUID:
    return uuid5(PLATFORM_ID, f"reseller:{normalise_slug(slug)}")


class Platform(Aggregate):
    """The operator: the one party above every reseller, and the unit credit is kept in."""

    TOPIC = "portevoix.tenants:Platform"
    kind: ClassVar[str] = PLATFORM

    class Created(Aggregate.Created):
        """Unused: the platform is created by ``Established``. Declared to pin its topic."""

        TOPIC = "portevoix.tenants:Platform.Created"

    class Established(Aggregate.Created):
        TOPIC = "portevoix.tenants:Platform.Established"
        name: str
        unit: str
        scale: int

    @staticmethod
    def create_id() -> UUID:
        return PLATFORM_ID

    @event(Established)
    def __init__(self, name: str, unit: str, scale: int) -> None:
        self.name, self.unit, self.scale = name, unit, scale

    @classmethod
    def establish(cls, name: str = "Portevoix", unit: str = "SMS", scale: int = 3) -> Platform:
        """The platform, counting credit in ``unit`` at ``10**-scale`` (thousandths of an SMS
        by default)."""
        if (not isinstance(unit, str) or not _UNIT.fullmatch(unit)
                or type(scale) is not int or not 0 <= scale <= MAX_SCALE):
            raise InvalidUnitError(unit, scale)
        return cls(name=normalise_name(name), unit=unit, scale=scale)

    @property
    def is_active(self) -> bool:
        """The platform is never suspended."""
        return True

    def same_as(self, name: str, unit: str, scale: int) -> bool:
        return (self.name, self.unit, self.scale) == (normalise_name(name), unit, scale)

    def rename(self, name: str) -> None:
        name = normalise_name(name)
        if name != self.name:
            self._renamed(name)

    @event("Renamed", topic="portevoix.tenants:Platform.Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name


class Reseller(Aggregate):
    """A reseller: its domains, its branding, and what it lets its customers do."""

    TOPIC = "portevoix.tenants:Reseller"
    kind: ClassVar[str] = RESELLER

    class Created(Aggregate.Created):
        """Unused: resellers are created by ``Registered``. Declared to pin its topic."""

        TOPIC = "portevoix.tenants:Reseller.Created"

    class Registered(Aggregate.Created):
        TOPIC = "portevoix.tenants:Reseller.Registered"
        slug: str
        name: str
        contact_email: str

    @staticmethod
    def create_id(slug: str) -> UUID:
        return reseller_id_for(slug)

    @event(Registered)
    def __init__(self, slug: str, name: str, contact_email: str) -> None:
        self.slug, self.name, self.contact_email = slug, name, contact_email
        self.domains: list[str] = []
        self.branding: dict[str, str] = default_branding(name, contact_email)
        self.allow_customer_transfers = False
        self.status = ACTIVE

    @classmethod
    def register(cls, slug: str, name: str, contact_email: str) -> Reseller:
        return cls(
            slug=normalise_slug(slug), name=normalise_name(name),
            contact_email=normalise_email(contact_email),
        )

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    def same_as(self, slug: str, name: str, contact_email: str) -> bool:
        """Whether registering this reseller again with these values is a harmless retry."""
        return (self.slug, self.name, self.contact_email) == (
            normalise_slug(slug), normalise_name(name), normalise_email(contact_email)
        )

    def rename(self, name: str) -> None:
        name = normalise_name(name)
        if name != self.name:
            self._renamed(name)

    def add_domain(self, domain: str) -> None:
        """Serve the branded client area on ``domain`` too (no change if it already is).

        That no two resellers claim one domain is checked against the domains projection.
        """
        domain = normalise_hostname(domain)
        if domain not in self.domains:
            self._domain_added(domain)

    def remove_domain(self, domain: str) -> None:
        domain = normalise_hostname(domain)
        if domain in self.domains:
            self._domain_removed(domain)

    def update_branding(self, **changes: Any) -> None:
        """Change some branding fields (see ``branding.validate_branding``)."""
        valid = validate_branding(changes)
        changed = {field: value for field, value in valid.items()
                   if self.branding.get(field) != value}
        if changed:
            self._branding_updated(changed)

    def permit_customer_transfers(self) -> None:
        """Let this reseller's customers move credit between themselves."""
        if not self.allow_customer_transfers:
            self._customer_transfers_permitted()

    def forbid_customer_transfers(self) -> None:
        if self.allow_customer_transfers:
            self._customer_transfers_forbidden()

    def suspend(self, reason: str = "") -> None:
        """Stop the reseller and, through it, all its customers (no change if suspended)."""
        if self.status != SUSPENDED:
            self._suspended(reason)

    def reactivate(self) -> None:
        if self.status != ACTIVE:
            self._reactivated()

    # Events: replayed on every load, so they hold no checks ----------------------------

    @event("Renamed", topic="portevoix.tenants:Reseller.Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name

    @event("DomainAdded", topic="portevoix.tenants:Reseller.DomainAdded")
    def _domain_added(self, domain: str) -> None:
        self.domains = [*self.domains, domain]

    @event("DomainRemoved", topic="portevoix.tenants:Reseller.DomainRemoved")
    def _domain_removed(self, domain: str) -> None:
        self.domains = [d for d in self.domains if d != domain]

    @event("BrandingUpdated", topic="portevoix.tenants:Reseller.BrandingUpdated")
    def _branding_updated(self, changes: dict[str, str]) -> None:
        self.branding = {**self.branding, **changes}

    @event("CustomerTransfersPermitted",
           topic="portevoix.tenants:Reseller.CustomerTransfersPermitted")
    def _customer_transfers_permitted(self) -> None:
        self.allow_customer_transfers = True

    @event("CustomerTransfersForbidden",
           topic="portevoix.tenants:Reseller.CustomerTransfersForbidden")
    def _customer_transfers_forbidden(self) -> None:
        self.allow_customer_transfers = False

    @event("Suspended", topic="portevoix.tenants:Reseller.Suspended")
    def _suspended(self, reason: str) -> None:
        self.status = SUSPENDED

    @event("Reactivated", topic="portevoix.tenants:Reseller.Reactivated")
    def _reactivated(self) -> None:
        self.status = ACTIVE
