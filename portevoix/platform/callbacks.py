"""Status callbacks: what a customer's endpoint is told when its messages change status, how
it is signed, and when a failed delivery is tried again. Pure values and functions.

Who does what: ``projections/callbacks.py`` queues one ``StatusEvent`` per status a message
reaches, for campaigns with a callback URL (``settings["callback_url"]``: the request's, or
the account option ``status_callback_url``); ``projections/callback_log.py`` groups them in
deliveries and keeps every attempt; ``callback_delivery.py`` posts them.

A delivery is one POST of at most ``MAX_EVENTS`` events of one customer to one URL, the body
``{"events": [...]}`` (UTF-8 JSON), the events in the order they happened. Its headers:
``X-Portevoix-Timestamp`` (Unix seconds), ``X-Portevoix-Signature`` (``sha256=`` and the hex
HMAC-SHA256 of ``timestamp + "." + body``, as ``forwarding.sign`` makes it), keyed with the
customer's callback secret (``callback_secret``: derived from the platform secret with its
own label, so it differs from the replies webhook secret), and ``X-Portevoix-Callback-Id``,
the same on every attempt of a delivery. Delivery is at least once: an event's ``id`` is
unique (a message reaches each status once), so a receiver drops what it has seen.

Attempts (``RetryPolicy``): a 2xx answer is delivered; a network error, a timeout, 408, 429
and 5xx are tried again after 1 s, 2 s, 4 s ... (doubling, capped), at most ``attempts``
times, then the delivery is failed; any other answer (3xx, 4xx) is final at once. A failed
delivery can be retried by the customer (``POST /api/v1/callbacks/{id}/retry``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from portevoix.platform.forwarding import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    derived_secret,
    sign,
)

MAX_EVENTS = 100
SECRET_LABEL = "status-callback"
CALLBACK_ID_HEADER = "X-Portevoix-Callback-Id"
USER_AGENT = "Portevoix-Callbacks/1"
# A delivery's states.
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATES = (PENDING, DELIVERED, FAILED)
# What one attempt's answer means.
DONE, AGAIN, FINAL = "done", "again", "final"
_AGAIN_HTTP = frozenset({408, 429})


class CallbackStateError(Exception):
    """Only a failed delivery can be retried."""

    def __init__(self, callback_id: UUID, state: str) -> None:
        super().__init__(f"callback {callback_id} is {state}: only a failed one can be retried")
        self.callback_id, self.state = callback_id, state


@dataclass(frozen=True)
class StatusEvent:
    """A message reached ``status`` at ``occurred_at`` (when the platform recorded it).
    ``stat`` and ``error_code`` are the delivery receipt's, ``reason`` says why a message was
    rejected, unknown or cancelled; empty when there is none."""

    message_id: str
    campaign_id: UUID
    reference: str
    number: str
    status: str
    occurred_at: datetime
    stat: str = ""
    error_code: str = ""
    reason: str = ""

    @property
    def event_id(self) -> str:
        return event_id(self.message_id, self.status)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.event_id, "message_id": self.message_id,
            "campaign_id": str(self.campaign_id), "reference": self.reference,
            "number": self.number, "status": self.status, "stat": self.stat or None,
            "error_code": self.error_code or None, "reason": self.reason or None,
            "occurred_at": self.occurred_at.isoformat(),
        }


def event_id(message_id: str, status: str) -> str:
    return f"{message_id}:{status}"


def body(events: Sequence[StatusEvent]) -> str:
    """The JSON body of one delivery (1 to ``MAX_EVENTS`` events, in order)."""
    if not 0 < len(events) <= MAX_EVENTS:
        raise ValueError(f"a delivery carries 1 to {MAX_EVENTS} events, not {len(events)}")
    return json.dumps({"events": [e.as_json() for e in events]}, ensure_ascii=False,
                      separators=(",", ":"))


def callback_secret(platform_secret: str, customer_id: UUID) -> str:
    """The secret a customer verifies its callbacks with (see the module docstring)."""
    return derived_secret(platform_secret, SECRET_LABEL, customer_id)


def signed_headers(secret: str, timestamp: int, payload: bytes,
                   callback_id: UUID) -> dict[str, str]:
    """The headers of one attempt; ``timestamp`` in Unix seconds."""
    stamp = str(timestamp)
    return {
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
        TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, payload),
        CALLBACK_ID_HEADER: str(callback_id),
    }


def outcome(http_status: int | None) -> str:
    """What an answer means (``None``: no answer, a network error or a timeout)."""
    if http_status is not None and 200 <= http_status < 300:
        return DONE
    if http_status is None or http_status >= 500 or http_status in _AGAIN_HTTP:
        return AGAIN
    return FINAL


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` in all (12: about 27 minutes of pauses by default), the first pause
    ``first_pause_s``, doubled after each failure up to ``max_pause_s``; each POST waits at
    most ``timeout_s`` for each step of the exchange."""

    attempts: int = 12
    first_pause_s: float = 1.0
    max_pause_s: float = 600.0
    timeout_s: float = 5.0

    def pause_after(self, failures: int) -> timedelta | None:
        """The pause before the next attempt after ``failures`` failed ones (1 or more), or
        None when the last attempt has been made."""
        if failures >= self.attempts:
            return None
        pause = self.first_pause_s * 2 ** min(failures - 1, 40)
        return timedelta(seconds=min(pause, self.max_pause_s))

    def pauses(self) -> list[float]:
        """Every pause of a delivery that never succeeds, in seconds."""
        found = []
        for failures in range(1, self.attempts):
            pause = self.pause_after(failures)
            assert pause is not None
            found.append(pause.total_seconds())
        return found


@dataclass(frozen=True)
class Attempt:
    """One POST: when, the HTTP status (None: no answer) or the error, how long it took."""

    at: datetime
    http_status: int | None
    error: str
    duration_ms: int


@dataclass(frozen=True)
class Delivery:
    """One POST's worth of events, and where it stands."""

    callback_id: UUID
    customer_id: UUID
    url: str
    state: str
    events: int
    body: str
    tries: int  # attempts since it was queued or retried
    created_at: datetime
    next_attempt_at: datetime | None
    finished_at: datetime | None
    attempts: tuple[Attempt, ...] = field(default=())

    def after(self, attempt: Attempt, policy: RetryPolicy) -> tuple[str, int, datetime | None]:
        """The state, tries and next attempt's time once ``attempt`` is made."""
        tries = self.tries + 1
        found = outcome(attempt.http_status)
        if found == DONE:
            return DELIVERED, tries, None
        pause = policy.pause_after(tries) if found == AGAIN else None
        if pause is None:
            return FAILED, tries, None
        return PENDING, tries, attempt.at + pause
