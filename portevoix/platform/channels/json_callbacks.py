"""``/api/v1/callbacks``: a customer's status-callback deliveries, the secret to verify them
with, and a retry of a failed one (``platform/callbacks.py`` says what is posted and when).

Scopes: listing and reading deliveries needs ``read``. The secret needs ``send``, as does a
retry: whoever holds the secret can sign callbacks the customer's endpoint will believe, and
it is the software that sends (and names the ``callback_url``) that has to verify them; a
read-only key (a dashboard) learns what was delivered, not how to forge it. Errors and
keyset pages are the rest of the API's (``json_api.py``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from portevoix.platform.callbacks import (
    CALLBACK_ID_HEADER,
    CallbackStateError,
    Delivery,
    callback_secret,
)
from portevoix.platform.channels.json_api import (
    PREFIX,
    ApiError,
    api_error,
    idempotent,
    load,
    scoped,
    services,
)
from portevoix.platform.channels.json_schemas import CallbacksQuery
from portevoix.platform.forwarding import SIGNATURE_HEADER, TIMESTAMP_HEADER
from portevoix.projections.callback_log import CallbackLog
from portevoix.projections.paging import CursorError

bp = Blueprint("json_callbacks", __name__, url_prefix=PREFIX)
bp.register_error_handler(ApiError, api_error)


def _log() -> CallbackLog:
    found = services().callback_log
    if found is None:
        raise ApiError(409, "callbacks_unavailable", "status callbacks are not configured")
    return found


@bp.get("/callbacks")
@scoped("read")
def callbacks() -> ResponseReturnValue:
    query = load(CallbacksQuery, request.args.to_dict())
    try:
        found, after = _log().page(
            g.customer_id, state=query["state"], campaign_id=query["campaign_id"],
            message_id=query["message_id"], limit=query["limit"], after=query["after"])
    except CursorError as error:
        raise ApiError(400, "invalid_cursor", str(error), fields={"after": [str(error)]}) from error
    return jsonify(data=[callback_json(delivery) for delivery in found], after=after)


@bp.get("/callbacks/secret")
@scoped("send")
def secret() -> ResponseReturnValue:
    platform_secret = services().settings.secret_key
    if not platform_secret:
        raise ApiError(409, "callbacks_unavailable",
                       "no platform secret is configured: callbacks are not signed nor sent")
    response = jsonify(
        secret=callback_secret(platform_secret, g.customer_id), algorithm="HMAC-SHA256",
        signed="timestamp + '.' + body", timestamp_header=TIMESTAMP_HEADER,
        signature_header=SIGNATURE_HEADER, signature_prefix="sha256=",
        callback_id_header=CALLBACK_ID_HEADER)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/callbacks/<uuid:callback_id>")
@scoped("read")
def callback(callback_id: UUID) -> ResponseReturnValue:
    found = _log().delivery(g.customer_id, callback_id)
    if found is None:
        raise ApiError(404, "not_found", f"no callback {callback_id}")
    return jsonify(callback_json(found, payload=True))


@bp.post("/callbacks/<uuid:callback_id>/retry")
@scoped("send")
@idempotent
def retry(callback_id: UUID) -> ResponseReturnValue:
    try:
        found = _log().retry(g.customer_id, callback_id, services().clock())
    except CallbackStateError as error:
        raise ApiError(409, "not_retryable", str(error)) from error
    if found is None:
        raise ApiError(404, "not_found", f"no callback {callback_id}")
    return jsonify(callback_json(found))


def callback_json(delivery: Delivery, payload: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {
        "callback_id": str(delivery.callback_id), "url": delivery.url,
        "state": delivery.state, "events": delivery.events, "tries": delivery.tries,
        "created_at": delivery.created_at.isoformat(),
        "next_attempt_at": _iso(delivery.next_attempt_at),
        "finished_at": _iso(delivery.finished_at),
        "attempts": [{"at": a.at.isoformat(), "http_status": a.http_status, "error": a.error,
                      "duration_ms": a.duration_ms} for a in delivery.attempts],
    }
    if payload:
        found["payload"] = json.loads(delivery.body)
    return found


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()
