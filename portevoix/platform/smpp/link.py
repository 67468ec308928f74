"""One TCP (or TLS) connection to an SMSC: framing, answering what the SMSC asks, and the
requests we wait on.

The link reads whole PDUs (``pdu.FrameReader``) and handles each as it arrives, in the
event loop's callback, without a task per PDU: at thousands a second the hops between tasks
would cost more than the work. What concerns messages goes to its ``LinkOwner`` (the
connector): submit_sm_resp, deliver_sm, the link going down. The link itself answers
enquire_link and unbind (SMPP 3.4 §4.11, §4.2), and PDUs that do not parse (§2.7, what
``pdu.PduError`` says to answer): a generic_nack, or the command's response with an error;
a broken generic_nack is not answered (two broken peers would nack each other forever). The
sequence and status in a broken response's header still settle the request it answers. An
impossible command_length means the stream lost its framing: the link closes and the
connector reconnects.
"""

from __future__ import annotations

import asyncio
import logging
from time import monotonic
from typing import Any, Protocol

from portevoix.platform.smpp import pdu
from portevoix.platform.smpp.pdu import (
    DELIVER_SM,
    ENQUIRE_LINK,
    GENERIC_NACK,
    HEADER,
    RESPONSE_BIT,
    SUBMIT_SM,
    SUBMIT_SM_RESP,
    UNBIND,
    FrameReader,
    InvalidCommandLengthError,
    MessageId,
    Pdu,
    PduError,
)
from portevoix.platform.smpp.window import Window

log = logging.getLogger(__name__)


class LinkOwner(Protocol):
    def submit_answered(self, link: Link, sequence: int, status: int,
                        message_id: str | None) -> None: ...

    def delivered(self, link: Link, request: Pdu) -> int:
        """Handle a deliver_sm; the command_status to answer it with."""
        ...

    def link_lost(self, link: Link) -> None: ...


class LinkClosedError(ConnectionError):
    pass


class Link(asyncio.Protocol):
    """A connection to an SMSC for ``owner``; ``window`` holds its submit_sm in flight."""

    def __init__(self, owner: LinkOwner, name: str, window: int) -> None:
        self.owner, self.name = owner, name
        self.window: Window[Any] = Window(window)
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.last_read = monotonic()
        self._reader = FrameReader()
        self._requests: dict[int, asyncio.Future[Pdu]] = {}
        self._writable: asyncio.Future[None] | None = None

    @property
    def alive(self) -> bool:
        return self.transport is not None and not self.closed.done()

    @property
    def writable(self) -> bool:
        return self._writable is None

    # asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.last_read = monotonic()
        try:
            for frame in self._reader.feed(data):
                self._frame(frame)
        except InvalidCommandLengthError as error:
            log.error("%s: %s; closing to reconnect", self.name, error)
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            log.warning("%s: connection lost: %s", self.name, exc)
        self.transport = None
        for future in self._requests.values():
            if not future.done():
                future.set_exception(LinkClosedError(f"{self.name}: connection lost"))
        self._requests.clear()
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        if not self.closed.done():
            self.closed.set_result(None)
        self.owner.link_lost(self)

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        waiter, self._writable = self._writable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # Sending ----------------------------------------------------------------------------

    def send(self, message: Pdu) -> None:
        if self.transport is not None:
            self.transport.write(pdu.encode(message))

    def send_submit(self, sequence: int, body: bytes) -> None:
        """A submit_sm whose body is already encoded: only the header changes per send."""
        if self.transport is not None:
            self.transport.write(HEADER.pack(16 + len(body), SUBMIT_SM, 0, sequence) + body)

    async def drain(self) -> None:
        """Wait while the transport's buffer is full."""
        if self._writable is not None:
            await self._writable

    async def request(self, command_id: int, body: pdu.Body, timeout: float) -> Pdu:
        """Send a request (bind, enquire_link, unbind) and wait for its response or a
        generic_nack; TimeoutError after ``timeout`` seconds, LinkClosedError if the
        connection goes first."""
        if not self.alive:
            raise LinkClosedError(f"{self.name}: not connected")
        sequence = self.window.next_sequence()
        future: asyncio.Future[Pdu] = asyncio.get_running_loop().create_future()
        self._requests[sequence] = future
        self.send(Pdu(command_id, sequence, body=body))
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._requests.pop(sequence, None)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # Receiving --------------------------------------------------------------------------

    def _frame(self, frame: bytes) -> None:
        try:
            message = pdu.decode(frame)
        except PduError as error:
            self._refuse(frame, error)
            return
        command_id = message.command_id
        if command_id == SUBMIT_SM_RESP:
            body = message.body
            self.owner.submit_answered(self, message.sequence, message.status,
                                       body.message_id if isinstance(body, MessageId) else None)
        elif command_id == DELIVER_SM:
            self.send(pdu.response_to(message, self.owner.delivered(self, message),
                                      MessageId("")))
        elif command_id == ENQUIRE_LINK:
            self.send(pdu.response_to(message))
        elif command_id == UNBIND:
            log.info("%s: the SMSC unbinds", self.name)
            self.send(pdu.response_to(message))
            self.close()
        elif message.is_response:
            self._response(message)
        else:  # a request only an ESME sends (submit_sm, a bind): not in this direction
            log.warning("%s: unexpected %s #%d", self.name, message.name, message.sequence)
            self.send(pdu.response_to(message, pdu.ESME_RINVBNDSTS))

    def _response(self, message: Pdu) -> None:
        future = self._requests.pop(message.sequence, None)
        if future is not None:
            if not future.done():
                future.set_result(message)
        elif message.command_id == GENERIC_NACK and message.sequence in self.window:
            self.owner.submit_answered(self, message.sequence, message.status or
                                       pdu.ESME_RUNKNOWNERR, None)
        else:
            log.warning("%s: %s #%d (status 0x%X) answers nothing we sent", self.name,
                        message.name, message.sequence, message.status)

    def _refuse(self, frame: bytes, error: PduError) -> None:
        log.warning("%s: malformed PDU from the SMSC: %s (%s)", self.name, error,
                    frame[:64].hex())
        command_id, status, sequence = (HEADER.unpack_from(frame)[1:] if len(frame) >= 16
                                        else (error.command_id, 0, error.sequence))
        if command_id & RESPONSE_BIT:
            if command_id in (SUBMIT_SM_RESP, GENERIC_NACK) and sequence in self.window:
                # The header is sound: its status settles the submit (no id if accepted).
                self.owner.submit_answered(self, sequence, status or (
                    pdu.ESME_RUNKNOWNERR if command_id == GENERIC_NACK else 0), None)
            elif sequence in self._requests:
                self._requests.pop(sequence).set_exception(error)
        if command_id == GENERIC_NACK:
            return  # a nack is never answered: two broken peers would nack each other forever
        if error.nack:
            self.send(pdu.generic_nack(error.sequence, error.status))
        else:
            self.send(Pdu(command_id | RESPONSE_BIT, sequence, error.status))
