"""The ESME side of one route: binds to the SMSC, submits messages, hears back receipts and
replies, and keeps the bind up.

``Connector(config, on_receipt, on_reply)``; ``await start()`` binds (in transceiver mode one
bind, else a transmitter and a receiver) and keeps the binds up: a dropped one reconnects
with exponential backoff, an idle one sends enquire_link, and one that does not answer it is
dropped. ``await submit(message)`` and ``await submit_many(messages)`` return each message's
``results.Outcome``; segments of all waiting messages share the bind's window (at most
``window`` submit_sm unanswered) and its token bucket (``tps`` segments a second).
ESME_RTHROTTLED and ESME_RMSGQFUL refused the segment, so it is sent again, after a pause that
doubles while the SMSC keeps refusing, at most ``throttle_retries`` times.

When a bind drops, a segment already answered is never sent again, a segment sent and not
answered makes its message ``Ambiguous``, and segments not yet sent go out after the
reconnect. A submit_sm unanswered after ``response_timeout_s`` is Ambiguous too (the SMSC
may hold it), and the bind is probed with enquire_link, dropped if that goes unanswered.
``await close()`` waits (up to a timeout) for every message to have its outcome, unbinds and
closes; messages still unsent then are ``Rejected`` (system_error, no status).

Receipts (deliver_sm with esm_class 0x04) are matched by ``deliveries.Deliveries``, and
``on_receipt(DeliveryReport)`` is called when a message's combined status changes. Other
deliver_sm are replies: decoded, reassembled, passed to ``on_reply(Reply)``. Every deliver_sm
is answered ESME_ROK once read, even a receipt for an unknown message (logged): the SMSC
would only send it again. Callbacks run in the event loop and must not block; an exception
in one is logged.

The parts: ``outbox.Outbox`` (messages waiting for their outcome, the TPS bucket, retries),
``link.Link`` (one connection: framing, answers, requests), ``deliveries.Deliveries``
(receipts to messages), ``inbound`` (reading deliver_sm), ``binds`` (the settings).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Iterable
from time import monotonic
from typing import Any

from portevoix.platform.smpp import pdu
from portevoix.platform.smpp.binds import BindConfig, BindError, ConnectorStats
from portevoix.platform.smpp.deliveries import Deliveries
from portevoix.platform.smpp.inbound import RECEIPT, REPLY, kind, read_receipt, read_reply
from portevoix.platform.smpp.link import Link, LinkClosedError
from portevoix.platform.smpp.outbound import Outbound
from portevoix.platform.smpp.outbox import Outbox
from portevoix.platform.smpp.reassembly import Reassembler
from portevoix.platform.smpp.results import (
    DeliveryReport,
    Outcome,
    Reply,
)

log = logging.getLogger(__name__)

_NEW, _RUNNING, _CLOSING, _CLOSED = "new", "running", "closing", "closed"
_YIELD_EVERY = 256  # messages prepared between two yields to the loop in submit_many


class ConnectorClosedError(RuntimeError):
    def __init__(self, name: str, state: str) -> None:
        super().__init__(f"connector {name} is {state}: start it, or use a new one")
        self.name, self.state = name, state


class Connector:
    """One route's binds; see the module."""

    def __init__(self, config: BindConfig,
                 on_receipt: Callable[[DeliveryReport], object] | None = None,
                 on_reply: Callable[[Reply], object] | None = None,
                 name: str | None = None) -> None:
        self.config = config
        self.name = name or f"{config.system_id}@{config.host}:{config.port}"
        self.stats = ConnectorStats()
        self._on_receipt, self._on_reply = on_receipt, on_reply
        self._deliveries = Deliveries(config.response_id_base, config.receipt_id_base,
                                      config.receipt_hold_s)
        self._outbox = Outbox(config, self._deliveries, self.stats, self._settled)
        self._reassembler = Reassembler()
        self._links: set[Link] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._state = _NEW

    @property
    def bound(self) -> bool:
        """Every bind of the route is up."""
        return len(self._links) == len(self.config.roles)

    @property
    def deliveries(self) -> Deliveries:
        return self._deliveries

    # Lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind; raises ``BindError`` when a bind fails ``bind_attempts`` times in a row."""
        if self._state != _NEW:
            raise ConnectorClosedError(self.name, self._state)
        self._state = _RUNNING
        loop = asyncio.get_running_loop()
        started = [loop.create_future() for _ in self.config.roles]
        self._tasks = [asyncio.create_task(self._supervise(command, sends, first))
                       for (command, sends), first in zip(self.config.roles, started,
                                                          strict=True)]
        try:
            await asyncio.gather(*started)
        except BaseException:
            self._state = _CLOSED
            await self._stop_links()
            raise

    async def close(self, timeout: float = 30.0) -> None:
        """Wait up to ``timeout`` seconds for every message's outcome, then unbind and close.
        Messages with segments still unsent are then Rejected, those in flight Ambiguous."""
        if self._state in (_CLOSING, _CLOSED):
            return
        self._state = _CLOSING
        if self._tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox.idle.wait(), timeout)
        self._state = _CLOSED
        await self._stop_links()
        self._outbox.drop_all("the connector closed before it was sent")

    async def _stop_links(self) -> None:
        links = list(self._links)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(self._unbind(link) for link in links), return_exceptions=True)

    async def _unbind(self, link: Link) -> None:
        timeout = self.config.response_timeout_s
        try:
            await link.request(pdu.UNBIND, None, timeout)
        except (TimeoutError, ConnectionError, pdu.PduError) as error:
            log.info("%s: unbind not answered: %s", link.name, error)
        link.close()
        try:
            await asyncio.wait_for(asyncio.shield(link.closed), timeout)
        except TimeoutError:
            link.abort()

    async def _supervise(self, command: int, sends: bool, started: asyncio.Future[None]) -> None:
        config = self.config
        delay, failures = config.reconnect_min_s, 0
        while self._state != _CLOSED:
            try:
                link = await self._open(command)
            except (OSError, TimeoutError, BindError, pdu.PduError) as error:
                failures += 1
                log.warning("%s: %s failed (%d): %s", self.name, pdu.command_name(command),
                            failures, error)
                if not started.done() and failures >= config.bind_attempts:
                    started.set_exception(error if isinstance(error, BindError) else
                                          BindError(self.name, None, str(error)))
                    return
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, config.reconnect_max_s)
                continue
            delay, failures = config.reconnect_min_s, 0
            self.stats.binds += 1
            if not started.done():
                started.set_result(None)
            await self._serve(link, sends)
            if self._state != _CLOSED:
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    async def _open(self, command: int) -> Link:
        config, loop = self.config, asyncio.get_running_loop()
        name = f"{self.name} {pdu.command_name(command)}"
        _, link = await asyncio.wait_for(loop.create_connection(
            lambda: Link(self, name, config.window), config.host, config.port,
            ssl=config.tls), config.response_timeout_s)
        try:
            answer = await link.request(command, pdu.Bind(config.system_id, config.password,
                                                          config.system_type),
                                        config.response_timeout_s)
        except BaseException:
            link.abort()
            raise
        if answer.status != pdu.ESME_ROK:
            link.abort()
            raise BindError(self.name, answer.status, f"{answer.name} refused")
        log.info("%s: bound", name)
        return link

    async def _serve(self, link: Link, sends: bool) -> None:
        self._links.add(link)
        tasks = [asyncio.create_task(self._keepalive(link))]
        if sends:
            tasks.append(asyncio.create_task(self._send(link)))
        try:
            await asyncio.shield(link.closed)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._links.discard(link)

    async def _keepalive(self, link: Link) -> None:
        """Response timeouts, then enquire_link when idle or when a response is late."""
        config = self.config
        tick = min(1.0, config.response_timeout_s / 4, config.enquire_link_s / 2)
        while link.alive:
            await asyncio.sleep(tick)
            now = monotonic()
            late = list(link.window.expired(now - config.response_timeout_s))
            for _, segment in late:
                self._outbox.unanswered(
                    segment, f"no submit_sm_resp within {config.response_timeout_s}s")
            for receipt in self._deliveries.expire():
                log.warning("%s: receipt for unknown message %s (%s)", self.name,
                            receipt.message_id, receipt.stat)
            if late or now - link.last_read >= config.enquire_link_s:
                try:
                    await link.request(pdu.ENQUIRE_LINK, None, config.response_timeout_s)
                except pdu.PduError as error:  # an answer all the same: the SMSC is there
                    log.warning("%s: enquire_link answered with garbage: %s", link.name, error)
                except (TimeoutError, LinkClosedError):
                    log.warning("%s: enquire_link not answered; reconnecting", link.name)
                    link.abort()
                    return

    # Submitting ---------------------------------------------------------------------------

    async def submit(self, message: Outbound) -> Outcome:
        return (await self.submit_many((message,)))[0]

    async def submit_many(self, messages: Iterable[Outbound]) -> list[Outcome]:
        """Every message's outcome, in order; the messages are sent pipelined."""
        if self._state != _RUNNING:
            raise ConnectorClosedError(self.name, self._state)
        futures: list[asyncio.Future[Outcome]] = []
        try:
            for number, message in enumerate(messages, start=1):
                futures.append(self._outbox.add(message))
                if number % _YIELD_EVERY == 0:
                    self._outbox.ready.set()
                    await asyncio.sleep(0)  # start sending while the rest is prepared
            self._outbox.ready.set()
            return [await future for future in futures]
        except asyncio.CancelledError:
            for future in futures:
                future.cancel()
            raise

    def track(self, message_id: str, smsc_ids: Iterable[str]) -> None:
        """Match receipts of a message accepted before this connector started."""
        self._deliveries.track(message_id, tuple(smsc_ids))

    async def _send(self, link: Link) -> None:
        outbox, window, ready = self._outbox, link.window, self._outbox.ready
        while link.alive:
            if outbox.peek() is None or window.full:
                ready.clear()
                await ready.wait()
                continue
            wait = outbox.reserve()
            if wait > 0:
                await asyncio.sleep(wait)
                if outbox.peek() is None or not link.alive:
                    continue  # that token is lost: at worst one segment a second slower
            segment = outbox.take()
            sequence = window.next_sequence()
            window.add(sequence, segment, monotonic())
            link.send_submit(sequence, segment.body)
            if not link.writable:
                await link.drain()

    # What the links report (LinkOwner) ----------------------------------------------------

    def submit_answered(self, link: Link, sequence: int, status: int,
                        message_id: str | None) -> None:
        entry = link.window.pop(sequence)
        if entry is None:
            log.warning("%s: submit_sm_resp #%d (0x%X) for nothing in flight (late?)",
                        link.name, sequence, status)
            return
        segment, sent_at = entry
        self._outbox.answered(segment, sent_at, status, message_id)

    def link_lost(self, link: Link) -> None:
        for segment in link.window.drain():
            self._outbox.unanswered(segment, "the bind dropped before submit_sm_resp")

    def delivered(self, link: Link, request: pdu.Pdu) -> int:
        body = request.body
        assert isinstance(body, pdu.ShortMessage)  # decode gives deliver_sm this body
        found = kind(body)
        if found == RECEIPT:
            receipt = read_receipt(body, link.name)
            if receipt is not None:
                self.stats.receipts += 1
                try:
                    report = self._deliveries.receipt(receipt)
                except ValueError as error:  # an id not in the route's base
                    log.warning("%s: receipt %s", link.name, error)
                    report = None
                if report is not None:
                    self._notify(self._on_receipt, report)
        elif found == REPLY:
            reply = read_reply(body, self._reassembler, link.name)
            if reply is not None:
                self.stats.replies += 1
                self._notify(self._on_reply, reply)
        else:
            log.info("%s: deliver_sm with esm_class 0x%02X ignored", link.name, body.esm_class)
        return pdu.ESME_ROK

    def _settled(self, message_id: str) -> None:
        report = self._deliveries.settle(message_id)
        if report is not None:
            self._notify(self._on_receipt, report)

    def _notify(self, callback: Callable[[Any], object] | None, value: object) -> None:
        if callback is not None:
            # After the current callback: a caller awaiting the outcome hears it first.
            asyncio.get_running_loop().call_soon(self._call, callback, value)

    def _call(self, callback: Callable[[Any], object], value: object) -> None:
        try:
            callback(value)
        except Exception:
            log.exception("%s: %r raised on %r", self.name, callback, value)
