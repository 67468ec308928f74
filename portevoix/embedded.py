"""The embedded platform's moving parts beside the web app: the SMSC simulator as the
upstream SMSC, and a dispatcher sending due campaigns, each in a thread of its own."""

from __future__ import annotations

import asyncio
import threading

from portevoix.platform.routes import RouteSpec, coverage
from portevoix.platform.smpp.simulator import SimulatorConfig, SimulatorThread
from portevoix.services import Services

SYSTEM_ID, PASSWORD = "portevoix", "secret"


class EmbeddedSending:
    """Start the simulator, route every destination to it, run a dispatcher; ``stop`` ends
    both."""

    def __init__(self, services: Services, smsc_port: int = 0) -> None:
        self.services = services
        self.smsc = SimulatorThread(SimulatorConfig(port=smsc_port,
                                                    accounts={SYSTEM_ID: PASSWORD}))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._dispatch, name="dispatcher", daemon=True)
        self._started = threading.Event()

    def start(self) -> EmbeddedSending:
        self.smsc.start()
        self.services.routing.configure(RouteSpec(
            name="simulator", host="127.0.0.1", port=self.smsc.port, system_id=SYSTEM_ID,
            password=PASSWORD, coverage=coverage(["*:999"])))
        self._thread.start()
        self._started.wait(timeout=10)
        return self

    def _dispatch(self) -> None:
        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            self._started.set()
            await self.services.dispatcher().run(self._stop)

        asyncio.run(main())

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=30)
        self.smsc.stop()
