"""Replies over real parts on 127.0.0.1: the SMSC simulator delivers them to a bound
dispatcher, the inbox records them, STOP blacklists, forwarding reaches a capturing SMTP
server and an HTTP server, and the forwarding job takes up a reply a crash or a relay
failure left behind, once; low-balance crossings are mailed once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from mail_relay import Mailbox, Relay
from send_world import RETAIL_FR, World
from sqlalchemy import select

from portevoix.platform import codes
from portevoix.platform.channels.mail_out import MailOut, RelaySettings
from portevoix.platform.forwarding import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify, webhook_secret
from portevoix.platform.replies import FIRST_RETRY
from portevoix.platform.sending import SendRefusedError, SendRequest
from portevoix.platform.smpp import results
from portevoix.platform.smpp.simulator import SimulatorConfig, SimulatorThread
from portevoix.platform.webhook_posts import WebhookPoster
from portevoix.projections.journal import journal_page
from portevoix.projections.replies import replies
from portevoix.services import build_services
from portevoix.settings import Settings

pytestmark = pytest.mark.timeout(180)

NUMBER, SENDER, SECRET = "+33612345678", "SMSPlus", "test-platform-secret"


@dataclass
class Hooks:
    """A webhook receiver: answers 503 to the first ``failures`` requests, then 204."""

    failures: int = 0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextlib.contextmanager
def a_hook_server(hooks: Hooks) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with hooks.lock:
                hooks.received.append((dict(self.headers.items()), body))
                status = 503 if len(hooks.received) <= hooks.failures else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/replies"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Replies:
    world: World
    mailbox: Mailbox
    relay: Relay

    def send(self, text: str = "Réunion ce soir à 18 h.") -> int:
        result = self.world.services.sending.submit(
            SendRequest(self.world.customer, text=text, numbers=[NUMBER]))
        if result.campaign_id is not None:
            self.world.dispatch_until_done([result.campaign_id])
        return result.code

    def reply(self, text: str, source: str = NUMBER, count: int = 1,
              timeout_s: float = 30) -> list[dict[str, Any]]:
        """Inject a reply and keep a receiver bound until ``count`` replies are recorded."""
        services = self.world.services
        self.world.smsc.inject_reply(source, SENDER, text)
        dispatcher = services.dispatcher()

        def recorded() -> list[dict[str, Any]]:
            services.catch_up()
            with services.engine.connect() as conn:
                return [row._asdict() for row in conn.execute(select(replies))]

        async def main() -> list[dict[str, Any]]:
            await dispatcher.connectors.for_destination("FR", "")
            try:
                deadline = time.monotonic() + timeout_s
                while time.monotonic() < deadline:
                    rows = await asyncio.to_thread(recorded)
                    if len(rows) >= count:
                        return rows
                    await asyncio.sleep(0.05)
                raise TimeoutError("the reply was not recorded")
            finally:
                await dispatcher.connectors.close()

        return asyncio.run(main())


@pytest.fixture
def platform(database_url: str) -> Iterator[Replies]:
    relay = Relay().start()
    simulator = SimulatorThread(SimulatorConfig(accounts={"portevoix": "secret"})).start()
    mail_out = MailOut(RelaySettings("127.0.0.1", relay.port, "no-reply@portevoix.example"))
    services = build_services(Settings(database_url=database_url, secret_key=SECRET,
                                       webhooks_to_private_networks=True),
                              mail_out=mail_out)
    try:
        world = World(services, simulator)
        world.fund(100 * RETAIL_FR)
        yield Replies(world, relay.mailbox, relay)
    finally:
        services.close()
        simulator.stop()
        relay.stop()


def test_a_reply_after_a_campaign_reaches_the_inbox_with_its_customer(
        platform: Replies) -> None:
    platform.send()

    [row] = platform.reply("Oui, je serai là")

    assert (row["customer_id"], row["source"], row["text"]) == (
        platform.world.customer, NUMBER, "Oui, je serai là")
    assert not row["is_stop"]


def test_a_reply_from_a_number_nobody_sent_to_has_no_customer(platform: Replies) -> None:
    [row] = platform.reply("Bonjour", source="+33699999999")

    assert row["customer_id"] is None


def test_a_stop_reply_blacklists_the_number_for_that_customer(platform: Replies) -> None:
    platform.send()

    [row] = platform.reply("STOP SMS")
    with pytest.raises(SendRefusedError) as refused:
        platform.send("Encore un message")

    assert row["is_stop"]
    assert refused.value.code == codes.BLACKLISTED


def test_a_reply_is_forwarded_by_email(platform: Replies) -> None:
    platform.world.services.tenancy.change_options(
        platform.world.customer, replies_forwarding="email",
        replies_target="accueil@mairie.example")
    platform.send()

    platform.reply("Merci pour l'information")
    [(recipients, mail)] = platform.mailbox.wait_for(1)

    assert recipients == ["accueil@mairie.example"]
    assert NUMBER in mail["Subject"]
    assert "Merci pour l'information" in mail.get_content()


def test_a_reply_is_posted_signed_to_a_url_after_a_failure(platform: Replies) -> None:
    hooks = Hooks(failures=1)
    with a_hook_server(hooks) as url:
        platform.world.services.tenancy.change_options(
            platform.world.customer, replies_forwarding="url", replies_target=url)
        platform.send()

        platform.reply("Oui")
        deadline = time.monotonic() + 15
        while len(hooks.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)

    assert len(hooks.received) == 2  # a 503, then delivered
    headers, body = hooks.received[-1]
    secret = webhook_secret(SECRET, platform.world.customer)
    assert verify(secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert json.loads(body)["text"] == "Oui"
    assert json.loads(body)["source"] == NUMBER


def test_a_reply_pushed_to_a_private_address_is_refused_at_once_and_not_posted(
        platform: Replies) -> None:
    services = platform.world.services
    assert services.forwarding is not None and services.inbox is not None
    services.forwarding.poster = WebhookPoster()  # the default: public addresses only
    pauses: list[float] = []
    services.forwarding.sleep = pauses.append
    hooks = Hooks()
    with a_hook_server(hooks) as url:
        services.tenancy.change_options(platform.world.customer, replies_forwarding="url",
                                        replies_target=url)
        platform.send()
        [row] = platform.reply("Oui")
        deadline = time.monotonic() + 15
        while (not services.inbox.reply(row["reply_id"]).failures
               and time.monotonic() < deadline):
            time.sleep(0.05)

    reply = services.inbox.reply(row["reply_id"])
    assert hooks.received == [] and pauses == []  # not posted, not tried again meanwhile
    assert reply.failures == 1
    assert "is 127.0.0.1, not a public address" in reply.forwarding_error


def test_a_low_balance_crossing_is_mailed_once(platform: Replies) -> None:
    services, world = platform.world.services, platform.world
    services.tenancy.change_options(world.customer, low_balance_threshold=99 * RETAIL_FR + 1)

    platform.send("Premier")  # 100 → 99 credits: below the threshold
    first = services.send_pending_alerts()
    platform.send("Second")  # still below: no new crossing
    second = services.send_pending_alerts()

    assert (first, second) == (1, 0)
    [(recipients, mail)] = platform.mailbox.wait_for(1)
    assert recipients == ["sms@mairie.example"]
    assert mail["Subject"] == "Low balance"


def _forward_by_email(platform: Replies) -> None:
    platform.world.services.tenancy.change_options(
        platform.world.customer, replies_forwarding="email",
        replies_target="accueil@mairie.example")


def test_a_reply_recorded_before_a_crash_is_forwarded_by_the_job_once(
        platform: Replies) -> None:
    services = platform.world.services
    _forward_by_email(platform)
    platform.send()
    # The process recorded the reply and died before forwarding it.
    services.inbox.receive(results.Reply(NUMBER, SENDER, "Je serai en retard",
                                         datetime.now(UTC)))

    first, again = services.forward_pending_replies(), services.forward_pending_replies()

    [(recipients, mail)] = platform.mailbox.wait_for(1)
    assert (first, again, recipients) == (1, 0, ["accueil@mairie.example"])
    assert "Je serai en retard" in mail.get_content()
    assert len(platform.mailbox.taken()) == 1


def test_a_reply_the_relay_could_not_take_is_forwarded_on_a_later_run_once(
        platform: Replies) -> None:
    services = platform.world.services
    _forward_by_email(platform)
    platform.send()
    platform.relay.stop()

    [row] = platform.reply("Merci")  # forwarded at once: the relay is down
    assert services.inbox is not None
    deadline = time.monotonic() + 15
    while (not services.inbox.reply(row["reply_id"]).failures
           and time.monotonic() < deadline):
        time.sleep(0.05)  # the worker thread is still trying
    platform.relay.start()
    too_soon = services.forward_pending_replies()
    assert services.forwarding is not None
    services.forwarding.clock = lambda: time.time() + FIRST_RETRY.total_seconds() + 1
    later, again = services.forward_pending_replies(), services.forward_pending_replies()

    assert services.inbox.reply(row["reply_id"]).forwarding_error == ""  # settled
    assert (too_soon, later, again) == (0, 1, 0)
    [(_, mail)] = platform.mailbox.wait_for(1)
    assert "Merci" in mail.get_content()
    services.catch_up()
    with services.engine.connect() as conn:
        [forwarded] = conn.execute(select(replies.c.forwarded)).scalars()
    assert forwarded == "email"


def test_a_reply_forwarded_by_sms_is_a_charged_send_of_the_replies_channel(
        platform: Replies) -> None:
    services, world = platform.world.services, platform.world
    services.tenancy.change_options(world.customer, replies_forwarding="sms",
                                    replies_target="+33699999999", confirmation_email=True)
    platform.send()
    before = world.available()

    [row] = platform.reply("Rappelez-moi")
    assert services.inbox is not None
    deadline = time.monotonic() + 15
    while services.inbox.reply(row["reply_id"]).forwarded is None:
        assert time.monotonic() < deadline, "the reply was not forwarded"
        time.sleep(0.05)
    services.catch_up()
    services.send_pending_notifications()

    [entry] = [e for e in journal_page(services.engine, world.customer)[0]
               if e.reference == f"reply:{row['reply_id']}"]
    assert (entry.channel, entry.recipients) == ("replies", 1)
    assert before - world.available() == RETAIL_FR
    # The customer's own send is confirmed; the platform's send of the reply is not.
    [(_, mail)] = platform.mailbox.taken()
    assert mail["Subject"].startswith("SMS send recorded")
    assert str(entry.campaign_id) not in mail.get_content()
