"""A started connector and what it heard, for the connector's integration tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from portevoix.platform.smpp.binds import BindConfig
from portevoix.platform.smpp.connector import Connector
from portevoix.platform.smpp.results import DeliveryReport, Reply

T = TypeVar("T")


class Session:
    """A connector with the reports and replies it delivered."""

    def __init__(self, settings: BindConfig) -> None:
        self.reports: list[DeliveryReport] = []
        self.replies: list[Reply] = []
        self.connector = Connector(settings, self.reports.append, self.replies.append)

    async def wait_for(self, found: Callable[[], object], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not found():
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.02)


def run(settings: BindConfig, scenario: Callable[[Session], Coroutine[Any, Any, T]]) -> T:
    """Start a connector, run ``scenario`` with it (90 s at most), close it."""

    async def main() -> T:
        session = Session(settings)
        await session.connector.start()
        try:
            return await asyncio.wait_for(scenario(session), 90)
        finally:
            await session.connector.close(timeout=5)

    return asyncio.run(main())
