"""The SMSC simulator: a real SMPP 3.4 server on loopback with configurable delivery outcomes.

What the platform's connectors and tests talk to instead of an operator's SMSC. It binds
ESMEs against configured accounts, answers submit_sm (throttling beyond ``tps_limit``), sends
the delivery receipts the outcome rules (``outcomes.py``) call for to a receiver or
transceiver bind of the same system_id, round-robin, and answers broken PDUs as the spec
says (``pdu.PduError`` tells which answer). Everything received is in ``record``, one entry a
submit_sm, so a test or benchmark can check that each message arrived exactly once.

Misbehaviour real SMSCs show is a named scenario, not a mock: ``drop_bind_after``,
``pause_responses``, receipts before responses, receipt ids in another base than the
submit_sm_resp's, and ``inject_reply`` for mobile-originated messages.

Built for throughput: each socket read is cut into PDUs, all of them are answered, and the
answers go out in one write; receipts due at the same moment go out together too
(``smsc_sessions.py`` is the per-connection side, ``smsc_outbox.py`` routes deliver_sm).
Receipts an ESME has not acknowledged when its bind closes are sent again on another bind of
the same system_id: at least once, as SMSCs deliver. ``SimulatorThread`` runs it all on an
event loop of its own, for synchronous callers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, TypeVar

from portevoix.platform.segments import encode as encode_text
from portevoix.platform.smpp.addresses import AddressError, source_address
from portevoix.platform.smpp.coding import split
from portevoix.platform.smpp.outcomes import Counters, OutcomeRule, Received, Throttle
from portevoix.platform.smpp.pdu import ShortMessage
from portevoix.platform.smpp.smsc_outbox import Outbound, Outbox
from portevoix.platform.smpp.smsc_sessions import SessionHandler

log = logging.getLogger("portevoix.smsc")

ID_FORMATS = ("dec", "hex")
# Ids count from here: a hex id then starts with a letter and a decimal one has 10 digits,
# so the same id written in the two bases never looks alike and a mix-up cannot pass unseen.
FIRST_MESSAGE_ID = 0xA0000000

_T = TypeVar("_T")

__all__ = [
    "ID_FORMATS", "Counters", "NoReceiverError", "Received", "Simulator", "SimulatorConfig",
    "SimulatorThread",
]


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulator behaves; see the module and ``outcomes.OutcomeRule``.

    ``port`` 0 takes a free port (``Simulator.port`` says which once started). ``tps_limit``
    counts submits per system_id in one-second windows. ``message_id_format`` is how
    submit_sm_resp writes ids, ``receipt_id_format`` how receipt texts do ("dec" or "hex");
    ``receipt_tlvs`` adds receipted_message_id (written as in submit_sm_resp, §5.3.2.12),
    message_state and, for a non-zero error, network_error_code. ``receipts_before_response``
    sends each accepted message's first receipt just ahead of its submit_sm_resp.
    """

    host: str = "127.0.0.1"
    port: int = 0
    accounts: Mapping[str, str] = field(default_factory=lambda: {"portevoix": "secret"})
    rules: tuple[OutcomeRule, ...] = ()
    tps_limit: int | None = None
    message_id_format: str = "dec"
    receipt_id_format: str = "dec"
    receipt_tlvs: bool = False
    receipts_before_response: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "accounts", MappingProxyType(dict(self.accounts)))
        object.__setattr__(self, "rules", tuple(self.rules))
        for name in ("message_id_format", "receipt_id_format"):
            if getattr(self, name) not in ID_FORMATS:
                raise ValueError(f"{name} is one of {', '.join(ID_FORMATS)}, "
                                 f"not {getattr(self, name)!r}")
        if self.tps_limit is not None and self.tps_limit <= 0:
            raise ValueError("tps_limit is a positive number of submits a second, or None")


class NoReceiverError(LookupError):
    """A reply names no system_id and none can be chosen: several accounts, none bound."""

    def __init__(self, accounts: tuple[str, ...]) -> None:
        super().__init__(f"no receiver bound; name one of the accounts {', '.join(accounts)}")
        self.accounts = accounts


class Simulator:
    """The SMSC on the running event loop: ``await start()``, ``await stop()`` (or
    ``async with``). Its methods are called on the loop's thread; ``SimulatorThread`` offers
    the same from other threads."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.record: list[Received] = []
        self.counters = Counters()
        self.paused = False
        self.sessions: set[SessionHandler] = set()
        self.outbox = Outbox()
        self._server: asyncio.Server | None = None
        self._address: tuple[str, int] | None = None
        self._throttles: dict[str, Throttle] = {}
        self._last_id = FIRST_MESSAGE_ID
        self._reference = 0
        self._drop: tuple[int, bool] | None = None

    # Lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on ``config.host``:``config.port``; raises OSError if it cannot."""
        self._server = await asyncio.get_running_loop().create_server(
            lambda: SessionHandler(self), self.config.host, self.config.port)
        host, port = self._server.sockets[0].getsockname()[:2]
        self._address = str(host), int(port)
        log.info("SMSC simulator listening on %s:%d", *self.address)

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` it listens on (listened on, once stopped)."""
        if self._address is None:
            raise RuntimeError("the simulator is not started")
        return self._address

    @property
    def port(self) -> int:
        return self.address[1]

    async def stop(self) -> None:
        """Stop listening and close every bind (what is answered is flushed first)."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        for session in list(self.sessions):
            session.close()
        self.outbox.close()
        await server.wait_closed()
        log.info("SMSC simulator stopped: %s", self.counters)

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.stop()

    # Scenarios ---------------------------------------------------------------------------

    def drop_bind_after(self, n_submits: int, answer_in_flight: bool = False) -> None:
        """Close the bind that brings the ``n_submits``-th submit_sm from now (once).

        With ``answer_in_flight`` the submits read so far are answered first; without, those
        read since the last answers went out stay unanswered (recorded with
        ``command_status`` None, no receipt): the ESME cannot know whether they were taken.
        """
        if n_submits < 1:
            raise ValueError("n_submits counts from 1")
        self._drop = (n_submits, answer_in_flight)

    def pause_responses(self) -> None:
        """Hold every answer (and the receipts that follow them) until ``resume_responses``;
        submits are still read and recorded, like a stalled SMSC's."""
        self.paused = True

    def resume_responses(self) -> None:
        self.paused = False
        for session in list(self.sessions):
            session.release()

    def inject_reply(self, source: str, destination: str, text: str,
                     system_id: str | None = None) -> int:
        """Send a mobile-originated message from ``source`` to ``destination``, as deliver_sm
        to a receiver of ``system_id`` (held until one binds); returns how many parts.

        GSM-7 when the text allows, else UCS-2; a long text goes as concatenated parts
        (8-bit reference, esm_class UDHI). ``system_id`` defaults to the only account, or to
        the account of a bound receiver.
        """
        target = system_id or self._reply_account()
        self._reference = (self._reference + 1) % 256
        originator = source.removeprefix("+")
        try:
            recipient = source_address(destination)
            ton, npi = recipient.ton, recipient.npi
        except AddressError:
            ton, npi = 0, 0
        segments = split(encode_text(text), self._reference)
        for segment in segments:
            body = ShortMessage(
                source_addr=originator, destination_addr=destination.removeprefix("+"),
                short_message=segment.short_message, source_addr_ton=1, source_addr_npi=1,
                dest_addr_ton=ton, dest_addr_npi=npi, esm_class=segment.esm_class,
                data_coding=segment.data_coding)
            self.outbox.deliver(Outbound(target, body, receipt=False))
        log.info("reply from %s to %s for %s: %d part(s)", source, destination, target,
                 len(segments))
        return len(segments)

    def _reply_account(self) -> str:
        accounts = tuple(self.config.accounts)
        if len(accounts) == 1:
            return accounts[0]
        bound = self.outbox.bound_system_ids()
        if not bound:
            raise NoReceiverError(accounts)
        return bound[0]

    def write_record(self, path: str | Path) -> int:
        """Write ``record`` to ``path`` as JSON lines (``Received.as_json``); returns how many.
        Creates the directory if needed."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        entries = list(self.record)
        # UCS-2 may hold a lone surrogate, which UTF-8 cannot: written as "\udXXX", it is the
        # JSON escape for it, so every line stays valid JSON and reads back the same.
        with target.open("w", encoding="utf-8", errors="backslashreplace") as out:
            out.writelines(json.dumps(entry.as_json(), ensure_ascii=False) + "\n"
                           for entry in entries)
        return len(entries)

    # What sessions ask of the simulator --------------------------------------------------

    def next_message_id(self) -> int:
        self._last_id += 1
        return self._last_id

    def admit(self, system_id: str, now: float) -> bool:
        """False when ``system_id`` is over ``tps_limit`` (ESME_RTHROTTLED)."""
        limit = self.config.tps_limit
        if limit is None:
            return True
        throttle = self._throttles.get(system_id)
        if throttle is None:
            throttle = self._throttles[system_id] = Throttle(limit)
        return throttle.admit(now)

    def count_down_drop(self) -> bool | None:
        """After each submit_sm: None, or whether to answer in flight when this one is the
        one ``drop_bind_after`` waits for."""
        if self._drop is None:
            return None
        left, answer = self._drop
        if left > 1:
            self._drop = (left - 1, answer)
            return None
        self._drop = None
        return answer


class SimulatorThread:
    """A :class:`Simulator` on an event loop of its own thread, for synchronous code.

    ``with SimulatorThread(config) as smsc:`` starts it (raising what ``start`` raised) and
    stops it. Scenario methods, ``record`` and ``counters`` are safe to call from any thread,
    and still answer once it is stopped.
    """

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.simulator = Simulator(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="smsc-sim", daemon=True)
        self._started = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> SimulatorThread:
        self._loop = asyncio.new_event_loop()
        self._thread.start()
        if not self._started.wait(timeout):
            raise TimeoutError("the SMSC simulator did not start")
        if self._error is not None:
            self._thread.join(timeout)
            raise self._error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive() and self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(timeout)

    def __enter__(self) -> SimulatorThread:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def _run(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        try:
            await self.simulator.start()
        except BaseException as error:
            self._error = error
            return
        finally:
            self._started.set()
        await self._stopping.wait()
        await self.simulator.stop()

    def call(self, function: Callable[..., _T], *args: Any, timeout: float = 10.0) -> _T:
        """``function(*args)`` run on the simulator's loop (directly once the loop has
        stopped); its result or exception."""
        if self._loop is None or not self._thread.is_alive():
            return function(*args)

        async def run() -> _T:
            return function(*args)
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    @property
    def address(self) -> tuple[str, int]:
        return self.simulator.address

    @property
    def port(self) -> int:
        return self.simulator.port

    @property
    def record(self) -> list[Received]:
        """A copy of the record as it stands."""
        return self.call(lambda: [replace(entry) for entry in self.simulator.record])

    @property
    def counters(self) -> Counters:
        return self.call(lambda: replace(self.simulator.counters))

    def drop_bind_after(self, n_submits: int, answer_in_flight: bool = False) -> None:
        self.call(self.simulator.drop_bind_after, n_submits, answer_in_flight)

    def pause_responses(self) -> None:
        self.call(self.simulator.pause_responses)

    def resume_responses(self) -> None:
        self.call(self.simulator.resume_responses)

    def inject_reply(self, source: str, destination: str, text: str,
                     system_id: str | None = None) -> int:
        return self.call(self.simulator.inject_reply, source, destination, text, system_id)

    def write_record(self, path: str | Path) -> int:
        return self.call(self.simulator.write_record, path)
