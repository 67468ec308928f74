"""Naming tenants on the command line.

``platform``; a reseller by its slug (``smsplus``); a customer as ``reseller/customer``; a
domain group as ``reseller/@domain``. Each names one id, checked to exist.
"""

from __future__ import annotations

import contextlib
from uuid import UUID

import click

from portevoix.tenants.customers import customer_id_for
from portevoix.tenants.domain_groups import domain_group_id_for
from portevoix.tenants.errors import TenancyError
from portevoix.tenants.parties import PLATFORM_ID, reseller_id_for
from portevoix.tenants.services import Tenancy
from portevoix.tenants.users import user_id_for


def tenant_id(tenancy: Tenancy, ref: str) -> UUID:
    """The id of the tenant ``ref`` names; a usage error when there is none."""
    try:
        found = _tenant_id(ref)
        tenancy.wallet_of(found)  # exists (and has a wallet or an issuance account)
    except (TenancyError, ValueError) as error:
        raise click.BadParameter(f"no tenant {ref!r} ({error})", param_hint="TENANT") from None
    return found


def _tenant_id(ref: str) -> UUID:
    if ref == "platform":
        return PLATFORM_ID
    reseller, _, rest = ref.partition("/")
    reseller_id = reseller_id_for(reseller)
    if not rest:
        return reseller_id
    if rest.startswith("@"):
        return domain_group_id_for(reseller_id, rest[1:])
    return customer_id_for(reseller_id, rest)


def parent_id(tenancy: Tenancy, tenant_id: UUID) -> UUID:
    """Who issues credit to ``tenant_id``: its reseller, or the platform for a reseller."""
    for lookup in (tenancy.customer, tenancy.domain_group):
        with contextlib.suppress(TenancyError):
            return lookup(tenant_id).reseller_id
    return PLATFORM_ID


def user_id(tenancy: Tenancy, email: str) -> UUID:
    try:
        return tenancy.user(user_id_for(email)).id
    except TenancyError:
        raise click.BadParameter(f"no user {email!r}", param_hint="--user") from None
