"""Bind settings: defaults, refusals naming the setting, a configured route's settings."""

from __future__ import annotations

import ssl

import pytest

from portevoix.platform.routes import RouteSpec, coverage
from portevoix.platform.smpp.binds import (
    TRANSCEIVER,
    TRANSMITTER_RECEIVER,
    BindConfig,
    InvalidBindConfigError,
)


def test_defaults_are_one_transceiver_with_a_window_of_64_and_no_tps_limit():
    config = BindConfig("smsc.example", 2775, "portevoix", "secret")

    assert (config.mode, config.window, config.tps, config.tls) == (TRANSCEIVER, 64, None, None)
    assert (config.response_id_base, config.receipt_id_base) == ("as_is", "as_is")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mode": "receiver"}, "mode"),
        ({"window": 0}, "window"),
        ({"tps": 0}, "tps"),
        ({"port": 0}, "port"),
        ({"response_id_base": "octal"}, "response_id_base"),
        ({"reconnect_min_s": 10, "reconnect_max_s": 1}, "reconnect_min_s"),
    ],
)
def test_impossible_setting_is_refused_by_name(changes, field):
    settings: dict[str, object] = {"host": "smsc.example", "port": 2775, "system_id": "pv",
                                   "password": "pw"}

    with pytest.raises(InvalidBindConfigError) as refused:
        BindConfig(**(settings | changes))

    assert refused.value.field == field


def route(**changes: object) -> RouteSpec:
    values: dict[str, object] = {
        "name": "orange-fr", "host": "smsc.example", "port": 2776, "system_id": "pv",
        "password": "pw", "bind_mode": TRANSMITTER_RECEIVER, "window": 32, "tps": 50,
        "data_codings": (0, 8), "use_payload": True, "response_id_base": "hex",
        "receipt_id_base": "dec", "coverage": coverage(["FR"]),
    }
    return RouteSpec(**(values | changes))  # type: ignore[arg-type]


def test_route_settings_become_bind_settings():
    config = BindConfig.from_route(route())

    assert (config.host, config.port, config.mode, config.window, config.tps) == (
        "smsc.example", 2776, TRANSMITTER_RECEIVER, 32, 50)
    assert (config.data_codings, config.use_payload) == (frozenset({0, 8}), True)
    assert (config.response_id_base, config.receipt_id_base) == ("hex", "dec")


def test_tls_route_needs_a_context():
    with pytest.raises(InvalidBindConfigError):
        BindConfig.from_route(route(tls=True))

    context = ssl.create_default_context()
    assert BindConfig.from_route(route(tls=True), context).tls is context
