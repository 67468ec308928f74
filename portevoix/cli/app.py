"""The command group, its shared options and the translation of refusals into exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from portevoix.ledger.amounts import format_amount
from portevoix.ledger.errors import InsufficientFundsError, LedgerError
from portevoix.platform.messages import MessageError
from portevoix.platform.prices import PriceListError
from portevoix.platform.routes import RouteError
from portevoix.services import Services, build_services
from portevoix.settings import Settings
from portevoix.tenants.errors import TenancyError

REFUSED = 3  # exit status of a command the ledger or tenancy rules refused
# What the domain refuses, each with a message for people: a refusal, not a crash.
REFUSALS = (LedgerError, TenancyError, PriceListError, MessageError, RouteError)


class Context:
    """What every command shares: the settings, and services built on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = build_services(self.settings)
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()


pass_context = click.make_pass_decorator(Context)


class RefusalsExit(click.Group):
    """A group whose commands exit with status 3 and one line when a rule refuses them."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except REFUSALS as error:
            click.echo(f"error: {describe(ctx.obj, error)}", err=True)
            sys.exit(REFUSED)


def describe(context: Context | None, error: Exception) -> str:
    """The refusal in words, with amounts in the account's unit rather than raw integers."""
    if isinstance(error, InsufficientFundsError) and context is not None:
        account = context.services.ledger.account(error.account_id)
        def amount(value: int) -> str:
            return f"{format_amount(value, account.scale)} {account.unit}"
        return (f"insufficient funds in {account.name or account.id}: {amount(error.amount)} "
                f"needed, {amount(error.available)} available (floor {amount(error.floor)})")
    return str(error)


@click.group(cls=RefusalsExit)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Portevoix: white-label bulk SMS with an event-sourced credit ledger."""
    context = Context(Settings.from_env())
    ctx.obj = context
    ctx.call_on_close(context.close)


def emit(as_json: bool, data: Any, human: Callable[[], Iterator[str]]) -> None:
    """Print ``data`` as JSON, or the lines ``human`` yields."""
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        for line in human():
            click.echo(line)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@contextmanager
def refusal_as_usage(param: str) -> Iterator[None]:
    """Turn a refusal while reading an argument into a usage error naming the argument."""
    try:
        yield
    except REFUSALS as error:
        raise click.BadParameter(str(error), param_hint=param) from None
