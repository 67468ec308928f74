"""The connector against our SMSC simulator's named misbehaviours, on real loopback sockets.

Each verdict is checked against the simulator's record of every submit_sm it read: an
Accepted message is there, answered, exactly once; a Rejected one was never taken; an
Ambiguous one may or may not be there, but never twice. A scripted peer sends what no
simulator scenario does (PDUs that do not parse, a broken framing). Every test is bounded in
time and stops what it started.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from connector_session import Session, run

from portevoix.platform.smpp import pdu
from portevoix.platform.smpp.binds import TRANSMITTER_RECEIVER, BindConfig, BindError
from portevoix.platform.smpp.connector import Connector, ConnectorClosedError
from portevoix.platform.smpp.outbound import Outbound
from portevoix.platform.smpp.outcomes import Received, parse_rule
from portevoix.platform.smpp.receipts import FAILED, RECEIVED
from portevoix.platform.smpp.results import (
    INVALID_NUMBER,
    SYSTEM_ERROR,
    Accepted,
    Ambiguous,
    DeliveryReport,
    Outcome,
    Rejected,
    Reply,
)
from portevoix.platform.smpp.simulator import SimulatorConfig, SimulatorThread

pytestmark = pytest.mark.timeout(120)

SYSTEM_ID, PASSWORD = "portevoix", "secret"
ARABIC = ("\u0645\u0631\u062d\u0628\u0627 \u0628\u0643\u0645 \u0641\u064a "
          "\u0628\u0648\u0631\u062a\u0641\u0648\u0627")  # "welcome to Portevoix"


@pytest.fixture
def start_smsc() -> Iterator[Callable[..., SimulatorThread]]:
    started: list[SimulatorThread] = []

    def start(**options: Any) -> SimulatorThread:
        smsc = SimulatorThread(SimulatorConfig(accounts={SYSTEM_ID: PASSWORD}, **options))
        started.append(smsc.start())
        return smsc

    yield start
    for smsc in started:
        smsc.stop()


def config(port: int, **changes: Any) -> BindConfig:
    settings: dict[str, Any] = {
        "host": "127.0.0.1", "port": port, "system_id": SYSTEM_ID, "password": PASSWORD,
        "response_timeout_s": 5.0, "reconnect_min_s": 0.05, "reconnect_max_s": 0.5,
        "bind_attempts": 3, "throttle_pause_min_s": 0.05, "throttle_pause_max_s": 0.5,
    }
    return BindConfig(**(settings | changes))


def batch(count: int, **changes: Any) -> list[Outbound]:
    return [Outbound(**({"message_id": f"m{number}", "source": "Portevoix",
                         "destination": f"+3361234{number % 10000:04d}",
                         "text": f"Message {number}"} | changes))
            for number in range(count)]


def by_text(record: list[Received]) -> dict[str | None, list[Received]]:
    found: dict[str | None, list[Received]] = defaultdict(list)
    for entry in record:
        found[entry.text].append(entry)
    return found


def check_verdicts(messages: list[Outbound], outcomes: list[Outcome],
                   record: list[Received]) -> None:
    """Each outcome agrees with what the SMSC read (single-part messages)."""
    entries = by_text(record)
    assert set(entries) <= {message.text for message in messages}
    for message, outcome in zip(messages, outcomes, strict=True):
        taken = [entry for entry in entries[message.text] if entry.command_status == 0]
        assert len(taken) <= 1, f"{message.message_id} taken twice"
        if isinstance(outcome, Accepted):
            assert [entry.message_id for entry in taken] == list(outcome.smsc_ids)
        elif isinstance(outcome, Rejected):
            assert taken == []
        else:
            assert isinstance(outcome, Ambiguous)
            assert outcome.unanswered_parts == (1,)


# Bind loss -------------------------------------------------------------------------------


@pytest.mark.parametrize("answer_in_flight", [False, True], ids=["unanswered", "answered"])
def test_lost_bind_never_resends_an_answered_segment_and_reports_the_rest(
        start_smsc, answer_in_flight):
    smsc = start_smsc()
    messages = batch(600)
    smsc.drop_bind_after(200, answer_in_flight)

    async def scenario(session: Session) -> tuple[list[Outcome], int]:
        return await session.connector.submit_many(messages), session.connector.stats.binds

    outcomes, binds = run(config(smsc.port), scenario)

    check_verdicts(messages, outcomes, smsc.record)
    assert binds == 2
    ambiguous = [outcome for outcome in outcomes if isinstance(outcome, Ambiguous)]
    assert len(ambiguous) <= 64  # at most a window's worth was in flight
    assert sum(isinstance(outcome, Accepted) for outcome in outcomes) >= 600 - 64
    if not answer_in_flight:
        assert ambiguous, "the simulator left submits unanswered"


def test_lost_bind_mid_long_messages_sends_the_missing_parts_and_never_a_part_twice(
        start_smsc):
    smsc = start_smsc()
    messages = batch(150, text="Trois parties pour ce message-ci. " * 12)
    smsc.drop_bind_after(200)

    async def scenario(session: Session) -> list[Outcome]:
        return await session.connector.submit_many(messages)

    outcomes = run(config(smsc.port), scenario)
    taken = [entry for entry in smsc.record if entry.command_status == 0]

    assert len({entry.udh for entry in taken}) == len(taken)  # no part taken twice
    told = {smsc_id for outcome in outcomes if not isinstance(outcome, Rejected)
            for smsc_id in outcome.smsc_ids}
    assert told <= {entry.message_id for entry in taken}
    assert all(len(outcome.smsc_ids) == 3 for outcome in outcomes
               if isinstance(outcome, Accepted))
    ambiguous = [outcome for outcome in outcomes if isinstance(outcome, Ambiguous)]
    assert ambiguous
    assert all(len(item.smsc_ids) + len(item.unanswered_parts) == 3 for item in ambiguous)
    assert not any(isinstance(outcome, Rejected) for outcome in outcomes)


def test_stalled_smsc_makes_in_flight_messages_ambiguous_after_the_timeout(start_smsc):
    smsc = start_smsc()
    messages = batch(10)

    async def scenario(session: Session) -> list[Outcome]:
        smsc.pause_responses()
        outcomes = await session.connector.submit_many(messages)
        smsc.resume_responses()
        return outcomes

    outcomes = run(config(smsc.port, response_timeout_s=0.5), scenario)

    assert all(isinstance(outcome, Ambiguous) for outcome in outcomes)
    assert "no submit_sm_resp within 0.5s" in outcomes[0].detail  # type: ignore[union-attr]
    check_verdicts(messages, outcomes, smsc.record)


# Throttling ------------------------------------------------------------------------------


def test_throttled_connector_slows_down_and_gets_every_message_through_once(start_smsc):
    smsc = start_smsc(tps_limit=150)
    messages = batch(450)

    async def scenario(session: Session) -> tuple[list[Outcome], float, int]:
        started = time.monotonic()
        outcomes = await session.connector.submit_many(messages)
        return outcomes, time.monotonic() - started, session.connector.stats.segments_resent

    outcomes, elapsed, resent = run(config(smsc.port), scenario)

    assert all(isinstance(outcome, Accepted) for outcome in outcomes)
    check_verdicts(messages, outcomes, smsc.record)
    assert resent > 0
    assert elapsed >= 2.0  # 450 at 150 a second: three windows of the SMSC


def test_tps_setting_keeps_the_connector_under_the_smsc_limit(start_smsc):
    smsc = start_smsc(tps_limit=100)
    messages = batch(250)

    async def scenario(session: Session) -> tuple[list[Outcome], int]:
        outcomes = await session.connector.submit_many(messages)
        return outcomes, session.connector.stats.segments_resent

    outcomes, resent = run(config(smsc.port, tps=90), scenario)

    assert all(isinstance(outcome, Accepted) for outcome in outcomes)
    assert resent == 0
    assert smsc.counters.throttled == 0


def test_exhausted_throttling_retries_reject_the_message_as_throttled(start_smsc):
    smsc = start_smsc(tps_limit=1)
    messages = batch(3)

    async def scenario(session: Session) -> list[Outcome]:
        return await session.connector.submit_many(messages)

    outcomes = run(config(smsc.port, throttle_retries=1, throttle_pause_max_s=0.05), scenario)

    rejected = [outcome for outcome in outcomes if isinstance(outcome, Rejected)]
    assert rejected
    assert {(item.reason, item.command_status) for item in rejected} == {
        ("throttled", pdu.ESME_RTHROTTLED)}
    check_verdicts(messages, outcomes, smsc.record)


# Receipts --------------------------------------------------------------------------------


def test_receipts_arriving_before_their_responses_are_all_matched(start_smsc):
    smsc = start_smsc(receipts_before_response=True)
    messages = batch(300)

    async def scenario(session: Session) -> tuple[list[DeliveryReport], int]:
        await session.connector.submit_many(messages)
        await session.wait_for(lambda: len(session.reports) == len(messages))
        return session.reports, session.connector.deliveries.unknown

    reports, unknown = run(config(smsc.port), scenario)

    assert sorted(report.message_id for report in reports) == sorted(
        message.message_id for message in messages)
    assert {report.status for report in reports} == {RECEIVED}
    assert unknown == 0


@pytest.mark.parametrize("receipt_tlvs", [False, True], ids=["text", "tlvs"])
def test_hex_response_ids_and_decimal_receipt_ids_are_matched(start_smsc, receipt_tlvs):
    smsc = start_smsc(message_id_format="hex", receipt_id_format="dec",
                      receipt_tlvs=receipt_tlvs)
    messages = batch(50)

    async def scenario(session: Session) -> list[DeliveryReport]:
        await session.connector.submit_many(messages)
        await session.wait_for(lambda: len(session.reports) == len(messages))
        return session.reports

    reports = run(config(smsc.port, response_id_base="hex", receipt_id_base="dec"), scenario)

    assert {report.message_id for report in reports} == {message.message_id
                                                         for message in messages}


def test_each_long_message_gets_one_combined_report(start_smsc):
    smsc = start_smsc(rules=(parse_rule("^3361234000[0-4]=enroute_then_deliver:0.2"),))
    messages = batch(20, text="Une longue histoire, " * 20)

    async def scenario(session: Session) -> tuple[list[Outcome], list[DeliveryReport]]:
        outcomes = await session.connector.submit_many(messages)
        await session.wait_for(lambda: sum(report.status == RECEIVED
                                           for report in session.reports) == len(messages))
        await asyncio.sleep(0.3)  # room for a wrong extra report
        return outcomes, session.reports

    outcomes, reports = run(config(smsc.port), scenario)

    assert all(isinstance(outcome, Accepted) and len(outcome.smsc_ids) == 3
               for outcome in outcomes)
    received = [report for report in reports if report.status == RECEIVED]
    assert sorted(report.message_id for report in received) == sorted(
        message.message_id for message in messages)
    assert all(len(report.smsc_ids) == 3 for report in received)
    parts = [entry.udh for entry in smsc.record]
    assert len(parts) == 60 and len({udh[0] for udh in parts if udh}) == 20


def test_refused_and_undeliverable_destinations_are_told_apart(start_smsc):
    smsc = start_smsc(rules=(parse_rule("^33612340000=reject:0:0x0B"),
                             parse_rule("^33612340001=undeliverable")))
    messages = batch(3)

    async def scenario(session: Session) -> tuple[list[Outcome], list[DeliveryReport]]:
        outcomes = await session.connector.submit_many(messages)
        await session.wait_for(lambda: len(session.reports) == 2)
        return outcomes, session.reports

    outcomes, reports = run(config(smsc.port), scenario)

    assert outcomes[0] == Rejected("m0", pdu.ESME_RINVDSTADR, INVALID_NUMBER, 0, (),
                                   "part 1: command_status 0x0000000B")
    assert sorted((report.message_id, report.status) for report in reports) == [
        ("m1", FAILED), ("m2", RECEIVED)]
    check_verdicts(messages, outcomes, smsc.record)


# Text and replies ------------------------------------------------------------------------


def test_arabic_goes_out_and_comes_back_as_ucs2(start_smsc):
    smsc = start_smsc()
    long_reply = ARABIC * 6

    async def scenario(session: Session) -> tuple[Outcome, list[Reply]]:
        outcome = await session.connector.submit(batch(1, text=ARABIC)[0])
        smsc.inject_reply("+21698765432", "36180", long_reply)
        await session.wait_for(lambda: session.replies)
        return outcome, session.replies

    outcome, replies = run(config(smsc.port, mode=TRANSMITTER_RECEIVER), scenario)
    (entry,) = smsc.record

    assert isinstance(outcome, Accepted)
    assert (entry.text, entry.data_coding) == (ARABIC, 8)
    assert [(reply.source, reply.destination, reply.text) for reply in replies] == [
        ("+21698765432", "36180", long_reply)]


def test_injected_reply_reaches_on_reply(start_smsc):
    smsc = start_smsc()

    async def scenario(session: Session) -> list[Reply]:
        smsc.inject_reply("+33699999999", "36180", "STOP")
        await session.wait_for(lambda: session.replies)
        return session.replies

    replies = run(config(smsc.port), scenario)

    assert [(reply.source, reply.text) for reply in replies] == [("+33699999999", "STOP")]


# A peer that sends garbage ---------------------------------------------------------------


class GarbageSmsc:
    """A scripted SMSC: binds anyone, answers submits, and after the first submit sends a
    PDU with an unknown command id, a deliver_sm cut short, an enquire_link with a body
    (each with a known answer due), then a command_length no PDU can have. On the next bind
    it answers the first submit with ESME_RSUBMITFAIL in a response whose body is broken.
    It keeps what it reads from us."""

    def __init__(self) -> None:
        self.received: list[pdu.Pdu] = []
        self.binds = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        frames, ids = pdu.FrameReader(), iter(range(1000, 2000))
        garbage_sent = broken = False
        try:
            while data := await reader.read(65536):
                for frame in frames.feed(data):
                    request = pdu.decode(frame)
                    self.received.append(request)
                    if request.command_id in pdu.BINDS:
                        self.binds += 1
                        writer.write(pdu.encode(pdu.response_to(request, body=pdu.MessageId(
                            "GARBAGE"))))
                    elif request.command_id == pdu.SUBMIT_SM and self.binds > 1 and not broken:
                        broken = True
                        writer.write(pdu.HEADER.pack(19, pdu.SUBMIT_SM_RESP,
                                                     pdu.ESME_RSUBMITFAIL, request.sequence)
                                     + b"abc")  # a message_id without its NUL
                    elif request.command_id == pdu.SUBMIT_SM:
                        writer.write(pdu.encode(pdu.response_to(request, body=pdu.MessageId(
                            str(next(ids))))))
                        if self.binds == 1 and not garbage_sent:
                            garbage_sent = True
                            writer.write(self._garbage())
                    elif request.command_id in (pdu.ENQUIRE_LINK, pdu.UNBIND):
                        writer.write(pdu.encode(pdu.response_to(request)))
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    @staticmethod
    def _garbage() -> bytes:
        deliver = pdu.encode(pdu.Pdu(pdu.DELIVER_SM, 9, body=pdu.ShortMessage("1", "2", b"hi")))
        cut = deliver[:20]
        return b"".join((
            pdu.HEADER.pack(16, 0x00000099, 0, 7),  # unknown command
            pdu.HEADER.pack(len(cut), pdu.DELIVER_SM, 0, 8) + cut[16:],  # body cut short
            pdu.HEADER.pack(20, pdu.ENQUIRE_LINK, 0, 10) + b"oops",  # a body it cannot have
            pdu.encode(pdu.Pdu(pdu.DELIVER_SM, 12, body=pdu.ShortMessage(  # nobody's receipt
                "33612345678", "Portevoix", b"id:999999 sub:001 dlvrd:001 submit date:"
                b"2611221200 done date:2611221201 stat:DELIVRD err:000 text:x",
                esm_class=0x04))),
            pdu.HEADER.pack(0xFFFFFFFF, pdu.SUBMIT_SM_RESP, 0, 11),  # framing lost
        ))


def test_garbage_from_the_smsc_is_answered_and_the_connector_reconnects(caplog):
    caplog.set_level(logging.WARNING, logger="portevoix.platform.smpp")
    peer = GarbageSmsc()

    async def main() -> tuple[list[Outcome], int]:
        port = await peer.start()
        session = Session(config(port))
        try:
            await session.connector.start()
            first = await session.connector.submit(batch(1)[0])
            await session.wait_for(lambda: peer.binds == 2)
            later = await session.connector.submit_many(batch(3)[1:])
            return [first, *later], session.connector.stats.binds
        finally:
            await session.connector.close(timeout=5)
            await peer.stop()

    outcomes, binds = asyncio.run(asyncio.wait_for(main(), 60))
    answers = {(item.command_id, item.sequence): item.status for item in peer.received
               if item.is_response}

    assert outcomes == [Accepted("m0", ("1000",)),
                        Rejected("m1", pdu.ESME_RSUBMITFAIL, SYSTEM_ERROR, 0, (),
                                 "part 1: command_status 0x00000045"),
                        Accepted("m2", ("1000",))]
    assert binds == 2
    assert answers[(pdu.GENERIC_NACK, 7)] == pdu.ESME_RINVCMDID
    assert answers[(pdu.DELIVER_SM_RESP, 8)] != pdu.ESME_ROK
    assert (pdu.ENQUIRE_LINK_RESP, 10) in answers
    assert answers[(pdu.DELIVER_SM_RESP, 12)] == pdu.ESME_ROK  # a receipt for an unknown id
    assert pdu.ESME_RINVMSGLEN in {item.status for item in peer.received
                                   if item.command_id == pdu.GENERIC_NACK}  # the broken resp
    assert "command_length" in caplog.text


# Lifecycle and speed ---------------------------------------------------------------------


def test_refused_credentials_fail_start_with_the_smsc_status(start_smsc):
    smsc = start_smsc()
    connector = Connector(config(smsc.port, password="wrong", bind_attempts=2))

    with pytest.raises(BindError) as refused:
        asyncio.run(asyncio.wait_for(connector.start(), 30))

    assert refused.value.status == pdu.ESME_RINVPASWD
    assert smsc.counters.binds == 0


def test_close_waits_for_every_outcome_then_refuses_new_messages(start_smsc):
    smsc = start_smsc()
    messages = batch(500)

    async def main() -> tuple[list[Outcome], bool]:
        connector = Connector(config(smsc.port))
        await connector.start()
        sending = asyncio.create_task(connector.submit_many(messages))
        await asyncio.sleep(0.01)
        await connector.close(timeout=30)
        with pytest.raises(ConnectorClosedError):
            await connector.submit(messages[0])
        return await sending, connector.bound

    outcomes, bound = asyncio.run(asyncio.wait_for(main(), 60))

    assert all(isinstance(outcome, Accepted) for outcome in outcomes)
    assert not bound
    check_verdicts(messages, outcomes, smsc.record)


def test_several_binds_share_the_work_and_every_receipt_finds_its_message(start_smsc):
    smsc = start_smsc()
    messages = batch(600)

    async def scenario(session: Session) -> tuple[list[Outcome], bool, set[str]]:
        bound = session.connector.bound
        outcomes = await session.connector.submit_many(messages)
        await session.wait_for(lambda: len(session.reports) == len(messages))
        return outcomes, bound, {report.message_id for report in session.reports}

    outcomes, bound, reported = run(config(smsc.port, binds=3), scenario)

    assert bound and smsc.counters.binds == 3
    assert all(isinstance(outcome, Accepted) for outcome in outcomes)
    assert reported == {message.message_id for message in messages}
    assert len({entry.sequence for entry in smsc.record}) < len(messages)  # spread over binds
    check_verdicts(messages, outcomes, smsc.record)
