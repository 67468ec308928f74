"""The running platform's parts, built from Settings: applications, projections, their engine.

The web app, the CLI, the dispatcher, the benchmarks and the tests all build their services
here, so every entry point sees the same wiring. Nothing connects at import; ``build_services``
does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy import Engine

from portevoix.ledger.services import Ledger
from portevoix.ledger.writer import LedgerWriter
from portevoix.platform import alerts
from portevoix.platform.blacklists import Blacklists
from portevoix.platform.callback_delivery import CallbackDelivery
from portevoix.platform.dispatcher import Dispatcher
from portevoix.platform.forwarding import Forwarding, ForwardingError, Mailer
from portevoix.platform.price_book import PriceBook
from portevoix.platform.pricing import Pricing
from portevoix.platform.quoting import Quoting
from portevoix.platform.replies import Inbox
from portevoix.platform.routing import Routing
from portevoix.platform.sending import Sending, SendRequest, utcnow
from portevoix.platform.smpp.results import Reply
from portevoix.projections.alerts import Alerts, AlertsTable
from portevoix.projections.balances import Balances
from portevoix.projections.blacklists import BlacklistEntries
from portevoix.projections.callback_log import CallbackLog
from portevoix.projections.callbacks import StatusCallbacks
from portevoix.projections.history import SentHistory
from portevoix.projections.journal import Journal, due_campaigns
from portevoix.projections.outbox import Outbox
from portevoix.projections.price_lists import PriceLists
from portevoix.projections.replies import Replies, reply_owner
from portevoix.projections.tenancy import TenancyDirectory
from portevoix.projections.tracking import ProjectionRunner
from portevoix.settings import Settings
from portevoix.storage import Storage
from portevoix.tenants.errors import TenancyError
from portevoix.tenants.sender_service import SenderIds
from portevoix.tenants.services import Tenancy

log = logging.getLogger("portevoix.services")


@dataclass
class Services:
    settings: Settings
    ledger: Ledger
    tenancy: Tenancy
    pricing: Pricing
    routing: Routing
    senders: SenderIds
    blacklists: Blacklists
    quoting: Quoting
    price_book: PriceBook
    sending: Sending
    engine: Engine
    runners: list[ProjectionRunner]
    clock: Callable[[], datetime] = utcnow
    inbox: Inbox | None = None
    forwarding: Forwarding | None = None
    mail_out: Mailer | None = None
    history: SentHistory | None = None
    callback_log: CallbackLog | None = None
    callbacks: CallbackDelivery | None = None
    _replies: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="replies"), repr=False)
    # Background work done in one process (``start_jobs``): (name, run once → items done).
    jobs: list[tuple[str, Callable[[], int]]] = field(default_factory=list)
    _follower: threading.Thread | None = field(default=None, repr=False)
    _jobs_thread: threading.Thread | None = field(default=None, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def start_group_commit(self) -> None:
        """Save the campaigns that threads of this process submit together, in group
        commits through one writer (the web app does: many requests at once)."""
        if self.sending.writer is None:
            self.sending.writer = LedgerWriter(self.ledger).start()
            if self.history is not None:
                self.history.start_batching()

    def catch_up(self) -> int:
        """Bring every projection up to date with its log; returns the events applied."""
        return sum(runner.catch_up() for runner in self.runners)

    def catch_up_outbox(self) -> int:
        return sum(r.catch_up() for r in self.runners if r.projection.name in _SEND_VIEWS)

    def rebuild_projections(self) -> int:
        return sum(runner.rebuild() for runner in self.runners)

    def dispatcher(self, batch: int = 64) -> Dispatcher:
        """A dispatcher for the due campaigns of the journal (brought up to date each round)."""

        journal = next(r for r in self.runners if r.projection.name == Journal.name)

        def due(now: datetime) -> list[UUID]:
            journal.catch_up()
            return due_campaigns(self.engine, now)

        return Dispatcher(self.ledger, self.routing, due, clock=self.clock, batch=batch,
                          on_closed=self.sending.repeat, on_reply=self.on_reply)

    def on_reply(self, reply: Reply) -> None:
        """The dispatcher's callback, in its event loop: the reply is recorded and forwarded
        in a worker thread (one, so replies keep their order), never blocking the loop."""
        self._replies.submit(self._handle_reply, reply)

    def _handle_reply(self, reply: Reply) -> None:
        try:
            self.receive_reply(reply)
        except Exception:  # one bad reply must not stop the next ones
            log.exception("reply from %s to %s", reply.source, reply.destination)

    def receive_reply(self, reply: Reply) -> UUID:
        """Record a reply (STOP and START apply at once) and forward it; a forwarding
        failure is recorded on the reply and logged, not raised."""
        assert self.inbox is not None and self.forwarding is not None
        reply_id = self.inbox.receive(reply)
        try:
            self.forwarding.forward(reply_id)
        except ForwardingError as error:
            log.warning("reply %s not forwarded: %s", reply_id, error)
        return reply_id

    def send_pending_alerts(self, limit: int = 100) -> int:
        """Mail the low-balance alerts not mailed yet (the alerts view brought up to date
        first); returns how many were mailed. Nothing without a mail relay."""
        if self.mail_out is None:
            return 0
        for runner in self.runners:
            if runner.projection.name == Alerts.name:
                runner.catch_up()
        return alerts.send_pending_alerts(AlertsTable(self.engine), self._alert_recipient,
                                          self.mail_out, self.clock, limit)

    def deliver_callbacks(self, wait: bool = False) -> int:
        """Queue the status callbacks of new events and post the due ones (see
        ``callback_delivery``); with ``wait``, until this round's posts are done."""
        if self.callbacks is None:
            return 0
        for runner in self.runners:
            if runner.projection.name == StatusCallbacks.name:
                runner.catch_up()
        return self.callbacks.run_once(wait=wait)

    def _alert_recipient(self, account_id: UUID) -> alerts.Recipient | None:
        account = self.ledger.account(account_id)
        try:
            owner = self.tenancy.tenant(account.owner_id)
        except TenancyError:  # a domain group's wallet: no contact address of its own
            return None
        email = getattr(owner, "contact_email", "")
        return alerts.Recipient(email, account.scale) if email else None

    def follow(self) -> None:
        """Keep the projections up to date in a background thread until ``close``."""

        def loop() -> None:
            while not self._stopping.wait(self.settings.projection_poll_s):
                self.catch_up()

        self._follower = threading.Thread(target=loop, name="projections", daemon=True)
        self._follower.start()

    def run_jobs(self) -> int:
        """Run every background job once; a failing job is logged and the others run."""
        done = 0
        for name, job in self.jobs:
            try:
                done += job()
            except Exception:  # one broken job (a relay down) must not stop the others
                log.exception("background job %s", name)
        return done

    def start_jobs(self, interval_s: float = 1.0) -> None:
        """Run the background jobs every ``interval_s`` in a thread until ``close``. Start
        them in one process of a deployment (``serve``, ``dispatch`` or ``jobs``)."""

        def loop() -> None:
            while not self._stopping.wait(interval_s):
                self.run_jobs()

        self._jobs_thread = threading.Thread(target=loop, name="jobs", daemon=True)
        self._jobs_thread.start()

    def close(self) -> None:
        self._stopping.set()
        if self.sending.writer is not None:
            self.sending.writer.stop()
        if self.history is not None:
            self.history.stop_batching()
        for thread in (self._follower, self._jobs_thread):
            if thread is not None:
                thread.join(timeout=5)
        self._replies.shutdown(wait=True)
        if self.callbacks is not None:
            self.callbacks.close()
        for app in (self.ledger, self.tenancy, self.pricing, self.routing, self.senders,
                    self.blacklists, *([self.inbox] if self.inbox is not None else [])):
            app.close()
        self.engine.dispose()


_SEND_VIEWS = frozenset({Outbox.name, Journal.name})


def build_services(settings: Settings, clock: Callable[[], datetime] = utcnow,
                   mail_out: Mailer | None = None) -> Services:
    """``mail_out`` sends replies forwarded by e-mail and low-balance alerts (none: neither
    is mailed)."""
    storage = Storage(settings.database_url)
    cache = settings.aggregate_cache_size
    with storage.schema_lock():
        ledger = Ledger(env=storage.event_store_env("ledger", cache), clock=clock,
                        fence=storage.ledger_fence())
        tenancy = Tenancy(ledger, env=storage.event_store_env("tenants", cache))
        pricing = Pricing(env=storage.event_store_env("pricing", cache))
        routing = Routing(env=storage.event_store_env("routing", cache))
        senders = SenderIds(tenancy, env=storage.event_store_env("senders", cache))
        blacklists = Blacklists(env=storage.event_store_env("blacklists", 1_000))
        engine = storage.projection_engine()
        outbox = ProjectionRunner(ledger, Outbox(), engine)
        inbox = Inbox(blacklists, reply_owner(engine, outbox.catch_up),
                      env=storage.event_store_env("inbox", cache))
        runners = [
            ProjectionRunner(ledger, Balances(), engine),
            outbox,
            ProjectionRunner(ledger, Journal(), engine),
            ProjectionRunner(tenancy, TenancyDirectory(), engine),
            ProjectionRunner(pricing, PriceLists(), engine),
            ProjectionRunner(blacklists, BlacklistEntries(), engine),
            ProjectionRunner(inbox, Replies(), engine),
            ProjectionRunner(ledger, Alerts(), engine),
            ProjectionRunner(ledger, StatusCallbacks(), engine),
        ]
        for runner in runners:
            runner.create_tables()
        callback_log = CallbackLog(engine)
        callback_log.create_tables()
    quoting = Quoting(pricing, tenancy, clock)
    outbox_runners = [r for r in runners if r.projection.name in _SEND_VIEWS]
    history = SentHistory(engine, lambda: [r.catch_up() for r in outbox_runners])
    sending = Sending(ledger, tenancy, quoting, senders, blacklists, history, clock)

    def send_sms(customer_id: UUID, number: str, text: str, reference: str) -> int:
        return sending.submit(SendRequest(customer_id, text=text, numbers=[number],
                                          reference=reference, channel="replies")).code

    forwarding = Forwarding(inbox, lambda customer_id: tenancy.customer(customer_id).options,
                            mail_out, send_sms, settings.secret_key)
    services = Services(settings, ledger, tenancy, pricing, routing, senders, blacklists,
                        quoting, PriceBook(pricing, tenancy), sending, engine, runners, clock,
                        inbox, forwarding, mail_out)
    services.history = history
    services.callback_log = callback_log
    services.callbacks = CallbackDelivery(callback_log, settings.secret_key, clock)
    services.jobs.append(("low-balance alerts", services.send_pending_alerts))
    services.jobs.append(("status callbacks", services.deliver_callbacks))
    return services
