"""Who may move credit to whom: the rules tenancy applies before asking the ledger.

Credit flows down the tenancy tree: the platform to its resellers, a reseller to its own
customers and domain groups. Between two customers of one reseller it moves sideways only
when that reseller allows it ("transférer des crédits sur un autre compte"). A grant (credit
created from the issuer's issuance account) follows the downward rules only. The ledger then
enforces the amounts; these rules only decide whether the two parties may deal at all.
"""

from __future__ import annotations

from portevoix.tenants.customers import Customer
from portevoix.tenants.domain_groups import DomainGroup
from portevoix.tenants.errors import TransferNotAllowedError
from portevoix.tenants.parties import Platform, Reseller

Party = Platform | Reseller | Customer | DomainGroup


def check_grant(issuer: Party, recipient: Party) -> None:
    """Refuse a grant unless it goes from a party to one directly beneath it."""
    reason = _downward_refusal(issuer, recipient)
    if reason:
        raise TransferNotAllowedError(issuer.id, recipient.id, reason)


def check_transfer(source: Party, target: Party, source_reseller: Reseller | None) -> None:
    """Refuse a transfer the tenancy tree does not allow.

    ``source_reseller`` is the source customer's reseller (None for other sources): it
    decides whether its customers may transfer between themselves.
    """
    if isinstance(source, Customer):
        reason = _sideways_refusal(source, target, source_reseller)
    else:
        reason = _downward_refusal(source, target)
    if reason:
        raise TransferNotAllowedError(source.id, target.id, reason)


def _downward_refusal(source: Party, target: Party) -> str:
    """Why ``source`` may not send credit down to ``target`` ("" if it may)."""
    if isinstance(source, Platform):
        if isinstance(target, Reseller):
            return ""
        return "the platform sends credit to resellers only"
    if isinstance(source, Reseller):
        if isinstance(target, Customer | DomainGroup) and target.reseller_id == source.id:
            return ""
        return "a reseller sends credit to its own customers and domain groups only"
    if isinstance(source, DomainGroup):
        return "a domain group's credit is spent by its members, not sent on"
    return "a customer has no one beneath it"


def _sideways_refusal(source: Customer, target: Party, reseller: Reseller | None) -> str:
    """Why customer ``source`` may not send credit to ``target`` ("" if it may)."""
    if not isinstance(target, Customer):
        return "a customer sends credit to other customers only"
    if target.id == source.id:
        return "a customer cannot send credit to itself"
    if target.reseller_id != source.reseller_id:
        return "the two customers have different resellers"
    if reseller is None or reseller.id != source.reseller_id:
        raise ValueError("check_transfer needs the source customer's reseller")
    if not reseller.allow_customer_transfers:
        return "the reseller does not allow transfers between its customers"
    if target.wallet_owner_id == source.wallet_owner_id:
        return "the two customers share the wallet of one domain group"
    return ""
