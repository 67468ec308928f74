"""One ESME connection to the SMSC simulator: its bind, its requests and its answers.

Each socket read is cut into PDUs and every PDU handled; the answers collect in a batch that
goes out in one write at the end of the read (or waits while the simulator's responses are
paused). Receipts an answer calls for are scheduled when the answer is written, so a submit
that is never answered (the bind dropped first) never gets one. The record entry of each
submit_sm is made when it is read and says whether, and how, it was answered.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from portevoix.platform.smpp.coding import CodingError, decode_short_message
from portevoix.platform.smpp.outcomes import (
    REJECT,
    OutcomeRule,
    Received,
    outcome_for,
    receipts_for,
)
from portevoix.platform.smpp.pdu import (
    BIND_RECEIVER,
    BIND_TRANSMITTER,
    BINDS,
    DELIVER_SM,
    DELIVER_SM_RESP,
    ENQUIRE_LINK,
    ESME_RALYBND,
    ESME_RINVBNDSTS,
    ESME_RINVCMDID,
    ESME_RINVPASWD,
    ESME_RINVSYSID,
    ESME_ROK,
    ESME_RTHROTTLED,
    GENERIC_NACK,
    HEADER,
    INTERFACE_VERSION,
    MAX_LENGTH,
    MIN_LENGTH,
    RESPONSE_BIT,
    SUBMIT_SM,
    SUBMIT_SM_RESP,
    TLV_MESSAGE_PAYLOAD,
    TLV_SC_INTERFACE_VERSION,
    UNBIND,
    Bind,
    InvalidCommandLengthError,
    MessageId,
    Pdu,
    PduError,
    ShortMessage,
    decode,
    encode,
    generic_nack,
    response_to,
)
from portevoix.platform.smpp.smsc_outbox import Outbound

if TYPE_CHECKING:
    from portevoix.platform.smpp.simulator import Simulator

log = logging.getLogger("portevoix.smsc")

SMSC_SYSTEM_ID = "PORTEVOIX-SIM"  # our system_id in bind responses
TLV_SAR_MSG_REF_NUM, TLV_SAR_TOTAL_SEGMENTS, TLV_SAR_SEGMENT_SEQNUM = 0x020C, 0x020E, 0x020F
WRITE_HIGH_WATER = 1 << 20  # stop reading a peer that does not read what we write
_UINT32_AT = struct.Struct(">I").unpack_from


@dataclass(slots=True)
class _Answer:
    frame: bytes
    entry: Received | None = None
    receipts: tuple[Outbound, ...] = ()
    then: Callable[[], None] | None = None


class SessionHandler(asyncio.Protocol):
    """The simulator's side of one TCP connection (an asyncio protocol)."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.system_id: str | None = None
        self.transmits = self.receives = False
        self.peer = "?"
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._answers: list[_Answer] = []
        self._held: list[_Answer] = []
        self._out: list[bytes] = []
        self._outstanding: dict[int, Outbound] = {}
        self._sequence = 0
        self._reading = True
        self._closed = False
        self._close_when_answered = False
        self._flush_soon = False

    # Transport events --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.simulator.sessions.add(self)
        log.info("%s connected", self.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        self._end()
        log.info("%s disconnected (%s)", self.peer, self.system_id or "unbound")

    def pause_writing(self) -> None:
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and not self._closed:
            self._transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        if not self._reading:
            return
        if self._buffer:
            self._buffer += data
            data = bytes(self._buffer)
            self._buffer.clear()
        offset, end = 0, len(data)
        try:
            while end - offset >= 4:
                length = _UINT32_AT(data, offset)[0]
                if not MIN_LENGTH <= length <= MAX_LENGTH:
                    raise InvalidCommandLengthError(length)
                if end - offset < length:
                    break
                self._handle(data[offset:offset + length])
                offset += length
                if not self._reading:
                    break
        except InvalidCommandLengthError as error:
            sequence = HEADER.unpack_from(data, offset)[3] if end - offset >= MIN_LENGTH else 0
            log.warning("%s: %s; closing, the stream has lost its framing", self.peer, error)
            self.simulator.counters.nacks += 1
            self._answers.append(_Answer(encode(generic_nack(sequence, error.status))))
            self._close_when_answered = True
            self._reading = False
        if self._reading and offset < end:
            self._buffer += data[offset:]
        if not self._closed:
            self._commit()

    # Requests ----------------------------------------------------------------------------

    def _handle(self, frame: bytes) -> None:
        try:
            pdu = decode(frame)
        except PduError as error:
            self._refuse(error)
            return
        command_id = pdu.command_id
        if command_id == SUBMIT_SM:
            self._submit(pdu, cast(ShortMessage, pdu.body))
        elif command_id in (DELIVER_SM_RESP, GENERIC_NACK):
            self._acknowledged(pdu)
        elif command_id in BINDS:
            self._bind(pdu, cast(Bind, pdu.body))
        elif command_id == ENQUIRE_LINK:
            status = ESME_ROK if self.system_id is not None else ESME_RINVBNDSTS
            self._answers.append(_Answer(encode(response_to(pdu, status))))
        elif command_id == UNBIND:
            self._unbind(pdu)
        elif pdu.is_response:
            log.debug("%s: %s #%d ignored", self.peer, pdu.name, pdu.sequence)
        else:  # deliver_sm: an SMSC sends it, it does not take it
            log.warning("%s: %s #%d refused: not a command an ESME sends", self.peer,
                        pdu.name, pdu.sequence)
            self.simulator.counters.nacks += 1
            self._answers.append(_Answer(encode(generic_nack(pdu.sequence, ESME_RINVCMDID))))

    def _refuse(self, error: PduError) -> None:
        log.warning("%s: %s (answered 0x%02x)", self.peer, error, error.status)
        counters = self.simulator.counters
        if error.nack:
            counters.nacks += 1
            if error.command_id == DELIVER_SM_RESP:
                self._outstanding.pop(error.sequence, None)  # a broken ack is still an ack
            frame = encode(generic_nack(error.sequence, error.status))
        else:
            counters.malformed += 1
            frame = HEADER.pack(MIN_LENGTH, error.command_id | RESPONSE_BIT, error.status,
                                error.sequence)
        self._answers.append(_Answer(frame))

    def _bind(self, pdu: Pdu, bind: Bind) -> None:
        accounts = self.simulator.config.accounts
        if self.system_id is not None:
            status = ESME_RALYBND
        elif bind.system_id not in accounts:
            status = ESME_RINVSYSID
        elif accounts[bind.system_id] != bind.password:
            status = ESME_RINVPASWD
        else:
            status = ESME_ROK
        if status != ESME_ROK:
            log.warning("%s: %s as %r refused (0x%02x)", self.peer, pdu.name, bind.system_id,
                        status)
            body = MessageId(SMSC_SYSTEM_ID)
            self._answers.append(_Answer(encode(response_to(pdu, status, body))))
            return
        self.system_id = bind.system_id
        self.transmits = pdu.command_id != BIND_RECEIVER
        self.receives = pdu.command_id != BIND_TRANSMITTER
        self.simulator.counters.binds += 1
        log.info("%s: %s as %r", self.peer, pdu.name, bind.system_id)
        body = MessageId(SMSC_SYSTEM_ID, ((TLV_SC_INTERFACE_VERSION,
                                           bytes((INTERFACE_VERSION,))),))
        then = self._start_receiving if self.receives else None
        self._answers.append(_Answer(encode(response_to(pdu, body=body)), then=then))

    def _start_receiving(self) -> None:
        assert self.system_id is not None
        self.simulator.outbox.add_receiver(self, self.system_id)

    def _unbind(self, pdu: Pdu) -> None:
        if self.system_id is None:
            self._answers.append(_Answer(encode(response_to(pdu, ESME_RINVBNDSTS))))
            return
        log.info("%s: unbind (%s)", self.peer, self.system_id)
        self.simulator.outbox.remove_receiver(self, self.system_id, [])  # none after unbind
        self._reading = False
        self._answers.append(_Answer(encode(response_to(pdu)), then=self._close_later))

    def _close_later(self) -> None:
        self._close_when_answered = True

    def _submit(self, pdu: Pdu, message: ShortMessage) -> None:
        simulator = self.simulator
        simulator.counters.submits += 1
        now = time.time()
        rule: OutcomeRule | None = None
        if not self.transmits:
            status = ESME_RINVBNDSTS
        elif not simulator.admit(self.system_id or "", time.monotonic()):
            status = ESME_RTHROTTLED
        else:
            rule = outcome_for(simulator.config.rules, message.destination_addr)
            status = rule.reject_status if rule.outcome == REJECT else ESME_ROK
        text, udh = _text(message)
        message_id = number = None
        if status == ESME_ROK:
            number = simulator.next_message_id()
            message_id = _format_id(number, simulator.config.message_id_format)
            frame = encode(Pdu(SUBMIT_SM_RESP, pdu.sequence, ESME_ROK, MessageId(message_id)))
        else:  # §4.4.2: no body unless the status is 0
            frame = HEADER.pack(MIN_LENGTH, SUBMIT_SM_RESP, status, pdu.sequence)
        entry = Received(self.system_id or "", pdu.sequence, message.source_addr,
                         message.destination_addr, message.data_coding, message.esm_class,
                         message.registered_delivery, text, udh, message_id, status, now)
        simulator.record.append(entry)
        receipts: tuple[Outbound, ...] = ()
        if rule is not None and number is not None and rule.steps:
            receipts = self._receipts(message, rule, number, text or "", now)
        self._answers.append(_Answer(frame, entry, receipts))
        drop = simulator.count_down_drop()
        if drop is not None:
            self._drop(answer_in_flight=drop)

    def _receipts(self, message: ShortMessage, rule: OutcomeRule, number: int, text: str,
                  now: float) -> tuple[Outbound, ...]:
        config, system_id = self.simulator.config, self.system_id or ""
        return tuple(Outbound(system_id, body, delay) for body, delay in receipts_for(
            message, rule, submit_id=_format_id(number, config.message_id_format),
            receipt_id=_format_id(number, config.receipt_id_format), submitted=now, text=text,
            tlvs=config.receipt_tlvs))

    def _acknowledged(self, pdu: Pdu) -> None:
        outbound = self._outstanding.pop(pdu.sequence, None)
        if outbound is None:
            log.warning("%s: %s #%d answers nothing we sent", self.peer, pdu.name,
                        pdu.sequence)
        elif pdu.status != ESME_ROK:
            log.warning("%s: %s #%d refused a %s (0x%02x)", self.peer, pdu.name, pdu.sequence,
                        "receipt" if outbound.receipt else "reply", pdu.status)

    # Answers and deliveries --------------------------------------------------------------

    def _commit(self) -> None:
        """Write this read's answers, or hold them while responses are paused."""
        answers, self._answers = self._answers, []
        if self.simulator.paused and not self._close_when_answered:
            self._held.extend(answers)
        else:
            self._write(answers)

    def release(self) -> None:
        """Responses are resumed: write what was held."""
        held, self._held = self._held, []
        if held and not self._closed:
            self._write(held)

    def _write(self, answers: list[_Answer]) -> None:
        simulator = self.simulator
        counters = simulator.counters
        before = simulator.config.receipts_before_response
        for answer in answers:
            receipts = answer.receipts
            if receipts and before:
                target = simulator.outbox.deliver(receipts[0])
                if target is not None and target is not self:
                    target.flush()  # on its socket before the response is on ours
                receipts = receipts[1:]
            self._out.append(answer.frame)
            entry = answer.entry
            if entry is not None:
                if entry.command_status == ESME_ROK:
                    counters.accepted += 1
                elif entry.command_status == ESME_RTHROTTLED:
                    counters.throttled += 1
                else:
                    counters.rejected += 1
            for receipt in receipts:
                simulator.outbox.schedule(receipt)
            if answer.then is not None:
                answer.then()
        self.flush()
        if self._close_when_answered:
            self.close()

    def send(self, outbound: Outbound) -> None:
        """Queue a deliver_sm for the next write (within this turn of the event loop)."""
        self._sequence = self._sequence % 0x7FFFFFFF + 1
        self._out.append(encode(Pdu(DELIVER_SM, self._sequence, body=outbound.body)))
        self._outstanding[self._sequence] = outbound
        counters = self.simulator.counters
        if outbound.receipt:
            counters.receipts_sent += 1
        else:
            counters.replies_sent += 1
        if not self._flush_soon:
            self._flush_soon = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self._flush_soon = False
        if self._out and self._transport is not None and not self._transport.is_closing():
            self._transport.write(b"".join(self._out))
        self._out.clear()

    # Ending ------------------------------------------------------------------------------

    def _drop(self, answer_in_flight: bool) -> None:
        log.warning("%s: dropping the bind (%s) as the scenario asks, %s", self.peer,
                    self.system_id, "answering first" if answer_in_flight else
                    "leaving the last submits unanswered")
        self._reading = False
        if answer_in_flight:
            answers, self._held, self._answers = self._held + self._answers, [], []
            self._write(answers)
        else:
            self._out.clear()  # lost with the connection: still outstanding, sent again
        self.close()

    def close(self) -> None:
        """Close the connection after writing what is answered; the rest stays unanswered."""
        if self._closed:
            return
        self.flush()
        self._end()
        if self._transport is not None:
            self._transport.close()

    def _end(self) -> None:
        if self._closed:
            return
        self._closed, self._reading = True, False
        counters = self.simulator.counters
        for answer in self._held + self._answers:
            if answer.entry is not None:
                answer.entry.message_id = answer.entry.command_status = None
                counters.unanswered += 1
        self._held, self._answers = [], []
        self.simulator.sessions.discard(self)
        if self.system_id is not None:
            unacknowledged = list(self._outstanding.values())
            self._outstanding.clear()
            self.simulator.outbox.remove_receiver(self, self.system_id, unacknowledged)


def _text(message: ShortMessage) -> tuple[str | None, tuple[int, int, int] | None]:
    data = message.short_message or message.tlv(TLV_MESSAGE_PAYLOAD) or b""
    try:
        text, udh = decode_short_message(data, message.data_coding, message.esm_class)
    except CodingError:
        return None, None
    if udh is None and message.tlvs:
        udh = _sar(message)
    return text, udh


def _sar(message: ShortMessage) -> tuple[int, int, int] | None:
    """Concatenation by SAR TLVs (§5.3.2.22-24) instead of a header."""
    reference, total, sequence = (message.tlv(tag) for tag in (
        TLV_SAR_MSG_REF_NUM, TLV_SAR_TOTAL_SEGMENTS, TLV_SAR_SEGMENT_SEQNUM))
    if reference is None or total is None or sequence is None:
        return None
    return (int.from_bytes(reference, "big"), int.from_bytes(total, "big"),
            int.from_bytes(sequence, "big"))


def _format_id(number: int, base: str) -> str:
    return f"{number:x}" if base == "hex" else str(number)


