"""The dispatcher: takes due campaigns, sends their messages over SMPP, records and settles.

Each batch of at most one window of messages is recorded *before* it leaves (``Sending``)
and its results *with* its charges once the SMSC answered (``Dispatched`` and partial posts
of both holds, one save). A kill between the two leaves at most that batch ambiguous, and
the next start settles it by the account's delivery policy (``Campaign.recover``); nothing
else is ever sent twice or left reserved: a campaign whose messages all have an outcome is
closed and what its holds still reserve is released in the same save. Receipts update the
campaigns in batches. Campaigns are taken round-robin, a batch each, so a unit send never
waits behind another customer's 100,000 messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.persistence import IntegrityError

from portevoix.ledger.services import Ledger
from portevoix.ledger.transfers import PENDING
from portevoix.ledger.work import Work
from portevoix.platform.campaigns import (
    AMBIGUOUS,
    MARKETING,
    REJECTED,
    SUBMITTED,
    Campaign,
    CampaignError,
    hold_ids,
    message_id,
    parse_message_id,
)
from portevoix.platform.fairness import FairQueue
from portevoix.platform.routes import RouteSpec
from portevoix.platform.routing import Routing
from portevoix.platform.schedule import Throttle
from portevoix.platform.smpp.binds import BindConfig
from portevoix.platform.smpp.connector import Connector
from portevoix.platform.smpp.outbound import Outbound
from portevoix.platform.smpp.receipts import FINAL_STATUSES
from portevoix.platform.smpp.results import Accepted, DeliveryReport, Outcome, Rejected, Reply
from portevoix.platform.windows import SendingWindows

log = logging.getLogger("portevoix.dispatcher")
NO_ROUTE = "no_route"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Connectors:
    """One connector per route, started on first use, closed together. The routing plan is
    read again every ``refresh_s`` seconds: a route change takes effect that soon."""

    def __init__(self, routing: Routing, on_receipt: Callable[[DeliveryReport], object],
                 on_reply: Callable[[Reply], object] | None = None,
                 refresh_s: float = 5.0) -> None:
        self.routing, self.on_receipt, self.on_reply = routing, on_receipt, on_reply
        self.refresh_s = refresh_s
        self._started: dict[str, Connector] = {}
        self._choices: dict[tuple[str, str], RouteSpec | None] = {}
        self._read_at = -refresh_s

    def _route(self, country: str, operator: str) -> RouteSpec | None:
        now = time.monotonic()
        if now - self._read_at > self.refresh_s:
            self._choices.clear()
            self._read_at = now
        key = country, operator
        if key not in self._choices:
            candidates = self.routing.candidates(country, operator)
            self._choices[key] = candidates[0] if candidates else None
        return self._choices[key]

    async def for_destination(self, country: str, operator: str) -> Connector | None:
        spec = self._route(country, operator)
        if spec is None:
            return None
        if spec.name not in self._started:
            connector = Connector(BindConfig.from_route(spec), self.on_receipt, self.on_reply,
                                  name=spec.name)
            await connector.start()
            self._started[spec.name] = connector
        return self._started[spec.name]

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self._started.values()),
                             return_exceptions=True)
        self._started.clear()


class Dispatcher:
    """Sends due campaigns; ``due(now)`` lists them (the campaign journal in production)."""

    def __init__(self, ledger: Ledger, routing: Routing, due: Callable[[datetime], list[UUID]],
                 clock: Callable[[], datetime] = utcnow, batch: int = 64, budget: int = 2_000,
                 on_reply: Callable[[Reply], object] | None = None,
                 windows: SendingWindows | None = None,
                 on_closed: Callable[[Campaign], object] | None = None) -> None:
        """``on_closed`` hears of each campaign this dispatcher closes (the next occurrence
        of a recurring send is submitted there)."""
        self.ledger, self.due, self.clock, self.batch = ledger, due, clock, batch
        self.on_closed = on_closed
        self.budget = budget
        self.windows = windows or SendingWindows.load()
        self.connectors = Connectors(routing, self._receipt, on_reply)

        self._campaigns: dict[UUID, Campaign] = {}
        self._receipts: dict[UUID, list[list[Any]]] = defaultdict(list)
        self.sent = 0

    async def run(self, stop: asyncio.Event, poll_s: float = 0.2) -> None:
        """Dispatch until ``stop`` is set, then flush receipts and close the binds."""
        try:
            while not stop.is_set():
                handled = await self.tick()
                await self.flush_receipts()
                if not handled:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), poll_s)
        finally:
            await self.flush_receipts()
            await self.connectors.close()

    async def tick(self) -> int:
        """One round: up to ``budget`` messages shared fairly between the customers with due
        campaigns (a unit send never waits behind another's 100,000); returns how many were
        handled."""
        now = self.clock()
        queue = FairQueue()
        for campaign_id in await asyncio.to_thread(self.due, now):
            try:
                campaign = await self._campaign(campaign_id)
            except (CampaignError, IntegrityError) as error:
                log.warning("campaign %s: %s", campaign_id, error)
                continue
            if campaign.is_due(now):
                queue.push(str(campaign.customer_id), str(campaign_id),
                           max(campaign.remaining, 1))
        handled = 0
        for campaign_key, share in queue.take(self.budget):
            campaign_id = UUID(campaign_key)
            try:
                handled += await self._dispatch_share(campaign_id, now, share)
            except (CampaignError, IntegrityError) as error:
                log.warning("campaign %s: %s; reloading it", campaign_id, error)
                self._campaigns.pop(campaign_id, None)
        return handled

    async def _dispatch_share(self, campaign_id: UUID, now: datetime, share: int) -> int:
        """Up to ``share`` messages of the campaign, a batch (one window) at a time."""
        handled = 0
        while handled < share:
            sent = await self._dispatch_batch(campaign_id, now, min(share - handled, self.batch))
            if not sent:
                break
            handled += sent
        return handled

    async def _dispatch_batch(self, campaign_id: UUID, now: datetime, size: int) -> int:
        campaign = await self._campaign(campaign_id)
        if not campaign.is_due(now):
            return 0
        if not campaign.remaining:
            await asyncio.to_thread(self._close, campaign)
            return 0
        size = min(size, self._released(campaign, now))
        if size <= 0:
            return 0  # a throttled send: the next packet is not due yet
        marketing = campaign.settings["kind"] == MARKETING
        indexes = campaign.pending(size, lambda row: self.windows.allowed(row[1], now, marketing))
        if not indexes:
            return 0  # what remains waits for its sending window
        await asyncio.to_thread(self._record, campaign, lambda: campaign.start_sending(indexes))
        results = await self._send(campaign, indexes, now)
        await asyncio.to_thread(self._settle, campaign, results)
        self.sent += len(indexes)
        if campaign.dispatched:
            await asyncio.to_thread(self._close, campaign)
        return len(indexes)

    @staticmethod
    def _released(campaign: Campaign, now: datetime) -> int:
        """How many more messages may leave now: all of them, or for a throttled send the
        packets due by now less those already sent."""
        throttle = campaign.settings.get("throttle")
        if not throttle:
            return campaign.remaining
        start = campaign.scheduled_at or campaign.settings["created_at"]
        total = campaign.totals["recipients"]
        due = sum(count for at, count in Throttle.from_dict(throttle).release_times(total, start)
                  if at <= now)
        return due - (total - campaign.remaining)

    async def _send(self, campaign: Campaign, indexes: list[int],
                    now: datetime) -> list[list[Any]]:
        settings = campaign.settings
        validity = settings.get("validity_s")
        created: datetime = settings["created_at"]
        results: dict[int, list[Any]] = {}
        groups: dict[int, tuple[Connector, list[int]]] = {}
        for index in indexes:
            row = campaign.rows[index]
            if validity and now > created + timedelta(seconds=validity):
                results[index] = [index, REJECTED, [], "expired before it could be sent"]
                continue
            connector = await self.connectors.for_destination(row[1], row[2])
            if connector is None:
                results[index] = [index, REJECTED, [], f"{NO_ROUTE}: no route serves {row[1]}"]
                continue
            groups.setdefault(id(connector), (connector, []))[1].append(index)
        sends = [connector.submit_many([self._outbound(campaign, i) for i in group])
                 for connector, group in groups.values()]
        for (_, group), outcomes in zip(groups.values(), await asyncio.gather(*sends),
                                        strict=True):
            for index, outcome in zip(group, outcomes, strict=True):
                results[index] = _result(index, outcome)
        return [results[index] for index in indexes]

    @staticmethod
    def _outbound(campaign: Campaign, index: int) -> Outbound:
        row, settings = campaign.rows[index], campaign.settings
        return Outbound(
            message_id=message_id(campaign.id, index), source=str(settings["sender"]),
            destination=row[0], text=row[6] or str(settings["text"]),
            policy=str(settings["encoding_policy"]), flash=bool(settings["flash"]),
            validity_s=settings.get("validity_s"),
        )

    # Recording (in a worker thread: the store is synchronous) ---------------------------

    def _record(self, campaign: Campaign, change: Callable[[], object]) -> None:
        def run(work: Work) -> None:
            change()
            work.add(campaign)

        self.ledger.run(run)

    def _settle(self, campaign: Campaign, results: list[list[Any]]) -> None:
        def run(work: Work) -> None:
            price, wholesale = campaign.record_results(results)
            settlement = uuid5(campaign.id, f"settle:{campaign.version}")
            for hold, amount in zip(hold_ids(campaign.id), (price, wholesale), strict=True):
                if amount:
                    work.post(hold, amount, settlement)
            work.add(campaign)

        self.ledger.run(run)

    def _recover(self, campaign: Campaign) -> None:
        self._settle(campaign, [[i, AMBIGUOUS, [], "the dispatcher stopped before the SMSC "
                                 "answered"] for i in campaign.in_flight()])

    def _close(self, campaign: Campaign) -> None:
        if campaign.closed:
            return

        def run(work: Work) -> None:
            campaign.close()
            for hold in hold_ids(campaign.id):
                if work.transfer(hold).status == PENDING:  # fully charged holds are closed
                    work.void(hold)
            work.add(campaign)

        self.ledger.run(run)
        if self.on_closed is not None:
            try:
                self.on_closed(campaign)
            except Exception:  # a refused repetition must not stop the dispatcher
                log.exception("campaign %s: after closing", campaign.id)

    async def _campaign(self, campaign_id: UUID) -> Campaign:
        campaign = self._campaigns.get(campaign_id)
        if campaign is None:
            campaign = await asyncio.to_thread(self._load, campaign_id)
            if campaign.in_flight():
                await asyncio.to_thread(self._recover, campaign)
            await self._track_receipts(campaign)
            self._campaigns[campaign_id] = campaign
        return campaign

    def finished(self, campaign_id: UUID) -> bool:
        """The campaign is closed and every message it submitted has a final status."""
        campaign = self._campaigns.get(campaign_id)
        return campaign is not None and campaign.closed and all(
            campaign.statuses.get(index) in FINAL_STATUSES
            for index, state in enumerate(campaign.states) if state == SUBMITTED)

    def _load(self, campaign_id: UUID) -> Campaign:
        found: object = self.ledger.repository.get(campaign_id)
        if not isinstance(found, Campaign):
            raise CampaignError(f"no campaign {campaign_id}")
        return found

    async def _track_receipts(self, campaign: Campaign) -> None:
        """Receipts of messages submitted before this dispatcher started still find them."""
        for index, smsc_ids in campaign.smsc_ids.items():
            if campaign.states[index] == SUBMITTED and campaign.statuses.get(
                    index) not in FINAL_STATUSES:
                row = campaign.rows[index]
                connector = await self.connectors.for_destination(row[1], row[2])
                if connector is not None:
                    connector.track(message_id(campaign.id, index), smsc_ids)

    # Receipts -----------------------------------------------------------------------------

    def _receipt(self, report: DeliveryReport) -> None:
        campaign_id, index = parse_message_id(report.message_id)
        done = report.done_at.isoformat() if report.done_at else ""
        self._receipts[campaign_id].append(
            [index, report.status, report.stat, report.error_code, done])

    async def flush_receipts(self) -> None:
        pending, self._receipts = self._receipts, defaultdict(list)
        for campaign_id, items in pending.items():
            campaign = await self._campaign(campaign_id)
            await asyncio.to_thread(self._record, campaign,
                                    functools.partial(campaign.record_receipts, items))


def _result(index: int, outcome: Outcome) -> list[Any]:
    if isinstance(outcome, Accepted):
        return [index, SUBMITTED, list(outcome.smsc_ids), ""]
    if isinstance(outcome, Rejected):
        return [index, REJECTED, list(outcome.smsc_ids), f"{outcome.reason}: {outcome.detail}"]
    return [index, AMBIGUOUS, list(outcome.smsc_ids), outcome.detail]

