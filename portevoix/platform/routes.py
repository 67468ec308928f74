"""Routes: the upstream SMSC accounts messages leave by, and which destinations each serves.

A route is an SMPP account at an operator or aggregator (host, credentials, bind mode,
window, throughput, encodings) and its coverage: countries, optionally one operator of a
country, each with a priority. The platform operator configures routes; every change is an
event on the one route table, so the whole routing plan has one history. To send a message
to a destination, the candidates are the enabled routes covering its operator, then those
covering its country, then those covering everything ("*"), each group by priority.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

ROUTE_TABLE_ID = uuid5(NAMESPACE_URL, "portevoix:route-table")
TRANSCEIVER, TRANSMITTER_RECEIVER = "transceiver", "transmitter_receiver"
BIND_MODES = (TRANSCEIVER, TRANSMITTER_RECEIVER)
ID_BASES = ("as_is", "hex", "dec")
DATA_CODINGS = frozenset({0x00, 0x03, 0x08})
EVERYWHERE = "*"
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")


class RouteError(Exception):
    """Base of what route configuration refuses."""


class InvalidRouteError(RouteError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"route {name!r}: {reason}")
        self.name, self.reason = name, reason


class UnknownRouteError(RouteError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no route {name!r}")
        self.name = name


@dataclass(frozen=True)
class Coverage:
    """Destinations a route serves: a country ("*" for all), optionally one operator key."""

    country: str
    operator: str = ""
    priority: int = 100

    def matches(self, country: str, operator: str) -> bool:
        if self.country == EVERYWHERE:
            return True
        return self.country == country and self.operator in ("", operator)

    @property
    def rank(self) -> int:
        """0 for an operator, 1 for a country, 2 for everywhere: the most specific first."""
        return 2 if self.country == EVERYWHERE else (0 if self.operator else 1)


@dataclass(frozen=True)
class RouteSpec:
    """One route's configuration."""

    name: str
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    bind_mode: str = TRANSCEIVER
    tls: bool = False
    window: int = 64
    binds: int = 1
    tps: int | None = None
    enquire_link_s: int = 30
    data_codings: tuple[int, ...] = (0x00, 0x08)
    use_payload: bool = False
    response_id_base: str = "as_is"
    receipt_id_base: str = "as_is"
    coverage: tuple[Coverage, ...] = field(default_factory=tuple)
    enabled: bool = True

    def validate(self) -> None:
        problem = self._problem()
        if problem:
            raise InvalidRouteError(self.name, problem)

    def _problem(self) -> str | None:
        if not _NAME.fullmatch(self.name):
            return "a name is 2-40 of a-z, 0-9 and '-'"
        if not self.host or not 0 < self.port < 65536:
            return "needs a host and a port in 1..65535"
        if not 0 < len(self.system_id) <= 15 or len(self.password) > 8:
            return "system_id holds 1-15 characters and password at most 8 (SMPP 3.4)"
        if self.bind_mode not in BIND_MODES:
            return f"bind mode is one of {', '.join(BIND_MODES)}"
        if not 1 <= self.window <= 1000:
            return "window is 1..1000 outstanding submits"
        if not 1 <= self.binds <= 16:
            return "binds is 1..16 connections"
        if self.tps is not None and self.tps <= 0:
            return "tps is a positive number of segments per second, or none"
        if not self.data_codings or not set(self.data_codings) <= DATA_CODINGS:
            return "data codings are among 0 (GSM), 3 (Latin-1) and 8 (UCS-2)"
        if {self.response_id_base, self.receipt_id_base} - set(ID_BASES):
            return f"id bases are among {', '.join(ID_BASES)}"
        if not self.coverage:
            return "covers no destination"
        for item in self.coverage:
            if item.country != EVERYWHERE and not re.fullmatch(r"[A-Z]{2}", item.country):
                return f"coverage country {item.country!r} is not ISO alpha-2 or '*'"
        return None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["data_codings"] = list(self.data_codings)
        data["coverage"] = [asdict(item) for item in self.coverage]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RouteSpec:
        values = dict(data)
        values["data_codings"] = tuple(values["data_codings"])
        values["coverage"] = tuple(Coverage(**item) for item in values["coverage"])
        return cls(**values)


class RouteTable(Aggregate):
    """Every route, and the history of their configuration."""

    TOPIC = "portevoix.platform:RouteTable"

    class Created(Aggregate.Created):
        TOPIC = "portevoix.platform:RouteTable.Created"

    @staticmethod
    def create_id() -> UUID:
        return ROUTE_TABLE_ID

    @event(Created)
    def __init__(self) -> None:
        self.specs: dict[str, dict[str, Any]] = {}

    @property
    def routes(self) -> list[RouteSpec]:
        return [RouteSpec.from_dict(data) for data in self.specs.values()]

    def route(self, name: str) -> RouteSpec:
        if name not in self.specs:
            raise UnknownRouteError(name)
        return RouteSpec.from_dict(self.specs[name])

    def configure(self, spec: RouteSpec) -> None:
        """Add a route, or replace its configuration (a no-op when nothing changes)."""
        spec.validate()
        if self.specs.get(spec.name) != spec.as_dict():
            self._configured(spec.as_dict())

    def enable(self, name: str, enabled: bool = True) -> None:
        if self.route(name).enabled != enabled:
            self._configured(replace(self.route(name), enabled=enabled).as_dict())

    def candidates(self, country: str, operator: str) -> list[RouteSpec]:
        """The enabled routes for a destination, best first."""
        ranked = []
        for spec in self.routes:
            if not spec.enabled:
                continue
            matching = [c for c in spec.coverage if c.matches(country, operator)]
            if matching:
                best = min(matching, key=lambda c: (c.rank, c.priority))
                ranked.append(((best.rank, best.priority, spec.name), spec))
        return [spec for _, spec in sorted(ranked, key=lambda pair: pair[0])]

    @event("Configured", topic="portevoix.platform:RouteTable.Configured")
    def _configured(self, spec: dict[str, Any]) -> None:
        self.specs = {**self.specs, spec["name"]: spec}


def coverage(entries: Sequence[str]) -> tuple[Coverage, ...]:
    """``["FR", "TN/ooredoo-tn:10", "*:900"]`` as coverage (country[/operator][:priority])."""
    found = []
    for entry in entries:
        where, _, priority = entry.partition(":")
        country, _, operator = where.partition("/")
        found.append(Coverage(country.upper() if country != EVERYWHERE else country, operator,
                              int(priority) if priority else 100))
    return tuple(found)
