"""Every refusal of the send pipeline, with its code, and what a refusal leaves: nothing."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from send_world import RETAIL_FR, World, a_world

from portevoix.platform import codes
from portevoix.platform.sending import SendRefusedError, SendRequest

pytestmark = pytest.mark.timeout(300)
TEXT = "Votre rendez-vous est confirmé."


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with a_world(database_url) as world:
        world.fund(100 * RETAIL_FR)
        yield world


def refused(world: World, **request: object) -> int:
    before = world.available()
    with pytest.raises(SendRefusedError) as refusal:
        world.services.sending.submit(SendRequest(world.customer, **request))  # type: ignore[arg-type]
    assert world.available() == before, "a refused send must reserve nothing"
    return refusal.value.code


@pytest.mark.parametrize(("request_fields", "code"), [
    ({"text": "", "numbers": ["0612345678"]}, codes.EMPTY_MESSAGE),
    ({"text": TEXT, "numbers": []}, codes.EMPTY_NUMBERS),
    ({"text": TEXT, "numbers": ["0612"]}, codes.INVALID_NUMBER),
    ({"text": TEXT, "numbers": ["0696123456"]}, codes.OVERSEAS_NOT_ALLOWED),
    ({"text": TEXT, "numbers": ["0612345678"], "sender": "NotMine"}, codes.INVALID_SENDER),
    ({"text": TEXT, "numbers": ["0612345678"], "sender": "SMSPlus", "kind": "marketing"},
     codes.STOP_MENTION_REQUIRED),
    ({"text": TEXT, "numbers": [f"+3361{n:07d}" for n in range(101)]},
     codes.INSUFFICIENT_CREDIT),
])
def test_a_refused_request_says_why_and_records_nothing(
    world: World, request_fields: dict[str, object], code: int
) -> None:
    assert refused(world, **request_fields) == code


def test_an_address_outside_the_allow_list_is_refused(world: World) -> None:
    world.services.tenancy.change_options(world.customer, ip_allow_list=["192.0.2.0/24"])

    code = refused(world, text=TEXT, numbers=["0612345678"], client_ip="198.51.100.7")

    assert code == codes.IP_NOT_ALLOWED
    assert world.services.sending.submit(SendRequest(
        world.customer, text=TEXT, numbers=["0612345678"], client_ip="192.0.2.9")).code == 80


def test_blacklisted_numbers_are_dropped_and_reported(world: World) -> None:
    world.services.blacklists.opt_out(world.customer, "+33612345678", "stop_reply")
    world.services.blacklists.block("+33698765432", "fraud")

    result = world.services.sending.submit(SendRequest(
        world.customer, text=TEXT, numbers=["0612345678", "0698765432", "0611111111"]))
    only_blocked = refused(world, text=TEXT, numbers=["0612345678"])

    assert [(r.number, r.code) for r in result.refused] == [
        ("+33612345678", codes.BLACKLISTED), ("+33698765432", codes.BLACKLISTED)]
    assert result.recipients == 1
    assert only_blocked == codes.BLACKLISTED


def test_the_same_text_to_the_same_number_within_24_hours_is_refused(world: World) -> None:
    world.services.sending.submit(SendRequest(world.customer, text=TEXT, numbers=["0612345678"]))

    again = refused(world, text=TEXT, numbers=["0612345678"])
    world.services.tenancy.change_options(world.customer, duplicate_check_24h=False)
    allowed = world.services.sending.submit(
        SendRequest(world.customer, text=TEXT, numbers=["0612345678"]))

    assert again == codes.DUPLICATE_24H
    assert allowed.code == codes.SENT


def test_the_daily_quota_is_enforced(world: World) -> None:
    world.services.tenancy.change_options(world.customer, daily_quota=2)
    world.services.sending.submit(
        SendRequest(world.customer, text=TEXT, numbers=["0611111111", "0622222222"]))

    assert refused(world, text=TEXT, numbers=["0633333333"]) == codes.QUOTA_EXCEEDED


def test_test_mode_prices_everything_and_charges_nothing(world: World) -> None:
    before = world.available()

    result = world.services.sending.submit(SendRequest(
        world.customer, text=TEXT, numbers=["0612345678", "0698765432"], test=True))

    assert (result.code, result.price, result.recipients) == (codes.TEST_OK, 2 * RETAIL_FR, 2)
    assert world.available() == before


def test_cancelling_a_deferred_send_releases_its_reservation(world: World) -> None:
    before = world.available()
    later = datetime.now(UTC) + timedelta(days=1)
    result = world.services.sending.submit(SendRequest(
        world.customer, text=TEXT, numbers=["0612345678"], scheduled_at=later))
    reserved = world.available()

    world.services.sending.cancel(world.customer, result.campaign_id)

    assert result.code == codes.DEFERRED
    assert before - reserved == RETAIL_FR
    assert world.available() == before
    with pytest.raises(SendRefusedError) as again:
        world.services.sending.cancel(world.customer, result.campaign_id)
    assert again.value.code == codes.DEFERRED_NOT_CANCELLED


def test_the_same_reference_is_the_same_campaign(world: World) -> None:
    first = world.services.sending.submit(SendRequest(
        world.customer, text=TEXT, numbers=["0612345678"], reference="order-1"))
    second = world.services.sending.submit(SendRequest(
        world.customer, text=TEXT, numbers=["0612345678"], reference="order-1"))

    assert first.campaign_id == second.campaign_id
    assert world.available() == 99 * RETAIL_FR


def test_fifty_parallel_sends_that_ten_can_pay_for(postgres_url: str) -> None:
    with a_world(postgres_url) as world:
        world.fund(10 * RETAIL_FR)

        def send(number: int) -> int:
            try:
                return world.services.sending.submit(SendRequest(
                    world.customer, text=TEXT, numbers=[f"+3361{number:07d}"])).code
            except SendRefusedError as refusal:
                return refusal.code

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(send, range(50)))
        left = world.available()

    assert answers.count(codes.SENT) == 10
    assert answers.count(codes.INSUFFICIENT_CREDIT) == 40
    assert left == 0


def test_a_large_send_waits_for_approval_after_a_proof_to_the_customer(world: World) -> None:
    world.services.tenancy.change_options(world.customer, proof_threshold=2,
                                          proof_number="+33699999999")

    result = world.services.sending.submit(SendRequest(
        world.customer, text=TEXT, numbers=["0611111111", "0622222222", "0633333333"]))

    assert result.status == "awaiting_approval"
    assert result.notes == ("a proof was sent to +33699999999: approve the campaign to send it",)
    assert world.available() == (100 - 4) * RETAIL_FR  # the proof is a send of its own
