"""The running platform's parts, built from Settings: applications, projections, their engine.

The web app, the CLI, the dispatcher, the benchmarks and the tests all build their services
here, so every entry point sees the same wiring. Nothing connects at import; ``build_services``
does.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Engine

from portevoix.contacts.books import AddressBooks
from portevoix.contacts.directory import ContactDirectory
from portevoix.contacts.import_sessions import ImportSessions
from portevoix.contacts.import_store import ServicesImportStore
from portevoix.contacts.imports import ContactImports
from portevoix.contacts.list_sends import group_numbers
from portevoix.contacts.sealing import Sealer
from portevoix.ledger.services import Ledger
from portevoix.ledger.writer import LedgerWriter
from portevoix.ledger.writer_process import WriterProcess
from portevoix.platform import alerts
from portevoix.platform import notifications as notices
from portevoix.platform.blacklists import Blacklists
from portevoix.platform.callback_delivery import CallbackDelivery
from portevoix.platform.channels.mail_out import MailOut, RelaySettings
from portevoix.platform.dispatcher import Dispatcher
from portevoix.platform.forwarding import RESUME_WINDOW, Forwarding, ForwardingError, Mailer
from portevoix.platform.price_book import PriceBook
from portevoix.platform.pricing import Pricing
from portevoix.platform.quoting import Quoting
from portevoix.platform.replies import Inbox
from portevoix.platform.routing import Routing
from portevoix.platform.sending import Sending, SendRefusedError, SendRequest, utcnow
from portevoix.platform.smpp.results import Reply
from portevoix.platform.webhook_posts import WebhookPoster
from portevoix.projections.alerts import Alerts, AlertsTable
from portevoix.projections.balances import Balances
from portevoix.projections.blacklists import BlacklistEntries
from portevoix.projections.callback_log import CallbackLog
from portevoix.projections.callbacks import StatusCallbacks
from portevoix.projections.contacts import BadNumbers, ContactBook
from portevoix.projections.history import SentHistory
from portevoix.projections.journal import Journal, due_campaigns
from portevoix.projections.notifications import Notifications, NotificationsTable
from portevoix.projections.outbox import Outbox
from portevoix.projections.price_lists import PriceLists
from portevoix.projections.replies import Replies, reply_owner, unforwarded
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
    callback_log: CallbackLog | None = None
    callbacks: CallbackDelivery | None = None
    notifications: NotificationsTable | None = None
    address_books: AddressBooks | None = None
    contacts: ContactDirectory | None = None
    imports: ContactImports | None = None
    _replies: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="replies"), repr=False)
    # Background work done in one process (``start_jobs``): (name, run once → items done).
    jobs: list[tuple[str, Callable[[], int]]] = field(default_factory=list)
    _follower: threading.Thread | None = field(default=None, repr=False)
    _jobs_thread: threading.Thread | None = field(default=None, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def group_numbers(self, customer_id: UUID, name: str) -> list[str]:
        """The numbers of the customer's list called ``name`` (the compatible interfaces'
        contact groups); none if there is no such list."""
        return [] if self.contacts is None else group_numbers(self.contacts, customer_id, name)

    def start_group_commit(self) -> None:
        """Save the campaigns that threads of this process submit together, in group
        commits through one writer (the web app does: many requests at once), in a process
        of its own with ``settings.writer_process``."""
        if self.sending.writer is None:
            self.sending.writer = (
                WriterProcess(self.settings.database_url,
                              self.settings.aggregate_cache_size).start()
                if self.settings.writer_process else LedgerWriter(self.ledger).start())
            if isinstance(self.sending.history, SentHistory):
                self.sending.history.start_batching()

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

    def forward_pending_replies(self, limit: int = 100) -> int:
        """Forward the replies a crash or a failure left unforwarded (the replies view
        brought up to date first), in the replies' worker thread, so never at the same time
        as a reply just received; returns how many went out."""
        assert self.forwarding is not None
        self._catch_up(Replies.name)
        now = datetime.fromtimestamp(self.forwarding.clock(), UTC)  # replies' times: real
        pending = unforwarded(self.engine, now - RESUME_WINDOW, limit)
        if not pending:
            return 0
        return self._replies.submit(self.forwarding.forward_pending, pending).result()

    def send_pending_alerts(self, limit: int = 100) -> int:
        """Send the low-balance alerts not sent yet (the alerts view brought up to date
        first); returns how many were sent. Alerts by e-mail wait for a mail relay."""
        self._catch_up(Alerts.name)
        return alerts.send_pending_alerts(AlertsTable(self.engine), self._alert_recipient,
                                          self.mail_out, self.clock, limit, self.send_sms)

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
        if not email:
            return None
        options: dict[str, Any] = getattr(owner, "options", {})
        return alerts.Recipient(
            email, account.scale, str(options.get("low_balance_channel") or alerts.EMAIL),
            str(options.get("low_balance_number") or ""), owner.id, account.unit)

    def send_sms(self, customer_id: UUID, number: str, text: str, reference: str) -> int:
        """A send of the platform's own (a forwarded reply, an alert), charged to the
        customer like any other; returns the result code, the refusal's included."""
        channel = _OWN_CHANNELS.get(reference.partition(":")[0], "platform")
        try:
            return self.sending.submit(SendRequest(customer_id, text=text, numbers=[number],
                                                   reference=reference, channel=channel)).code
        except SendRefusedError as refused:
            return refused.code

    def send_pending_notifications(self, limit: int = 200) -> int:
        """Mail the notifications not mailed yet (the queue brought up to date first);
        returns how many were mailed. Without a mail relay they wait (see
        ``platform/notifications.py``)."""
        assert self.notifications is not None
        self._catch_up(Notifications.name)
        return notices.send_pending(self.notifications, self._notify_account, self.mail_out,
                                    self.clock, limit)

    def queue_refusal(self, customer_id: UUID, address: str, facts: dict[str, Any],
                      campaign_id: UUID | None = None) -> bool:
        """Queue the mail telling ``address`` why a request (or some of its numbers) was
        refused, if the customer's ``refusal_email`` option is on; returns whether it was
        queued. The request does not wait for the mail."""
        assert self.notifications is not None
        if not self.tenancy.customer(customer_id).options.get("refusal_email"):
            return False
        self.notifications.queue_refusal(customer_id, address, facts, self.clock(),
                                         campaign_id)
        return True

    def _notify_account(self, customer_id: UUID) -> notices.Account | None:
        try:
            customer = self.tenancy.customer(customer_id)
        except TenancyError:
            return None
        wallet = self.ledger.account(self.tenancy.wallet_of(customer_id))
        return notices.Account(customer.contact_email, customer.options, wallet.scale,
                               wallet.unit)

    def _catch_up(self, name: str) -> None:
        for runner in self.runners:
            if runner.projection.name == name:
                runner.catch_up()

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
        if isinstance(self.sending.history, SentHistory):
            self.sending.history.stop_batching()
        for thread in (self._follower, self._jobs_thread):
            if thread is not None:
                thread.join(timeout=5)
        self._replies.shutdown(wait=True)
        if self.callbacks is not None:
            self.callbacks.close()
        if self.imports is not None:
            self.imports.close()
        for app in (self.ledger, self.tenancy, self.pricing, self.routing, self.senders,
                    self.blacklists, *([self.inbox] if self.inbox is not None else []),
                    *([self.address_books] if self.address_books is not None else [])):
            app.close()
        self.engine.dispose()


_SEND_VIEWS = frozenset({Outbox.name, Journal.name})
_BAD_NUMBER_VIEWS = frozenset({Outbox.name, BadNumbers.name})  # in this order in ``runners``
# The channel of the platform's own sends, by their reference's prefix.
_OWN_CHANNELS = {"reply": "replies", "alert": "alerts"}


def _uploads_dir(settings: Settings, storage: Storage) -> Path:
    """Where uploaded contact files wait for their commit: the setting, else beside an
    SQLite database, else the temporary directory."""
    if settings.uploads_dir:
        return Path(settings.uploads_dir)
    if storage.kind == "sqlite":
        return storage.sqlite_path.parent / "uploads"
    return Path(tempfile.gettempdir()) / "portevoix-uploads"


def build_services(settings: Settings, clock: Callable[[], datetime] = utcnow,
                   mail_out: Mailer | None = None) -> Services:
    """``mail_out`` sends notifications, replies forwarded by e-mail and low-balance alerts;
    by default a ``MailOut`` through ``settings.smtp_relay``. Without either, nothing is
    mailed: notifications and alerts by e-mail wait, replies to forward by e-mail fail (and
    are tried again while the forwarding job looks at them)."""
    if mail_out is None and settings.smtp_relay:
        mail_out = MailOut(RelaySettings.parse(settings.smtp_relay, settings.mail_from))
    storage = Storage(settings.database_url)
    cache = settings.aggregate_cache_size

    def options(customer_id: UUID) -> dict[str, Any]:
        """A customer's options, for the notifications queue (none for an unknown one)."""
        try:
            return dict(tenancy.customer(customer_id).options)
        except TenancyError:
            return {}

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
            ProjectionRunner(ledger, Notifications(options, clock), engine),
        ]
        sealer = Sealer(engine)
        directory = ContactDirectory(  # the runner needs the app, which needs this
            engine, lambda: contacts_runner.catch_up(), blacklists.blocked)  # noqa: PLW0108
        address_books = AddressBooks(sealer, directory,
                                     env=storage.event_store_env("contacts", 100))
        # Its events carry up to 1,000 contacts each: pages of 20 events, not 1,000.
        contacts_runner = ProjectionRunner(address_books, ContactBook(sealer), engine,
                                           page_size=20)
        runners += [contacts_runner, ProjectionRunner(ledger, BadNumbers(), engine)]
        directory.catch_up_sends = lambda: [
            r.catch_up() for r in runners if r.projection.name in _BAD_NUMBER_VIEWS]
        sealer.create_table()
        sessions = ImportSessions(engine, _uploads_dir(settings, storage))
        sessions.create_tables()
        for runner in runners:
            runner.create_tables()
        callback_log = CallbackLog(engine)
        callback_log.create_tables()
        queue = NotificationsTable(engine)
        queue.create()
    quoting = Quoting(pricing, tenancy, clock)
    outbox_runners = [r for r in runners if r.projection.name in _SEND_VIEWS]
    history = SentHistory(engine, lambda: [r.catch_up() for r in outbox_runners])
    sending = Sending(ledger, tenancy, quoting, senders, blacklists, history, clock)
    services = Services(settings, ledger, tenancy, pricing, routing, senders, blacklists,
                        quoting, PriceBook(pricing, tenancy), sending, engine, runners, clock,
                        inbox, None, mail_out, notifications=queue)
    poster = WebhookPoster(private_allowed=settings.webhooks_to_private_networks)
    services.forwarding = Forwarding(
        inbox, lambda customer_id: tenancy.customer(customer_id).options, mail_out,
        services.send_sms, settings.secret_key, poster=poster)
    services.callback_log = callback_log
    services.address_books, services.contacts = address_books, directory
    services.imports = ContactImports(sessions, ServicesImportStore(services), clock)
    services.callbacks = CallbackDelivery(callback_log, settings.secret_key, clock,
                                          poster=poster)
    services.jobs.extend([
        ("low-balance alerts", services.send_pending_alerts),
        ("notifications", services.send_pending_notifications),
        ("reply forwarding", services.forward_pending_replies),
        ("status callbacks", services.deliver_callbacks),
    ])
    return services
