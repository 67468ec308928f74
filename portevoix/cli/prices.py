"""Price lists and quotes: publish, revise, assign, show the Packs SMS table, quote a send."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import UUID

import click

from portevoix.cli import refs
from portevoix.cli.app import Context, cli, emit, json_option, pass_context, refusal_as_usage
from portevoix.ledger.amounts import format_amount, parse_amount
from portevoix.platform.prices import SMS, PriceEntry, price_list_id_for
from portevoix.projections.price_lists import prices as price_rows

entry_option = click.option(
    "--entry", "entries", multiple=True, required=True, metavar="COUNTRY[/OPERATOR][:KIND]=PRICE",
    help="A price per SMS segment (or voice message): FR=1, TN/ooredoo-tn=2.2, FR:voice=1.41.",
)
effective_option = click.option(
    "--effective", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]), default=None,
    help="When it takes effect (UTC; default now).",
)
accept_option = click.option("--accept-below-wholesale", is_flag=True,
                             help="Record retail prices under the wholesale cost anyway.")


def _entries(context: Context, texts: tuple[str, ...]) -> list[PriceEntry]:
    scale = context.services.tenancy.platform().scale
    entries = []
    for text in texts:
        where, equals, price = text.partition("=")
        destination, _, kind = where.partition(":")
        country, _, operator = destination.partition("/")
        if not equals or not country:
            raise click.BadParameter(f"{text!r} is not COUNTRY[/OPERATOR][:KIND]=PRICE",
                                     param_hint="--entry")
        with refusal_as_usage("--entry"):
            amount = parse_amount(price, scale)
        entries.append(PriceEntry(country.upper(), operator, kind or SMS, amount))
    return entries


def _moment(value: datetime | None) -> datetime:
    return value.replace(tzinfo=UTC) if value else datetime.now(UTC)


def _list_id(context: Context, ref: str) -> UUID:
    owner, _, name = ref.rpartition("/")
    return price_list_id_for(refs.tenant_id(context.services.tenancy, owner or "platform"), name)


@cli.group()
def prices() -> None:
    """Wholesale and retail price lists (the Packs SMS)."""


@prices.command("publish")
@click.argument("owner_ref")
@click.argument("name")
@entry_option
@effective_option
@accept_option
@pass_context
def publish(context: Context, owner_ref: str, name: str, entries: tuple[str, ...],
            effective: datetime | None, accept_below_wholesale: bool) -> None:
    """Publish OWNER_REF's price list NAME: wholesale for the platform, retail for a
    reseller."""
    services = context.services
    list_id = services.price_book.publish(
        refs.tenant_id(services.tenancy, owner_ref), name, _entries(context, entries),
        _moment(effective), accept_below_wholesale,
    )
    click.echo(f"price list {owner_ref}/{name} {list_id}")


@prices.command("revise")
@click.argument("list_ref", metavar="OWNER/NAME")
@entry_option
@effective_option
@accept_option
@pass_context
def revise(context: Context, list_ref: str, entries: tuple[str, ...],
           effective: datetime | None, accept_below_wholesale: bool) -> None:
    """Supersede the list's prices from --effective on."""
    context.services.pricing.revise_price_list(
        _list_id(context, list_ref), _entries(context, entries), _moment(effective),
        accept_below_wholesale,
    )
    click.echo(f"revised {list_ref}")


@prices.command("assign")
@click.argument("tenant_ref")
@click.argument("list_ref", metavar="OWNER/NAME")
@pass_context
def assign(context: Context, tenant_ref: str, list_ref: str) -> None:
    """Charge TENANT_REF by the list."""
    services = context.services
    services.price_book.assign(refs.tenant_id(services.tenancy, tenant_ref),
                               _list_id(context, list_ref))
    click.echo(f"{tenant_ref} is charged by {list_ref}")


@prices.command("show")
@click.argument("list_ref", metavar="OWNER/NAME")
@click.option("--country", default=None, help="ISO code, e.g. TN.")
@click.option("--prefix", default=None, help="An operator's number prefix, e.g. +216 20.")
@click.option("--keyword", default=None, help="In the country's name or the operator's key.")
@effective_option
@json_option
@pass_context
def show(context: Context, list_ref: str, country: str | None, prefix: str | None,
         keyword: str | None, effective: datetime | None, as_json: bool) -> None:
    """The list's prices in force (now, or at --effective)."""
    services = context.services
    services.catch_up()
    rows = price_rows(services.engine, _list_id(context, list_ref), _moment(effective),
                      country=country, operator_prefix=prefix, keyword=keyword)
    data = [{"country": r.country, "country_name": r.country_name,
             "operator": r.operator or "*", "kind": r.kind,
             "price": format_amount(r.price, r.scale), "unit": r.unit} for r in rows]

    def human() -> Iterator[str]:
        yield f"{'country':24} {'operator':22} {'kind':6} {'price':>10}"
        for row in data:
            yield (f"{row['country']} {row['country_name'][:21]:21} {row['operator']:22} "
                   f"{row['kind']:6} {row['price']:>10} {row['unit']}")

    emit(as_json, data, human)


@cli.command("quote")
@click.argument("customer_ref")
@click.argument("numbers", nargs=-1, required=True)
@click.option("--text", required=True)
@json_option
@pass_context
def quote_command(context: Context, customer_ref: str, numbers: tuple[str, ...], text: str,
                  as_json: bool) -> None:
    """What sending TEXT to NUMBERS would cost CUSTOMER_REF (nothing is sent)."""
    services = context.services
    scale = services.tenancy.platform().scale
    result = services.quoting.quote_text(refs.tenant_id(services.tenancy, customer_ref), text,
                                         numbers)
    data = {
        "recipients": [{"number": line.e164, "country": line.destination.country,
                        "operator": line.destination.operator_name,
                        "encoding": line.encoding, "segments": line.segments,
                        "price": format_amount(line.price, scale)} for line in result.lines],
        "refused": [{"number": r.raw, "reason": r.reason, "detail": r.detail}
                    for r in result.refused],
        "duplicates": result.duplicates,
        "total": format_amount(result.total_price, scale),
        "segments": result.total_segments,
    }

    def human() -> Iterator[str]:
        for line in data["recipients"]:
            yield (f"{line['number']:16} {line['country']} {line['operator'][:20]:20} "
                   f"{line['encoding']} x{line['segments']} {line['price']:>10}")
        for refused in data["refused"]:
            yield f"{refused['number']:16} refused: {refused['detail']}"
        for duplicate in result.duplicates:
            yield f"{duplicate:16} duplicate: sent and charged once"
        yield f"total {data['total']} for {data['segments']} segments"

    emit(as_json, data, human)

