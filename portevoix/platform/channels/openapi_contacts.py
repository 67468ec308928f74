"""The contacts part of the OpenAPI document (``json_contacts.py``): its schemas and paths,
merged into ``openapi.document``."""

from __future__ import annotations

from typing import Any

from portevoix.contacts.files.templates import TEMPLATES
from portevoix.contacts.import_sessions import STATES
from portevoix.platform.channels.json_contact_schemas import (
    BlockSchema,
    ConsentSchema,
    ContactIdsSchema,
    ContactSchema,
    ContactsQuery,
    EraseSchema,
    ExportQuery,
    ImportChoiceSchema,
    LimitQuery,
    ListSchema,
    MergeSchema,
    MoveSchema,
    NewContactSchema,
    TemplateQuery,
    WithdrawSchema,
)
from portevoix.platform.channels.json_schemas import json_schema
from portevoix.platform.channels.openapi_parts import (
    IDEMPOTENCY,
    NULLABLE_TIME,
    STRING,
    TIME,
    UUID_STRING,
    json_object,
    page_of,
    query_parameters,
    ref,
)

SCOPE = "contacts"
_FILE_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


_CONTACT = {
    "contact_id": UUID_STRING, "number": STRING, "last_name": STRING, "first_name": STRING,
    "email": STRING, "company": STRING, "custom": {"type": "array", "items": STRING},
    "notes": STRING, "blocked": {"type": "boolean"},
    "consent": {"type": "object", "nullable": True,
                "properties": {"source": STRING, "given_at": NULLABLE_TIME}},
    "added_at": TIME, "updated_at": TIME,
}
_IMPORT = {
    "import_id": UUID_STRING, "filename": STRING, "size": {"type": "integer"},
    "state": {"type": "string", "enum": list(STATES)},
    "request": {"type": "object", "description": "target, list, columns, has_header..."},
    "report": {"type": "object", "description": "the dry run: rows_read, valid, "
               "normalised, invalid, duplicates_in_file, duplicates_in_list, blacklisted, "
               "landlines, to_write, samples by category"},
    "result": {"type": "object", "nullable": True, "description": "the commit's report"},
    "error": STRING, "created_at": TIME, "committed_at": NULLABLE_TIME,
}

SCHEMAS: dict[str, Any] = {
    "Consent": json_schema(ConsentSchema()),
    "NewContact": json_schema(NewContactSchema(), {ConsentSchema: "Consent"}),
    "ContactFields": json_schema(ContactSchema()),
    "ContactIds": json_schema(ContactIdsSchema()),
    "Block": json_schema(BlockSchema()),
    "Move": json_schema(MoveSchema()),
    "Erase": json_schema(EraseSchema()),
    "Merge": json_schema(MergeSchema()),
    "Withdraw": json_schema(WithdrawSchema()),
    "NewList": json_schema(ListSchema()),
    "ImportChoice": json_schema(ImportChoiceSchema()),
    "Contact": json_object(_CONTACT),
    "ContactPage": page_of("Contact"),
    "List": json_object({"list_id": UUID_STRING, "name": STRING, "description": STRING,
                     "member_count": {"type": "integer"}, "created_at": TIME}),
    "ListPage": json_object({"data": {"type": "array", "items": ref("List")}}),
    "Duplicates": json_object({"data": {"type": "array", "items": json_object({
        "number": STRING, "contacts": {"type": "array", "items": ref("Contact")}})}}),
    "BadNumbers": json_object({"data": {"type": "array", "items": json_object({
        "number": STRING, "reason": STRING, "first_seen": TIME, "last_seen": TIME,
        "count": {"type": "integer"}, "contact_ids": {"type": "array", "items": UUID_STRING}})}}),
    "ContactExport": {"type": "object", "description": "everything kept about the contact: "
                      "fields, consent history, lists, blocked, opted out or blocked"},
    "Import": {"type": "object", "properties": {
        **_IMPORT, "preview": {"type": "array", "items": {"type": "array", "items": STRING}}},
        "required": list(_IMPORT)},
    "Count": {"type": "object", "additionalProperties": True},
}

_ERRORS = {
    "400": "the request is malformed (see error.fields)", "401": "no usable API key",
    "403": "the API key lacks the contacts scope", "404": "no such contact, list or import",
    "409": "an Idempotency-Key reused with another request, or an import in another state",
    "413": "the file is too large",
    "422": "refused by the address book's rules, or a file that is not a readable table",
}


def _param(name: str, where: str = "path") -> dict[str, Any]:
    return {"name": name, "in": where, "required": True, "schema": UUID_STRING}


def _op(summary: str, ok: str, answer: str | None, *errors: str,
        parameters: list[dict[str, Any]] | None = None, body: str | None = None,
        idempotent: bool = False, content: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": "done"}
    if content is not None:
        response["content"] = content
    elif answer is not None:
        response["content"] = {"application/json": {"schema": ref(answer)}}
    responses = {ok: response}
    for status in ("401", "403", *errors):
        responses[status] = {"description": _ERRORS[status],
                             "content": {"application/json": {"schema": ref("Error")}}}
    operation: dict[str, Any] = {
        "summary": summary, "security": [{"apiKey": []}], "x-scope": SCOPE,
        "parameters": [*(parameters or []), *([IDEMPOTENCY] if idempotent else [])],
        "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": ref(body)}}}
    return operation


def _post(summary: str, body: str | None, answer: str, *errors: str, ok: str = "200",
          parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return _op(summary, ok, answer, "400", "409", *errors, parameters=parameters, body=body,
               idempotent=True)


_CONTACT_ID, _LIST_ID, _IMPORT_ID = (_param("contact_id"), _param("list_id"),
                                     _param("import_id"))
_FILE = {ctype: {"schema": {"type": "string", "format": "binary"}} for ctype in _FILE_TYPES}
_UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"},
                   **json_schema(ImportChoiceSchema())["properties"]}}}}}

_COMMIT = _post("Write the import (202 while it runs: read it again)", None, "Import",
                "404", "422", parameters=[_IMPORT_ID])
_COMMIT["responses"]["202"] = {"description": "the commit runs", "content": {
    "application/json": {"schema": ref("Import")}}}

PATHS: dict[str, Any] = {
    "/contacts": {
        "get": _op("Search contacts: by name (q), number, list, date added (keyset pages)",
                   "200", "ContactPage", "400", parameters=query_parameters(ContactsQuery())),
        "post": _post("Add a contact (to lists, with its consent)", "NewContact", "Contact",
                      "404", "422", ok="201"),
    },
    "/contacts/{contact_id}": {
        "get": _op("One contact", "200", "Contact", "404", parameters=[_CONTACT_ID]),
        "put": _post("Replace a contact's fields", "ContactFields", "Contact", "404", "422",
                     parameters=[_CONTACT_ID]),
        "delete": _op("Delete a contact", "204", None, "404", parameters=[_CONTACT_ID]),
    },
    "/contacts/block": {"post": _post("Block or unblock contacts (never sent to)", "Block",
                                      "Count", "404")},
    "/contacts/delete": {"post": _post("Delete contacts", "ContactIds", "Count", "404")},
    "/contacts/erase": {"post": _post("Erase contacts, by id or by number, for good (data "
                                      "protection)", "Erase", "Count", "404", "422")},
    "/contacts/{contact_id}/consent": {"post": _post(
        "Record a consent", "Consent", "Contact", "404", "422", parameters=[_CONTACT_ID])},
    "/contacts/{contact_id}/consent/withdraw": {"post": _post(
        "Withdraw the consent (its history is kept)", "Withdraw", "Contact", "404",
        parameters=[_CONTACT_ID])},
    "/contacts/{contact_id}/export": {"get": _op(
        "Everything kept about a contact (data-protection request)", "200", "ContactExport",
        "404", parameters=[_CONTACT_ID])},
    "/contacts/duplicates": {"get": _op(
        "Numbers carried by several contacts", "200", "Duplicates", "400",
        parameters=query_parameters(LimitQuery()))},
    "/contacts/duplicates/merge": {"post": _post(
        "Merge duplicates into one contact", "Merge", "Contact", "404", "422")},
    "/contacts/bad-numbers": {"get": _op("Numbers the operators refused as invalid", "200",
                                         "BadNumbers", "400",
                                         parameters=query_parameters(LimitQuery()))},
    "/contacts/export": {"get": _op(
        "The book or one list as CSV or XLSX", "200", None, "400", "404",
        parameters=query_parameters(ExportQuery()), content=_FILE)},
    "/lists": {
        "get": _op("Distribution lists with their counts", "200", "ListPage"),
        "post": _post("Create a list", "NewList", "List", "422", ok="201"),
    },
    "/lists/{list_id}": {
        "get": _op("One list", "200", "List", "404", parameters=[_LIST_ID]),
        "put": _post("Rename a list", "NewList", "List", "404", "422", parameters=[_LIST_ID]),
        "delete": _op("Delete a list (its contacts stay)", "204", None, "404",
                      parameters=[_LIST_ID]),
    },
    **{f"/lists/{{list_id}}/{verb}": {"post": _post(summary, body, "List", "404", "422",
                                                    parameters=[_LIST_ID])}
       for verb, summary, body in (
           ("add", "Add contacts to the list", "ContactIds"),
           ("remove", "Remove contacts from the list", "ContactIds"),
           ("move", "Move contacts to another list", "Move"),
           ("copy", "Copy contacts to another list", "Move"))},
    "/imports": {"post": {
        **_op("Upload a CSV, XLS, XLSX or ODS file: the dry-run report", "201", "Import",
              "400", "413", "422"),
        "requestBody": _UPLOAD}},
    "/imports/{import_id}": {"get": _op("An import: its report, and its commit's",
                                        "200", "Import", "404", parameters=[_IMPORT_ID])},
    "/imports/{import_id}/examine": {"post": _post(
        "Examine the file again with other choices", "ImportChoice", "Import", "404", "422",
        parameters=[_IMPORT_ID])},
    "/imports/{import_id}/commit": {"post": _COMMIT},
    "/imports/templates/{name}": {"get": _op(
        "A template file to fill in", "200", None, "400", "404", content=_FILE,
        parameters=[{"name": "name", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": list(TEMPLATES)}},
                    *query_parameters(TemplateQuery())])},
}
