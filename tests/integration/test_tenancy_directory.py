"""The tenancy directory (tenants, users, API keys), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from portevoix.projections.tenancy import api_keys, tenants, users
from portevoix.services import Services, build_services
from portevoix.settings import Settings


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    services = build_services(Settings(database_url=database_url))
    yield services
    services.close()


def rows(services: Services, table, *columns):
    with services.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*(table.c[c] for c in columns))))


def test_directory_lists_tenants_users_and_keys(services: Services) -> None:
    tenancy = services.tenancy
    tenancy.create_platform()
    reseller = tenancy.create_reseller("smsplus", "SMS Plus", "a@smsplus.example")
    customer = tenancy.create_customer(reseller, "bakery", "Bakery", "paul@bakery.example")
    user = tenancy.create_user(customer, "paul@bakery.example", "Paul", "owner", "long-enough")
    key_id, secret = tenancy.create_api_key(customer, user, "shop", ["send"])
    tenancy.suspend(customer, "unpaid")
    tenancy.revoke_api_key(key_id)

    services.catch_up()

    assert rows(services, tenants, "kind", "slug", "status") == [
        ("customer", "bakery", "suspended"), ("platform", "platform", "active"),
        ("reseller", "smsplus", "active"),
    ]
    assert rows(services, users, "email", "role", "tenant_id") == [
        ("paul@bakery.example", "owner", customer)]
    [(prefix, revoked)] = rows(services, api_keys, "prefix", "revoked")
    assert secret.startswith(prefix) and revoked is True


def test_directory_rebuild_gives_the_same_rows(services: Services) -> None:
    tenancy = services.tenancy
    tenancy.create_platform()
    reseller = tenancy.create_reseller("smsplus", "SMS Plus", "a@smsplus.example")
    tenancy.create_domain_group(reseller, "villeneuve.example", "Villeneuve")
    services.catch_up()
    before = rows(services, tenants, "tenant_id", "kind", "slug", "name", "created_at")

    services.rebuild_projections()

    assert rows(services, tenants, "tenant_id", "kind", "slug", "name", "created_at") == before
