"""Group commits in a process of their own, shared by a machine's web workers: sends from
many threads are recorded by ``python -m portevoix.ledger.writer_process`` on the same
store, exactly; a worker whose writer went away records its sends itself, then starts
another writer."""

from __future__ import annotations

import operator
import os
import pwd
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from uuid import UUID

import pytest
from send_world import RETAIL_FR, World, a_world

from portevoix.ledger import writer_process
from portevoix.ledger.writer import WriterStoppedError
from portevoix.ledger.writer_process import WriterProcess
from portevoix.platform import codes
from portevoix.platform.campaigns import Campaign
from portevoix.platform.sending import SendRefusedError, SendRequest

WORK_TIME = operator.attrgetter("now")  # a picklable command: the work's time


@pytest.fixture(autouse=True)
def _writers_end_soon(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(writer_process, "IDLE_EXIT_S", 0.3)
    monkeypatch.setattr(writer_process, "RECONNECT_EVERY_S", 0.2)
    yield


def _writer(world: World) -> WriterProcess:
    world.services.start_group_commit()
    writer = world.services.sending.writer
    assert isinstance(writer, WriterProcess) and writer.running
    assert writer.started is not None  # nobody served this new store: this one started it
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
        process = writer.started
    assert process is not None
    assert process.wait(timeout=30) == 0  # no worker left: it ends


def test_a_reference_sent_again_through_the_writer_process_is_the_same_campaign(
        postgres_url: str) -> None:
    with a_world(postgres_url, writer_process=True) as world:
        world.fund(10 * RETAIL_FR)
        _writer(world)
        first = _send(world, 1, reference="order-17")
        again = _send(world, 1, reference="order-17")

        assert isinstance(first, UUID) and again == first
        assert world.available() == 9 * RETAIL_FR


def test_workers_of_one_store_share_one_writer(postgres_url: str) -> None:
    first = WriterProcess(postgres_url, 100).start()
    second = WriterProcess(postgres_url, 100).start()
    try:
        assert first.started is not None and second.started is None
        assert isinstance(first.run(WORK_TIME), datetime)
        assert isinstance(second.run(WORK_TIME), datetime)
    finally:
        first.stop()
        assert first.started.poll() is None  # the second worker still uses it
        second.stop()
    assert first.started.wait(timeout=30) == 0


def test_sends_go_on_when_the_writer_dies_and_a_new_writer_is_started(
        postgres_url: str) -> None:
    with a_world(postgres_url, writer_process=True) as world:
        world.fund(10 * RETAIL_FR)
        writer = _writer(world)
        assert isinstance(_send(world, 1), UUID)
        killed = writer.started
        assert killed is not None
        killed.kill()
        killed.wait(timeout=10)

        assert isinstance(_send(world, 2), UUID)  # recorded here, or by a new writer
        time.sleep(0.3)
        assert isinstance(_send(world, 3), UUID)
        assert writer.started is not None and writer.started is not killed
        assert writer.started.poll() is None
        assert world.available() == 7 * RETAIL_FR


def test_a_stopped_worker_refuses_commands(postgres_url: str) -> None:
    writer = WriterProcess(postgres_url, 100).start()
    writer.stop()
    writer.stop()  # again: nothing more to do

    assert not writer.running
    with pytest.raises(WriterStoppedError):
        writer.run(WORK_TIME)
    assert writer.started is not None and writer.started.wait(timeout=30) == 0


SYSTEM_PYTHON = "/usr/bin/python3"  # one that another user may run
SQUATTER = """
import socket, sys, time
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind("\\0" + sys.argv[1])
listener.listen(8)
print("listening", flush=True)
time.sleep(30)
"""


@pytest.mark.skipif(os.getuid() != 0, reason="running a process as another user needs root")
def test_a_worker_will_not_talk_to_another_users_process_on_the_writers_socket(
        postgres_url: str) -> None:
    nobody = pwd.getpwnam("nobody")
    squatter = subprocess.Popen(
        [SYSTEM_PYTHON, "-c", SQUATTER, writer_process.writer_name(postgres_url)],
        stdout=subprocess.PIPE, text=True, user=nobody.pw_uid, group=nobody.pw_gid)
    try:
        assert squatter.stdout is not None and squatter.stdout.readline() == "listening\n"
        with pytest.raises(WriterStoppedError, match="another user's process"):
            WriterProcess(postgres_url, 100).start()
    finally:
        squatter.kill()
        squatter.wait()
