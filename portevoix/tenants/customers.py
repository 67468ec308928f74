"""Customers: the companies, associations and local authorities that send messages.

A customer belongs to one reseller (its id derives from the reseller's and its slug), sends
from a default country and time zone, and carries its account options. It pays for its sends
from its own wallet, or, once it joins a domain group, from the group's shared wallet.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from portevoix.tenants.addresses import email_domain, normalise_email
from portevoix.tenants.domain_groups import DomainGroup
from portevoix.tenants.errors import DomainMismatchError, OtherResellerError
from portevoix.tenants.locales import (
    DEFAULT_COUNTRY,
    DEFAULT_TIMEZONE,
    normalise_country,
    normalise_timezone,
)
from portevoix.tenants.names import normalise_name, normalise_slug
from portevoix.tenants.options import (
    OptionValue,
    check_consistency,
    default_options,
    validate_options,
)
from portevoix.tenants.parties import ACTIVE, CUSTOMER, SUSPENDED


def customer_id_for(reseller_id: UUID, slug: str) -> UUID:
    return uuid5(reseller_id, f"customer:{normalise_slug(slug)}")


class Customer(Aggregate):
    """A reseller's customer, its settings, and which wallet pays for its sends."""

    TOPIC = "portevoix.tenants:Customer"
    kind: ClassVar[str] = CUSTOMER

    class Created(Aggregate.Created):
        """Unused: customers are created by ``Registered``. Declared to pin its topic."""

        TOPIC = "portevoix.tenants:Customer.Created"

    class Registered(Aggregate.Created):
        TOPIC = "portevoix.tenants:Customer.Registered"
        reseller_id: UUID
        slug: str
        name: str
        contact_email: str
        default_country: str
        timezone: str
        options: dict[str, Any]

    @staticmethod
    def create_id(reseller_id: UUID, slug: str) -> UUID:
        return customer_id_for(reseller_id, slug)

    # The options in force at registration are recorded, so a later change of the defaults
    # in code never changes an existing customer on replay. An option added since the
    # customer registered is not in its event: it takes today's default.
    @event(Registered)
    def __init__(
        self, reseller_id: UUID, slug: str, name: str, contact_email: str,
        default_country: str, timezone: str, options: dict[str, Any],
    ) -> None:
        self.reseller_id, self.slug, self.name = reseller_id, slug, name
        self.contact_email = contact_email
        self.default_country, self.timezone = default_country, timezone
        self.options: dict[str, OptionValue] = {**default_options(), **options}
        self.domain_group_id: UUID | None = None
        self.status = ACTIVE

    @classmethod
    def register(
        cls, reseller_id: UUID, slug: str, name: str, contact_email: str,
        default_country: str = DEFAULT_COUNTRY, timezone: str = DEFAULT_TIMEZONE,
    ) -> Customer:
        return cls(
            reseller_id=reseller_id, slug=normalise_slug(slug), name=normalise_name(name),
            contact_email=normalise_email(contact_email),
            default_country=normalise_country(default_country),
            timezone=normalise_timezone(timezone), options=default_options(),
        )

    def same_as(
        self, reseller_id: UUID, slug: str, name: str, contact_email: str,
        default_country: str = DEFAULT_COUNTRY, timezone: str = DEFAULT_TIMEZONE,
    ) -> bool:
        """Whether registering this customer again with these values is a harmless retry."""
        mine = (self.reseller_id, self.slug, self.name, self.contact_email,
                self.default_country, self.timezone)
        return mine == (
            reseller_id, normalise_slug(slug), normalise_name(name),
            normalise_email(contact_email), normalise_country(default_country),
            normalise_timezone(timezone),
        )

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    @property
    def wallet_owner_id(self) -> UUID:
        """Whose wallet pays for this customer's sends: its domain group's, or its own."""
        return self.domain_group_id or self.id

    def rename(self, name: str) -> None:
        name = normalise_name(name)
        if name != self.name:
            self._renamed(name)

    def change_options(self, **changes: Any) -> dict[str, OptionValue]:
        """Set some options (see ``options.OPTIONS``); returns those whose value changed.

        Raises UnknownOptionError or InvalidOptionValueError, and records nothing then.
        """
        valid = validate_options(changes)
        # A customer registered before an option existed has no value for it.
        changed = {name: value for name, value in valid.items()
                   if self.options.get(name) != value}
        check_consistency({**self.options, **changed})
        if changed:
            self._options_changed(changed)
        return changed

    def join_domain_group(self, group: DomainGroup) -> None:
        """Pay from ``group``'s wallet from now on (no change if already in it).

        The group must be this customer's reseller's, and the customer's contact address
        must be at the group's domain.
        """
        if group.reseller_id != self.reseller_id:
            raise OtherResellerError(group.id, self.reseller_id)
        if email_domain(self.contact_email) != group.domain:
            raise DomainMismatchError(self.contact_email, group.domain)
        if self.domain_group_id != group.id:
            self._joined_domain_group(group.id)

    def leave_domain_group(self) -> None:
        """Pay from its own wallet again (no change if in no group)."""
        if self.domain_group_id is not None:
            self._left_domain_group(self.domain_group_id)

    def suspend(self, reason: str = "") -> None:
        if self.status != SUSPENDED:
            self._suspended(reason)

    def reactivate(self) -> None:
        if self.status != ACTIVE:
            self._reactivated()

    # Events: replayed on every load, so they hold no checks ----------------------------

    @event("Renamed", topic="portevoix.tenants:Customer.Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name

    @event("OptionsChanged", topic="portevoix.tenants:Customer.OptionsChanged")
    def _options_changed(self, changes: dict[str, Any]) -> None:
        self.options = {**self.options, **changes}

    @event("JoinedDomainGroup", topic="portevoix.tenants:Customer.JoinedDomainGroup")
    def _joined_domain_group(self, group_id: UUID) -> None:
        self.domain_group_id = group_id

    @event("LeftDomainGroup", topic="portevoix.tenants:Customer.LeftDomainGroup")
    def _left_domain_group(self, group_id: UUID) -> None:
        self.domain_group_id = None

    @event("Suspended", topic="portevoix.tenants:Customer.Suspended")
    def _suspended(self, reason: str) -> None:
        self.status = SUSPENDED

    @event("Reactivated", topic="portevoix.tenants:Customer.Reactivated")
    def _reactivated(self) -> None:
        self.status = ACTIVE
