"""The pricing application: publish and revise price lists, assign them, look prices up."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from portevoix.platform.prices import (
    RETAIL,
    BelowWholesaleError,
    InvalidPriceListError,
    PriceAssignment,
    PriceEntry,
    PriceList,
    PriceTable,
    UnknownPriceListError,
    below,
)
from portevoix.recent_reads import RecentReads

_TABLES_KEPT = 256


class Pricing(RecentReads, Application[UUID]):
    """Wholesale and retail price lists, and who is charged by which."""

    name = "pricing"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        # Price tables built from a list's version, kept: a table is a dict of every entry.
        self._tables: dict[tuple[UUID, int, int], PriceTable] = {}
        self._tables_lock = threading.Lock()

    def publish_price_list(
        self, owner_id: UUID, name: str, level: str, unit: str, scale: int,
        entries: Sequence[PriceEntry], effective_from: datetime,
        accept_below_wholesale: bool = False,
    ) -> UUID:
        """Publish ``owner_id``'s list ``name``; publishing it again as it is changes nothing.

        A retail list priced under its owner's wholesale list at any destination is refused
        with the entries concerned, unless ``accept_below_wholesale``.
        """
        price_list = PriceList.publish(owner_id, name, level, unit, scale, effective_from,
                                       entries, accept_below_wholesale)
        if level == RETAIL:
            self._check_margins(owner_id, entries, effective_from, accept_below_wholesale)
        try:
            self.save(price_list)
        except IntegrityError:
            existing = self.price_list(price_list.id)
            if existing.versions != price_list.versions or existing.level != level:
                raise InvalidPriceListError(
                    f"{name!r} is already published with other prices: revise it"
                ) from None
        return price_list.id

    def revise_price_list(
        self, price_list_id: UUID, entries: Sequence[PriceEntry], effective_from: datetime,
        accept_below_wholesale: bool = False,
    ) -> None:
        price_list = self.price_list(price_list_id)
        if price_list.level == RETAIL:
            self._check_margins(price_list.owner_id, entries, effective_from,
                                accept_below_wholesale)
        price_list.revise(effective_from, entries, accept_below_wholesale)
        self.save(price_list)

    def assign(self, tenant_id: UUID, price_list_id: UUID) -> None:
        """Charge ``tenant_id`` by the list from now on."""
        self.price_list(price_list_id)
        try:
            assignment: PriceAssignment = self.repository.get(PriceAssignment.create_id(tenant_id))
        except AggregateNotFoundError:
            assignment = PriceAssignment(tenant_id=tenant_id, price_list_id=price_list_id)
        else:
            assignment.reassign(price_list_id)
        self.save(assignment)

    def price_list(self, price_list_id: UUID, *, recent: bool = False) -> PriceList:
        """With ``recent``, as last read (``recent_reads``), shared: for reading only."""
        try:
            found: object = (self.recent(price_list_id) if recent
                             else self.repository.get(price_list_id))
        except AggregateNotFoundError:
            raise UnknownPriceListError(price_list_id) from None
        if not isinstance(found, PriceList):
            raise UnknownPriceListError(price_list_id)
        return found

    def assigned_list(self, tenant_id: UUID, *, recent: bool = False) -> PriceList:
        assignment_id = PriceAssignment.create_id(tenant_id)
        try:
            assignment: PriceAssignment = (self.recent(assignment_id) if recent
                                           else self.repository.get(assignment_id))
        except AggregateNotFoundError:
            raise UnknownPriceListError(f"assigned to {tenant_id}") from None
        return self.price_list(assignment.price_list_id, recent=recent)

    def table_for(self, tenant_id: UUID, when: datetime, *, recent: bool = False) -> PriceTable:
        """The prices ``tenant_id`` is charged at ``when`` (``recent``: see ``price_list``)."""
        price_list = self.assigned_list(tenant_id, recent=recent)
        key = (price_list.id, price_list.version, price_list.version_index_at(when))
        with self._tables_lock:
            table = self._tables.get(key)
        if table is None:
            table = price_list.table_at(when)
            with self._tables_lock:
                if len(self._tables) >= _TABLES_KEPT:
                    self._tables.clear()
                self._tables[key] = table
        return table

    def _check_margins(self, owner_id: UUID, entries: Sequence[PriceEntry], when: datetime,
                       accepted: bool) -> None:
        try:
            wholesale = self.table_for(owner_id, when)
        except UnknownPriceListError:
            return  # no wholesale list yet: nothing to be below
        losses = below(entries, wholesale)
        if losses and not accepted:
            raise BelowWholesaleError(losses)
