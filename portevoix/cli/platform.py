"""Running the platform: serve it, seed demo data, rebuild projections."""

from __future__ import annotations

import click

from portevoix.cli.app import Context, cli, pass_context
from portevoix.demo import DEMO_PASSWORD, seed


@cli.command()
@click.option("--host", default=None, help="Defaults to PORTEVOIX_HOST (127.0.0.1).")
@click.option("--port", type=int, default=None, help="Defaults to PORTEVOIX_PORT (8000).")
@click.option("--smsc/--no-smsc", default=True, show_default=True,
              help="Run the SMSC simulator as the upstream SMSC, and a dispatcher.")
@click.option("--smsc-port", type=int, default=0, help="The simulator's port (0: any free).")
@pass_context
def serve(context: Context, host: str | None, port: int | None, smsc: bool,
          smsc_port: int) -> None:
    """Serve the platform (waitress) until interrupted."""
    import waitress

    from portevoix.embedded import EmbeddedSending
    from portevoix.web import create_app

    settings = context.settings
    host, port = host or settings.host, port or settings.port
    app = create_app(services=context.services)
    context.services.start_jobs()
    sending = EmbeddedSending(context.services, smsc_port).start() if smsc else None
    click.echo(f"Portevoix is serving on http://{host}:{port}/  (status: /, health: /healthz, "
               f"JSON API: /api/v1/docs, compatibility: /http.php and /url2sms)")
    click.echo(f"Storage: {settings.database_url}")
    if sending is not None:
        click.echo(f"SMSC simulator on 127.0.0.1:{sending.smsc.port}; dispatcher running")
    try:
        waitress.serve(app, host=host, port=port, threads=8, _quiet=True)
    finally:
        if sending is not None:
            sending.stop()


@cli.command()
@pass_context
def projector(context: Context) -> None:
    """Keep every projection up to date, and run the background jobs, until interrupted:
    beside web workers started with PORTEVOIX_FOLLOW_PROJECTIONS=0."""
    import signal
    import threading

    services = context.services
    stopping = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopping.set())
    services.follow()
    services.start_jobs()
    click.echo(f"following the projections of {context.settings.database_url}; Ctrl-C stops")
    while not stopping.wait(0.5):
        pass
    click.echo("stopped")


@cli.command()
@pass_context
def demo(context: Context) -> None:
    """Seed demo tenants, users, tariffs and credit; seeding again changes nothing."""
    services = context.services
    logins = seed(services)
    services.catch_up()
    click.echo(f"Demo data ready. Logins (password: {DEMO_PASSWORD}):")
    for login in logins:
        click.echo(f"  {login.email:32} {login.role:8} {login.tenant}")


@cli.group()
def projections() -> None:
    """Read models rebuilt from the event log."""


@projections.command("rebuild")
@pass_context
def rebuild(context: Context) -> None:
    """Drop every projection's tables and replay the whole log."""
    events = context.services.rebuild_projections()
    click.echo(f"rebuilt from {events} events")


@projections.command("catch-up")
@pass_context
def catch_up(context: Context) -> None:
    """Apply the events recorded since the projections last ran."""
    click.echo(f"applied {context.services.catch_up()} events")
