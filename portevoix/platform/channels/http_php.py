"""``/http.php``: the seeds' HTTP send interface (000 §4, 001 §4), for clients that switch by
changing the host in their URL.

Parameters (query string on GET, form body on POST): ``user`` or ``email`` (the login
e-mail), ``cleAPI`` or ``pass`` (an API key secret or the user's password), ``numero`` (one
number, several joined by ``-``, or a contact group's name), ``message``, ``diff``
(``hhmmjjmmaaaa``; a trailing ``s`` cancels), ``test``, ``sender``, ``refaccuse`` (the
client's reference), ``email_rep`` (where the send's notification e-mails go) and
``charset``; ours: ``kind=marketing``. The answer is one result code of ``codes`` alone,
``text/plain``, with HTTP 200 as the seeds' services do. ``docs/http-php.md`` documents every
code.

``email_rep`` becomes the campaign's ``notify_email``: its confirmation, completion and
delivery mails go there rather than to the account's contact address, each if its option is
on (``platform/notifications.py``). A refusal after the account is authenticated (the whole
request, or some of its numbers) is queued for mailing there if ``refusal_email`` is on; the
answer does not wait for the mail. A request that does not authenticate, or that the
account's access rules refuse (suspended: 82, IP allow-list: 96), is never mailed about:
anyone could otherwise have the platform mail any address.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import parse_qsl
from uuid import UUID

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue

from portevoix.contacts.list_sends import group_numbers
from portevoix.platform import codes
from portevoix.platform.campaigns import AWAITING_APPROVAL, SCHEDULED, TRANSACTIONAL
from portevoix.platform.channels.compat_dates import DeferredFormatError, parse_deferred
from portevoix.platform.channels.credentials import customer_for
from portevoix.platform.sending import RecipientRefusal, SendRefusedError, SendRequest
from portevoix.projections.journal import journal_page
from portevoix.services import Services
from portevoix.tenants.errors import InvalidCredentialsError

bp = Blueprint("http_php", __name__)
log = logging.getLogger(__name__)

# The two codes only this interface gives (000 §4): its login or secret parameter is empty.

# Behind a proxy, the client is the first X-Forwarded-For address; off by default, since
# without a proxy that stripped it the header is the client's own word.
TRUST_FORWARDED_FOR = "PORTEVOIX_TRUST_X_FORWARDED_FOR"
CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "iso-8859-1": "iso-8859-1",
            "latin-1": "iso-8859-1", "latin1": "iso-8859-1", "iso8859-1": "iso-8859-1"}
# A number as pasted: digits, "+", spaces, dots, brackets; anything else names a group.
_NUMBER = re.compile(r"[+0-9][0-9 .()/]*")
REFERENCE_MAX, EMAIL_REP_MAX = 100, 254  # an address has at most 254 characters (RFC 5321)
# Refusals by the account's access rules (suspended, IP allow-list) have no side effect.
UNMAILED = frozenset({codes.BAD_CREDENTIALS, codes.IP_NOT_ALLOWED})


class GroupEmptyError(Exception):
    """``numero`` names a contact group (a distribution list) that is unknown or empty."""


def services() -> Services:
    found: Services = current_app.extensions["portevoix"]
    return found


@bp.route("/http.php", methods=["GET", "POST"])
def http_php() -> ResponseReturnValue:
    params = parameters()
    try:
        code = answer(services(), params, client_ip())
    except InvalidCredentialsError:
        code = codes.BAD_CREDENTIALS
    except DeferredFormatError as error:
        code = error.code
    except GroupEmptyError:
        code = codes.EMPTY_GROUP
    except SendRefusedError as refused:
        code = refused.code
    return Response(str(code), status=200, mimetype="text/plain")


def answer(services: Services, params: Mapping[str, str], ip: str | None) -> int:
    """The request's result code: parse, then one send (or one cancellation)."""
    login = params.get("user") or params.get("email") or ""
    secret = params.get("cleAPI") or params.get("pass") or ""
    if not login.strip():
        return codes.EMPTY_EMAIL
    if not secret.strip():
        return codes.EMPTY_PASS
    customer_id = customer_for(services, login.strip(), secret.strip())
    email_rep = params.get("email_rep", "").strip()[:EMAIL_REP_MAX]
    refaccuse = params.get("refaccuse", "").strip()[:REFERENCE_MAX]
    try:
        return send(services, customer_id, params, ip, email_rep, refaccuse)
    except (SendRefusedError, DeferredFormatError, GroupEmptyError) as error:
        code, detail = refusal(error)
        if email_rep and code not in UNMAILED:
            notify_refusal(services, customer_id, email_rep,
                           {"reference": refaccuse, "code": code, "detail": detail})
        raise


def send(services: Services, customer_id: UUID, params: Mapping[str, str], ip: str | None,
         email_rep: str, refaccuse: str) -> int:
    timezone = services.tenancy.customer(customer_id, recent=True).timezone
    diff = params.get("diff", "").strip()
    now = services.clock()
    deferred = parse_deferred(diff, timezone, now) if diff else None
    if deferred is not None and deferred.cancel:
        return cancel_deferred(services, customer_id, deferred.at)
    result = services.sending.submit(SendRequest(
        customer_id, text=params.get("message", ""),
        numbers=recipients(services, customer_id, params.get("numero", "")),
        sender=params.get("sender") or None, kind=params.get("kind") or TRANSACTIONAL,
        scheduled_at=deferred.at if deferred else None, test="test" in params,
        reference=refaccuse, client_ip=ip, channel="http.php", notify_email=email_rep))
    if email_rep and result.refused:
        notify_refusal(services, customer_id, email_rep,
                       {"reference": refaccuse, "refused": refused(result.refused)},
                       result.campaign_id)
    return result.code


def refusal(error: Exception) -> tuple[int, str]:
    """The code and the reason of a refused request."""
    if isinstance(error, SendRefusedError):
        return error.code, error.detail
    if isinstance(error, DeferredFormatError):
        return error.code, str(error)
    return codes.EMPTY_GROUP, f"the contact group {error} is empty or unknown"


def refused(refusals: Sequence[RecipientRefusal]) -> list[list[object]]:
    return [[r.number, r.code, r.detail] for r in refusals]


def notify_refusal(services: Services, customer_id: UUID, address: str,
                   facts: dict[str, object], campaign_id: UUID | None = None) -> None:
    """Queue the refusal mail; a failure to queue it never changes the answer."""
    try:
        services.queue_refusal(customer_id, address, facts, campaign_id)
    except Exception:
        log.exception("the refusal mail to %s could not be queued", address)


def recipients(services: Services, customer_id: UUID, numero: str) -> list[str]:
    """The numbers ``numero`` gives, or the members of the list it names (seeds' "groupe");
    GroupEmptyError if that list is unknown or holds nobody to send to."""
    try:
        return numbers(numero)
    except GroupEmptyError:
        if services.contacts is None:
            raise
        found = group_numbers(services.contacts, customer_id, numero)
        if not found:
            raise
        return found


def numbers(numero: str) -> list[str]:
    """``numero`` split on ``-``; GroupEmptyError if it is not numbers (a group name)."""
    parts = [part.strip() for part in numero.split("-") if part.strip()]
    if any(_NUMBER.fullmatch(part) is None for part in parts):
        raise GroupEmptyError(numero)
    return parts


def cancel_deferred(services: Services, customer_id: UUID, at: datetime) -> int:
    """Cancel the customer's deferred sends, not started, scheduled at the minute ``at``:
    94 if one at least was cancelled, else 95."""
    services.catch_up_outbox()  # the journal, up to the send recorded a moment ago
    found: list[UUID] = []
    for status in (SCHEDULED, AWAITING_APPROVAL):
        after: str | None = None
        while True:
            entries, after = journal_page(services.engine, customer_id, status=status,
                                          limit=200, after=after)
            found.extend(entry.campaign_id for entry in entries
                         if entry.scheduled_at is not None and entry.first_sent_at is None
                         and entry.scheduled_at.replace(second=0, microsecond=0) == at)
            if after is None:
                break
    cancelled = 0
    for campaign_id in found:
        try:
            services.sending.cancel(customer_id, campaign_id)
        except SendRefusedError:
            continue  # started in the meantime
        cancelled += 1
    return codes.DEFERRED_CANCELLED if cancelled else codes.DEFERRED_NOT_CANCELLED


def parameters() -> dict[str, str]:
    """The query string and form body, decoded in the declared charset (the ``charset``
    parameter, else the request's; UTF-8 by default, ISO-8859-1 accepted, and used when the
    bytes are not UTF-8 at all). The first value of a repeated name wins."""
    raw = request.query_string
    if request.method == "POST" and request.mimetype in ("", "application/x-www-form-urlencoded"):
        body = request.get_data()
        raw = raw + b"&" + body if raw else body
    elif request.method == "POST":
        return {**request.form.to_dict(), **request.args.to_dict()}  # multipart: as sent
    declared = dict(parse_qsl(raw.decode("ascii", "replace"))).get("charset", "")
    charset = CHARSETS.get((declared or request.mimetype_params.get("charset", "")).lower(),
                           "utf-8")
    try:
        pairs = parse_qsl(raw.decode("ascii", "strict"), keep_blank_values=True,
                          encoding=charset, errors="strict")
    except UnicodeError:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True,
                          encoding="iso-8859-1")
    found: dict[str, str] = {}
    for name, value in pairs:
        found.setdefault(name, value)
    return found


def client_ip() -> str | None:
    """The socket's address, or the first X-Forwarded-For one when the app is configured to
    trust its proxy (or use werkzeug's ProxyFix, which rewrites ``remote_addr`` itself)."""
    if current_app.config.get(TRUST_FORWARDED_FOR):
        forwarded = request.headers.get("X-Forwarded-For", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.remote_addr
