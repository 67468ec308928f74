"""Forwarding a recorded reply where its customer asked (options ``replies_forwarding`` and
``replies_target``), and recording the outcome on the reply.

- ``email``: a mail to the target through the relay (free).
- ``url``: an HTTP POST of the reply as JSON, signed (below), tried at most
  ``WebhookSettings.attempts`` times with doubling pauses; a 4xx other than 408 and 429 is
  final (the customer's endpoint refused it, trying again would not help).
- ``sms``: a send to the target number of "Reply from +33...: <text>" through ``submit``,
  charged like any other send (its reference is the reply's, so a retry is the same send);
  a refused send (no credit: code 83) is a failure.

A reply is claimed before it goes out and its outcome recorded after (``replies.py``: at
most one forwarder at a time, retries paced after failures). A reply whose customer
forwards nothing is recorded as forwarded by ``none``, so it is never looked at again.
``forward_pending`` takes up the replies a crash or a failure left behind: the background
job gives it those the replies view shows unforwarded, received within ``RESUME_WINDOW``.

Webhook signature: ``X-Portevoix-Timestamp`` is the Unix time in seconds, and
``X-Portevoix-Signature`` is ``sha256=`` and the hex HMAC-SHA256 of ``timestamp + "." + body``
(the body's exact bytes) keyed with the customer's webhook secret. That secret is, for now,
derived: the hex HMAC-SHA256 of ``"replies-webhook:" + customer id`` keyed with the platform
secret (``PORTEVOIX_SECRET_KEY``), so it survives restarts only if that key is set, and
changing the key changes every customer's secret. Without a platform secret nothing is posted:
an unsigned or trivially signed webhook would let anyone forge replies. A receiver checks the
signature with ``verify`` and refuses old timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from portevoix.platform import codes
from portevoix.platform.replies import Inbox, Reply
from portevoix.platform.webhook_posts import ForbiddenTargetError, Poster, WebhookPoster

log = logging.getLogger("portevoix.forwarding")

NONE, EMAIL, SMS, URL = "none", "email", "sms", "url"
TIMESTAMP_HEADER, SIGNATURE_HEADER = "X-Portevoix-Timestamp", "X-Portevoix-Signature"
_RETRIED_HTTP = frozenset({408, 429})
RESUME_WINDOW = timedelta(hours=24)  # a reply older than this is not forwarded any more


class Mailer(Protocol):
    """``MailOut`` in production: raises OSError or smtplib.SMTPException on failure."""

    def reply(self, to: str, subject: str, body: str, in_reply_to: str = "") -> object: ...


class SmsSender(Protocol):
    """Sends ``text`` to ``number`` for ``customer_id`` (charged), once per ``reference``;
    returns the result code (``codes.SENT``/``codes.DEFERRED`` when recorded)."""

    def __call__(self, customer_id: UUID, number: str, text: str, reference: str) -> int: ...


class ForwardingError(Exception):
    """A reply could not be forwarded; the reason is recorded on the reply."""


@dataclass(frozen=True)
class WebhookSettings:
    attempts: int = 4
    timeout_s: float = 5.0
    first_pause_s: float = 0.5  # doubled after each failed attempt


def derived_secret(platform_secret: str, label: str, customer_id: UUID) -> str:
    """A customer's secret for one use: the hex HMAC-SHA256 of ``label + ":" + customer id``
    keyed with the platform secret. A distinct label per use (replies webhooks, status
    callbacks) keeps one secret from verifying another's messages."""
    key = platform_secret.encode()
    return hmac.new(key, f"{label}:{customer_id}".encode(), hashlib.sha256).hexdigest()


def webhook_secret(platform_secret: str, customer_id: UUID) -> str:
    """The customer's webhook secret (see the module docstring)."""
    return derived_secret(platform_secret, "replies-webhook", customer_id)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def payload(reply: Reply) -> dict[str, Any]:
    return {
        "id": str(reply.id), "source": reply.source, "destination": reply.destination,
        "text": reply.text, "received_at": reply.received_at.isoformat(),
        "stop": reply.is_stop, "start": reply.is_start,
    }


class Forwarding:
    """Forwards replies; ``options(customer_id)`` gives the customer's options."""

    def __init__(self, inbox: Inbox, options: Callable[[UUID], Mapping[str, object]],
                 mailer: Mailer | None, send_sms: SmsSender, platform_secret: str,
                 webhook: WebhookSettings | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, poster: Poster | None = None) -> None:
        self.inbox, self.options, self.mailer, self.send_sms = inbox, options, mailer, send_sms
        self.platform_secret = platform_secret
        self.webhook = webhook or WebhookSettings()
        self.sleep, self.clock = sleep, clock
        self.poster: Poster = poster or WebhookPoster()

    def forward(self, reply_id: UUID) -> str:
        """Forward the reply by its customer's choice; returns the channel (``none`` when
        there is no customer or it forwards nothing, or the reply is not due: forwarded
        already, being forwarded, or waiting after a failure). A failure is recorded on the
        reply and raised as ForwardingError."""
        reply = self.inbox.reply(reply_id)
        now = datetime.fromtimestamp(self.clock(), UTC)
        if reply.customer_id is None or not reply.may_forward(now):
            return NONE
        options = self.options(reply.customer_id)
        channel, target = str(options.get("replies_forwarding", NONE)), str(
            options.get("replies_target", ""))
        if channel == NONE or not target:
            self.inbox.record_forwarded(reply_id, NONE, "", "the customer forwards no replies")
            return NONE
        if not self.inbox.claim(reply_id, channel, target, now):
            return NONE
        try:
            detail = self._send(channel, target, reply)
        except ForwardingError as error:
            self.inbox.record_failure(reply_id, channel, target, str(error))
            raise
        self.inbox.record_forwarded(reply_id, channel, target, detail)
        return channel

    def _send(self, channel: str, target: str, reply: Reply) -> str:
        if channel == EMAIL:
            return self._mail(target, reply)
        if channel == URL:
            return self._post(target, reply)
        if channel == SMS:
            assert reply.customer_id is not None
            code = self.send_sms(reply.customer_id, target,
                                 f"Reply from {reply.source}: {reply.text}", f"reply:{reply.id}")
            if code not in (codes.SENT, codes.DEFERRED):
                raise ForwardingError(f"the SMS to {target} was refused: code {code}")
            return f"code {code}"
        raise ForwardingError(f"unknown forwarding {channel!r}")

    def forward_pending(self, reply_ids: Iterable[UUID]) -> int:
        """Forward those of ``reply_ids`` that are due; returns how many went out. A
        failure is recorded on its reply (and paced) and the next reply is tried."""
        done = 0
        for reply_id in reply_ids:
            try:
                done += self.forward(reply_id) != NONE
            except ForwardingError as error:
                log.warning("reply %s not forwarded: %s", reply_id, error)
        return done

    def _mail(self, target: str, reply: Reply) -> str:
        if self.mailer is None:
            raise ForwardingError("no mail relay is configured")
        body = (f"From: {reply.source}\nTo: {reply.destination}\n"
                f"Received: {reply.received_at.isoformat()}\n\n{reply.text}\n")
        try:
            self.mailer.reply(target, f"SMS reply from {reply.source}", body)
        except Exception as error:  # OSError, smtplib.SMTPException
            raise ForwardingError(f"mail to {target}: {error}") from error
        return "mailed"

    def _post(self, url: str, reply: Reply) -> str:
        """POST the signed payload; 2xx is done, 408/429/5xx and network errors are tried
        again after a pause (0.5 s, 1 s, 2 s ... by default), at most ``attempts`` times;
        another answer (3xx, 4xx) and a refused address (``webhook_posts``) end at once."""
        if not url.startswith(("http://", "https://")):
            raise ForwardingError(f"{url!r} is not an http(s) URL")
        if not self.platform_secret:
            raise ForwardingError("no platform secret to sign webhooks with")
        assert reply.customer_id is not None
        secret = webhook_secret(self.platform_secret, reply.customer_id)
        body = json.dumps(payload(reply), ensure_ascii=False).encode()
        pause, last = self.webhook.first_pause_s, ""
        for attempt in range(1, self.webhook.attempts + 1):
            timestamp = str(int(self.clock()))
            headers = {"Content-Type": "application/json; charset=utf-8",
                       TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}
            try:
                status = self.poster(url, body, headers, self.webhook.timeout_s)
            except ForbiddenTargetError as refused:
                raise ForwardingError(f"POST {url}: {refused}") from refused
            except (OSError, ValueError, http.client.HTTPException) as error:
                last = str(error)  # timeouts, refused connections
            else:
                if 200 <= status < 300:
                    return f"HTTP {status} after {attempt} attempts"
                last = f"HTTP {status}"
                if status < 500 and status not in _RETRIED_HTTP:
                    break
            if attempt < self.webhook.attempts:
                self.sleep(pause)
                pause *= 2
        raise ForwardingError(f"POST {url}: {last}")
