"""``/api/v1``: the JSON API for customers' own software, behind bearer API keys.

``Authorization: Bearer pvx_...`` is an API key of a customer; each route needs one scope
(``send`` for POSTs, ``read`` for campaigns and messages, ``balance`` for the balance). Every
error is one object, ``{"error": {"code", "legacy_code", "message", "fields"}}``: 400 for a
malformed request (``fields`` holds marshmallow's messages), 401 without a usable key, 403
for a missing scope, 404, 409 for a conflict (an idempotency key reused with another body, a
campaign that cannot be cancelled any more), 422 for a send refused by the pipeline
(``legacy_code`` is the seeds' result code, see ``codes.py``). POSTs accept an
``Idempotency-Key`` (see ``idempotency.py``). The OpenAPI document is at ``openapi.json``
(``openapi.py``), a page listing it at ``docs``.

Status callbacks: a send's ``callback_url`` (or the account option ``status_callback_url``)
receives its messages' statuses, signed; ``json_callbacks.py`` serves their delivery log,
the secret to verify them with and retries (see ``platform/callbacks.py`` and
``docs/status-callbacks.md``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from uuid import UUID

from flask import Blueprint, Response, current_app, g, jsonify, make_response, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException

from portevoix.contacts.imports import ImportStateError
from portevoix.contacts.list_sends import Audience, ListSendError, list_recipients, rendered
from portevoix.contacts.personalise import (
    MISSING_FALLBACK,
    MissingReport,
    MissingValuesError,
    PersonalisationError,
    Template,
    preview,
)
from portevoix.ledger.amounts import format_amount
from portevoix.platform import codes
from portevoix.platform.campaigns import MARKETING, CampaignError, parse_message_id
from portevoix.platform.channels import idempotency, openapi
from portevoix.platform.channels.credentials import customer_key
from portevoix.platform.channels.http_php import client_ip
from portevoix.platform.channels.json_schemas import (
    CampaignsQuery,
    MessagesQuery,
    QuoteSchema,
    SendSchema,
)
from portevoix.platform.messages import MessageError
from portevoix.platform.prices import PriceListError
from portevoix.platform.sending import SendRefusedError, SendRequest, SubmitResult
from portevoix.projections import journal, outbox
from portevoix.projections.paging import CursorError
from portevoix.services import Services
from portevoix.tenants.errors import InvalidCredentialsError
from portevoix.tenants.secrets import API_KEY_MARK

PREFIX = "/api/v1"
T = TypeVar("T")
bp = Blueprint("json_api", __name__, url_prefix=PREFIX)

# The pipeline's refusal codes, worded, with their HTTP status (422 unless said).
REFUSALS: dict[int, tuple[str, int]] = {
    codes.BAD_CREDENTIALS: ("account_suspended", 403),
    codes.INSUFFICIENT_CREDIT: ("insufficient_credit", 422),
    codes.INVALID_NUMBER: ("invalid_number", 422),
    codes.INVALID_DEFERRED_FORMAT: ("invalid_schedule", 422),
    codes.EMPTY_GROUP: ("empty_group", 422),
    codes.EMPTY_NUMBERS: ("no_numbers", 422),
    codes.EMPTY_MESSAGE: ("empty_message", 422),
    codes.DUPLICATE_24H: ("duplicate_24h", 422),
    codes.OVERSEAS_NOT_ALLOWED: ("overseas_not_allowed", 422),
    codes.DEFERRED_NOT_CANCELLED: ("not_cancellable", 409),
    codes.IP_NOT_ALLOWED: ("ip_not_allowed", 403),
    codes.INVALID_SENDER: ("invalid_sender", 422),
    codes.BLACKLISTED: ("blacklisted", 422),
    codes.STOP_MENTION_REQUIRED: ("stop_mention_required", 422),
    codes.QUOTA_EXCEEDED: ("quota_exceeded", 422),
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, legacy_code: int | None = None,
                 fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.legacy_code, self.fields = legacy_code, fields

    def response(self) -> Response:
        body: dict[str, Any] = {"code": self.code, "legacy_code": self.legacy_code,
                                "message": self.message}
        if self.fields is not None:
            body["fields"] = self.fields
        found = jsonify(error=body)
        found.status_code = self.status
        if self.status == 401:
            found.headers["WWW-Authenticate"] = 'Bearer realm="portevoix"'
        return found


def refused(error: SendRefusedError) -> ApiError:
    code, status = REFUSALS.get(error.code, ("refused", 422))
    return ApiError(status, code, error.detail, legacy_code=error.code)


def services() -> Services:
    found: Services = current_app.extensions["portevoix"]
    return found


# Authentication, scopes, idempotency ----------------------------------------------------


def scoped(scope: str) -> Callable[[Callable[..., ResponseReturnValue]],
                                   Callable[..., ResponseReturnValue]]:
    """The view runs for a customer's key with ``scope``; ``g.customer_id`` is set."""

    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> ResponseReturnValue:
            g.customer_id = authenticate(scope)
            return view(**kwargs)

        return wrapper

    return decorate


def authenticate(scope: str) -> UUID:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(API_KEY_MARK):
        raise ApiError(401, "unauthorized", "an API key is needed: Authorization: Bearer pvx_...")
    try:
        key = customer_key(services(), secret)
    except InvalidCredentialsError:
        raise ApiError(401, "unauthorized", "the API key is not valid") from None
    if not key.allows(scope):
        raise ApiError(403, "forbidden_scope", f"this API key lacks the {scope} scope")
    return key.tenant_id


def idempotent(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """With an ``Idempotency-Key``, the first answer (below 500) is stored and given again."""

    @wraps(view)
    def wrapper(**kwargs: Any) -> ResponseReturnValue:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(**kwargs)
        key = key.strip()
        if not key or len(key) > idempotency.MAX_KEY:
            raise ApiError(400, "invalid_idempotency_key",
                           f"an Idempotency-Key has 1 to {idempotency.MAX_KEY} characters")
        engine, customer_id = services().engine, g.customer_id
        digest = idempotency.request_digest(request.method, request.path, request.get_data())
        stored = idempotency.find(engine, customer_id, key)
        if stored is None:
            try:
                response = make_response(view(**kwargs))
            except ApiError as error:
                response = error.response()
            if response.status_code >= 500:
                return response
            stored = idempotency.store(engine, customer_id, key, idempotency.Stored(
                digest, response.status_code, response.get_data(as_text=True)))
            if stored.request_sha256 == digest and stored.body == response.get_data(True):
                return response
        if stored.request_sha256 != digest:
            raise ApiError(409, "idempotency_key_reused",
                           "this Idempotency-Key was used with another request")
        replay = Response(stored.body, status=stored.status, mimetype="application/json")
        replay.headers["Idempotent-Replayed"] = "true"
        return replay

    return wrapper


def load(kind: type[Schema], data: object) -> dict[str, Any]:
    """``data`` checked by one shared instance of the schema (making one per request deep
    copies every declared field: an eighth of a busy JSON worker's time, measured)."""
    schema = _schema(kind)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "the request body must be a JSON object",
                       fields={"_schema": ["a JSON object is expected"]})
    try:
        found: dict[str, Any] = schema.load(data)
    except ValidationError as error:
        raise ApiError(400, "invalid_request", "the request is not valid",
                       fields=error.normalized_messages()) from error  # type: ignore[no-untyped-call]
    return found


@functools.cache
def _schema(kind: type[Schema]) -> Schema:
    return kind()


def body() -> object:
    return request.get_json(force=True, silent=True)


# Routes -------------------------------------------------------------------------------


@bp.post("/messages")
@scoped("send")
@idempotent
def send() -> ResponseReturnValue:
    order = load(SendSchema, body())
    numbers, rows = order["numbers"], [(row["number"], row["text"]) for row in order["rows"]]
    if order["lists"] or order["import_id"]:
        found = audience_of(order)
        numbers, rows = list(found.numbers), list(found.rows)
    try:
        result = services().sending.submit(SendRequest(
            g.customer_id, text="" if rows else order["text"], numbers=numbers, rows=rows,
            sender=order["sender"], kind=order["kind"], scheduled_at=order["scheduled_at"],
            validity_s=order["validity_s"], flash=order["flash"], test=order["test"],
            reference=order["reference"], client_ip=client_ip(), channel="json_api",
            callback_url=order["callback_url"] or ""))
    except SendRefusedError as error:
        raise refused(error) from error
    except (CampaignError, MessageError, PriceListError) as error:
        raise ApiError(422, "refused", str(error)) from error
    response = jsonify(submitted(result))
    response.status_code = 201
    response.headers["Location"] = f"{PREFIX}/campaigns/{result.campaign_id}"
    return response


def audience_of(order: dict[str, Any]) -> Audience:
    """The recipients of a send to lists or to a personalised sheet, with the text rendered
    for each; refusals answer 404 (unknown list or import) or 422."""
    with contact_refusals():
        Template.compile(order["text"])  # a typo in a marker, before the lists are read
        return rendered(recipients_of(order), order["text"], order["on_missing"],
                        order["fallback"])


def recipients_of(order: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """A send's recipients with their personalisation values: the lists' contacts (those
    with consent for marketing, unless ``require_consent`` says), a personalised sheet's
    rows, or the numbers given."""
    found = services()
    if order["lists"]:
        consent = order["require_consent"]
        return list_recipients(configured(found.contacts), g.customer_id, order["lists"],
                               order["kind"] == MARKETING if consent is None else consent)
    if order["import_id"]:
        return configured(found.imports).recipients(g.customer_id, order["import_id"])
    return [(number, {"number": number}) for number in order["numbers"]]


def configured(part: T | None) -> T:
    if part is None:
        raise ApiError(409, "contacts_unavailable", "the address book is not configured")
    return part


@contextmanager
def contact_refusals() -> Iterator[None]:
    """The address book's and the personalisation's refusals as API errors."""
    try:
        yield
    except ListSendError as error:
        status = 404 if error.reason == "unknown_list" else 422
        legacy = codes.EMPTY_GROUP if error.reason == "empty_group" else None
        raise ApiError(status, error.reason, str(error), legacy_code=legacy) from error
    except LookupError as error:
        raise ApiError(404, "not_found", str(error)) from error
    except ImportStateError as error:
        raise ApiError(409, "import_state", str(error)) from error
    except MissingValuesError as error:
        raise ApiError(422, "missing_values", str(error),
                       fields=missing_json(error.report)) from error
    except PersonalisationError as error:
        raise ApiError(422, "invalid_template", str(error),
                       fields={"text": [str(error)]}) from error


def missing_json(report: MissingReport) -> dict[str, Any]:
    return {"missing": dict(report.by_key), "rows_missing": report.rows_missing,
            "examples": [{"row": row, "number": number, "keys": list(keys)}
                         for row, number, keys in report.examples]}


@bp.post("/messages/preview")
@scoped("send")
def preview_send() -> ResponseReturnValue:
    """What a send would be, recipient by recipient, before it is sent: the first ten
    messages rendered, the values missing, and the price of every rendered message."""
    order = load(SendSchema, body())
    if order["rows"]:
        raise ApiError(400, "invalid_request", "rows are rendered already: quote them",
                       fields={"rows": ["use /quotes"]})
    fallback = order["fallback"] if order["on_missing"] == MISSING_FALLBACK else None
    with contact_refusals():
        template = Template.compile(order["text"])
        recipients = recipients_of(order)
        policy = str(services().tenancy.customer(g.customer_id).options["non_gsm_policy"])
        shown = preview(template, recipients, 10, fallback, policy)
        quoted = None
        found: Audience | None = None
        try:  # one pass renders every message and counts what is missing
            found = rendered(recipients, order["text"], MISSING_FALLBACK, fallback)
            report = MissingReport(len(recipients), 0, {}, ())
        except MissingValuesError as missing:
            report = missing.report
        if found is not None:
            messages = list(found.rows) or [(n, order["text"]) for n in found.numbers]
            try:
                quoted = services().quoting.quote(g.customer_id, messages)
            except PriceListError as error:
                raise ApiError(409, "no_price_list", str(error)) from error
    return jsonify(
        recipients=len(recipients), complete=report.complete, **missing_json(report),
        previews=[{"number": p.number, "text": p.text, "missing": list(p.missing),
                   "encoding": p.encoding, "segments": p.segments} for p in shown],
        segments=None if quoted is None else quoted.total_segments,
        price=None if quoted is None else money(quoted.total_price), unit=unit())


@bp.post("/quotes")
@scoped("send")
@idempotent
def quote() -> ResponseReturnValue:
    order = load(QuoteSchema, body())
    messages = ([(row["number"], row["text"]) for row in order["rows"]]
                or [(number, order["text"]) for number in order["numbers"]])
    try:
        found = services().quoting.quote(g.customer_id, messages)
    except PriceListError as error:
        raise ApiError(409, "no_price_list", str(error)) from error
    return jsonify(
        recipients=len(found.lines), segments=found.total_segments,
        price=money(found.total_price), unit=unit(),
        lines=[{"number": line.raw, "e164": line.e164, "country": line.destination.country,
                "operator": line.destination.operator, "encoding": line.encoding,
                "segments": line.segments, "price": money(line.price)}
               for line in found.lines],
        refused=[{"number": r.raw, "reason": r.reason, "detail": r.detail}
                 for r in found.refused],
    )


@bp.get("/campaigns")
@scoped("read")
def campaigns() -> ResponseReturnValue:
    query = load(CampaignsQuery, request.args.to_dict())
    services().catch_up_outbox()
    try:
        entries, after = journal.journal_page(services().engine, g.customer_id,
                                              limit=query["limit"], after=query["after"])
    except CursorError as error:
        raise ApiError(400, "invalid_cursor", str(error), fields={"after": [str(error)]}) from error
    return jsonify(data=[campaign_json(entry) for entry in entries], after=after)


@bp.get("/campaigns/<uuid:campaign_id>")
@scoped("read")
def campaign(campaign_id: UUID) -> ResponseReturnValue:
    return jsonify(campaign_json(_entry(campaign_id)))


@bp.post("/campaigns/<uuid:campaign_id>/cancel")
@scoped("send")
@idempotent
def cancel(campaign_id: UUID) -> ResponseReturnValue:
    _entry(campaign_id)
    try:
        services().sending.cancel(g.customer_id, campaign_id)
    except SendRefusedError as error:
        raise refused(error) from error
    services().catch_up_outbox()
    return jsonify(campaign_json(_entry(campaign_id)))


@bp.get("/messages")
@scoped("read")
def messages() -> ResponseReturnValue:
    query = load(MessagesQuery, request.args.to_dict())
    services().catch_up_outbox()
    try:
        found, after = outbox.outbox_page(
            services().engine, g.customer_id, campaign_id=query["campaign_id"],
            status=query["status"], limit=query["limit"], after=query["after"])
    except CursorError as error:
        raise ApiError(400, "invalid_cursor", str(error), fields={"after": [str(error)]}) from error
    return jsonify(data=[message_json(row) for row in found], after=after)


@bp.get("/messages/<message_id>")
@scoped("read")
def message(message_id: str) -> ResponseReturnValue:
    try:
        parse_message_id(message_id)
    except ValueError:
        raise ApiError(404, "not_found", f"no message {message_id}") from None
    found = outbox.message(services().engine, message_id)
    if found is None:
        services().catch_up_outbox()
        found = outbox.message(services().engine, message_id)
    if found is None or found.customer_id != g.customer_id:
        raise ApiError(404, "not_found", f"no message {message_id}")
    return jsonify(message_json(found))


@bp.get("/balance")
@scoped("balance")
def balance() -> ResponseReturnValue:
    account = services().ledger.account(services().tenancy.wallet_of(g.customer_id))
    posted = account.credits_posted - account.debits_posted
    return jsonify(unit=account.unit, balance=format_amount(posted, account.scale),
                   available=format_amount(account.available, account.scale),
                   pending=format_amount(account.debits_pending, account.scale))


@bp.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    return jsonify(openapi.document())


@bp.get("/docs")
def docs() -> ResponseReturnValue:
    return Response(openapi.docs_page(openapi.document()), mimetype="text/html")


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> ResponseReturnValue:
    return error.response()


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> ResponseReturnValue:
    """JSON errors under /api/v1 (unknown routes, wrong methods); elsewhere as they were."""
    if not request.path.startswith(PREFIX + "/") or error.code is None or error.code < 400:
        return error
    code = {404: "not_found", 405: "method_not_allowed", 413: "file_too_large"}.get(
        error.code, "invalid_request")
    return ApiError(error.code, code, error.description or error.name).response()


# Answers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scale:
    unit: str
    scale: int


def _platform() -> _Scale:
    platform = services().tenancy.platform(recent=True)
    return _Scale(platform.unit, platform.scale)


def money(amount: int) -> str:
    """An amount in the platform's smallest unit, as a decimal string of its unit."""
    return format_amount(amount, _platform().scale)


def unit() -> str:
    return _platform().unit


def _entry(campaign_id: UUID) -> journal.JournalEntry:
    found = journal.campaign(services().engine, campaign_id)
    if found is None:
        services().catch_up_outbox()
        found = journal.campaign(services().engine, campaign_id)
    if found is None or found.customer_id != g.customer_id:
        raise ApiError(404, "not_found", f"no campaign {campaign_id}")
    return found


def submitted(result: SubmitResult) -> dict[str, Any]:
    return {
        "campaign_id": str(result.campaign_id), "code": result.code,
        "message": codes.MEANINGS.get(result.code, ""), "status": result.status,
        "recipients": result.recipients, "segments": result.segments,
        "price": money(result.price), "unit": unit(),
        "refused": [{"number": r.number, "legacy_code": r.code, "reason": r.reason,
                     "detail": r.detail} for r in result.refused],
        "duplicates": list(result.duplicates), "notes": list(result.notes),
    }


def _time(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def campaign_json(entry: journal.JournalEntry) -> dict[str, Any]:
    return {
        "campaign_id": str(entry.campaign_id), "status": entry.status, "kind": entry.kind,
        "sender": entry.sender, "reference": entry.reference, "channel": entry.channel,
        "recipients": entry.recipients, "segments": entry.segments,
        "price": money(entry.price), "charged": money(entry.charged_price),
        "released": money(entry.released_price), "counts": entry.counts,
        "created_at": _time(entry.created_at), "scheduled_at": _time(entry.scheduled_at),
        "first_sent_at": _time(entry.first_sent_at), "last_sent_at": _time(entry.last_sent_at),
        "closed_at": _time(entry.closed_at),
    }


def message_json(row: outbox.OutboxMessage) -> dict[str, Any]:
    return {
        "message_id": row.message_id, "campaign_id": str(row.campaign_id),
        "number": row.e164, "country": row.country, "operator": row.operator,
        "text": row.text, "sender": row.sender, "kind": row.kind, "segments": row.segments,
        "price": money(row.price), "status": row.status, "reason": row.reason,
        "stat": row.stat, "error_code": row.error_code,
        "created_at": _time(row.created_at), "scheduled_at": _time(row.scheduled_at),
        "sent_at": _time(row.sent_at), "done_at": _time(row.done_at),
    }

