"""Domain groups: credit shared by a reseller's customers whose e-mail is at one domain.

"Partage d'un crédit" in the services we are modelled on: a company buys credit once and
every colleague at ``@mairie-lyon.fr`` sends from it. A group belongs to one reseller and one
domain (its id is derived from both, so there is at most one per reseller and domain); a
customer of that reseller whose contact address is at the domain may join it, and then its
sends are paid from the group's wallet.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from portevoix.tenants.addresses import normalise_hostname
from portevoix.tenants.names import normalise_name


def domain_group_id_for(reseller_id: UUID, domain: str) -> UUID:
    """The id of ``reseller_id``'s group for ``domain`` (any case, trailing dot or not)."""
    return uuid5(reseller_id, f"domain-group:{normalise_hostname(domain)}")


class DomainGroup(Aggregate):
    """The customers of one reseller at one e-mail domain, sharing one wallet."""

    TOPIC = "portevoix.tenants:DomainGroup"

    class Created(Aggregate.Created):
        """Unused: groups are created by ``Formed``. Declared to pin its topic."""

        TOPIC = "portevoix.tenants:DomainGroup.Created"

    class Formed(Aggregate.Created):
        TOPIC = "portevoix.tenants:DomainGroup.Formed"
        reseller_id: UUID
        domain: str
        name: str

    @staticmethod
    def create_id(reseller_id: UUID, domain: str) -> UUID:
        return domain_group_id_for(reseller_id, domain)

    @event(Formed)
    def __init__(self, reseller_id: UUID, domain: str, name: str) -> None:
        self.reseller_id, self.domain, self.name = reseller_id, domain, name

    @classmethod
    def form(cls, reseller_id: UUID, domain: str, name: str) -> DomainGroup:
        """A new group; ``domain`` is kept as a lowercase host name."""
        return cls(
            reseller_id=reseller_id, domain=normalise_hostname(domain),
            name=normalise_name(name),
        )

    @property
    def is_active(self) -> bool:
        """A group is never suspended itself (its reseller may be)."""
        return True

    def same_as(self, reseller_id: UUID, domain: str, name: str) -> bool:
        """Whether forming this group again with these values is a harmless retry."""
        return (self.reseller_id, self.domain, self.name) == (
            reseller_id, normalise_hostname(domain), normalise_name(name)
        )

    def rename(self, name: str) -> None:
        name = normalise_name(name)
        if name != self.name:
            self._renamed(name)

    @event("Renamed", topic="portevoix.tenants:DomainGroup.Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name
