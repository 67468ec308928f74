"""Our connector against an independent SMPP server: the npm ``smpp`` library's, in Node.js.

Nothing on the server side is ours, neither the codec nor the text decoding: the server
(``tests/interop/node/server.js``) prints every PDU it received as the library decoded it,
and the tests compare that with what was sent. Real sockets on 127.0.0.1, one server process
per test, stopped at the end. Without node or ``npm ci`` the tests skip; with ``CI`` set
they fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from connector_session import Session, run

from portevoix.platform.segments import encode
from portevoix.platform.smpp.binds import TRANSMITTER_RECEIVER, BindConfig
from portevoix.platform.smpp.outbound import Outbound
from portevoix.platform.smpp.receipts import RECEIVED
from portevoix.platform.smpp.results import Accepted

NODE_DIR = Path(__file__).resolve().parents[1] / "interop" / "node"
ARABIC = ("\u0645\u0631\u062d\u0628\u0627 \u0628\u0643\u0645 \u0641\u064a "
          "\u0628\u0648\u0631\u062a\u0641\u0648\u0627")  # "welcome to Portevoix"
GSM_TEXT = "Bonjour! Code 1234 @ 5£ {ok} [x] ~ ^ \\ | €"


class NodeSmsc:
    """``server.js`` as a child process; a thread collects the JSON lines it prints."""

    def __init__(self, *arguments: str) -> None:
        node = shutil.which("node")
        problem = None
        if node is None:
            problem = "node is not installed"
        elif not (NODE_DIR / "node_modules" / "smpp").is_dir():
            problem = f"run `npm ci --prefix {NODE_DIR}` first (make test does)"
        if problem:
            if os.environ.get("CI"):
                pytest.fail(f"the Node.js SMPP peer is required: {problem}")
            pytest.skip(f"the Node.js SMPP peer is missing: {problem}")
        self.process = subprocess.Popen(
            [str(node), str(NODE_DIR / "server.js"), "0", *arguments],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.received: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        first = self.lines.get(timeout=10)
        assert first["event"] == "listening", first
        self.port: int = first["port"]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def events(self, name: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The first ``count`` events called ``name``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while sum(1 for event in self.received if event["event"] == name) < count:
            try:
                self.received.append(self.lines.get(timeout=max(0.0, deadline
                                                                - time.monotonic())))
            except queue.Empty:
                break
        found = [event for event in self.received if event["event"] == name]
        assert len(found) >= count, f"{len(found)} {name} of {count}: {self.received[-5:]}"
        return found[:count]

    def send(self, **order: object) -> None:
        """An order on the server's stdin (see server.js)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(order) + "\n")
        self.process.stdin.flush()

    def send_mo(self, **mo: object) -> None:
        self.send(mo=mo)

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()  # the server exits when its stdin ends
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self._reader.join(timeout=5)


@pytest.fixture
def smsc() -> Iterator[NodeSmsc]:
    server = NodeSmsc()
    yield server
    server.stop()


@pytest.fixture
def smsc_dec_receipts() -> Iterator[NodeSmsc]:
    server = NodeSmsc("--receipt-ids", "dec", "--no-receipt-tlvs")
    yield server
    server.stop()


def config(port: int, **changes: Any) -> BindConfig:
    settings: dict[str, Any] = {
        "host": "127.0.0.1", "port": port, "system_id": "portevoix", "password": "secret",
        "response_id_base": "hex", "receipt_id_base": "hex", "response_timeout_s": 5.0,
        "reconnect_min_s": 0.05, "reconnect_max_s": 0.5, "bind_attempts": 3,
    }
    return BindConfig(**(settings | changes))


def message(number: int = 1, **changes: Any) -> Outbound:
    values: dict[str, Any] = {"message_id": f"m{number}", "source": "Portevoix",
                              "destination": "+33612345678", "text": "Bonjour"}
    return Outbound(**(values | changes))


def reassembled(records: list[dict[str, Any]]) -> tuple[str, set[str]]:
    """The text of concatenated parts as the server decoded them, and their references."""
    ordered = sorted(records, key=lambda record: record["short_message"]["udh"][0][-2:])
    references = {record["short_message"]["udh"][0][:8] for record in records}
    return "".join(record["short_message"]["message"] for record in ordered), references


# Tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "data_coding"), [(GSM_TEXT, 0), (ARABIC, 8)], ids=["gsm7", "ucs2-arabic"])
def test_message_is_accepted_recorded_as_sent_and_reported_received(smsc, text, data_coding):
    async def scenario(session: Session) -> Any:
        outcome = await session.connector.submit(message(text=text))
        await session.wait_for(lambda: session.reports)
        return outcome, session.reports

    outcome, reports = run(config(smsc.port), scenario)
    (record,) = smsc.events("submit_sm", 1)

    assert outcome == Accepted("m1", (record["message_id"],))
    assert (record["data_coding"], record["esm_class"], record["short_message"]["message"]) == (
        data_coding, 0, text)
    assert (record["source_addr"], record["source_addr_ton"], record["source_addr_npi"]) == (
        "Portevoix", 5, 0)
    assert (record["destination_addr"], record["dest_addr_ton"], record["dest_addr_npi"]) == (
        "33612345678", 1, 1)
    assert record["registered_delivery"] == 1
    assert [(report.message_id, report.status, report.stat) for report in reports] == [
        ("m1", RECEIVED, "DELIVRD")]
    assert smsc.events("deliver_sm_resp", 1)[0]["command_status"] == 0


@pytest.mark.parametrize("text", ["Suite " * 80, ARABIC * 10], ids=["gsm7", "ucs2-arabic"])
def test_long_message_goes_as_concatenated_parts_and_gets_one_report(smsc, text):
    parts = encode(text).segments
    assert parts > 2

    async def scenario(session: Session) -> Any:
        outcome = await session.connector.submit(message(text=text))
        await session.wait_for(lambda: session.reports)
        await asyncio.sleep(0.2)  # room for a wrong second report
        return outcome, session.reports

    outcome, reports = run(config(smsc.port), scenario)
    records = smsc.events("submit_sm", parts)
    rebuilt, references = reassembled(records)

    assert rebuilt == text
    assert len(references) == 1
    assert all(record["esm_class"] & 0x40 for record in records)
    assert isinstance(outcome, Accepted)
    assert sorted(outcome.smsc_ids) == sorted(record["message_id"] for record in records)
    assert [(report.status, len(report.smsc_ids)) for report in reports] == [(RECEIVED, parts)]


def test_route_preferring_payload_sends_the_long_text_whole(smsc):
    text = "Payload " * 40

    async def scenario(session: Session) -> Any:
        return await session.connector.submit(message(text=text))

    outcome = run(config(smsc.port, use_payload=True), scenario)
    (record,) = smsc.events("submit_sm", 1)

    assert isinstance(outcome, Accepted)
    assert record["message_payload"]["message"] == text


@pytest.mark.parametrize(("text", "data_coding"), [("Alerte !", 0x10), (ARABIC, 0x18)])
def test_flash_message_is_sent_as_class_0(smsc, text, data_coding):
    async def scenario(session: Session) -> Any:
        return await session.connector.submit(message(text=text, flash=True))

    outcome = run(config(smsc.port), scenario)
    (record,) = smsc.events("submit_sm", 1)

    assert isinstance(outcome, Accepted)
    assert (record["data_coding"], record["short_message"]["message"]) == (data_coding, text)


def test_validity_reaches_the_smsc_as_a_relative_period(smsc):
    async def scenario(session: Session) -> Any:
        return await session.connector.submit(message(validity_s=7200))

    sent = datetime.now(UTC)
    outcome = run(config(smsc.port), scenario)
    (record,) = smsc.events("submit_sm", 1)

    expires = datetime.fromisoformat(record["validity_period"].replace("Z", "+00:00"))
    assert isinstance(outcome, Accepted)
    assert abs(expires - (sent + timedelta(hours=2))) < timedelta(seconds=30)


@pytest.mark.parametrize(("source", "addr", "ton", "npi"), [
    ("36180", "36180", 3, 0), ("+33700000001", "33700000001", 1, 1)])
def test_numeric_senders_carry_their_ton_and_npi(smsc, source, addr, ton, npi):
    async def scenario(session: Session) -> Any:
        return await session.connector.submit(message(source=source))

    run(config(smsc.port), scenario)
    (record,) = smsc.events("submit_sm", 1)

    assert (record["source_addr"], record["source_addr_ton"], record["source_addr_npi"]) == (
        addr, ton, npi)


def test_pipelined_batch_arrives_once_each_and_every_receipt_is_matched(smsc):
    batch = [message(number, text=f"Message {number}") for number in range(300)]

    async def scenario(session: Session) -> Any:
        outcomes = await session.connector.submit_many(batch)
        await session.wait_for(lambda: len(session.reports) == len(batch))
        return outcomes, session.reports

    outcomes, reports = run(config(smsc.port), scenario)
    records = smsc.events("submit_sm", len(batch))

    assert [record["short_message"]["message"] for record in records] == [
        item.text for item in batch]
    assert [outcome.smsc_ids for outcome in outcomes] == [
        (record["message_id"],) for record in records]
    assert sorted(report.message_id for report in reports) == sorted(
        item.message_id for item in batch)


def test_transmitter_and_receiver_binds_split_submits_and_receipts(smsc):
    async def scenario(session: Session) -> Any:
        outcome = await session.connector.submit(message())
        await session.wait_for(lambda: session.reports)
        return outcome

    outcome = run(config(smsc.port, mode=TRANSMITTER_RECEIVER), scenario)
    binds = smsc.events("bind", 2)
    (record,) = smsc.events("submit_sm", 1)

    assert isinstance(outcome, Accepted)
    assert sorted(bind["command"] for bind in binds) == ["bind_receiver", "bind_transmitter"]
    assert record["mode"] == "bind_transmitter"


def test_receipt_ids_in_another_base_than_responses_are_matched(smsc_dec_receipts):
    async def scenario(session: Session) -> Any:
        await session.connector.submit_many([message(1), message(2)])
        await session.wait_for(lambda: len(session.reports) == 2)
        return session.reports

    reports = run(config(smsc_dec_receipts.port, receipt_id_base="dec"), scenario)

    assert sorted((report.message_id, report.status) for report in reports) == [
        ("m1", RECEIVED), ("m2", RECEIVED)]


def test_replies_from_handsets_reach_on_reply_decoded_and_reassembled(smsc):
    long_text = "Merci pour votre message, je confirme ma venue demain matin. " * 3

    async def scenario(session: Session) -> Any:
        await session.connector.submit(message())  # the server learns where to reply
        smsc.send_mo(source_addr="33699999999", destination_addr="36180", message="STOP")
        smsc.send_mo(source_addr="21698765432", destination_addr="36180", message=ARABIC)
        half = len(long_text) // 2
        for number, piece in ((1, long_text[:half]), (2, long_text[half:])):
            smsc.send_mo(source_addr="33611111111", destination_addr="36180", message=piece,
                         udh_hex=f"050003990{2}0{number}")
        await session.wait_for(lambda: len(session.replies) == 3)
        return session.replies

    replies = run(config(smsc.port), scenario)

    assert sorted((reply.source, reply.text) for reply in replies) == sorted([
        ("+33699999999", "STOP"), ("+21698765432", ARABIC), ("+33611111111", long_text)])
    assert [event["command_status"] for event in smsc.events("mo_resp", 4)] == [0] * 4


def test_idle_bind_sends_enquire_link(smsc):
    async def scenario(session: Session) -> bool:
        await asyncio.sleep(0.8)
        return session.connector.bound

    bound = run(config(smsc.port, enquire_link_s=0.2), scenario)

    assert bound
    assert smsc.events("enquire_link", 2)


def test_unbind_from_the_smsc_is_answered_and_the_connector_binds_again(smsc):
    async def scenario(session: Session) -> Any:
        first = await session.connector.submit(message(1))
        smsc.send(unbind=True)
        await session.wait_for(lambda: session.connector.stats.binds == 2)
        second = await session.connector.submit(message(2))
        return first, second

    first, second = run(config(smsc.port), scenario)

    assert isinstance(first, Accepted) and isinstance(second, Accepted)
    assert smsc.events("unbind_resp", 1)[0]["command_status"] == 0
    assert len(smsc.events("bind", 2)) == 2


def test_route_over_tls_binds_submits_and_gets_receipts(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    server = NodeSmsc("--tls", str(key), str(cert))
    context = ssl.create_default_context(cafile=str(cert))

    async def scenario(session: Session) -> Any:
        outcome = await session.connector.submit(message(text=ARABIC))
        await session.wait_for(lambda: session.reports)
        return outcome, session.reports

    try:
        outcome, reports = run(config(server.port, tls=context), scenario)
        (record,) = server.events("submit_sm", 1)
    finally:
        server.stop()

    assert outcome == Accepted("m1", (record["message_id"],))
    assert record["short_message"]["message"] == ARABIC
    assert [report.status for report in reports] == [RECEIVED]
