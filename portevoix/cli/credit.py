"""Moving and reporting credit: tariffs, grants, pack purchases, transfers, balances."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from uuid import UUID, uuid4

import click

from portevoix.cli import refs
from portevoix.cli.app import Context, cli, emit, json_option, pass_context, refusal_as_usage
from portevoix.ledger.amounts import format_amount, parse_amount
from portevoix.ledger.packs import PAYMENT_METHODS, Tier, tariff_id_for
from portevoix.projections.statements import balance_rows, reservations_due, statement

transfer_id_option = click.option(
    "--id", "transfer_id", type=click.UUID, default=None,
    help="Your id for this movement: running the command again with it changes nothing.",
)


def _amount(context: Context, text: str) -> int:
    with refusal_as_usage("AMOUNT"):
        return parse_amount(text, context.services.tenancy.platform().scale)


@cli.group()
def tariff() -> None:
    """Price tiers of credit packs."""


@tariff.command("publish")
@click.argument("seller_ref")
@click.argument("name")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--price-scale", default=4, show_default=True, help="Decimals kept of prices.")
@click.option("--tier", "tiers", multiple=True, required=True, metavar="QUANTITY:PRICE",
              help="From QUANTITY units up, each costs PRICE (e.g. 100:0.19). Repeat.")
@json_option
@pass_context
def publish_tariff(context: Context, seller_ref: str, name: str, currency: str,
                   price_scale: int, tiers: tuple[str, ...], as_json: bool) -> None:
    """Publish SELLER_REF's pack tariff NAME."""
    parsed = []
    for text in tiers:
        quantity, _, price = text.partition(":")
        if not quantity.isdigit() or not price:
            raise click.BadParameter(f"{text!r} is not QUANTITY:PRICE", param_hint="--tier")
        with refusal_as_usage("--tier"):
            parsed.append(Tier(int(quantity), parse_amount(price, price_scale)))
    services = context.services
    seller_id = refs.tenant_id(services.tenancy, seller_ref)
    unit = services.tenancy.platform().unit
    tariff_id = services.ledger.publish_tariff(seller_id, name, unit, currency, price_scale,
                                               parsed)
    emit(as_json, {"id": tariff_id}, lambda: iter([f"tariff {seller_ref}/{name} {tariff_id}"]))


@cli.command()
@click.argument("tenant_ref")
@click.argument("amount")
@click.option("--reference", default="", help="Shown on both statements.")
@transfer_id_option
@json_option
@pass_context
def grant(context: Context, tenant_ref: str, amount: str, reference: str,
          transfer_id: UUID | None, as_json: bool) -> None:
    """Give AMOUNT of credit to TENANT_REF from its parent's issuance account."""
    tenancy = context.services.tenancy
    recipient = refs.tenant_id(tenancy, tenant_ref)
    transfer = tenancy.grant_credit(refs.parent_id(tenancy, recipient), transfer_id or uuid4(),
                                    recipient, _amount(context, amount), reference)
    emit(as_json, {"transfer_id": transfer.id, "amount": transfer.amount},
         lambda: iter([f"granted {amount} to {tenant_ref} ({transfer.id})"]))


@cli.command()
@click.argument("tenant_ref")
@click.argument("quantity", type=click.IntRange(min=1))
@click.option("--tariff", "tariff_ref", required=True, metavar="SELLER/NAME",
              help="The seller's tariff, e.g. platform/standard or smsplus/standard.")
@click.option("--method", type=click.Choice(tuple(PAYMENT_METHODS)), default="card",
              show_default=True)
@click.option("--id", "purchase_id", type=click.UUID, default=None)
@json_option
@pass_context
def buy(context: Context, tenant_ref: str, quantity: int, tariff_ref: str, method: str,
        purchase_id: UUID | None, as_json: bool) -> None:
    """Buy a pack of QUANTITY units for TENANT_REF at a seller's tariff."""
    services = context.services
    seller_ref, _, name = tariff_ref.rpartition("/")
    seller_id = refs.tenant_id(services.tenancy, seller_ref or "platform")
    purchase = services.ledger.purchase_pack(
        purchase_id or uuid4(), tariff_id_for(seller_id, name),
        services.tenancy.wallet_of(refs.tenant_id(services.tenancy, tenant_ref)),
        quantity, method,
    )
    due = format_amount(purchase.amount_due, purchase.price_scale)
    emit(as_json, {"purchase_id": purchase.id, "status": purchase.status,
                   "amount_due": due, "currency": purchase.currency},
         lambda: iter([f"purchase {purchase.id}: {quantity} units, {due} {purchase.currency}, "
                       f"{purchase.status}"]))


@cli.group()
def payment() -> None:
    """Payments by cheque or bank transfer, confirmed by finance."""


@payment.command("confirm")
@click.argument("purchase_id", type=click.UUID)
@click.option("--by", "confirmed_by", required=True, help="Who saw the payment arrive.")
@pass_context
def confirm_payment(context: Context, purchase_id: UUID, confirmed_by: str) -> None:
    """The payment arrived: the pack's credit becomes available."""
    purchase = context.services.ledger.confirm_payment(purchase_id, confirmed_by)
    click.echo(f"purchase {purchase.id} {purchase.status}")


@payment.command("reject")
@click.argument("purchase_id", type=click.UUID)
@click.option("--reason", required=True)
@pass_context
def reject_payment(context: Context, purchase_id: UUID, reason: str) -> None:
    """The payment failed: the pending credit is released."""
    purchase = context.services.ledger.reject_payment(purchase_id, reason)
    click.echo(f"purchase {purchase.id} {purchase.status}")


@cli.command()
@click.argument("from_ref")
@click.argument("to_ref")
@click.argument("amount")
@click.option("--user", "email", required=True, help="Who moves the credit.")
@click.option("--reference", default="")
@transfer_id_option
@json_option
@pass_context
def transfer(context: Context, from_ref: str, to_ref: str, amount: str, email: str,
             reference: str, transfer_id: UUID | None, as_json: bool) -> None:
    """Move AMOUNT from FROM_REF's wallet to TO_REF's, as a user of FROM_REF."""
    tenancy = context.services.tenancy
    moved = tenancy.transfer_credit(
        refs.user_id(tenancy, email), transfer_id or uuid4(), refs.tenant_id(tenancy, from_ref),
        refs.tenant_id(tenancy, to_ref), _amount(context, amount), reference,
    )
    emit(as_json, {"transfer_id": moved.id, "amount": moved.amount},
         lambda: iter([f"moved {amount} from {from_ref} to {to_ref} ({moved.id})"]))


@cli.command()
@click.argument("tenant_ref", required=False)
@json_option
@pass_context
def balances(context: Context, tenant_ref: str | None, as_json: bool) -> None:
    """Balances of every account, or of TENANT_REF's."""
    services = context.services
    services.catch_up()
    owners = [refs.tenant_id(services.tenancy, tenant_ref)] if tenant_ref else None
    rows = balance_rows(services.engine, owners)
    data = [{
        "account_id": r.account_id, "owner": r.owner_name, "owner_kind": r.owner_kind,
        "purpose": r.purpose, "unit": r.unit, "balance": format_amount(r.balance, r.scale),
        "available": format_amount(r.available, r.scale),
        "pending_out": format_amount(r.pending_out, r.scale),
        "pending_in": format_amount(r.pending_in, r.scale),
    } for r in rows]

    def human() -> Iterator[str]:
        yield (f"{'owner':30} {'account':9} {'balance':>16} {'available':>16} "
               f"{'reserved':>14} {'incoming':>14}")
        for row in data:
            yield (f"{row['owner'][:30]:30} {row['purpose']:9} {row['balance']:>16} "
                   f"{row['available']:>16} {row['pending_out']:>14} {row['pending_in']:>14}")

    emit(as_json, data, human)


@cli.command("statement")
@click.argument("tenant_ref")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="From this day (UTC).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Before this day (UTC).")
@json_option
@pass_context
def show_statement(context: Context, tenant_ref: str, since: datetime | None,
                   until: datetime | None, as_json: bool) -> None:
    """Every movement of TENANT_REF's wallet, with its running balance."""
    services = context.services
    services.catch_up()
    scale = services.tenancy.platform().scale
    wallet = services.tenancy.wallet_of(refs.tenant_id(services.tenancy, tenant_ref))
    lines = statement(services.engine, wallet, _utc(since), _utc(until))
    data = [{
        "at": line.at.isoformat(), "entry": line.entry, "kind": line.kind,
        "reference": line.reference, "transfer_id": line.transfer_id,
        "amount": format_amount(line.amount, scale),
        "balance_change": format_amount(line.balance_change, scale),
        "balance_after": format_amount(line.balance_after, scale),
        "available_after": format_amount(line.available_after, scale),
    } for line in lines]

    def human() -> Iterator[str]:
        yield f"{'at':19} {'entry':24} {'change':>14} {'balance':>14} {'available':>14}"
        for row in data:
            yield (f"{row['at'][:19]:19} {row['entry']:24} {row['balance_change']:>14} "
                   f"{row['balance_after']:>14} {row['available_after']:>14}")

    emit(as_json, data, human)


@cli.command()
@pass_context
def expire(context: Context) -> None:
    """Void the reservations whose timeout has passed."""
    services = context.services
    services.catch_up()
    due = reservations_due(services.engine, services.ledger.clock())
    expired = services.ledger.expire(due)
    click.echo(f"expired {len(expired)} reservation(s)")


def _utc(day: datetime | None) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(date(day.year, day.month, day.day), time(), tzinfo=UTC)
