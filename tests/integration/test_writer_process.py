"""Group commits in a process of their own: sends from many threads of a web worker are
recorded by ``python -m portevoix.ledger.writer_process`` on the same store, exactly."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest
from send_world import RETAIL_FR, World, a_world

from portevoix.ledger.writer import WriterStoppedError
from portevoix.ledger.writer_process import WriterProcess
from portevoix.platform import codes
from portevoix.platform.campaigns import Campaign
from portevoix.platform.sending import SendRefusedError, SendRequest


def _writer(world: World) -> WriterProcess:
    world.services.start_group_commit()
    writer = world.services.sending.writer
    assert isinstance(writer, WriterProcess) and writer.running
    return writer


def _send(world: World, number: int, reference: str = "") -> UUID | int:
    try:
        result = world.services.sending.submit(SendRequest(
            world.customer, text="Votre code est 1234", numbers=[f"+3361{number:07d}"],
            reference=reference))
    except SendRefusedError as refused:
        return refused.code
    assert result.code == codes.SENT and result.campaign_id is not None
    return result.campaign_id


def test_threads_sending_through_the_writer_process_spend_exactly_the_credit(
        database_url: str) -> None:
    with a_world(database_url, writer_process=True) as world:
        world.fund(50 * RETAIL_FR)
        writer = _writer(world)
        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = list(pool.map(lambda n: _send(world, n), range(60)))
        recorded = [o for o in outcomes if isinstance(o, UUID)]

        assert len(recorded) == 50  # the 51st send onwards cannot be paid for
        assert sorted(set(outcomes) - set(recorded)) == [codes.INSUFFICIENT_CREDIT]
        assert world.available() == 0
        for campaign_id in recorded:
            campaign = world.services.ledger.repository.get(campaign_id)
            assert isinstance(campaign, Campaign) and campaign.customer_id == world.customer
        process = writer._process
    assert process is not None and process.returncode == 0  # closing ends it


def test_a_reference_sent_again_through_the_writer_process_is_the_same_campaign(
        postgres_url: str) -> None:
    with a_world(postgres_url, writer_process=True) as world:
        world.fund(10 * RETAIL_FR)
        _writer(world)
        first = _send(world, 1, reference="order-17")
        again = _send(world, 1, reference="order-17")

        assert isinstance(first, UUID) and again == first
        assert world.available() == 9 * RETAIL_FR


def test_sends_go_on_in_process_when_the_writer_process_dies(postgres_url: str) -> None:
    with a_world(postgres_url, writer_process=True) as world:
        world.fund(10 * RETAIL_FR)
        writer = _writer(world)
        assert isinstance(_send(world, 1), UUID)
        assert writer._process is not None
        writer._process.kill()
        deadline = time.monotonic() + 10
        while writer.running and time.monotonic() < deadline:
            time.sleep(0.05)

        assert not writer.running
        assert isinstance(_send(world, 2), UUID)  # recorded by this process's own ledger
        assert world.available() == 8 * RETAIL_FR


@pytest.mark.parametrize("kind", ["closed", "never started"])
def test_a_stopped_writer_process_refuses_commands(postgres_url: str, kind: str) -> None:
    writer = WriterProcess(postgres_url, 100)
    if kind == "closed":
        writer.start().stop()
        writer.stop()  # again: nothing more to do
        assert writer._process is not None and writer._process.returncode == 0
    with pytest.raises(WriterStoppedError):
        writer.run(lambda work: None)
