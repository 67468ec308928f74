"""The SMSC simulator on real sockets: an independent SMPP client (smpplib) binds, submits and
gets receipts and replies; raw sockets send what no client library would; the command runs
and stops on SIGINT. Every loop is bounded and everything started is stopped."""

from __future__ import annotations

import json
import logging
import os
import re
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm

from portevoix.platform.smpp.outcomes import EXPIRE, REJECT, UNDELIVERABLE, OutcomeRule
from portevoix.platform.smpp.pdu import (
    BIND_TRANSCEIVER,
    BIND_TRANSMITTER,
    DELIVER_SM,
    ENQUIRE_LINK,
    ENQUIRE_LINK_RESP,
    ESME_RALYBND,
    ESME_RINVBNDSTS,
    ESME_RINVCMDID,
    ESME_RINVCMDLEN,
    ESME_RINVDSTADR,
    ESME_RINVPASWD,
    ESME_RINVSYSID,
    ESME_ROK,
    ESME_RTHROTTLED,
    GENERIC_NACK,
    SUBMIT_SM,
    SUBMIT_SM_RESP,
    TLV_RECEIPTED_MESSAGE_ID,
    UNBIND,
    UNBIND_RESP,
    Bind,
    FrameReader,
    MessageId,
    Pdu,
    ShortMessage,
    decode,
    encode,
    response_to,
)
from portevoix.platform.smpp.receipts import normalise_id, parse_receipt_text
from portevoix.platform.smpp.simulator import SimulatorConfig, SimulatorThread

pytestmark = pytest.mark.timeout(60)

SYSTEM_ID, PASSWORD = "portevoix", "secret"
PORTEVOIX = Path(sys.executable).with_name("portevoix")
WAIT_S = 5.0


@pytest.fixture
def start_smsc() -> Iterator[Callable[..., SimulatorThread]]:
    """Starts simulators (``start_smsc(rules=..., ...)``) and stops them after the test."""
    started: list[SimulatorThread] = []

    def start(**options: Any) -> SimulatorThread:
        smsc = SimulatorThread(SimulatorConfig(accounts={SYSTEM_ID: PASSWORD}, **options))
        started.append(smsc.start())
        return smsc

    yield start
    for smsc in started:
        smsc.stop()


# smpplib, the independent peer -----------------------------------------------------------

class Esme:
    """An smpplib client with what it received kept: submit_sm_resp and deliver_sm."""

    def __init__(self, port: int) -> None:
        self.client = smpplib.client.Client("127.0.0.1", port, timeout=1.0,
                                            allow_unknown_opt_params=True)
        self.responses: list[Any] = []
        self.delivered: list[Any] = []
        self.client.set_message_sent_handler(self._responded)
        self.client.set_message_received_handler(self._delivered)
        self.client.set_error_pdu_handler(lambda pdu: None)  # kept in responses instead

    def _responded(self, pdu: Any) -> None:  # smpplib passes pdu=
        self.responses.append(pdu)

    def _delivered(self, pdu: Any) -> None:
        self.delivered.append(pdu)

    def submit(self, destination: str, text: bytes, **options: Any) -> int:
        pdu = self.client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM, source_addr="Portevoix",
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL, destination_addr=destination,
            short_message=text, registered_delivery=1, **options)
        return int(pdu.sequence)

    def pump(self, until: Callable[[], bool], timeout: float = WAIT_S) -> None:
        """Read and act on PDUs until ``until()`` holds; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                pytest.fail(f"gave up after {timeout}s: {len(self.responses)} responses, "
                            f"{len(self.delivered)} deliver_sm")
            try:
                self.client.read_once(auto_send_enquire_link=False)
            except TimeoutError:
                continue

    def receipts(self) -> dict[str, list[str]]:
        """Receipt stats by the message id in the text, in arrival order."""
        found: dict[str, list[str]] = {}
        for pdu in self.delivered:
            if pdu.esm_class == 0x04:
                fields = parse_receipt_text(pdu.short_message.decode("ascii"))
                found.setdefault(fields.id, []).append(fields.stat)
        return found


@contextmanager
def esme(port: int, bind: str = "transceiver", system_id: str = SYSTEM_ID,
         password: str = PASSWORD) -> Iterator[Esme]:
    peer = Esme(port)
    peer.client.connect()
    try:
        getattr(peer.client, f"bind_{bind}")(system_id=system_id, password=password)
        yield peer
        if peer.client.state != smpplib.consts.SMPP_CLIENT_STATE_OPEN:
            peer.client.unbind()
    finally:
        peer.client.disconnect()


def message_ids(peer: Esme) -> list[str]:
    return [pdu.message_id.decode() for pdu in peer.responses if pdu.status == ESME_ROK]


def test_smpplib_gets_a_receipt_with_the_stat_of_each_rule(start_smsc) -> None:
    smsc = start_smsc(rules=(OutcomeRule("^336990", UNDELIVERABLE), OutcomeRule("^3370", EXPIRE)))
    destinations = ["33612345678", "33699012345", "33701234567"]

    with esme(smsc.port) as peer:
        for destination in destinations:
            peer.submit(destination, b"Votre code est 1234")
        peer.pump(lambda: len(peer.delivered) == 3)

    ids = message_ids(peer)
    assert len(set(ids)) == 3
    assert peer.receipts() == {ids[0]: ["DELIVRD"], ids[1]: ["UNDELIV"], ids[2]: ["EXPIRED"]}


def test_arabic_in_ucs2_arrives_as_text(start_smsc) -> None:
    smsc = start_smsc()
    text = "مرحبا، رمزك هو 1234"

    with esme(smsc.port) as peer:
        peer.submit("33612345678", text.encode("utf-16-be"),
                    data_coding=smpplib.consts.SMPP_ENCODING_ISO10646)
        peer.pump(lambda: len(peer.delivered) == 1)

    [entry] = smsc.record
    assert (entry.text, entry.data_coding, entry.udh) == (text, 0x08, None)
    assert peer.receipts() == {entry.message_id: ["DELIVRD"]}


def test_a_long_message_split_by_smpplib_is_taken_part_by_part(start_smsc) -> None:
    smsc = start_smsc()
    text = "Rappel: votre rendez-vous est confirme pour demain a 9h30. " * 6
    parts, data_coding, esm_class = smpplib.gsm.make_parts(text)

    with esme(smsc.port) as peer:
        for part in parts:
            peer.submit("33612345678", part, data_coding=data_coding, esm_class=esm_class)
        peer.pump(lambda: len(peer.delivered) == len(parts))

    record = smsc.record
    assert len(parts) == 3
    assert [entry.udh[1:] for entry in record if entry.udh] == [(3, 1), (3, 2), (3, 3)]
    assert "".join(entry.text or "" for entry in record) == text
    assert set(peer.receipts()) == {entry.message_id for entry in record}  # one id a part


def test_an_injected_reply_reaches_smpplib(start_smsc) -> None:
    smsc = start_smsc()

    with esme(smsc.port) as peer:
        smsc.inject_reply("+33612345678", "36180", "STOP merci")
        peer.pump(lambda: len(peer.delivered) == 1)

    [reply] = peer.delivered
    assert (reply.source_addr, reply.destination_addr) == (b"33612345678", b"36180")
    assert (reply.esm_class, reply.data_coding, reply.short_message) == (0, 0, b"STOP merci")


def test_a_long_arabic_reply_comes_as_concatenated_ucs2_parts(start_smsc) -> None:
    smsc = start_smsc()
    text = "شكرا جزيلا على رسالتكم، " * 6

    with esme(smsc.port) as peer:
        parts = smsc.inject_reply("+33612345678", "Portevoix", text)
        peer.pump(lambda: len(peer.delivered) == parts)

    headers = [pdu.short_message[:6] for pdu in peer.delivered]
    assert parts == 3
    assert {(pdu.esm_class, pdu.data_coding) for pdu in peer.delivered} == {(0x40, 0x08)}
    assert [header[4:] for header in headers] == [b"\x03\x01", b"\x03\x02", b"\x03\x03"]
    assert b"".join(pdu.short_message[6:] for pdu in peer.delivered).decode(
        "utf-16-be") == text


def test_a_reply_waits_for_a_receiver_to_bind(start_smsc) -> None:
    smsc = start_smsc()
    smsc.inject_reply("+33612345678", "36180", "OUI")

    with esme(smsc.port, bind="receiver") as peer:
        peer.pump(lambda: len(peer.delivered) == 1)

    assert peer.delivered[0].short_message == b"OUI"


@pytest.mark.parametrize(("system_id", "password", "status"), [
    (SYSTEM_ID, "wrong", ESME_RINVPASWD),
    ("stranger", PASSWORD, ESME_RINVSYSID),
])
def test_a_bind_with_wrong_credentials_is_refused(start_smsc, system_id: str, password: str,
                                                  status: int) -> None:
    smsc = start_smsc()

    with pytest.raises(smpplib.exceptions.PDUError) as refused, esme(
            smsc.port, system_id=system_id, password=password):
        pass

    assert refused.value.args[1] == status
    assert smsc.counters.binds == 0


def test_submits_beyond_the_tps_limit_are_throttled(start_smsc) -> None:
    smsc = start_smsc(tps_limit=5)

    with esme(smsc.port) as peer:
        for n in range(8):
            peer.submit(f"3361234567{n}", b"hello")
        peer.pump(lambda: len(peer.responses) == 8)

    assert [pdu.status for pdu in peer.responses] == [ESME_ROK] * 5 + [ESME_RTHROTTLED] * 3
    assert smsc.counters.throttled == 3


def test_receipts_go_round_robin_to_the_receivers_of_the_account(start_smsc) -> None:
    smsc = start_smsc()

    with esme(smsc.port, bind="receiver") as first, esme(smsc.port, bind="receiver") as second, \
            esme(smsc.port, bind="transmitter") as sender:
        for n in range(4):
            sender.submit(f"3361234567{n}", b"hello")
        sender.pump(lambda: len(sender.responses) == 4)
        first.pump(lambda: len(first.delivered) == 2)
        second.pump(lambda: len(second.delivered) == 2)

    assert set(first.receipts()) | set(second.receipts()) == set(message_ids(sender))
    assert sender.delivered == []


def test_an_enroute_receipt_comes_before_the_delivered_one(start_smsc) -> None:
    smsc = start_smsc(rules=(OutcomeRule("^44", "enroute_then_deliver", receipt_delay_s=0.2),))

    with esme(smsc.port) as peer:
        peer.submit("447700900123", b"hello")
        peer.pump(lambda: len(peer.delivered) == 2)

    assert list(peer.receipts().values()) == [["ENROUTE", "DELIVRD"]]


def test_a_rejected_destination_gets_the_reject_status_and_no_receipt(start_smsc) -> None:
    smsc = start_smsc(rules=(OutcomeRule("^3370", REJECT),))

    with esme(smsc.port) as peer:
        peer.submit("33701234567", b"hello")
        peer.submit("33612345678", b"hello")
        peer.pump(lambda: len(peer.responses) == 2 and len(peer.delivered) == 1)

    assert [pdu.status for pdu in peer.responses] == [ESME_RINVDSTADR, ESME_ROK]
    assert [entry.command_status for entry in smsc.record] == [ESME_RINVDSTADR, ESME_ROK]
    assert smsc.record[0].message_id is None


def test_receipt_ids_may_be_written_in_another_base_than_responses(start_smsc) -> None:
    smsc = start_smsc(message_id_format="hex", receipt_id_format="dec", receipt_tlvs=True)

    with esme(smsc.port) as peer:
        peer.submit("33612345678", b"hello")
        peer.pump(lambda: len(peer.delivered) == 1)

    [submit_id] = message_ids(peer)
    [receipt] = peer.delivered
    [text_id] = peer.receipts()
    assert text_id != submit_id
    assert normalise_id(text_id, "dec") == normalise_id(submit_id, "hex")
    assert receipt.receipted_message_id == submit_id.encode()
    assert receipt.message_state == 2


# Raw sockets: what a client library would never send --------------------------------------

class RawEsme:
    """A bare TCP peer speaking through our codec, for broken PDUs and exact ordering."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
        self.reader = FrameReader()
        self.frames: list[bytes] = []

    def send(self, *frames: Pdu | bytes) -> None:
        self.sock.sendall(b"".join(f if isinstance(f, bytes) else encode(f) for f in frames))

    def read(self) -> Pdu | None:
        """The next PDU, or None once the simulator closed the connection."""
        while not self.frames:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.frames.extend(self.reader.feed(data))
        return decode(self.frames.pop(0))

    def bind(self, command_id: int = BIND_TRANSCEIVER) -> Pdu | None:
        self.send(Pdu(command_id, 1, body=Bind(SYSTEM_ID, PASSWORD)))
        return self.read()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw(start_smsc) -> Iterator[Callable[[SimulatorThread], RawEsme]]:
    opened: list[RawEsme] = []

    def connect(smsc: SimulatorThread) -> RawEsme:
        opened.append(RawEsme(smsc.port))
        return opened[-1]

    yield connect
    for peer in opened:
        peer.close()


def submit_sm(sequence: int, destination: str = "33612345678", **fields: Any) -> Pdu:
    return Pdu(SUBMIT_SM, sequence, body=ShortMessage("Portevoix", destination, b"hello",
                                                      **fields))


def test_a_wrong_command_length_is_nacked_and_the_connection_closed(start_smsc, raw) -> None:
    smsc = start_smsc()
    peer = raw(smsc)
    peer.bind()

    peer.send(struct.pack(">IIII", 8, ENQUIRE_LINK, 0, 7))

    assert peer.read() == Pdu(GENERIC_NACK, 7, ESME_RINVCMDLEN)
    assert peer.read() is None


def test_an_unknown_command_is_nacked_and_the_bind_stays_up(start_smsc, raw) -> None:
    smsc = start_smsc()
    peer = raw(smsc)
    peer.bind()

    peer.send(struct.pack(">IIII", 16, 0x00000103, 0, 5), Pdu(ENQUIRE_LINK, 6))

    assert peer.read() == Pdu(GENERIC_NACK, 5, ESME_RINVCMDID)
    assert peer.read() == Pdu(ENQUIRE_LINK_RESP, 6)


def test_a_refused_pdu_is_logged(start_smsc, raw, caplog: pytest.LogCaptureFixture) -> None:
    smsc = start_smsc()
    peer = raw(smsc)
    peer.bind()

    with caplog.at_level(logging.WARNING, logger="portevoix.smsc"):
        peer.send(struct.pack(">IIII", 16, 0x00000103, 0, 5))
        peer.read()

    assert any("unknown command id" in message for message in caplog.messages)


def test_a_truncated_submit_is_answered_with_an_error_and_not_recorded(start_smsc, raw) -> None:
    smsc = start_smsc()
    peer = raw(smsc)
    peer.bind()
    whole = encode(submit_sm(9))
    truncated = struct.pack(">I", len(whole) - 4) + whole[4:-4]  # short_message cut short

    peer.send(truncated, Pdu(ENQUIRE_LINK, 10))

    answer = peer.read()
    assert answer is not None
    assert (answer.command_id, answer.sequence) == (SUBMIT_SM_RESP, 9)
    assert answer.status != ESME_ROK
    assert peer.read() == Pdu(ENQUIRE_LINK_RESP, 10)
    assert (smsc.record, smsc.counters.malformed) == ([], 1)


def test_requests_before_a_bind_and_a_second_bind_are_refused(start_smsc, raw) -> None:
    smsc = start_smsc()
    peer = raw(smsc)

    peer.send(submit_sm(2), Pdu(ENQUIRE_LINK, 3))
    early = [peer.read(), peer.read()]
    first, second = peer.bind(), peer.bind(BIND_TRANSMITTER)

    assert [(p.command_id, p.status) for p in early if p] == [
        (SUBMIT_SM_RESP, ESME_RINVBNDSTS), (ENQUIRE_LINK_RESP, ESME_RINVBNDSTS)]
    assert first is not None and first.status == ESME_ROK
    assert second is not None and second.status == ESME_RALYBND
    assert [(e.system_id, e.command_status) for e in smsc.record] == [("", ESME_RINVBNDSTS)]


def test_an_unbind_is_answered_then_the_connection_closes(start_smsc, raw) -> None:
    smsc = start_smsc()
    peer = raw(smsc)
    peer.bind()

    peer.send(Pdu(UNBIND, 4))

    assert peer.read() == Pdu(UNBIND_RESP, 4)
    assert peer.read() is None


def test_a_receipt_may_come_before_its_response(start_smsc, raw) -> None:
    smsc = start_smsc(receipts_before_response=True, receipt_tlvs=True)
    peer = raw(smsc)
    peer.bind()

    peer.send(submit_sm(2, registered_delivery=1))
    receipt, response = peer.read(), peer.read()

    assert receipt is not None and response is not None
    assert (receipt.command_id, response.command_id) == (DELIVER_SM, SUBMIT_SM_RESP)
    assert isinstance(receipt.body, ShortMessage) and isinstance(response.body, MessageId)
    assert receipt.body.tlv(TLV_RECEIPTED_MESSAGE_ID) == response.body.message_id.encode() + \
        b"\0"


def test_paused_responses_come_once_resumed(start_smsc, raw) -> None:
    smsc = start_smsc()
    peer = raw(smsc)
    peer.bind()
    smsc.pause_responses()

    peer.send(submit_sm(2))
    peer.sock.settimeout(0.3)
    with pytest.raises(TimeoutError):
        peer.read()
    peer.sock.settimeout(WAIT_S)
    smsc.resume_responses()

    answer = peer.read()
    assert answer is not None and (answer.command_id, answer.status) == (SUBMIT_SM_RESP, 0)
    assert len(smsc.record) == 1


def test_a_dropped_bind_answers_the_submits_in_flight_when_asked(start_smsc, raw) -> None:
    smsc = start_smsc()
    peer = raw(smsc)
    peer.bind()
    smsc.drop_bind_after(3, answer_in_flight=True)

    peer.send(*(submit_sm(n) for n in range(2, 7)))
    answers = [peer.read() for _ in range(4)]

    assert [p.sequence if p else None for p in answers] == [2, 3, 4, None]
    assert len(smsc.record) == 3  # what came after the third was never read
    assert all(entry.command_status == ESME_ROK for entry in smsc.record)


def test_a_dropped_bind_leaves_the_last_submits_unanswered(start_smsc, raw) -> None:
    smsc = start_smsc()
    peer = raw(smsc)
    peer.bind()
    smsc.drop_bind_after(3, answer_in_flight=False)

    peer.send(submit_sm(2))
    assert peer.read() is not None
    peer.send(submit_sm(3), submit_sm(4))  # one write: read together, in flight together
    answers = []
    while (answer := peer.read()) is not None:
        answers.append(answer)

    record = smsc.record
    assert len(record) == 3
    assert record[2].command_status is None and record[2].message_id is None
    assert len(answers) == sum(entry.command_status is not None for entry in record[1:])
    assert smsc.counters.unanswered == 3 - 1 - len(answers)


def test_the_bind_after_a_drop_works_and_gets_the_receipts_still_owed(start_smsc, raw) -> None:
    smsc = start_smsc(rules=(OutcomeRule("", "deliver", receipt_delay_s=0.3),))
    first = raw(smsc)
    first.bind()
    smsc.drop_bind_after(1, answer_in_flight=True)
    first.send(submit_sm(2, registered_delivery=1))
    response = first.read()
    assert first.read() is None

    second = raw(smsc)
    second.bind()
    receipt = second.read()

    assert response is not None and isinstance(response.body, MessageId)
    assert receipt is not None and isinstance(receipt.body, ShortMessage)
    assert parse_receipt_text(receipt.body.short_message.decode()).id == \
        response.body.message_id


def test_the_record_holds_each_submit_exactly_once(start_smsc, raw, tmp_path: Path) -> None:
    smsc = start_smsc(rules=(OutcomeRule("^3370", REJECT),))
    peer = raw(smsc)
    peer.bind()
    destinations = [f"33{'70' if n % 10 == 0 else '61'}{n:07d}" for n in range(500)]

    peer.send(*(submit_sm(n + 2, destination, registered_delivery=1)
                for n, destination in enumerate(destinations)))
    answered = receipts = 0
    while answered < 500 or receipts < 450:
        pdu = peer.read()
        assert pdu is not None
        if pdu.command_id == DELIVER_SM:
            receipts += 1
            peer.send(response_to(pdu, body=MessageId("")))
        answered += pdu.command_id == SUBMIT_SM_RESP
    written = smsc.write_record(tmp_path / "var" / "smsc.jsonl")

    lines = (tmp_path / "var" / "smsc.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert written == len(lines) == 500
    assert sorted(entry["destination_addr"] for entry in entries) == sorted(destinations)
    assert sum(entry["command_status"] == 0 for entry in entries) == 450
    assert len({entry["message_id"] for entry in entries if entry["message_id"]}) == 450
    assert {entry["text"] for entry in entries} == {"hello"}
    assert smsc.counters.receipts_sent == 450


# The command ---------------------------------------------------------------------------

def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            pytest.fail(f"no output within {timeout}s")
    return process.stdout.readline()


def test_the_command_serves_on_the_printed_address_and_stops_on_sigint(tmp_path: Path) -> None:
    record = tmp_path / "smsc.jsonl"
    process = subprocess.Popen(
        [PORTEVOIX, "smsc-sim", "--port", "0", "--account", "portevoix:secret",
         "--rule", "^336990=undeliverable", "--tps", "500", "--record", str(record)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PORTEVOIX_DATABASE_URL": f"sqlite:///{tmp_path}/portevoix.db"})
    try:
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", read_line(process, 30))
        assert found, "the address was not printed"
        with esme(int(found.group(1))) as peer:
            peer.submit("33699012345", b"hello")
            peer.pump(lambda: len(peer.delivered) == 1)
            peer.client.unbind()
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, output
    assert list(peer.receipts().values()) == [["UNDELIV"]]
    assert "1 submit_sm recorded" in output
    assert json.loads(record.read_text())["destination_addr"] == "33699012345"
    assert "Traceback" not in output
