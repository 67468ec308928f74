"""``portevoix email-gateway``: e-mail to SMS as a process, behind the MX or on loopback."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

import click
from sqlalchemy import select

from portevoix.cli.app import Context, cli, pass_context
from portevoix.platform.channels.email_gateway import EmailGateway, EmailGatewayServer
from portevoix.platform.channels.mail_out import MailOut, RelaySettings
from portevoix.projections.tenancy import tenants
from portevoix.services import Services

DOMAINS_TTL_S = 30.0  # how long a reseller's new domain may wait to be served


def reseller_domains(services: Services) -> set[str]:
    """Every domain of every reseller, from the tenancy directory and the resellers."""
    services.catch_up()
    with services.engine.connect() as conn:
        ids = conn.execute(select(tenants.c.tenant_id).where(tenants.c.kind == "reseller"))
        reseller_ids = [row[0] for row in ids]
    return {domain for rid in reseller_ids for domain in services.tenancy.reseller(rid).domains}


class _Cached:
    """``read()``, read again once it is ``ttl_s`` old (the gateway asks at every RCPT)."""

    def __init__(self, read: Callable[[], set[str]], ttl_s: float) -> None:
        self.read, self.ttl_s = read, ttl_s
        self.lock, self.at, self.value = threading.Lock(), float("-inf"), set[str]()

    def __call__(self) -> set[str]:
        with self.lock:
            if time.monotonic() - self.at > self.ttl_s:
                self.value, self.at = self.read(), time.monotonic()
            return self.value


@cli.command("email-gateway")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=2525, show_default=True,
              help="0 takes a free port; the address is printed.")
@click.option("--domain", "domains", multiple=True, required=True,
              help="The platform's mail domain (repeat for more); resellers' domains are "
                   "served too.")
@click.option("--relay", default=None, metavar="HOST:PORT",
              help="The SMTP relay replies go through [PORTEVOIX_SMTP_RELAY, else "
                   "127.0.0.1:25].")
@click.option("--reply-from", default=None, help="From of the replies [no-reply@DOMAIN].")
@click.option("-v", "--verbose", count=True, help="Log mails (-v) or everything (-vv).")
@pass_context
def email_gateway(context: Context, host: str, port: int, domains: tuple[str, ...],
                  relay: str | None, reply_from: str | None, verbose: int) -> None:
    """Take send requests by e-mail (the three syntaxes) until interrupted (Ctrl-C)."""
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        relay = relay or context.settings.smtp_relay or "127.0.0.1:25"
        relay_settings = RelaySettings.parse(relay, reply_from or f"no-reply@{domains[0]}")
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--relay") from None
    services = context.services
    platform_domains = {domain.lower() for domain in domains}
    resellers = _Cached(lambda: reseller_domains(services), DOMAINS_TTL_S)
    gateway = EmailGateway(services.sending, services.tenancy, MailOut(relay_settings),
                           lambda: platform_domains | resellers(), services.clock,
                           groups=services.group_numbers)
    server = EmailGatewayServer(gateway, host, port, server_hostname=domains[0])
    stopping = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopping.set())
    try:
        server.start()
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    try:
        click.echo(f"e-mail gateway listening on {host}:{server.port} for "
                   f"{', '.join(sorted(platform_domains))} and the resellers' domains; replies "
                   f"through {relay_settings.host}:{relay_settings.port}; Ctrl-C stops it")
        while not stopping.wait(0.5):
            pass
    finally:
        server.stop()
    click.echo("stopped")
