"""Provisioning: the platform, resellers, customers, domain groups, users and API keys."""

from __future__ import annotations

from collections.abc import Iterator

import click

from portevoix.cli import refs
from portevoix.cli.app import Context, cli, emit, json_option, pass_context
from portevoix.tenants.api_keys import API_SCOPES
from portevoix.tenants.users import ROLES


@cli.group()
def platform() -> None:
    """The platform itself."""


@platform.command("create")
@click.option("--name", default="Portevoix", show_default=True)
@click.option("--unit", default="SMS", show_default=True, help="What credit counts.")
@click.option("--scale", default=3, show_default=True, help="Decimals kept of the unit.")
@json_option
@pass_context
def create_platform(context: Context, name: str, unit: str, scale: int, as_json: bool) -> None:
    """Establish the platform and open its issuance and revenue accounts."""
    platform_id = context.services.tenancy.create_platform(name, unit, scale)
    emit(as_json, {"id": platform_id}, lambda: iter([f"platform {platform_id}"]))


@cli.group()
def reseller() -> None:
    """Resellers of the platform."""


@reseller.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--email", required=True, help="Contact e-mail address.")
@json_option
@pass_context
def create_reseller(context: Context, slug: str, name: str, email: str, as_json: bool) -> None:
    """Register a reseller, with its wallet, issuance and revenue accounts."""
    reseller_id = context.services.tenancy.create_reseller(slug, name, email)
    emit(as_json, {"id": reseller_id, "slug": slug},
         lambda: iter([f"reseller {slug} {reseller_id}"]))


@cli.group()
def customer() -> None:
    """Customers of a reseller."""


@customer.command("create")
@click.argument("reseller_slug")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--email", required=True, help="Contact e-mail address.")
@click.option("--country", default="FR", show_default=True, help="Default country (ISO).")
@click.option("--timezone", default="Europe/Paris", show_default=True)
@json_option
@pass_context
def create_customer(context: Context, reseller_slug: str, slug: str, name: str, email: str,
                    country: str, timezone: str, as_json: bool) -> None:
    """Register a customer of RESELLER_SLUG, with its wallet."""
    tenancy = context.services.tenancy
    reseller_id = refs.tenant_id(tenancy, reseller_slug)
    customer_id = tenancy.create_customer(reseller_id, slug, name, email, country, timezone)
    emit(as_json, {"id": customer_id, "ref": f"{reseller_slug}/{slug}"},
         lambda: iter([f"customer {reseller_slug}/{slug} {customer_id}"]))


@cli.group()
def group() -> None:
    """E-mail domain groups sharing one wallet."""


@group.command("create")
@click.argument("reseller_slug")
@click.argument("domain")
@click.option("--name", required=True)
@json_option
@pass_context
def create_group(context: Context, reseller_slug: str, domain: str, name: str,
                 as_json: bool) -> None:
    """Form RESELLER_SLUG's group for the e-mail DOMAIN, with its shared wallet."""
    tenancy = context.services.tenancy
    group_id = tenancy.create_domain_group(refs.tenant_id(tenancy, reseller_slug), domain, name)
    emit(as_json, {"id": group_id, "ref": f"{reseller_slug}/@{domain}"},
         lambda: iter([f"group {reseller_slug}/@{domain} {group_id}"]))


@group.command("join")
@click.argument("customer_ref")
@click.argument("group_ref")
@pass_context
def join_group(context: Context, customer_ref: str, group_ref: str) -> None:
    """Make CUSTOMER_REF pay from GROUP_REF's shared wallet."""
    tenancy = context.services.tenancy
    tenancy.join_domain_group(refs.tenant_id(tenancy, customer_ref),
                              refs.tenant_id(tenancy, group_ref))
    click.echo(f"{customer_ref} now pays from {group_ref}")


@cli.group()
def user() -> None:
    """People who sign in."""


@user.command("create")
@click.argument("tenant_ref")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), default="owner", show_default=True)
@click.password_option(help="At least 8 characters.")
@json_option
@pass_context
def create_user(context: Context, tenant_ref: str, email: str, name: str, role: str,
                password: str, as_json: bool) -> None:
    """Register a user of TENANT_REF."""
    tenancy = context.services.tenancy
    user_id = tenancy.create_user(refs.tenant_id(tenancy, tenant_ref), email, name, role,
                                  password)
    emit(as_json, {"id": user_id, "email": email}, lambda: iter([f"user {email} {user_id}"]))


@cli.group()
def apikey() -> None:
    """API keys for the HTTP interfaces."""


@apikey.command("create")
@click.argument("tenant_ref")
@click.option("--user", "email", required=True, help="The user the key acts for.")
@click.option("--name", required=True)
@click.option("--scope", "scopes", multiple=True, type=click.Choice(API_SCOPES),
              default=("send", "read", "balance"), show_default=True)
@json_option
@pass_context
def create_api_key(context: Context, tenant_ref: str, email: str, name: str,
                   scopes: tuple[str, ...], as_json: bool) -> None:
    """Issue a key; its secret is printed now and never again."""
    tenancy = context.services.tenancy
    key_id, secret = tenancy.create_api_key(
        refs.tenant_id(tenancy, tenant_ref), refs.user_id(tenancy, email), name, list(scopes)
    )

    def human() -> Iterator[str]:
        yield f"key {key_id}"
        yield f"secret {secret}  (shown once: store it now)"

    emit(as_json, {"id": key_id, "secret": secret, "scopes": list(scopes)}, human)


@apikey.command("revoke")
@click.argument("key_id", type=click.UUID)
@pass_context
def revoke_api_key(context: Context, key_id: object) -> None:
    """Revoke a key: it stops working at once."""
    context.services.tenancy.revoke_api_key(key_id)  # type: ignore[arg-type]
    click.echo(f"revoked {key_id}")
