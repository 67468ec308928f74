"""Campaigns: one send request, its recipients priced and paid for, and what became of each.

A campaign is created with its recipients already quoted: their numbers, destinations,
segments and the prices they were quoted at (frozen, so a replay never consults today's
price list), and with the two holds that pay for them (the customer's retail leg and the
reseller's wholesale leg), saved in one go. Recipients are recorded in chunks of 1,000 per
event. Dispatch is recorded per batch, never per message: a write-ahead ``Sending`` before a
batch leaves, its ``Dispatched`` results when the SMSC answered, charged in the same save.
After a crash, messages caught between the two are the one ambiguous case, settled by the
account's delivery policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

CHUNK = 1_000
# Campaign statuses.
TEST, AWAITING_APPROVAL, SCHEDULED, DONE, CANCELLED = (
    "test", "awaiting_approval", "scheduled", "done", "cancelled")
# What became of each message at dispatch.
PENDING, SENDING, SUBMITTED, REJECTED, UNKNOWN = (
    "pending", "sending", "submitted", "rejected", "unknown")
AMBIGUOUS = "ambiguous"  # an outcome only: the SMSC may or may not have it
REQUEUED = "requeued"  # what an ambiguous message becomes under at-least-once
CHARGED = frozenset({SUBMITTED, UNKNOWN})
AT_MOST_ONCE, AT_LEAST_ONCE = "at_most_once", "at_least_once"
TRANSACTIONAL, MARKETING = "transactional", "marketing"
KINDS = (TRANSACTIONAL, MARKETING)


class CampaignError(Exception):
    """Base of what a campaign refuses."""


class CampaignNotCancellableError(CampaignError):
    def __init__(self, campaign_id: UUID, status: str) -> None:
        super().__init__(f"campaign {campaign_id} is {status}: only a send that has not "
                         "started can be cancelled")
        self.campaign_id, self.status = campaign_id, status


class CampaignStateError(CampaignError):
    def __init__(self, campaign_id: UUID, reason: str) -> None:
        super().__init__(f"campaign {campaign_id}: {reason}")
        self.campaign_id, self.reason = campaign_id, reason


def hold_ids(campaign_id: UUID) -> tuple[UUID, UUID]:
    """The customer's and the reseller's hold for a campaign."""
    return uuid5(campaign_id, "hold:customer"), uuid5(campaign_id, "hold:reseller")


def message_id(campaign_id: UUID, index: int) -> str:
    return f"{campaign_id.hex}.{index}"


def parse_message_id(value: str) -> tuple[UUID, int]:
    campaign, _, index = value.partition(".")
    return UUID(hex=campaign), int(index)


class Campaign(Aggregate):
    """A send: its recipients (e164, country, operator, segments, price, wholesale cost,
    text) and the dispatch state of each."""

    TOPIC = "portevoix.platform:Campaign"

    class Created(Aggregate.Created):
        TOPIC = "portevoix.platform:Campaign.Created"

    class Submitted(Aggregate.Created):
        TOPIC = "portevoix.platform:Campaign.Submitted"
        customer_id: UUID
        reseller_id: UUID
        settings: dict[str, Any]
        totals: dict[str, int]

    @event(Submitted)
    def __init__(self, id: UUID, customer_id: UUID, reseller_id: UUID,
                 settings: dict[str, Any], totals: dict[str, int]) -> None:
        self.customer_id, self.reseller_id = customer_id, reseller_id
        self.settings, self.totals = settings, totals
        self.rows: list[list[Any]] = []
        self.states: list[str] = []
        self.possible_duplicates: set[int] = set()
        self.smsc_ids: dict[int, list[str]] = {}
        self.statuses: dict[int, str] = {}
        self.charged_price = self.charged_wholesale = 0
        if settings["test"]:
            self.status = TEST
        elif settings["proof_required"]:
            self.status = AWAITING_APPROVAL
        else:
            self.status = SCHEDULED
        self.closed = False

    @classmethod
    def submit(cls, campaign_id: UUID, customer_id: UUID, reseller_id: UUID,
               settings: dict[str, Any], rows: Sequence[list[Any]]) -> Campaign:
        """A campaign for ``rows`` ``[e164, country, operator, segments, price, wholesale,
        text]``; ``settings`` hold the sender, kind, times, options and prices' unit."""
        totals = {
            "recipients": len(rows), "segments": sum(r[3] for r in rows),
            "price": sum(r[4] for r in rows), "wholesale": sum(r[5] for r in rows),
        }
        campaign = cls(id=campaign_id, customer_id=customer_id, reseller_id=reseller_id,
                       settings=settings, totals=totals)
        for first in range(0, len(rows), CHUNK):
            campaign._recipients_added(first, [list(r) for r in rows[first:first + CHUNK]])
        return campaign

    # Queries ------------------------------------------------------------------------------

    @property
    def scheduled_at(self) -> datetime | None:
        found: datetime | None = self.settings.get("scheduled_at")
        return found

    @property
    def started(self) -> bool:
        return any(state != PENDING for state in self.states)

    def is_due(self, now: datetime) -> bool:
        return (self.status == SCHEDULED and not self.closed
                and (self.scheduled_at is None or self.scheduled_at <= now))

    def pending(self, limit: int,
                may_leave: Callable[[list[Any]], bool] | None = None) -> list[int]:
        """Up to ``limit`` messages not yet sent, in order; with ``may_leave``, only those
        whose row it allows now (the sending windows of their countries)."""
        found = []
        for index, state in enumerate(self.states):
            if state == PENDING and (may_leave is None or may_leave(self.rows[index])):
                found.append(index)
                if len(found) == limit:
                    break
        return found

    @property
    def remaining(self) -> int:
        return self.states.count(PENDING)

    @property
    def policy(self) -> str:
        return str(self.settings["delivery_policy"])

    def in_flight(self) -> list[int]:
        return [index for index, state in enumerate(self.states) if state == SENDING]

    @property
    def dispatched(self) -> bool:
        return all(state in (SUBMITTED, REJECTED, UNKNOWN) for state in self.states)

    # Commands -----------------------------------------------------------------------------

    def approve(self) -> None:
        if self.status != AWAITING_APPROVAL:
            raise CampaignStateError(self.id, f"is {self.status}, not awaiting approval")
        self._approved()

    def cancel(self, reason: str) -> None:
        if self.status not in (SCHEDULED, AWAITING_APPROVAL) or self.started or self.closed:
            raise CampaignNotCancellableError(self.id, self.status if not self.started
                                              else "started")
        self._cancelled(reason)

    def reschedule(self, scheduled_at: datetime | None) -> None:
        """Move a send that has not started (edit its time); None sends it now."""
        if self.status not in (SCHEDULED, AWAITING_APPROVAL) or self.started or self.closed:
            raise CampaignNotCancellableError(self.id, "started" if self.started
                                              else self.status)
        self._rescheduled(scheduled_at)

    def start_sending(self, indexes: Sequence[int]) -> None:
        """Write-ahead: these messages leave now (recorded before the first submit_sm)."""
        if any(self.states[i] != PENDING for i in indexes):
            raise CampaignStateError(self.id, "a message is sent at most once per attempt")
        self._sending(list(indexes))

    def record_results(self, results: Sequence[list[Any]]) -> tuple[int, int]:
        """``[index, outcome, smsc_ids, reason]`` for messages that were sending (outcome
        submitted, rejected or ambiguous); returns the retail and wholesale amounts they
        newly charge. An ambiguous message follows the delivery policy: at most once, it is
        unknown and charged, never sent again; at least once, it is sent again, flagged as a
        possible duplicate, and charged once, when it is submitted."""
        again = self.settings["delivery_policy"] == AT_LEAST_ONCE
        recorded, price, wholesale = [], 0, 0
        for index, answer, smsc_ids, reason in results:
            if self.states[index] != SENDING:
                raise CampaignStateError(self.id, f"message {index} was not sending")
            outcome = (REQUEUED if again else UNKNOWN) if answer == AMBIGUOUS else answer
            if outcome in CHARGED:
                price += self.rows[index][4]
                wholesale += self.rows[index][5]
            recorded.append([index, outcome, list(smsc_ids), reason])
        self._dispatched(recorded, price, wholesale)
        return price, wholesale

    def recover(self) -> tuple[int, int]:
        """After a crash: messages caught sending are ambiguous (see ``record_results``);
        returns what they charge."""
        caught = self.in_flight()
        if not caught:
            return 0, 0
        return self.record_results(
            [[i, AMBIGUOUS, [], "the dispatcher stopped before the SMSC answered"]
             for i in caught])

    def record_receipts(self, items: Iterable[list[Any]]) -> None:
        """``[index, status, stat, error_code, done_at_iso]`` from delivery receipts."""
        rows = [list(item) for item in items if self.statuses.get(item[0]) != item[1]]
        if rows:
            self._receipts_recorded(rows)

    def close(self) -> tuple[int, int]:
        """Every message dispatched: returns what the holds still reserve, to release."""
        if self.closed:
            return 0, 0
        if not (self.dispatched or self.status in (CANCELLED, TEST)):
            raise CampaignStateError(self.id, "messages are still to be sent")
        released_price = self.totals["price"] - self.charged_price
        released_wholesale = self.totals["wholesale"] - self.charged_wholesale
        self._closed(released_price, released_wholesale)
        return released_price, released_wholesale

    # Events -------------------------------------------------------------------------------

    @event("RecipientsAdded", topic="portevoix.platform:Campaign.RecipientsAdded")
    def _recipients_added(self, first: int, rows: list[list[Any]]) -> None:
        self.rows.extend(rows)
        self.states.extend([PENDING] * len(rows))

    @event("Approved", topic="portevoix.platform:Campaign.Approved")
    def _approved(self) -> None:
        self.status = SCHEDULED

    @event("Cancelled", topic="portevoix.platform:Campaign.Cancelled")
    def _cancelled(self, reason: str) -> None:
        self.status = CANCELLED

    @event("Rescheduled", topic="portevoix.platform:Campaign.Rescheduled")
    def _rescheduled(self, scheduled_at: datetime | None) -> None:
        self.settings = {**self.settings, "scheduled_at": scheduled_at}

    @event("Sending", topic="portevoix.platform:Campaign.Sending")
    def _sending(self, indexes: list[int]) -> None:
        for index in indexes:
            self.states[index] = SENDING

    @event("Dispatched", topic="portevoix.platform:Campaign.Dispatched")
    def _dispatched(self, results: list[list[Any]], price: int, wholesale: int) -> None:
        for index, outcome, smsc_ids, _ in results:
            if outcome == REQUEUED:
                self.states[index] = PENDING
                self.possible_duplicates.add(index)
                continue
            self.states[index] = outcome
            if smsc_ids:
                self.smsc_ids[index] = smsc_ids
        self.charged_price += price
        self.charged_wholesale += wholesale

    @event("ReceiptsRecorded", topic="portevoix.platform:Campaign.ReceiptsRecorded")
    def _receipts_recorded(self, items: list[list[Any]]) -> None:
        for index, status, *_ in items:
            self.statuses[index] = status

    @event("Closed", topic="portevoix.platform:Campaign.Closed")
    def _closed(self, released_price: int, released_wholesale: int) -> None:
        self.closed = True
        if self.status in (SCHEDULED, AWAITING_APPROVAL):
            self.status = DONE
