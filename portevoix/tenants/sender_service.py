"""The sender-ID application: requests, the approvals on them, and which sender a send uses.

Tenancy says who is who (a customer's reseller, its options, the reseller's branding); this
application records the sender IDs themselves. Each customer's approved IDs are also kept in
a ``CustomerSenders`` aggregate saved in the same transaction as the decision, so ``check``
(called on every send) answers from one load, consistently with the last approval, without
waiting for a projection to catch up.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from portevoix.recent_reads import RecentReads
from portevoix.tenants.customers import Customer
from portevoix.tenants.directory import Directory
from portevoix.tenants.errors import TenantSuspendedError
from portevoix.tenants.sender_ids import (
    APPROVED,
    CustomerSenders,
    SenderId,
    SenderIdNotAllowedError,
    SenderIdRule,
    UnknownSenderIdError,
    customer_senders_id_for,
    sender_id_for,
    sender_key,
)

A = TypeVar("A", bound=Aggregate)


class SenderIds(RecentReads, Application[UUID]):
    """Customers' sender IDs, decided by their resellers and, where needed, the platform."""

    name = "senders"

    def __init__(self, tenancy: Directory, env: dict[str, str] | None = None,
                 rule: SenderIdRule | None = None) -> None:
        """``tenancy`` is the Tenancy application; ``rule`` carries the platform's protected
        brands and generic words (by default: no brands, ``sender_ids.GENERIC_WORDS``)."""
        super().__init__(env)
        self.tenancy = tenancy
        self.rule = rule or SenderIdRule()

    def request(self, customer_id: UUID, value: str,
                needs_platform_approval: bool = False) -> UUID:
        """Ask for ``value`` as a sender of an active customer; returns the request's id.

        Raises InvalidSenderIdError before anything is recorded. Requesting again a value
        refused or revoked reopens it; a pending or approved one is returned as it is.
        """
        customer = self._active_customer(customer_id)
        value = self.rule.check(value)
        existing = self._find(sender_id_for(customer_id, value), SenderId)
        if existing is None:
            sender = SenderId.request(customer_id, customer.reseller_id, value,
                                      needs_platform_approval, self.rule)
            try:
                self.save(sender)
                return sender.id
            except IntegrityError:  # requested concurrently: carry on with the winner
                existing = self.sender_id(sender.id)
        existing.request_again(value, needs_platform_approval, self.rule)
        self.save(existing)
        return existing.id

    def approve(self, sender_id: UUID, by_tenant_id: UUID) -> None:
        """The customer's reseller approves, then the platform if the request needs it."""
        sender = self.sender_id(sender_id)
        sender.approve(by_tenant_id, self.rule)
        self._save_with_index(sender)

    def refuse(self, sender_id: UUID, by_tenant_id: UUID, reason: str) -> None:
        sender = self.sender_id(sender_id)
        sender.refuse(by_tenant_id, reason)
        self.save(sender)

    def revoke(self, sender_id: UUID, by_tenant_id: UUID, reason: str = "") -> None:
        """Stop an approved ID being used: by the customer, its reseller or the platform."""
        sender = self.sender_id(sender_id)
        sender.revoke(by_tenant_id, reason)
        self._save_with_index(sender)

    def sender_id(self, sender_id: UUID) -> SenderId:
        found = self._find(sender_id, SenderId)
        if found is None:
            raise UnknownSenderIdError(sender_id)
        return found

    def approved_senders(self, customer_id: UUID) -> list[str]:
        """The customer's approved sender IDs as approved, sorted without regard to case."""
        index = self._find(customer_senders_id_for(customer_id), CustomerSenders)
        return index.values() if index is not None else []

    def check(self, customer_id: UUID, sender: str | None) -> str:
        """The sender a send of ``customer_id`` goes out with, or SenderIdNotAllowedError
        (result code 97).

        A named sender must be one of the customer's approved IDs (matched without regard to
        case; the approved spelling is returned) or its reseller's default sender. Naming
        none gives the customer's ``default_sender`` option if it is approved, else the
        reseller's default sender (branding, not subject to approval).
        """
        customer = self.tenancy.customer(customer_id, recent=True)
        index = self._find(customer_senders_id_for(customer_id), CustomerSenders, recent=True)
        named = sender if sender and sender.strip() else None
        default = customer.options.get("default_sender")
        wanted = named or (default if isinstance(default, str) and default else None)
        found = index.find(wanted) if index is not None and wanted else None
        if found is not None:
            return found
        reseller_default = self.tenancy.reseller(customer.reseller_id, recent=True).branding.get(
            "default_sender", "")
        if reseller_default and (
            named is None or sender_key(named) == sender_key(reseller_default)
        ):
            return reseller_default
        raise SenderIdNotAllowedError(customer_id, sender)

    # Internals --------------------------------------------------------------------------

    def _save_with_index(self, sender: SenderId) -> None:
        """Save ``sender`` and, when its approval changed, its customer's index with it."""
        index = self._find(customer_senders_id_for(sender.customer_id), CustomerSenders)
        if sender.status == APPROVED:
            if index is None:
                index = CustomerSenders(customer_id=sender.customer_id)
            index.add(sender)
        elif index is not None:
            index.remove(sender)
        self.save(sender, index)  # both or neither; a concurrent change collides here

    def _active_customer(self, customer_id: UUID) -> Customer:
        customer = self.tenancy.customer(customer_id)
        if not customer.is_active:
            raise TenantSuspendedError(customer.id)
        reseller = self.tenancy.reseller(customer.reseller_id)
        if not reseller.is_active:
            raise TenantSuspendedError(reseller.id)
        return customer

    def _find(self, aggregate_id: UUID, kind: type[A], recent: bool = False) -> A | None:
        try:
            found: object = (self.recent(aggregate_id) if recent
                             else self.repository.get(aggregate_id))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None
