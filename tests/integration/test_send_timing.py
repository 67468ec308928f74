"""Timing of sends with an injected clock: throttled packets, recurrences, copies, re-sends
and edits of a deferred time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from send_world import RETAIL_FR, World, a_world

from portevoix.platform.campaigns import Campaign
from portevoix.platform.schedule import Recurrence, Throttle
from portevoix.platform.sending import SendRefusedError, SendRequest
from portevoix.projections.journal import campaign as journal_entry
from portevoix.projections.outbox import outbox_page

pytestmark = pytest.mark.timeout(120)
MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Paris
NUMBERS = [f"+3361234567{n}" for n in range(5)]


@pytest.fixture
def now() -> list[datetime]:
    return [MONDAY_10]


@pytest.fixture
def world(tmp_path: object, now: list[datetime]) -> Iterator[World]:
    with a_world(f"sqlite:///{tmp_path}/p.db", clock=lambda: now[0]) as world:
        world.fund(100 * RETAIL_FR)
        yield world


def sent_by(world: World, now: list[datetime], moment: datetime, campaign: object) -> int:
    now[0] = moment
    dispatcher = world.services.dispatcher()

    async def tick() -> None:
        await dispatcher.tick()
        await dispatcher.connectors.close()

    asyncio.run(tick())
    return len(world.smsc.record)


def test_a_throttled_send_leaves_in_packets(world: World, now: list[datetime]) -> None:
    result = world.services.sending.submit(SendRequest(
        world.customer, text="Rappel", numbers=NUMBERS, throttle=Throttle(2, 10)))

    counts = [sent_by(world, now, MONDAY_10 + timedelta(minutes=m), result.campaign_id)
              for m in (0, 5, 10, 20, 30)]

    assert counts == [2, 2, 4, 5, 5]


def test_a_recurring_send_comes_back_until_its_end(world: World, now: list[datetime]) -> None:
    result = world.services.sending.submit(SendRequest(
        world.customer, text="Réunion hebdomadaire", numbers=NUMBERS[:1],
        scheduled_at=MONDAY_10, recurrence=Recurrence("daily", count=2)))

    first_day = sent_by(world, now, MONDAY_10, result.campaign_id)
    sent_by(world, now, MONDAY_10 + timedelta(minutes=1), result.campaign_id)  # closes it
    next_day = sent_by(world, now, MONDAY_10 + timedelta(days=1), result.campaign_id)
    sent_by(world, now, MONDAY_10 + timedelta(days=1, minutes=1), result.campaign_id)
    day_after = sent_by(world, now, MONDAY_10 + timedelta(days=2), result.campaign_id)

    assert (first_day, next_day, day_after) == (1, 2, 2)  # twice, then the end
    assert world.available() == 98 * RETAIL_FR


def test_a_past_send_can_be_sent_again_within_24_hours(world: World,
                                                       now: list[datetime]) -> None:
    first = world.services.sending.submit(SendRequest(world.customer, text="Info",
                                                      numbers=NUMBERS[:2]))
    sent_by(world, now, MONDAY_10, first.campaign_id)

    again = world.services.sending.copy(world.customer, first.campaign_id)

    assert again.campaign_id != first.campaign_id and again.recipients == 2
    assert sent_by(world, now, MONDAY_10 + timedelta(minutes=1), again.campaign_id) == 4


def test_a_deferred_time_can_be_edited_until_the_send_starts(world: World,
                                                             now: list[datetime]) -> None:
    later = MONDAY_10 + timedelta(hours=2)
    result = world.services.sending.submit(SendRequest(
        world.customer, text="Info", numbers=NUMBERS[:1], scheduled_at=later))

    world.services.sending.reschedule(world.customer, result.campaign_id, None)
    sent_now = sent_by(world, now, MONDAY_10, result.campaign_id)

    assert sent_now == 1
    campaign = world.services.ledger.repository.get(result.campaign_id)
    assert isinstance(campaign, Campaign) and campaign.scheduled_at is None
    with pytest.raises(SendRefusedError):
        world.services.sending.reschedule(world.customer, result.campaign_id, later)


def test_the_outbox_and_journal_follow_an_edited_time(world: World) -> None:
    later = MONDAY_10 + timedelta(hours=2)
    result = world.services.sending.submit(SendRequest(
        world.customer, text="Info", numbers=NUMBERS[:2], scheduled_at=later))

    world.services.sending.reschedule(world.customer, result.campaign_id, later + timedelta(1))
    world.services.catch_up()
    rows, _ = outbox_page(world.services.engine, world.customer)
    entry = journal_entry(world.services.engine, result.campaign_id)
    assert {row.scheduled_at.replace(tzinfo=UTC) for row in rows} == {later + timedelta(1)}
    assert entry is not None and entry.scheduled_at.replace(tzinfo=UTC) == later + timedelta(1)
