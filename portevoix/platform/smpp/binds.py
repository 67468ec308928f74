"""How a connector binds to one route's SMSC: the settings, the bind modes, what fails.

A route (``routes.RouteSpec``, configured by the platform operator) becomes a ``BindConfig``
with ``BindConfig.from_route``; the TLS context is the caller's (certificates are deployment,
not configuration). Times are in seconds.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from portevoix.platform.routes import RouteSpec
from portevoix.platform.smpp import pdu
from portevoix.platform.smpp.coding import ROUTE_ENCODINGS
from portevoix.platform.smpp.receipts import ID_BASES

TRANSCEIVER, TRANSMITTER_RECEIVER = "transceiver", "transmitter_receiver"
MODES = (TRANSCEIVER, TRANSMITTER_RECEIVER)
# The binds of each mode: (bind command, whether submits go through it).
MAX_BINDS = 16
ROLES: dict[str, tuple[tuple[int, bool], ...]] = {
    TRANSCEIVER: ((pdu.BIND_TRANSCEIVER, True),),
    TRANSMITTER_RECEIVER: ((pdu.BIND_TRANSMITTER, True), (pdu.BIND_RECEIVER, False)),
}


class InvalidBindConfigError(ValueError):
    def __init__(self, field: str, value: object, rule: str) -> None:
        super().__init__(f"{field}={value!r}: {rule}")
        self.field, self.value, self.rule = field, value, rule


class BindError(ConnectionError):
    """No bind: ``status`` is the SMSC's refusal (ESME_RINVPASWD...), None when the
    connection itself failed (refused, reset, timed out)."""

    def __init__(self, name: str, status: int | None, detail: str) -> None:
        code = "" if status is None else f" (command_status 0x{status:08X})"
        super().__init__(f"{name}: {detail}{code}")
        self.name, self.status, self.detail = name, status, detail


@dataclass(frozen=True)
class BindConfig:
    """One route's connection settings.

    ``window``: submit_sm unanswered at most. ``tps``: segments a second (operators count
    segments), None for no limit. ``enquire_link_s``: idle time before an enquire_link.
    ``response_timeout_s``: for a bind, an enquire_link, a submit_sm (after which the segment
    is Ambiguous). ``reconnect_min_s``/``reconnect_max_s``: the backoff between attempts.
    ``bind_attempts``: failures in a row before ``start`` gives up (later drops retry for
    ever). ``data_codings``: what the route accepts (``coding.DC_*``). ``use_payload``: long
    texts in message_payload rather than concatenated parts. ``response_id_base`` and
    ``receipt_id_base``: how the SMSC writes ids in submit_sm_resp and in receipt texts
    (``receipts.normalise_id``). ``source_ton``/``source_npi`` force the sender's TON/NPI.
    ``throttle_retries``: resends of one segment refused as throttled, after pauses from
    ``throttle_pause_min_s`` doubling to ``throttle_pause_max_s``. ``receipt_hold_s``: how
    long a receipt that came before its submit_sm_resp waits for it.
    """

    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    mode: str = TRANSCEIVER
    tls: ssl.SSLContext | None = None
    window: int = 64
    binds: int = 1
    tps: float | None = None
    enquire_link_s: float = 30.0
    response_timeout_s: float = 10.0
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 60.0
    bind_attempts: int = 5
    data_codings: frozenset[int] = ROUTE_ENCODINGS
    use_payload: bool = False
    response_id_base: str = "as_is"
    receipt_id_base: str = "as_is"
    source_ton: int | None = None
    source_npi: int | None = None
    service_type: str = ""
    throttle_retries: int = 10
    throttle_pause_min_s: float = 0.1
    throttle_pause_max_s: float = 5.0
    receipt_hold_s: float = 30.0

    @property
    def roles(self) -> tuple[tuple[int, bool], ...]:
        """The binds to keep up: ``binds`` times the mode's (one transceiver, or a
        transmitter and a receiver), each as (bind command, sends submits)."""
        return ROLES[self.mode] * self.binds

    def __post_init__(self) -> None:
        checks = (
            ("mode", self.mode in MODES, f"one of {', '.join(MODES)}"),
            ("port", 0 < self.port < 65536, "1..65535"),
            ("window", self.window >= 1, "at least 1"),
            ("binds", 1 <= self.binds <= MAX_BINDS, f"1..{MAX_BINDS}"),
            ("tps", self.tps is None or self.tps > 0, "positive, or None for no limit"),
            ("enquire_link_s", self.enquire_link_s > 0, "positive"),
            ("response_timeout_s", self.response_timeout_s > 0, "positive"),
            ("reconnect_min_s", 0 < self.reconnect_min_s <= self.reconnect_max_s,
             "positive, at most reconnect_max_s"),
            ("bind_attempts", self.bind_attempts >= 1, "at least 1"),
            ("response_id_base", self.response_id_base in ID_BASES, f"one of {ID_BASES}"),
            ("receipt_id_base", self.receipt_id_base in ID_BASES, f"one of {ID_BASES}"),
            ("throttle_retries", self.throttle_retries >= 0, "0 or more"),
            ("throttle_pause_min_s", 0 < self.throttle_pause_min_s <= self.throttle_pause_max_s,
             "positive, at most throttle_pause_max_s"),
        )
        for field, ok, rule in checks:
            if not ok:
                raise InvalidBindConfigError(field, getattr(self, field), rule)

    @classmethod
    def from_route(cls, spec: RouteSpec, tls: ssl.SSLContext | None = None) -> BindConfig:
        """The settings of a configured route; ``tls`` is required when the route says TLS."""
        if spec.tls and tls is None:
            raise InvalidBindConfigError("tls", None, f"route {spec.name} needs a TLS context")
        return cls(
            host=spec.host, port=spec.port, system_id=spec.system_id, password=spec.password,
            system_type=spec.system_type, mode=spec.bind_mode, tls=tls if spec.tls else None,
            window=spec.window, binds=spec.binds, tps=spec.tps,
            enquire_link_s=spec.enquire_link_s,
            data_codings=frozenset(spec.data_codings), use_payload=spec.use_payload,
            response_id_base=spec.response_id_base, receipt_id_base=spec.receipt_id_base,
        )


@dataclass
class ConnectorStats:
    """Counters since the connector started, for logs and benchmarks."""

    binds: int = 0
    segments_sent: int = 0
    segments_resent: int = 0  # sent again after ESME_RTHROTTLED / ESME_RMSGQFUL
    accepted: int = 0
    rejected: int = 0
    ambiguous: int = 0
    receipts: int = 0
    replies: int = 0
