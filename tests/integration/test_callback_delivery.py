"""The status-callback job against real HTTP endpoints on 127.0.0.1, on SQLite and
PostgreSQL: signed posts, retries with backoff on an injected clock (nothing sleeps), final
answers, order per endpoint, a slow endpoint beside a fast one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from callback_receiver import Clock, a_dead_url, a_receiver
from send_world import RETAIL_FR, World, a_world

from portevoix.platform.callback_delivery import CallbackDelivery
from portevoix.platform.callbacks import (
    CALLBACK_ID_HEADER,
    Delivery,
    RetryPolicy,
    callback_secret,
)
from portevoix.platform.sending import SendRequest
from portevoix.platform.webhook_posts import WebhookPoster
from portevoix.projections.callback_log import CallbackLog

pytestmark = pytest.mark.timeout(120)
SECRET = "test-platform-secret"
LATER = datetime(2034, 12, 4, 12, 30, tzinfo=UTC)


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with a_world(database_url, secret_key=SECRET) as world:
        world.fund(100 * RETAIL_FR)
        yield world


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC))


def log_of(world: World) -> CallbackLog:
    assert world.services.callback_log is not None
    return world.services.callback_log


def job(world: World, clock: Clock, attempts: int = 4) -> Iterator[CallbackDelivery]:
    delivery = CallbackDelivery(log_of(world), SECRET, clock,
                                RetryPolicy(attempts=attempts, timeout_s=2),
                                poster=WebhookPoster(private_allowed=True))  # loopback
    try:
        yield delivery
    finally:
        delivery.close()


@pytest.fixture
def delivery(world: World, clock: Clock) -> Iterator[CallbackDelivery]:
    yield from job(world, clock)


def queue(world: World, url: str, *numbers: str) -> UUID:
    """A deferred send to ``numbers`` with callbacks to ``url``: each message is told
    "scheduled"; the events are queued once the projections catch up."""
    result = world.services.sending.submit(SendRequest(
        world.customer, text="Rendez-vous demain.", numbers=list(numbers or ["0612345678"]),
        scheduled_at=LATER, callback_url=url))
    assert result.campaign_id is not None
    world.services.catch_up()
    return result.campaign_id


def deliveries(world: World) -> list[Delivery]:
    """The customer's deliveries, oldest first."""
    found, _ = log_of(world).page(world.customer, limit=200)
    return found[::-1]


def test_a_delivery_is_posted_signed_with_the_customers_callback_secret(
        world: World, delivery: CallbackDelivery) -> None:
    with a_receiver() as receiver:
        campaign_id = queue(world, receiver.url, "0612345678", "0612345679")

        attempts = delivery.run_once(wait=True)

    [post] = receiver.received()
    [sent] = deliveries(world)
    assert attempts == 1
    assert post.verifies(callback_secret(SECRET, world.customer))
    assert post.headers[CALLBACK_ID_HEADER] == str(sent.callback_id)
    assert [(e["campaign_id"], e["number"], e["status"]) for e in post.events()] == [
        (str(campaign_id), "+33612345678", "scheduled"),
        (str(campaign_id), "+33612345679", "scheduled")]
    assert (sent.state, sent.events, [a.http_status for a in sent.attempts]) == (
        "delivered", 2, [204])


def test_a_500_then_200_endpoint_is_retried_and_the_log_shows_both_attempts(
        world: World, delivery: CallbackDelivery, clock: Clock) -> None:
    with a_receiver(500) as receiver:
        queue(world, receiver.url)
        delivery.run_once(wait=True)
        waiting = deliveries(world)[0]
        delivery.run_once(wait=True)  # the pause is not over: nothing is posted
        clock.advance(1)

        delivery.run_once(wait=True)

    first, second = receiver.received()
    [done] = deliveries(world)
    assert (waiting.state, waiting.next_attempt_at) == (
        "pending", waiting.created_at + timedelta(seconds=1))
    assert (done.state, [a.http_status for a in done.attempts]) == ("delivered", [500, 204])
    assert [a.at for a in done.attempts] == [waiting.created_at, clock.now]
    assert all(a.duration_ms >= 0 and a.error == "" for a in done.attempts)
    assert first.body == second.body
    assert first.headers[CALLBACK_ID_HEADER] == second.headers[CALLBACK_ID_HEADER]
    assert second.verifies(callback_secret(SECRET, world.customer))


def test_a_404_endpoint_is_final_after_one_attempt(
        world: World, delivery: CallbackDelivery, clock: Clock) -> None:
    with a_receiver(default=404) as receiver:
        queue(world, receiver.url)
        delivery.run_once(wait=True)
        clock.advance(3600)

        delivery.run_once(wait=True)

    [failed] = deliveries(world)
    assert len(receiver.received()) == 1
    assert (failed.state, [a.http_status for a in failed.attempts]) == ("failed", [404])
    assert failed.finished_at == failed.attempts[0].at


def test_a_down_endpoint_ends_failed_after_the_last_attempt_without_sleeping(
        world: World, delivery: CallbackDelivery, clock: Clock) -> None:
    queue(world, a_dead_url())
    started, rounds = time.monotonic(), 0

    while rounds < 10:  # a round, then the longest pause skipped on the clock
        delivery.run_once(wait=True)
        clock.advance(60)
        rounds += 1
        if deliveries(world)[0].state != "pending":
            break

    [failed] = deliveries(world)
    assert (failed.state, rounds) == ("failed", 4)
    assert [a.http_status for a in failed.attempts] == [None] * 4
    assert all("refused" in a.error.lower() for a in failed.attempts)
    assert time.monotonic() - started < 1 + 2 + 4  # the pauses were not slept


def test_an_endpoint_gets_its_deliveries_in_order_and_none_while_the_oldest_waits(
        world: World, delivery: CallbackDelivery, clock: Clock) -> None:
    with a_receiver(503) as receiver:
        first = queue(world, receiver.url, "0612345678")
        delivery.run_once(wait=True)
        second = queue(world, receiver.url, "0612345679")
        delivery.run_once(wait=True)
        held = len(receiver.received())
        clock.advance(1)

        delivery.run_once(wait=True)

    assert held == 1
    campaigns = [post.events()[0]["campaign_id"] for post in receiver.received()]
    assert campaigns == [str(first), str(first), str(second)]
    assert [d.state for d in deliveries(world)] == ["delivered", "delivered"]


def test_a_slow_endpoint_does_not_hold_the_job_or_another_endpoint(
        world: World, delivery: CallbackDelivery) -> None:
    with a_receiver(delay_s=1.5) as slow, a_receiver() as fast:
        queue(world, slow.url)
        queue(world, fast.url, "0612345679")
        started = time.monotonic()

        delivery.run_once()
        returned = time.monotonic() - started
        fast.wait_for(1, timeout_s=5)
        answered_fast = time.monotonic() - started
        finished = delivery.wait(timeout_s=10)

    assert returned < 1.0 and answered_fast < 1.5
    assert finished and [d.state for d in deliveries(world)] == ["delivered", "delivered"]


def test_a_callback_to_a_private_address_is_refused_by_default_and_nothing_is_posted(
        world: World, clock: Clock) -> None:
    guarded = CallbackDelivery(log_of(world), SECRET, clock, RetryPolicy(attempts=2))
    with a_receiver() as receiver:
        queue(world, receiver.url.replace("127.0.0.1", "localhost"))
        for _ in range(2):
            guarded.run_once(wait=True)
            clock.advance(60)
        guarded.close()

    assert receiver.received() == []
    [failed] = deliveries(world)
    assert failed.state == "failed"
    assert [a.http_status for a in failed.attempts] == [None, None]
    assert all(a.error.startswith("ForbiddenTargetError: localhost is ")
               and "not a public address" in a.error for a in failed.attempts)


def test_without_a_platform_secret_nothing_is_posted(world: World, clock: Clock) -> None:
    unsigned = CallbackDelivery(log_of(world), "", clock)
    with a_receiver() as receiver:
        queue(world, receiver.url)

        unsigned.run_once(wait=True)
        unsigned.close()

    assert receiver.received() == []
    assert [d.state for d in deliveries(world)] == ["pending"]


def test_the_background_jobs_deliver_the_callbacks(world: World) -> None:
    services = world.services
    assert "status callbacks" in [name for name, _ in services.jobs]
    with a_receiver() as receiver:
        queue(world, receiver.url)

        services.run_jobs()
        assert services.callbacks is not None and services.callbacks.wait(10)

    assert [e["status"] for e in receiver.events()] == ["scheduled"]
