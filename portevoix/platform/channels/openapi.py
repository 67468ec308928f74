"""The JSON API's OpenAPI 3.0 document, written as data (request bodies and query parameters
derived from the marshmallow schemas), and a self-contained page listing its operations."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from marshmallow import Schema

from portevoix.platform.callbacks import STATES
from portevoix.platform.channels import openapi_contacts
from portevoix.platform.channels.json_schemas import (
    CallbacksQuery,
    CampaignsQuery,
    MessagesQuery,
    QuoteSchema,
    RowSchema,
    SendSchema,
    json_schema,
)
from portevoix.platform.channels.openapi_parts import (
    IDEMPOTENCY,
    NULLABLE_TIME,
    STRING,
    json_object,
    page_of,
    query_parameters,
    ref,
)
from portevoix.projections.journal import COUNTS

_REFS: dict[type[Schema], str] = {RowSchema: "Row"}


_MONEY = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$",
          "description": "an amount in the platform's unit, as a decimal string"}


_NULLABLE_STRING = {"type": "string", "nullable": True}
_CALLBACK = {
    "callback_id": {"type": "string", "format": "uuid"}, "url": STRING,
    "state": {"type": "string", "enum": list(STATES)},
    "events": {"type": "integer", "description": "how many events it carries (1 to 100)"},
    "tries": {"type": "integer", "description": "attempts since queued or retried"},
    "created_at": {"type": "string", "format": "date-time"},
    "next_attempt_at": NULLABLE_TIME, "finished_at": NULLABLE_TIME,
    "attempts": {"type": "array", "items": ref("CallbackAttempt")},
}


SCHEMAS: dict[str, Any] = {
    "Row": json_schema(RowSchema()),
    "SendRequest": json_schema(SendSchema(), _REFS),
    "QuoteRequest": json_schema(QuoteSchema(), _REFS),
    "Error": json_object({"error": {
        "type": "object", "required": ["code", "legacy_code", "message"],
        "properties": {
            "code": {"type": "string", "example": "insufficient_credit"},
            "legacy_code": {"type": "integer", "nullable": True,
                            "description": "the seeds' result code of a send refusal"},
            "message": STRING,
            "fields": {"type": "object", "description": "marshmallow's messages, by field"},
        }}}),
    "Refusal": json_object({"number": STRING, "legacy_code": {"type": "integer"},
                        "reason": STRING, "detail": STRING}),
    "Submitted": json_object({
        "campaign_id": {"type": "string", "format": "uuid"},
        "code": {"type": "integer", "description": "80 sent, 81 deferred, 92 test"},
        "message": STRING, "status": STRING, "recipients": {"type": "integer"},
        "segments": {"type": "integer"}, "price": _MONEY, "unit": STRING,
        "refused": {"type": "array", "items": ref("Refusal")},
        "duplicates": {"type": "array", "items": STRING},
        "notes": {"type": "array", "items": STRING},
    }),
    "Quote": json_object({
        "recipients": {"type": "integer"}, "segments": {"type": "integer"}, "price": _MONEY,
        "unit": STRING,
        "lines": {"type": "array", "items": json_object({
            "number": STRING, "e164": STRING, "country": STRING, "operator": STRING,
            "encoding": STRING, "segments": {"type": "integer"}, "price": _MONEY})},
        "refused": {"type": "array", "items": json_object(
            {"number": STRING, "reason": STRING, "detail": STRING})},
    }),
    "Campaign": json_object({
        "campaign_id": {"type": "string", "format": "uuid"}, "status": STRING,
        "kind": STRING, "sender": STRING, "reference": STRING, "channel": STRING,
        "recipients": {"type": "integer"}, "segments": {"type": "integer"},
        "price": _MONEY, "charged": _MONEY, "released": _MONEY,
        "counts": json_object({name: {"type": "integer"} for name in COUNTS}),
        "created_at": {"type": "string", "format": "date-time"},
        "scheduled_at": NULLABLE_TIME, "first_sent_at": NULLABLE_TIME,
        "last_sent_at": NULLABLE_TIME, "closed_at": NULLABLE_TIME,
    }),
    "Message": json_object({
        "message_id": STRING, "campaign_id": {"type": "string", "format": "uuid"},
        "number": STRING, "country": STRING, "operator": STRING, "text": STRING,
        "sender": STRING, "kind": STRING, "segments": {"type": "integer"}, "price": _MONEY,
        "status": STRING, "reason": STRING, "stat": STRING, "error_code": STRING,
        "created_at": {"type": "string", "format": "date-time"},
        "scheduled_at": NULLABLE_TIME, "sent_at": NULLABLE_TIME, "done_at": NULLABLE_TIME,
    }),
    "Preview": json_object({
        "recipients": {"type": "integer"}, "complete": {"type": "boolean",
                                                        "description": "no value missing"},
        "missing": {"type": "object", "additionalProperties": {"type": "integer"},
                    "description": "how many recipients miss each value"},
        "rows_missing": {"type": "integer"},
        "examples": {"type": "array", "items": json_object({
            "row": {"type": "integer"}, "number": STRING,
            "keys": {"type": "array", "items": STRING}})},
        "previews": {"type": "array", "items": json_object({
            "number": STRING, "text": STRING, "missing": {"type": "array", "items": STRING},
            "encoding": STRING, "segments": {"type": "integer"}})},
        "segments": {"type": "integer", "nullable": True},
        "price": {**_MONEY, "nullable": True}, "unit": STRING,
    }),
    "Balance": json_object({"unit": STRING, "balance": _MONEY, "available": _MONEY,
                        "pending": _MONEY}),
    "CallbackEvent": json_object({
        "id": {"type": "string", "description": "message_id:status, unique: drop repeats"},
        "message_id": STRING, "campaign_id": {"type": "string", "format": "uuid"},
        "reference": STRING, "number": STRING, "status": STRING,
        "stat": _NULLABLE_STRING, "error_code": _NULLABLE_STRING, "reason": _NULLABLE_STRING,
        "occurred_at": {"type": "string", "format": "date-time"},
    }),
    "CallbackAttempt": json_object({
        "at": {"type": "string", "format": "date-time"},
        "http_status": {"type": "integer", "nullable": True,
                        "description": "null: no answer (see error)"},
        "error": STRING, "duration_ms": {"type": "integer"},
    }),
    "Callback": json_object(_CALLBACK),
    "CallbackWithPayload": json_object({**_CALLBACK, "payload": json_object({
        "events": {"type": "array", "items": ref("CallbackEvent")}})}),
    "CallbackSecret": json_object({
        "secret": STRING, "algorithm": STRING, "signed": STRING,
        "timestamp_header": STRING, "signature_header": STRING,
        "signature_prefix": STRING, "callback_id_header": STRING,
    }),
}
for _name, _item in (("CampaignPage", "Campaign"), ("MessagePage", "Message"),
                     ("CallbackPage", "Callback")):
    SCHEMAS[_name] = page_of(_item)

ERRORS = {
    "400": "the request is malformed (see error.fields)",
    "401": "no usable API key", "403": "the API key lacks the scope, or the account is "
    "suspended or the address not allowed", "404": "not found", "409": "conflict: an "
    "Idempotency-Key reused with another request, a campaign no longer cancellable, a "
    "callback that has not failed, or callbacks not configured (no signing secret)",
    "422": "the send is refused (error.legacy_code is the seeds' code)",
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _responses(ok: str, schema: str, *errors: str) -> dict[str, Any]:
    found: dict[str, Any] = {ok: {"description": "done", "content": _json(ref(schema))}}
    for status in ("401", "403", "404", *errors):
        found[status] = {"description": ERRORS[status], "content": _json(ref("Error"))}
    return found


_CAMPAIGN_ID = {"name": "campaign_id", "in": "path", "required": True,
                "schema": {"type": "string", "format": "uuid"}}
_CALLBACK_ID = {"name": "callback_id", "in": "path", "required": True,
                "schema": {"type": "string", "format": "uuid"}}


def _post(summary: str, request: str | None, ok: str, schema: str, *errors: str,
          extra: list[dict[str, Any]] | None = None, scope: str = "send") -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary, "security": [{"apiKey": []}], "x-scope": scope,
        "parameters": [*(extra or []), IDEMPOTENCY],
        "responses": _responses(ok, schema, "400", "409", *errors),
    }
    if request:
        operation["requestBody"] = {"required": True, "content": _json(ref(request))}
    return operation


def _get(summary: str, schema: str, scope: str = "read",
         parameters: list[dict[str, Any]] | None = None, *errors: str) -> dict[str, Any]:
    return {"summary": summary, "security": [{"apiKey": []}], "x-scope": scope,
            "parameters": parameters or [], "responses": _responses("200", schema, *errors)}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Portevoix JSON API", "version": "1.0.0",
                 "description": "Send SMS, follow campaigns and messages, price and pay. "
                                "Authorization: Bearer <API key>; each operation needs the "
                                "scope in x-scope. A send's callback_url (or the account's "
                                "status_callback_url) receives its messages' statuses, "
                                "signed (see /callbacks/secret); /callbacks is the delivery "
                                "log."},
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/messages": {
                "post": _post("Send one text to numbers, or personalised rows", "SendRequest",
                              "201", "Submitted", "422"),
                "get": _get("Messages, newest first (keyset pages)", "MessagePage",
                            "read", query_parameters(MessagesQuery()), "400"),
            },
            "/messages/preview": {"post": _post(
                "The messages a send would make, rendered for each recipient, with the "
                "values missing and the price", "SendRequest", "200", "Preview", "422")},
            "/messages/{message_id}": {"get": _get("One message", "Message", "read", [
                {"name": "message_id", "in": "path", "required": True,
                 "schema": {"type": "string"}}])},
            "/campaigns": {"get": _get("Campaigns, newest first (keyset pages)",
                                       "CampaignPage", "read", query_parameters(CampaignsQuery()),
                                       "400")},
            "/campaigns/{campaign_id}": {"get": _get("One campaign", "Campaign", "read",
                                                     [_CAMPAIGN_ID])},
            "/campaigns/{campaign_id}/cancel": {"post": _post(
                "Cancel a send that has not started", None, "200", "Campaign",
                extra=[_CAMPAIGN_ID])},
            "/quotes": {"post": _post("Price a send without sending", "QuoteRequest", "200",
                                      "Quote")},
            "/balance": {"get": _get("The account's credit", "Balance", "balance")},
            "/callbacks": {"get": _get("Status-callback deliveries, newest first (keyset "
                                       "pages)", "CallbackPage", "read",
                                       query_parameters(CallbacksQuery()), "400")},
            "/callbacks/secret": {"get": _get(
                "The secret callbacks are signed with (HMAC-SHA256 of timestamp.body)",
                "CallbackSecret", "send", None, "409")},
            "/callbacks/{callback_id}": {"get": _get(
                "One delivery, with the events it carries", "CallbackWithPayload", "read",
                [_CALLBACK_ID])},
            "/callbacks/{callback_id}/retry": {"post": _post(
                "Post a failed delivery again (all its attempts ahead)", None, "200",
                "Callback", extra=[_CALLBACK_ID])},
            **openapi_contacts.PATHS,
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                           "bearerFormat": "pvx_..."}},
            "schemas": {**SCHEMAS, **openapi_contacts.SCHEMAS},
        },
    }


def docs_page(spec: dict[str, Any]) -> str:
    """One HTML page listing the operations (no script, no CDN: it works offline)."""
    rows = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            statuses = ", ".join(operation["responses"])
            params = ", ".join(p["name"] for p in operation.get("parameters", []))
            body = operation.get("requestBody", {}).get("content", {}).get(
                "application/json", {}).get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            rows.append(
                f"<tr><td><code>{escape(method.upper())}</code></td>"
                f"<td><code>/api/v1{escape(path)}</code></td>"
                f"<td>{escape(operation['summary'])}</td><td>{escape(operation['x-scope'])}</td>"
                f"<td>{escape(params)}</td><td>{escape(body)}</td><td>{escape(statuses)}</td></tr>")
    schemas = "".join(
        f"<h3 id='{escape(name)}'>{escape(name)}</h3><pre>{escape(_pretty(schema))}</pre>"
        for name, schema in spec["components"]["schemas"].items())
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(spec['info']['title'])}</title><style>"
        "body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;padding:.3em}"
        "table{border-collapse:collapse}pre{background:#f6f6f6;padding:.5em}</style></head>"
        f"<body><h1>{escape(spec['info']['title'])}</h1>"
        f"<p>{escape(spec['info']['description'])}</p>"
        "<p>The machine-readable document: <a href='openapi.json'>openapi.json</a>.</p>"
        "<h2>Operations</h2><table><tr><th>Method</th><th>Path</th><th>What</th>"
        "<th>Scope</th><th>Parameters</th><th>Body</th><th>Statuses</th></tr>"
        f"{''.join(rows)}</table><h2>Schemas</h2>{schemas}</body></html>")


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2)
