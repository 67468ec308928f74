"""The status-callback job: posts the pending deliveries, endpoint by endpoint, and records
every attempt (see ``callbacks.py`` for the payload, the signature and the retry policy).

Each round (``run_once``, a background job of ``Services``) groups the events queued since
the last round into deliveries (``DeliveryStore.claim``), then hands each endpoint (a
customer's URL) whose oldest pending delivery is due to a small thread pool and returns: a
slow or dead endpoint holds one worker, never the job or the other endpoints. A worker posts
an endpoint's deliveries oldest first and stops at the first that must wait (a retry later):
the next ones wait behind it, so an endpoint receives its events in order and a dead one is
not sent a request per delivery each round. Each worker stops after ``per_endpoint``
deliveries or ``budget_s`` seconds; the next round goes on.

Without a platform secret nothing is posted (an unsigned callback could be forged): the
deliveries stay pending until one is configured.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from portevoix.platform.callbacks import (
    Attempt,
    Delivery,
    RetryPolicy,
    callback_secret,
    signed_headers,
)
from portevoix.platform.webhook_posts import Poster, WebhookPoster

log = logging.getLogger("portevoix.callbacks")

Endpoint = tuple[UUID, str]  # (customer_id, url)


class DeliveryStore(Protocol):
    def claim(self, now: datetime) -> int:
        """Group the queued events into deliveries; returns how many events were grouped."""

    def due_endpoints(self, now: datetime) -> list[Endpoint]:
        """The endpoints whose oldest pending delivery is due at ``now``."""

    def oldest_pending(self, customer_id: UUID, url: str) -> Delivery | None: ...

    def record_attempt(self, delivery: Delivery, attempt: Attempt, state: str, tries: int,
                       next_attempt_at: datetime | None) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CallbackDelivery:
    """Posts pending deliveries; ``clock`` gives the time deliveries are due and attempts
    are logged at (injected in tests, so backoffs need no sleeping)."""

    def __init__(self, store: DeliveryStore, platform_secret: str,
                 clock: Callable[[], datetime] = _utcnow, policy: RetryPolicy | None = None,
                 poster: Poster | None = None, workers: int = 4, per_endpoint: int = 50,
                 budget_s: float = 30.0) -> None:
        self.store, self.platform_secret, self.clock = store, platform_secret, clock
        self.policy = policy or RetryPolicy()
        self.poster: Poster = poster or WebhookPoster()
        self.per_endpoint, self.budget_s = per_endpoint, budget_s
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="callbacks")
        self._lock = threading.Lock()
        self._busy: set[Endpoint] = set()
        self._running: set[Future[None]] = set()
        self._attempts = 0
        self._warned = False

    def run_once(self, wait: bool = False, timeout_s: float = 60.0) -> int:
        """One round (see the module docstring). With ``wait``, return once the endpoints
        started are done (or after ``timeout_s``). Returns the attempts made since the
        previous round (this round's too, with ``wait``)."""
        now = self.clock()
        self.store.claim(now)
        if not self.platform_secret:
            if not self._warned:
                log.warning("no platform secret (PORTEVOIX_SECRET_KEY): callbacks wait")
                self._warned = True
            return 0
        for endpoint in self.store.due_endpoints(now):
            with self._lock:
                if endpoint in self._busy:
                    continue
                self._busy.add(endpoint)
                future = self._pool.submit(self._serve, endpoint)
                self._running.add(future)
            future.add_done_callback(self._forget)
        if wait:
            self.wait(timeout_s)
        with self._lock:
            done, self._attempts = self._attempts, 0
        return done

    def wait(self, timeout_s: float = 60.0) -> bool:
        """Whether every endpoint started has finished within ``timeout_s``."""
        with self._lock:
            running = set(self._running)
        return not wait_for(running, timeout=timeout_s).not_done

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._running.discard(future)

    def _serve(self, endpoint: Endpoint) -> None:
        """Post the endpoint's deliveries in order until one must wait (bounded)."""
        deadline = time.monotonic() + self.budget_s
        try:
            for _ in range(self.per_endpoint):
                delivery = self.store.oldest_pending(*endpoint)
                if delivery is None or (delivery.next_attempt_at is not None
                                        and delivery.next_attempt_at > self.clock()):
                    return
                if not self.attempt(delivery) or time.monotonic() > deadline:
                    return
        except Exception:  # a store failure: logged, the next round tries again
            log.exception("callbacks to %s", endpoint[1])
        finally:
            with self._lock:
                self._busy.discard(endpoint)

    def attempt(self, delivery: Delivery) -> bool:
        """Post ``delivery`` once and record the attempt; returns whether it is settled
        (delivered or failed), False when it waits for another attempt."""
        payload = delivery.body.encode()
        at = self.clock()
        headers = signed_headers(callback_secret(self.platform_secret, delivery.customer_id),
                                 int(at.timestamp()), payload, delivery.callback_id)
        started = time.monotonic()
        status: int | None = None
        error = ""
        try:
            status = self.poster(delivery.url, payload, headers, self.policy.timeout_s)
        except (OSError, http.client.HTTPException, ValueError) as failure:
            error = f"{type(failure).__name__}: {failure}"[:200]
        attempt = Attempt(at, status, error, int((time.monotonic() - started) * 1000))
        state, tries, next_at = delivery.after(attempt, self.policy)
        self.store.record_attempt(delivery, attempt, state, tries, next_at)
        with self._lock:
            self._attempts += 1
        if status is None or not 200 <= status < 300:
            log.info("callback %s to %s: %s (%s)", delivery.callback_id, delivery.url,
                     status or error, state)
        return next_at is None
