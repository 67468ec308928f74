"""Who is who, projected from the tenancy events: tenants, users and API keys.

The portals and the CLI look parties up here: a reseller or customer by slug, a user by
e-mail, an API key by the prefix of its secret. Volumes are small, so each event is one
statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    MetaData,
    String,
    Table,
    Uuid,
    insert,
    update,
)

from portevoix.projections.tracking import EventHandlers, Projection
from portevoix.tenants.api_keys import ApiKey
from portevoix.tenants.customers import Customer
from portevoix.tenants.domain_groups import DomainGroup
from portevoix.tenants.parties import Platform, Reseller
from portevoix.tenants.users import User

metadata = MetaData()

tenants = Table(
    "directory_tenants",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("parent_id", Uuid, index=True),
    Column("slug", String(80), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("contact_email", String(254), nullable=False),
    Column("status", String(16), nullable=False),
    Column("domain_group_id", Uuid),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "directory_users",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False, index=True),
    Column("tenant_kind", String(16), nullable=False),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_keys = Table(
    "directory_api_keys",
    metadata,
    Column("key_id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False, index=True),
    Column("user_id", Uuid, nullable=False),
    Column("name", String(200), nullable=False),
    Column("prefix", String(16), nullable=False, index=True),
    Column("scopes", String(200), nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

handles = EventHandlers()


def _tenant(event: Any, kind: str, parent_id: Any, slug: str, email: str) -> dict[str, Any]:
    return {
        "tenant_id": event.originator_id, "kind": kind, "parent_id": parent_id, "slug": slug,
        "name": event.name, "contact_email": email, "status": "active",
        "domain_group_id": None, "created_at": event.timestamp,
    }


def _set_tenant(conn: Connection, event: Any, **values: Any) -> None:
    conn.execute(update(tenants).where(tenants.c.tenant_id == event.originator_id)
                 .values(**values))


@handles
def platform_established(event: Platform.Established, conn: Connection) -> None:
    conn.execute(insert(tenants).values(_tenant(event, "platform", None, "platform", "")))


@handles
def reseller_registered(event: Reseller.Registered, conn: Connection) -> None:
    conn.execute(insert(tenants).values(
        _tenant(event, "reseller", None, event.slug, event.contact_email)))


@handles
def customer_registered(event: Customer.Registered, conn: Connection) -> None:
    conn.execute(insert(tenants).values(
        _tenant(event, "customer", event.reseller_id, event.slug, event.contact_email)))


@handles
def domain_group_formed(event: DomainGroup.Formed, conn: Connection) -> None:
    conn.execute(insert(tenants).values(
        _tenant(event, "domain_group", event.reseller_id, event.domain, "")))


@handles
def renamed(
    event: Platform.Renamed | Reseller.Renamed | Customer.Renamed | DomainGroup.Renamed,
    conn: Connection,
) -> None:
    _set_tenant(conn, event, name=event.name)


@handles
def suspended(event: Reseller.Suspended | Customer.Suspended, conn: Connection) -> None:
    _set_tenant(conn, event, status="suspended")


@handles
def reactivated(event: Reseller.Reactivated | Customer.Reactivated, conn: Connection) -> None:
    _set_tenant(conn, event, status="active")


@handles
def customer_joined_group(event: Customer.JoinedDomainGroup, conn: Connection) -> None:
    _set_tenant(conn, event, domain_group_id=event.group_id)


@handles
def customer_left_group(event: Customer.LeftDomainGroup, conn: Connection) -> None:
    _set_tenant(conn, event, domain_group_id=None)


@handles
def user_registered(event: User.Registered, conn: Connection) -> None:
    conn.execute(insert(users).values(
        user_id=event.originator_id, tenant_id=event.tenant_id, tenant_kind=event.tenant_kind,
        email=event.email, name=event.name, role=event.role, active=True,
        created_at=event.timestamp,
    ))


@handles
def user_role_changed(event: User.RoleChanged, conn: Connection) -> None:
    conn.execute(update(users).where(users.c.user_id == event.originator_id)
                 .values(role=event.role))


@handles
def user_deactivated(event: User.Deactivated, conn: Connection) -> None:
    conn.execute(update(users).where(users.c.user_id == event.originator_id)
                 .values(active=False))


@handles
def api_key_issued(event: ApiKey.Issued, conn: Connection) -> None:
    conn.execute(insert(api_keys).values(
        key_id=event.originator_id, tenant_id=event.tenant_id, user_id=event.user_id,
        name=event.name, prefix=event.prefix, scopes=",".join(event.scopes), revoked=False,
        created_at=event.timestamp,
    ))


@handles
def api_key_revoked(event: ApiKey.Revoked, conn: Connection) -> None:
    conn.execute(update(api_keys).where(api_keys.c.key_id == event.originator_id)
                 .values(revoked=True))


class TenancyDirectory(Projection):
    """``directory_tenants``, ``directory_users`` and ``directory_api_keys``."""

    name = "directory"
    metadata = metadata

    def apply_page(self, events: Sequence[Any], conn: Connection) -> None:
        handles.apply(events, conn)
