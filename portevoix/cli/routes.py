"""Routes: the upstream SMSC accounts, configured by the platform operator."""

from __future__ import annotations

from collections.abc import Iterator

import click

from portevoix.cli.app import Context, cli, emit, json_option, pass_context
from portevoix.platform.routes import BIND_MODES, ID_BASES, RouteSpec, coverage


@cli.group()
def route() -> None:
    """Upstream SMSC routes."""


@route.command("configure")
@click.argument("name")
@click.option("--host", required=True)
@click.option("--port", type=int, required=True)
@click.option("--system-id", required=True)
@click.option("--password", required=True)
@click.option("--system-type", default="")
@click.option("--bind-mode", type=click.Choice(BIND_MODES), default=BIND_MODES[0])
@click.option("--tls", is_flag=True)
@click.option("--window", type=int, default=64, show_default=True)
@click.option("--binds", type=int, default=1, show_default=True,
              help="Connections kept up (each with its window).")
@click.option("--tps", type=int, default=None, help="Segments per second (default: no limit).")
@click.option("--data-coding", "data_codings", type=click.Choice(["0", "3", "8"]),
              multiple=True, default=("0", "8"), show_default=True)
@click.option("--payload", "use_payload", is_flag=True, help="Long texts in message_payload.")
@click.option("--response-id-base", type=click.Choice(ID_BASES), default="as_is")
@click.option("--receipt-id-base", type=click.Choice(ID_BASES), default="as_is")
@click.option("--cover", "covers", multiple=True, required=True,
              metavar="COUNTRY[/OPERATOR][:PRIORITY]", help="FR, TN/ooredoo-tn:10, *:900")
@pass_context
def configure(context: Context, name: str, host: str, port: int, system_id: str,
              password: str, system_type: str, bind_mode: str, tls: bool, window: int,
              binds: int, tps: int | None, data_codings: tuple[str, ...], use_payload: bool,
              response_id_base: str, receipt_id_base: str, covers: tuple[str, ...]) -> None:
    """Add route NAME, or replace its configuration."""
    try:
        covered = coverage(covers)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--cover") from None
    context.services.routing.configure(RouteSpec(
        name=name, host=host, port=port, system_id=system_id, password=password,
        system_type=system_type, bind_mode=bind_mode, tls=tls, window=window, binds=binds,
        tps=tps,
        data_codings=tuple(int(dc) for dc in data_codings), use_payload=use_payload,
        response_id_base=response_id_base, receipt_id_base=receipt_id_base, coverage=covered,
    ))
    click.echo(f"route {name} configured")


@route.command("enable")
@click.argument("name")
@click.option("--off", is_flag=True, help="Disable it instead.")
@pass_context
def enable(context: Context, name: str, off: bool) -> None:
    """Enable (or with --off disable) route NAME."""
    context.services.routing.enable(name, not off)
    click.echo(f"route {name} {'disabled' if off else 'enabled'}")


@route.command("list")
@json_option
@pass_context
def list_routes(context: Context, as_json: bool) -> None:
    """Every route, without its password."""
    specs = context.services.routing.table().routes
    data = [{k: v for k, v in spec.as_dict().items() if k != "password"} for spec in specs]

    def human() -> Iterator[str]:
        for spec in specs:
            covers = ", ".join(f"{c.country}{'/' + c.operator if c.operator else ''}:{c.priority}"
                               for c in spec.coverage)
            state = "on " if spec.enabled else "off"
            yield (f"{state} {spec.name:20} {spec.host}:{spec.port} window {spec.window} "
                   f"tps {spec.tps or '-'}  {covers}")

    emit(as_json, data, human)
