"""Recording a campaign: the ledger command that saves it with the holds that pay for it,
and what runs such commands in group commits (a writer thread, or the writer's process)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from portevoix.ledger.transfers import TransferOrder
from portevoix.ledger.work import Work
from portevoix.platform.campaigns import Campaign

T = TypeVar("T")


@dataclass(frozen=True)
class RecordCampaign:
    """A ledger command: the campaign and the holds that pay for it, recorded together.

    The campaign comes as its stored events, encoded by the caller (so that a writer in
    another process only records them), and pickles as bytes and tuples (unpickling an
    aggregate took a fifth of that writer's time, measured). It answers None when it
    recorded the campaign, the campaign found when one with its id exists already. The first
    attempt of a group commit trusts that a fresh random id is new (a collision runs the
    batch again, looking every campaign up); a campaign with a reference is always looked up.
    """

    campaign_id: UUID
    events: tuple[StoredEvent, ...]
    orders: tuple[TransferOrder, ...]
    look_up: bool

    def __call__(self, work: Work) -> Campaign | None:
        if self.look_up or work.check_existing:
            existing = work.find(self.campaign_id, Campaign)
            if existing is not None:
                return existing
        if self.orders:
            work.place(self.orders)
        work.add_stored(self.campaign_id, self.events)
        return None

    def __reduce__(self) -> tuple[Any, ...]:
        return _record_campaign, (
            self.campaign_id.bytes,
            [(event.originator_version, event.topic, event.state) for event in self.events],
            [(order.id.bytes, order.debit_account_id.bytes, order.credit_account_id.bytes,
              order.amount, order.pending, order.timeout_s, order.kind, order.reference)
             for order in self.orders],
            self.look_up)


def _record_campaign(campaign_id: bytes, events: list[tuple[int, str, bytes]],
                     orders: list[tuple[Any, ...]], look_up: bool) -> RecordCampaign:
    originator = UUID(bytes=campaign_id)
    return RecordCampaign(
        originator,
        tuple(StoredEvent(originator, version, topic, state)
              for version, topic, state in events),
        tuple(TransferOrder(UUID(bytes=transfer), UUID(bytes=debit), UUID(bytes=credit), *rest)
              for transfer, debit, credit, *rest in orders),
        look_up)


class Writer(Protocol):
    """Group commits: the in-process ``LedgerWriter`` or a ``WriterProcess``."""

    @property
    def running(self) -> bool: ...

    def run(self, command: Callable[[Work], T], timeout_s: float = 30.0) -> T: ...

    def stop(self) -> None: ...
