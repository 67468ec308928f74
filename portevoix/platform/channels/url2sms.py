"""``/url2sms``: the seeds' URL2SMS interface (004 §7), ``key``, ``mobile``, ``sender``, ``sms``.

``key`` is an API key secret (with the ``send`` scope) of a customer; ``mobile`` one number
in international form (``3312345678``, ``+33...``) or several separated by ``,`` or ``-``.
The answer is always HTTP 200 and an XML document::

    <?xml version="1.0" encoding="UTF-8"?>
    <response><status>200</status><message><![CDATA[OK]]></message>
    <campaign_id>...</campaign_id></response>

Our refusals map to the seed's status codes (the message is the seed's wording):

======  ==============================  ==============================================
status  seed's message                  from
======  ==============================  ==============================================
200     OK                              80 sent, 81 deferred, 92 test (not reachable
                                        here: URL2SMS has no test or deferred parameter)
400     absence d'id                    no ``key``
401     id non autorisé                 82 wrong, revoked or scope-less key, suspended
                                        account; 96 address outside the allow list
402     crédit insuffisant              83
420     quota journalier dépassé        103
430     contenu manquant                90 empty ``sms``
431     destination manquante           89 no ``mobile``; 86 an alias (contact groups do
                                        not exist yet)
440     contenu trop long               84 whose every recipient was refused for the
                                        text's length (long SMS off, or too many segments)
441     destination non autorisée       84 invalid number, 93 overseas, 101 blacklisted,
                                        91 already sent in the last 24 hours
442     sender non autorisée            97 sender not approved, 102 STOP mention missing
500     erreur interne                  anything unexpected (logged)
======  ==============================  ==============================================

When some numbers are refused and others sent, the request is 200 and ``campaign_id``
names the campaign of those sent, as ``http.php`` answers 80.
"""

from __future__ import annotations

import re
from uuid import UUID
from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue

from portevoix.platform import codes
from portevoix.platform.channels.credentials import customer_for_key
from portevoix.platform.channels.http_php import GroupEmptyError, client_ip, numbers
from portevoix.platform.sending import SendRefusedError, SendRequest
from portevoix.services import Services
from portevoix.tenants.errors import InvalidCredentialsError

bp = Blueprint("url2sms", __name__)

OK, NO_ID, ID_NOT_ALLOWED, NO_CREDIT, DAILY_QUOTA = 200, 400, 401, 402, 420
NO_CONTENT, NO_DESTINATION, CONTENT_TOO_LONG = 430, 431, 440
DESTINATION_NOT_ALLOWED, SENDER_NOT_ALLOWED, INTERNAL_ERROR = 441, 442, 500
MESSAGES = {
    OK: "OK", NO_ID: "absence d'id", ID_NOT_ALLOWED: "id non autorisé",
    NO_CREDIT: "crédit insuffisant", DAILY_QUOTA: "quota journalier dépassé",
    NO_CONTENT: "contenu manquant", NO_DESTINATION: "destination manquante",
    CONTENT_TOO_LONG: "contenu trop long", DESTINATION_NOT_ALLOWED: "destination non autorisée",
    SENDER_NOT_ALLOWED: "sender non autorisée", INTERNAL_ERROR: "erreur interne",
}
STATUS_OF_CODE = {
    codes.SENT: OK, codes.DEFERRED: OK, codes.TEST_OK: OK,
    codes.BAD_CREDENTIALS: ID_NOT_ALLOWED, codes.IP_NOT_ALLOWED: ID_NOT_ALLOWED,
    codes.INSUFFICIENT_CREDIT: NO_CREDIT, codes.QUOTA_EXCEEDED: DAILY_QUOTA,
    codes.EMPTY_MESSAGE: NO_CONTENT, codes.EMPTY_NUMBERS: NO_DESTINATION,
    codes.EMPTY_GROUP: NO_DESTINATION, codes.INVALID_NUMBER: DESTINATION_NOT_ALLOWED,
    codes.OVERSEAS_NOT_ALLOWED: DESTINATION_NOT_ALLOWED,
    codes.BLACKLISTED: DESTINATION_NOT_ALLOWED, codes.DUPLICATE_24H: DESTINATION_NOT_ALLOWED,
    codes.INVALID_SENDER: SENDER_NOT_ALLOWED, codes.STOP_MENTION_REQUIRED: SENDER_NOT_ALLOWED,
}
# The length refusals' wording (messages.LongMessageNotAllowedError, MessageTooLongError):
# the pipeline gives them code 84 with every other unsendable recipient.
_LENGTH = re.compile(r"\bneeds \d+ segments\b")


def services() -> Services:
    found: Services = current_app.extensions["portevoix"]
    return found


@bp.route("/url2sms", methods=["GET", "POST"])
def url2sms() -> ResponseReturnValue:
    params = {**request.form.to_dict(), **request.args.to_dict()}
    key = params.get("key", "").strip()
    if not key:
        return xml_response(NO_ID)
    try:
        customer_id = customer_for_key(services(), key)
        result = services().sending.submit(SendRequest(
            customer_id, text=params.get("sms", ""),
            numbers=numbers(params.get("mobile", "").replace(",", "-")),
            sender=params.get("sender") or None, client_ip=client_ip(), channel="url2sms"))
    except InvalidCredentialsError:
        return xml_response(ID_NOT_ALLOWED)
    except GroupEmptyError:
        return xml_response(NO_DESTINATION)
    except SendRefusedError as refused:
        return xml_response(status_of(refused))
    except Exception:  # the seed's 500: the client gets its code, the log the trace
        current_app.logger.exception("url2sms request failed")
        return xml_response(INTERNAL_ERROR)
    return xml_response(STATUS_OF_CODE.get(result.code, OK), result.campaign_id)


def status_of(refused: SendRefusedError) -> int:
    if refused.code == codes.INVALID_NUMBER and _LENGTH.search(refused.detail):
        return CONTENT_TOO_LONG
    return STATUS_OF_CODE.get(refused.code, INTERNAL_ERROR)


def xml_response(status: int, campaign_id: UUID | None = None) -> Response:
    message = ("<![CDATA[OK]]>" if status == OK else escape(MESSAGES[status]))
    body = ('<?xml version="1.0" encoding="UTF-8"?>'
            f"<response><status>{status}</status><message>{message}</message>"
            f"<campaign_id>{campaign_id or ''}</campaign_id></response>")
    return Response(body.encode("utf-8"), status=200,
                    mimetype="application/xml", content_type="application/xml; charset=utf-8")
