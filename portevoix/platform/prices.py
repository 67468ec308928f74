"""Price lists: what a message to each destination costs, per country and operator.

The platform publishes *wholesale* lists for its resellers; each reseller publishes *retail*
lists (the seeds' "packs SMS" by operator) for its customers. An entry prices one message kind
(an SMS segment, a voice message) for a country, either for one operator or as the country's
default. A list is revised by new versions, each effective from a date; a quote uses the
version in force when it is made. Prices are integers in the list's unit at its scale, the
same exact units as the ledger.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

SMS, VOICE = "sms", "voice"
KINDS = (SMS, VOICE)
WHOLESALE, RETAIL = "wholesale", "retail"
LEVELS = (WHOLESALE, RETAIL)
_COUNTRY = re.compile(r"[A-Z]{2}")
_OPERATOR = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


class PriceListError(Exception):
    """Base of what the price lists refuse."""


class InvalidPriceEntryError(PriceListError):
    def __init__(self, entry: object, reason: str) -> None:
        super().__init__(f"invalid price entry {entry!r}: {reason}")
        self.entry, self.reason = entry, reason


class InvalidPriceListError(PriceListError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid price list: {reason}")
        self.reason = reason


class UnknownPriceListError(PriceListError):
    def __init__(self, key: object) -> None:
        super().__init__(f"no price list {key}")
        self.key = key


class BelowWholesaleError(PriceListError):
    """Retail prices under the reseller's wholesale cost, refused unless accepted explicitly."""

    def __init__(self, entries: Sequence[tuple[PriceEntry, int]]) -> None:
        shown = ", ".join(
            f"{e.country}/{e.operator or '*'}/{e.kind} {e.price} < {cost}" for e, cost in entries
        )
        super().__init__(f"retail prices below wholesale: {shown}; accept them explicitly")
        self.entries = list(entries)


@dataclass(frozen=True)
class PriceEntry:
    """``price`` for one ``kind`` of message to ``country`` (one operator, or "" for all)."""

    country: str
    operator: str
    kind: str
    price: int

    def validate(self) -> None:
        if not isinstance(self.country, str) or not _COUNTRY.fullmatch(self.country):
            raise InvalidPriceEntryError(self, "country must be an ISO 3166 alpha-2 code")
        if self.operator and (
            not isinstance(self.operator, str) or not _OPERATOR.fullmatch(self.operator)
        ):
            raise InvalidPriceEntryError(self, "operator must be an operator key or empty")
        if self.kind not in KINDS:
            raise InvalidPriceEntryError(self, f"kind must be one of {', '.join(KINDS)}")
        if type(self.price) is not int or self.price <= 0:
            raise InvalidPriceEntryError(self, "price must be a positive integer")

    @property
    def key(self) -> tuple[str, str, str]:
        return self.country, self.operator, self.kind

    def as_row(self) -> dict[str, str | int]:
        return {"country": self.country, "operator": self.operator, "kind": self.kind,
                "price": self.price}


class PriceTable:
    """The prices of one version, looked up by destination: the operator's, else the
    country's default."""

    def __init__(self, entries: Iterable[PriceEntry]) -> None:
        self._prices = {entry.key: entry.price for entry in entries}

    def price(self, country: str, operator: str, kind: str = SMS) -> int | None:
        prices = self._prices
        found = prices.get((country, operator, kind))
        if found is None:
            found = prices.get((country, "", kind))
        return found

    def __len__(self) -> int:
        return len(self._prices)


def validate_entries(entries: Sequence[PriceEntry]) -> None:
    if not entries:
        raise InvalidPriceListError("a price list needs at least one entry")
    seen: set[tuple[str, str, str]] = set()
    for entry in entries:
        entry.validate()
        if entry.key in seen:
            raise InvalidPriceEntryError(entry, "priced twice in one version")
        seen.add(entry.key)


@functools.lru_cache(maxsize=65_536)  # a hash each call; the send path asks often
def price_list_id_for(owner_id: UUID, name: str) -> UUID:
    return uuid5(owner_id, f"price-list:{name}")


def below(retail: Sequence[PriceEntry], wholesale: PriceTable) -> list[tuple[PriceEntry, int]]:
    """The retail entries priced under what the same destination costs wholesale."""
    found = []
    for entry in retail:
        cost = wholesale.price(entry.country, entry.operator, entry.kind)
        if cost is not None and entry.price < cost:
            found.append((entry, cost))
    return found


class PriceList(Aggregate):
    """A wholesale or retail price list and its versions over time."""

    TOPIC = "portevoix.platform:PriceList"

    class Created(Aggregate.Created):
        """Unused: lists are created by ``Published``. Declared to pin its topic."""

        TOPIC = "portevoix.platform:PriceList.Created"

    class Published(Aggregate.Created):
        TOPIC = "portevoix.platform:PriceList.Published"
        owner_id: UUID
        name: str
        level: str
        unit: str
        scale: int
        effective_from: datetime
        entries: list[dict[str, str | int]]
        below_wholesale_accepted: bool

    @staticmethod
    def create_id(owner_id: UUID, name: str) -> UUID:
        return price_list_id_for(owner_id, name)

    @event(Published)
    def __init__(self, owner_id: UUID, name: str, level: str, unit: str, scale: int,
                 effective_from: datetime, entries: list[dict[str, str | int]],
                 below_wholesale_accepted: bool) -> None:
        self.owner_id, self.name, self.level = owner_id, name, level
        self.unit, self.scale = unit, scale
        self.versions: list[tuple[datetime, list[dict[str, str | int]]]] = [
            (effective_from, entries)
        ]
        self.below_wholesale_accepted = below_wholesale_accepted

    @classmethod
    def publish(cls, owner_id: UUID, name: str, level: str, unit: str, scale: int,
                effective_from: datetime, entries: Sequence[PriceEntry],
                below_wholesale_accepted: bool = False) -> PriceList:
        if level not in LEVELS:
            raise InvalidPriceListError(f"level must be one of {', '.join(LEVELS)}")
        if not name.strip():
            raise InvalidPriceListError("a price list needs a name")
        _check_moment(effective_from)
        validate_entries(entries)
        return cls(owner_id=owner_id, name=name.strip(), level=level, unit=unit, scale=scale,
                   effective_from=effective_from, entries=[e.as_row() for e in entries],
                   below_wholesale_accepted=below_wholesale_accepted)

    def revise(self, effective_from: datetime, entries: Sequence[PriceEntry],
               below_wholesale_accepted: bool = False) -> None:
        """A new version, superseding the current one from ``effective_from`` on."""
        _check_moment(effective_from)
        if effective_from <= self.versions[-1][0]:
            raise InvalidPriceListError(
                "a revision must take effect after the version it supersedes "
                f"({self.versions[-1][0].isoformat()})"
            )
        validate_entries(entries)
        self._revised(effective_from, [e.as_row() for e in entries], below_wholesale_accepted)

    def version_index_at(self, when: datetime) -> int:
        """Which version is in force at ``when`` (-1: none yet)."""
        found = -1
        for index, (effective_from, _) in enumerate(self.versions):
            if effective_from <= when:
                found = index
        return found

    def entries_at(self, when: datetime) -> list[PriceEntry]:
        """The entries in force at ``when`` (none before the first version)."""
        current: list[dict[str, str | int]] = []
        for effective_from, rows in self.versions:
            if effective_from <= when:
                current = rows
        return [_entry(row) for row in current]

    def table_at(self, when: datetime) -> PriceTable:
        return PriceTable(self.entries_at(when))

    @event("Revised", topic="portevoix.platform:PriceList.Revised")
    def _revised(self, effective_from: datetime, entries: list[dict[str, str | int]],
                 below_wholesale_accepted: bool) -> None:
        self.versions.append((effective_from, entries))
        self.below_wholesale_accepted = below_wholesale_accepted


class PriceAssignment(Aggregate):
    """Which price list a reseller (wholesale) or a customer (retail) is charged by."""

    TOPIC = "portevoix.platform:PriceAssignment"

    class Created(Aggregate.Created):
        """Unused: assignments are created by ``Assigned``. Declared to pin its topic."""

        TOPIC = "portevoix.platform:PriceAssignment.Created"

    class Assigned(Aggregate.Created):
        TOPIC = "portevoix.platform:PriceAssignment.Assigned"
        tenant_id: UUID
        price_list_id: UUID

    @staticmethod
    @functools.lru_cache(maxsize=65_536)
    def create_id(tenant_id: UUID) -> UUID:
        return uuid5(tenant_id, "price-assignment")

    @event(Assigned)
    def __init__(self, tenant_id: UUID, price_list_id: UUID) -> None:
        self.tenant_id, self.price_list_id = tenant_id, price_list_id

    def reassign(self, price_list_id: UUID) -> None:
        if price_list_id != self.price_list_id:
            self._reassigned(price_list_id)

    @event("Reassigned", topic="portevoix.platform:PriceAssignment.Reassigned")
    def _reassigned(self, price_list_id: UUID) -> None:
        self.price_list_id = price_list_id


def _entry(row: Mapping[str, str | int]) -> PriceEntry:
    return PriceEntry(str(row["country"]), str(row["operator"]), str(row["kind"]),
                      int(row["price"]))


def _check_moment(when: datetime) -> None:
    if when.tzinfo is None:
        raise InvalidPriceListError("effective dates need a time zone")
