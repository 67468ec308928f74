"""Routes: configuration as events, and the choice of route for a destination."""

from __future__ import annotations

from dataclasses import replace

import pytest

from portevoix.platform.routes import (
    Coverage,
    InvalidRouteError,
    RouteSpec,
    RouteTable,
    UnknownRouteError,
    coverage,
)
from portevoix.platform.routing import Routing


def a_route(name: str, *covers: str, **changes: object) -> RouteSpec:
    spec = RouteSpec(name=name, host="127.0.0.1", port=2775, system_id=name[:15],
                     password="secret", coverage=coverage(covers))
    return replace(spec, **changes)  # type: ignore[arg-type]


@pytest.fixture
def routing() -> Routing:
    return Routing(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def test_the_operators_route_comes_before_the_countrys_and_the_default(routing: Routing) -> None:
    routing.configure(a_route("fallback", "*:900"))
    routing.configure(a_route("france", "FR:20"))
    routing.configure(a_route("france-cheap", "FR:10"))
    routing.configure(a_route("free-direct", "FR/free-fr:50"))

    free = [spec.name for spec in routing.candidates("FR", "free-fr")]
    orange = [spec.name for spec in routing.candidates("FR", "orange-fr")]
    tunisia = [spec.name for spec in routing.candidates("TN", "ooredoo-tn")]

    assert free == ["free-direct", "france-cheap", "france", "fallback"]
    assert orange == ["france-cheap", "france", "fallback"]
    assert tunisia == ["fallback"]


def test_a_disabled_route_is_not_a_candidate_until_enabled(routing: Routing) -> None:
    routing.configure(a_route("france", "FR"))

    routing.enable("france", False)
    disabled = routing.candidates("FR", "")
    routing.enable("france", True)

    assert disabled == []
    assert [spec.name for spec in routing.candidates("FR", "")] == ["france"]


def test_reconfiguring_replaces_the_route_and_records_the_change(routing: Routing) -> None:
    routing.configure(a_route("france", "FR"))
    routing.configure(a_route("france", "FR", tps=50))
    routing.configure(a_route("france", "FR", tps=50))  # the same again: nothing recorded

    assert routing.table().route("france").tps == 50
    topics = [n.topic for n in routing.recorder.select_notifications(start=1, limit=100)]
    assert topics.count("portevoix.platform:RouteTable.Configured") == 2


def test_the_table_replays_to_the_same_routes(routing: Routing) -> None:
    spec = a_route("france", "FR/orange-fr:5", "FR", data_codings=(0, 3, 8))

    routing.configure(spec)

    assert routing.table().routes == [spec]  # table() rebuilds from the stored events


@pytest.mark.parametrize(("changes", "reason"), [
    ({"name": "France!"}, "name"),
    ({"port": 0}, "port"),
    ({"password": "far-too-long"}, "password"),
    ({"bind_mode": "receiver"}, "bind mode"),
    ({"window": 0}, "window"),
    ({"binds": 0}, "binds"),
    ({"tps": 0}, "tps"),
    ({"data_codings": (4,)}, "data codings"),
    ({"receipt_id_base": "octal"}, "id bases"),
    ({"coverage": ()}, "covers no destination"),
    ({"coverage": (Coverage("France"),)}, "coverage country"),
])
def test_an_invalid_route_is_refused_with_the_reason(routing: Routing, changes: dict[str, object],
                                                     reason: str) -> None:
    with pytest.raises(InvalidRouteError) as refused:
        routing.configure(replace(a_route("france", "FR"), **changes))  # type: ignore[arg-type]

    assert reason in refused.value.reason
    assert routing.table().routes == []


def test_an_unknown_route_cannot_be_enabled() -> None:
    with pytest.raises(UnknownRouteError):
        RouteTable().enable("nowhere")


def test_coverage_is_written_country_operator_priority() -> None:
    assert coverage(["fr", "TN/ooredoo-tn:10", "*:900"]) == (
        Coverage("FR", "", 100), Coverage("TN", "ooredoo-tn", 10), Coverage("*", "", 900))
