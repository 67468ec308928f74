"""Sending from the command line: submit a campaign, cancel or approve it, run the dispatcher."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from uuid import UUID

import click

from portevoix.cli import refs
from portevoix.cli.app import Context, cli, emit, json_option, pass_context
from portevoix.ledger.amounts import format_amount
from portevoix.platform.campaigns import KINDS
from portevoix.platform.sending import SendRefusedError, SendRequest


@cli.command()
@click.argument("customer_ref")
@click.argument("numbers", nargs=-1, required=True)
@click.option("--text", required=True)
@click.option("--sender", default=None)
@click.option("--kind", type=click.Choice(KINDS), default=KINDS[0], show_default=True)
@click.option("--at", "scheduled_at", type=click.DateTime(["%Y-%m-%dT%H:%M"]), default=None,
              help="Deferred send (UTC).")
@click.option("--test", is_flag=True, help="Check and price everything; send nothing.")
@click.option("--reference", default="", help="Your reference: the same one again is the "
                                              "same campaign.")
@json_option
@pass_context
def send(context: Context, customer_ref: str, numbers: tuple[str, ...], text: str,
         sender: str | None, kind: str, scheduled_at: datetime | None, test: bool,
         reference: str, as_json: bool) -> None:
    """Submit TEXT to NUMBERS for CUSTOMER_REF (the dispatcher sends it)."""
    services = context.services
    customer_id = refs.tenant_id(services.tenancy, customer_ref)
    try:
        result = services.sending.submit(SendRequest(
            customer_id, text=text, numbers=numbers, sender=sender, kind=kind,
            scheduled_at=scheduled_at.replace(tzinfo=UTC) if scheduled_at else None,
            test=test, reference=reference, channel="cli",
        ))
    except SendRefusedError as refused:
        click.echo(f"error: {refused.code} {refused.detail}", err=True)
        raise SystemExit(3) from refused
    scale = services.tenancy.platform().scale
    data = {"code": result.code, "campaign_id": result.campaign_id, "status": result.status,
            "recipients": result.recipients, "segments": result.segments,
            "price": format_amount(result.price, scale),
            "refused": [{"number": r.number, "code": r.code, "detail": r.detail}
                        for r in result.refused], "duplicates": list(result.duplicates)}
    emit(as_json, data, lambda: iter([
        f"{result.code} campaign {result.campaign_id} ({result.status}): {result.recipients} "
        f"recipients, {result.segments} segments, {data['price']}",
        *(f"  refused {r.number}: {r.code} {r.detail}" for r in result.refused),
    ]))


@cli.command()
@click.argument("customer_ref")
@click.argument("campaign_id", type=click.UUID)
@pass_context
def cancel(context: Context, customer_ref: str, campaign_id: UUID) -> None:
    """Cancel a deferred send that has not started; its reservation is released."""
    services = context.services
    try:
        services.sending.cancel(refs.tenant_id(services.tenancy, customer_ref), campaign_id)
    except SendRefusedError as refused:
        click.echo(f"error: {refused.code} {refused.detail}", err=True)
        raise SystemExit(3) from refused
    click.echo(f"94 campaign {campaign_id} cancelled")


@cli.command()
@click.option("--batch", default=64, show_default=True, help="Messages a batch (one window).")
@pass_context
def dispatch(context: Context, batch: int) -> None:
    """Send due campaigns until interrupted (SIGINT or SIGTERM)."""
    dispatcher = context.services.dispatcher(batch=batch)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        click.echo("dispatcher running", err=True)
        await dispatcher.run(stop)

    asyncio.run(main())
    click.echo(f"dispatcher stopped after {dispatcher.sent} messages", err=True)
