"""``/api/v1`` contacts: the address book, its lists, exports and data protection.

Every route needs the ``contacts`` scope. Contacts are searched by name, number, list and
date added in keyset pages; lists hold contacts (a contact may be in several), which can be
added, removed, moved and copied; duplicates (one number on several contacts) are listed and
merged; the bad numbers the platform met are listed. A data-protection request gets the
consent export of a contact, and erasure (by contact or by number). Imports are
``json_imports.py``'s. Errors are the rest of the API's (``json_api.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from io import BytesIO
from typing import Any, TypeVar
from uuid import UUID

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from portevoix.contacts.books import AddressBooks
from portevoix.contacts.contact_exports import EXPORT_HEADER, export_rows
from portevoix.contacts.directory import Contact, ContactDirectory, ListSummary
from portevoix.contacts.fields import (
    Consent,
    ContactFields,
    ContactsError,
    UnknownContactError,
    UnknownListError,
)
from portevoix.contacts.files import write_csv, write_xlsx
from portevoix.platform.channels.json_api import (
    PREFIX,
    ApiError,
    api_error,
    body,
    configured,
    idempotent,
    load,
    scoped,
    services,
)
from portevoix.platform.channels.json_contact_schemas import (
    BlockSchema,
    ConsentSchema,
    ContactIdsSchema,
    ContactSchema,
    ContactsQuery,
    EraseSchema,
    ExportQuery,
    LimitQuery,
    ListSchema,
    MergeSchema,
    MoveSchema,
    NewContactSchema,
    WithdrawSchema,
)
from portevoix.platform.numbers import NumberParser, Rejection
from portevoix.projections.paging import CursorError

SCOPE = "contacts"
bp = Blueprint("json_contacts", __name__, url_prefix=PREFIX)
bp.register_error_handler(ApiError, api_error)
T = TypeVar("T")
_PARSER = NumberParser()


def directory() -> ContactDirectory:
    return configured(services().contacts)


def books() -> AddressBooks:
    return configured(services().address_books)


def refused(run: Callable[[], T]) -> T:
    """Run an address-book command; its refusal answers 404 (unknown contact or list) or
    422 with the rule's message."""
    try:
        return run()
    except UnknownContactError as error:
        raise ApiError(404, "not_found", str(error)) from error
    except UnknownListError as error:
        raise ApiError(404, "not_found", str(error)) from error
    except ContactsError as error:
        raise ApiError(422, code_of(error), str(error)) from error


def code_of(error: Exception) -> str:
    """``ListNameTakenError`` → ``list_name_taken``."""
    name = type(error).__name__.removesuffix("Error")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def e164(number: str, field: str = "number") -> str:
    found = _PARSER.parse(number)
    if isinstance(found, Rejection):
        raise ApiError(422, "invalid_number", f"{number!r}: {found.detail}",
                       fields={field: [found.detail]})
    return found.e164


# Contacts -----------------------------------------------------------------------------


@bp.get("/contacts")
@scoped(SCOPE)
def contacts() -> ResponseReturnValue:
    query = load(ContactsQuery, request.args.to_dict())
    try:
        page = directory().search(
            g.customer_id, text=query["q"], number=query["number"], list_id=query["list_id"],
            added_from=query["added_from"], added_to=query["added_to"],
            blocked=query["blocked"], after=query["after"], limit=query["limit"])
    except CursorError as error:
        raise ApiError(400, "invalid_cursor", str(error), fields={"after": [str(error)]}) from error
    return jsonify(data=[contact_json(c) for c in page.contacts], after=page.next)


@bp.post("/contacts")
@scoped(SCOPE)
@idempotent
def add_contact() -> ResponseReturnValue:
    given = load(NewContactSchema, body())
    fields = _fields(given, consent=_consent(given["consent"]))
    contact_id = refused(lambda: books().add_contact(g.customer_id, fields, given["list_ids"]))
    response = jsonify(contact_json(_contact(contact_id)))
    response.status_code = 201
    response.headers["Location"] = f"{PREFIX}/contacts/{contact_id}"
    return response


@bp.get("/contacts/<uuid:contact_id>")
@scoped(SCOPE)
def contact(contact_id: UUID) -> ResponseReturnValue:
    return jsonify(contact_json(_contact(contact_id)))


@bp.put("/contacts/<uuid:contact_id>")
@scoped(SCOPE)
@idempotent
def update_contact(contact_id: UUID) -> ResponseReturnValue:
    given = load(ContactSchema, body())
    _contact(contact_id)
    refused(lambda: books().update_contact(g.customer_id, contact_id, _fields(given)))
    return jsonify(contact_json(_contact(contact_id)))


@bp.delete("/contacts/<uuid:contact_id>")
@scoped(SCOPE)
def delete_contact(contact_id: UUID) -> ResponseReturnValue:
    refused(lambda: books().delete_contacts(g.customer_id, [contact_id]))
    return Response(status=204)


@bp.post("/contacts/block")
@scoped(SCOPE)
@idempotent
def block() -> ResponseReturnValue:
    given = load(BlockSchema, body())
    refused(lambda: books().block(g.customer_id, given["contact_ids"], given["blocked"]))
    return jsonify(contacts=len(set(given["contact_ids"])), blocked=given["blocked"])


@bp.post("/contacts/delete")
@scoped(SCOPE)
@idempotent
def delete_contacts() -> ResponseReturnValue:
    given = load(ContactIdsSchema, body())
    refused(lambda: books().delete_contacts(g.customer_id, given["contact_ids"]))
    return jsonify(deleted=len(set(given["contact_ids"])))


@bp.post("/contacts/<uuid:contact_id>/consent")
@scoped(SCOPE)
@idempotent
def give_consent(contact_id: UUID) -> ResponseReturnValue:
    consent = _consent(body(), required=True)
    assert consent is not None
    refused(lambda: books().give_consent(g.customer_id, contact_id, consent))
    return jsonify(contact_json(_contact(contact_id)))


@bp.post("/contacts/<uuid:contact_id>/consent/withdraw")
@scoped(SCOPE)
@idempotent
def withdraw_consent(contact_id: UUID) -> ResponseReturnValue:
    given = load(WithdrawSchema, body() or {})
    refused(lambda: books().withdraw_consent(g.customer_id, contact_id, services().clock(),
                                             given["source"]))
    return jsonify(contact_json(_contact(contact_id)))


@bp.get("/contacts/<uuid:contact_id>/export")
@scoped(SCOPE)
def consent_export(contact_id: UUID) -> ResponseReturnValue:
    found = directory().consent_export(g.customer_id, contact_id)
    if found is None:
        raise ApiError(404, "not_found", f"no contact {contact_id}")
    response = jsonify(found)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/contacts/erase")
@scoped(SCOPE)
@idempotent
def erase() -> ResponseReturnValue:
    given = load(EraseSchema, body())
    if bool(given["contact_ids"]) == bool(given["number"]):
        raise ApiError(400, "invalid_request", "give either contact_ids or number",
                       fields={"_schema": ["give either contact_ids or number"]})
    if given["number"]:
        number = e164(given["number"])
        erased = refused(lambda: books().erase_number(g.customer_id, number))
    else:
        erased = refused(lambda: books().erase(g.customer_id, given["contact_ids"]))
    return jsonify(erased=erased)


@bp.get("/contacts/duplicates")
@scoped(SCOPE)
def duplicates() -> ResponseReturnValue:
    query = load(LimitQuery, request.args.to_dict())
    groups = directory().duplicates(g.customer_id, query["limit"])
    return jsonify(data=[{"number": group.e164,
                          "contacts": [contact_json(c) for c in group.contacts]}
                         for group in groups])


@bp.post("/contacts/duplicates/merge")
@scoped(SCOPE)
@idempotent
def merge() -> ResponseReturnValue:
    given = load(MergeSchema, body())
    refused(lambda: books().merge_duplicates(g.customer_id, given["keep"], given["others"]))
    return jsonify(contact_json(_contact(given["keep"])))


@bp.get("/contacts/bad-numbers")
@scoped(SCOPE)
def bad_numbers() -> ResponseReturnValue:
    query = load(LimitQuery, request.args.to_dict())
    found = directory().bad_numbers(g.customer_id, limit=query["limit"])
    return jsonify(data=[{"number": bad.e164, "reason": bad.reason,
                          "first_seen": bad.first_seen.isoformat(),
                          "last_seen": bad.last_seen.isoformat(), "count": bad.count,
                          "contact_ids": [str(i) for i in bad.contact_ids]}
                         for bad in found])


@bp.get("/contacts/export")
@scoped(SCOPE)
def export() -> ResponseReturnValue:
    query = load(ExportQuery, request.args.to_dict())
    if query["list_id"] is not None:
        _list(query["list_id"])
    rows = export_rows(directory(), g.customer_id, query["list_id"])
    return file_answer(query["format"], "contacts", lambda out: (
        write_csv(EXPORT_HEADER, rows, out) if query["format"] == "csv"
        else write_xlsx(EXPORT_HEADER, rows, out)))


# Lists ------------------------------------------------------------------------------


@bp.get("/lists")
@scoped(SCOPE)
def lists() -> ResponseReturnValue:
    return jsonify(data=[list_json(found) for found in directory().lists(g.customer_id)])


@bp.post("/lists")
@scoped(SCOPE)
@idempotent
def create_list() -> ResponseReturnValue:
    given = load(ListSchema, body())
    list_id = refused(lambda: books().create_list(g.customer_id, given["name"],
                                                  given["description"]))
    response = jsonify(list_json(_list(list_id)))
    response.status_code = 201
    response.headers["Location"] = f"{PREFIX}/lists/{list_id}"
    return response


@bp.get("/lists/<uuid:list_id>")
@scoped(SCOPE)
def one_list(list_id: UUID) -> ResponseReturnValue:
    return jsonify(list_json(_list(list_id)))


@bp.put("/lists/<uuid:list_id>")
@scoped(SCOPE)
@idempotent
def change_list(list_id: UUID) -> ResponseReturnValue:
    given = load(ListSchema, body())
    _list(list_id)
    refused(lambda: books().change_list(g.customer_id, list_id, given["name"],
                                        given["description"]))
    return jsonify(list_json(_list(list_id)))


@bp.delete("/lists/<uuid:list_id>")
@scoped(SCOPE)
def delete_list(list_id: UUID) -> ResponseReturnValue:
    _list(list_id)
    refused(lambda: books().delete_list(g.customer_id, list_id))
    return Response(status=204)


@bp.post("/lists/<uuid:list_id>/add")
@scoped(SCOPE)
@idempotent
def add_members(list_id: UUID) -> ResponseReturnValue:
    given = load(ContactIdsSchema, body())
    _list(list_id)
    refused(lambda: books().add_to_list(g.customer_id, list_id, given["contact_ids"]))
    return jsonify(list_json(_list(list_id)))


@bp.post("/lists/<uuid:list_id>/remove")
@scoped(SCOPE)
@idempotent
def remove_members(list_id: UUID) -> ResponseReturnValue:
    given = load(ContactIdsSchema, body())
    _list(list_id)
    refused(lambda: books().remove_from_list(g.customer_id, list_id, given["contact_ids"]))
    return jsonify(list_json(_list(list_id)))


@bp.post("/lists/<uuid:list_id>/move")
@scoped(SCOPE)
@idempotent
def move(list_id: UUID) -> ResponseReturnValue:
    given = load(MoveSchema, body())
    _list(list_id)
    _list(given["to_list_id"])
    refused(lambda: books().move(g.customer_id, given["contact_ids"], list_id,
                                 given["to_list_id"]))
    return jsonify(list_json(_list(given["to_list_id"])))


@bp.post("/lists/<uuid:list_id>/copy")
@scoped(SCOPE)
@idempotent
def copy(list_id: UUID) -> ResponseReturnValue:
    given = load(MoveSchema, body())
    _list(list_id)
    _list(given["to_list_id"])
    refused(lambda: books().copy(g.customer_id, given["contact_ids"], given["to_list_id"]))
    return jsonify(list_json(_list(given["to_list_id"])))


# Helpers ----------------------------------------------------------------------------


def _contact(contact_id: UUID) -> Contact:
    found = directory().contact(g.customer_id, contact_id)
    if found is None:
        raise ApiError(404, "not_found", f"no contact {contact_id}")
    return found


def _list(list_id: UUID) -> ListSummary:
    found = next((s for s in directory().lists(g.customer_id) if s.list_id == list_id), None)
    if found is None:
        raise ApiError(404, "not_found", f"no list {list_id}")
    return found


def _fields(given: dict[str, Any], consent: Consent | None = None) -> ContactFields:
    return ContactFields(
        number=e164(given["number"]), last_name=given["last_name"],
        first_name=given["first_name"], email=given["email"], company=given["company"],
        custom=tuple(given["custom"]), notes=given["notes"], consent=consent)


def _consent(given: object, required: bool = False) -> Consent | None:
    if given is None and not required:
        return None
    found = load(ConsentSchema, given)
    return Consent(found["source"], found["given_at"], found["wording"], found["channel"])


def file_answer(fmt: str, name: str, write: Callable[[BytesIO], object]) -> Response:
    out = BytesIO()
    write(out)
    mimetype = ("text/csv; charset=utf-8" if fmt == "csv" else
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = Response(out.getvalue(), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def time_text(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def contact_json(found: Contact) -> dict[str, Any]:
    fields = found.fields
    return {
        "contact_id": str(found.contact_id), "number": fields.number,
        "last_name": fields.last_name, "first_name": fields.first_name,
        "email": fields.email, "company": fields.company, "custom": list(fields.custom),
        "notes": fields.notes, "blocked": found.blocked,
        "consent": None if found.consent_source is None else {
            "source": found.consent_source, "given_at": time_text(found.consent_at)},
        "added_at": time_text(found.added_at), "updated_at": time_text(found.updated_at),
    }


def list_json(found: ListSummary) -> dict[str, Any]:
    return {"list_id": str(found.list_id), "name": found.name,
            "description": found.description, "member_count": found.member_count,
            "created_at": time_text(found.created_at)}
