"""``portevoix smsc-sim``: the SMSC simulator as a process, for ``make run`` and benchmarks."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

import click

from portevoix.cli.app import cli
from portevoix.platform.smpp.outcomes import InvalidRuleError, OutcomeRule, parse_rule
from portevoix.platform.smpp.simulator import ID_FORMATS, Simulator, SimulatorConfig


def _accounts(values: tuple[str, ...]) -> dict[str, str]:
    accounts = {}
    for value in values:
        system_id, colon, password = value.partition(":")
        if not colon or not system_id:
            raise click.BadParameter(f"{value!r} is not SYSTEM_ID:PASSWORD",
                                     param_hint="--account")
        accounts[system_id] = password
    return accounts


def _rules(values: tuple[str, ...]) -> tuple[OutcomeRule, ...]:
    try:
        return tuple(parse_rule(value) for value in values)
    except InvalidRuleError as error:
        raise click.BadParameter(str(error), param_hint="--rule") from None


@cli.command("smsc-sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=2775, show_default=True,
              help="0 takes a free port; the address is printed.")
@click.option("--account", "accounts", multiple=True, default=("portevoix:secret",),
              metavar="SYSTEM_ID:PASSWORD", show_default=True,
              help="An ESME account; repeat for more.")
@click.option("--rule", "rules", multiple=True, metavar="PATTERN=OUTCOME[:DELAY_S[:CODE]]",
              help="Outcome for destinations matching PATTERN (first match wins; others are "
                   "delivered): deliver, undeliverable, expire, reject, no_receipt, "
                   "enroute_then_deliver. CODE: the receipt's error, or a reject's status.")
@click.option("--tps", type=click.IntRange(min=1), default=None,
              help="Submits a second per account; beyond, ESME_RTHROTTLED.")
@click.option("--message-id-format", type=click.Choice(ID_FORMATS), default="dec",
              show_default=True, help="How submit_sm_resp writes message ids.")
@click.option("--receipt-id-format", type=click.Choice(ID_FORMATS), default="dec",
              show_default=True, help="How receipt texts write them.")
@click.option("--receipt-tlvs/--no-receipt-tlvs", default=False, show_default=True,
              help="Add receipted_message_id and message_state TLVs to receipts.")
@click.option("--receipts-before-response", is_flag=True,
              help="Send each first receipt ahead of its submit_sm_resp.")
@click.option("--record", "record_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every submit_sm received here as JSON lines on exit.")
@click.option("-v", "--verbose", count=True, help="Log binds (-v) or everything (-vv).")
def smsc_sim(host: str, port: int, accounts: tuple[str, ...], rules: tuple[str, ...],
             tps: int | None, message_id_format: str, receipt_id_format: str,
             receipt_tlvs: bool, receipts_before_response: bool, record_path: Path | None,
             verbose: int) -> None:
    """Run the SMSC simulator, a real SMPP 3.4 server, until interrupted (Ctrl-C)."""
    config = SimulatorConfig(
        host=host, port=port, accounts=_accounts(accounts), rules=_rules(rules),
        tps_limit=tps, message_id_format=message_id_format,
        receipt_id_format=receipt_id_format, receipt_tlvs=receipt_tlvs,
        receipts_before_response=receipts_before_response,
    )
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    simulator = Simulator(config)
    try:
        asyncio.run(_serve(simulator))
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    click.echo(f"stopped: {simulator.counters}")
    if record_path is not None:
        written = simulator.write_record(record_path)
        click.echo(f"{written} submit_sm recorded in {record_path}")


async def _serve(simulator: Simulator) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stopping.set)
    try:
        await simulator.start()
        host, port = simulator.address
        click.echo(f"SMSC simulator listening on {host}:{port} "
                   f"(accounts: {', '.join(simulator.config.accounts)}); Ctrl-C stops it")
        await stopping.wait()
    finally:
        for number in signals:
            loop.remove_signal_handler(number)
        await simulator.stop()
