"""``/api/v1/imports``: contact files uploaded, examined (the dry-run report), examined
again with other choices, committed; and the template files. Scope ``contacts``; see
``contacts/imports.py`` for the two steps and ``docs/contacts.md`` for the fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from portevoix.contacts.fields import Consent
from portevoix.contacts.files import FileRejectedError, template_file
from portevoix.contacts.files.templates import TEMPLATES
from portevoix.contacts.import_sessions import ImportSession, UploadTooLargeError
from portevoix.contacts.importing import ContactImportError
from portevoix.contacts.imports import Choice, ContactImports, ImportStateError
from portevoix.contacts.mapping import MappingError
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
from portevoix.platform.channels.json_contact_schemas import ImportChoiceSchema, TemplateQuery
from portevoix.platform.channels.json_contacts import (
    SCOPE,
    code_of,
    file_answer,
    refused,
    time_text,
)

bp = Blueprint("json_imports", __name__, url_prefix=PREFIX)
bp.register_error_handler(ApiError, api_error)
T = TypeVar("T")


def imports() -> ContactImports:
    return configured(services().imports)


@bp.post("/imports")
@scoped(SCOPE)
def upload() -> ResponseReturnValue:
    file = request.files.get("file")
    if file is None:
        raise ApiError(400, "invalid_request", "a multipart upload with a file field is needed",
                       fields={"file": ["missing"]})
    choice = _choice(request.form.to_dict())
    session = _imported(lambda: imports().upload(g.customer_id, file.filename or "",
                                                 file.stream, choice))
    response = jsonify(import_json(session, imports().preview(session.import_id,
                                                              session.filename)))
    response.status_code = 201
    response.headers["Location"] = f"{PREFIX}/imports/{session.import_id}"
    return response


@bp.get("/imports/<uuid:import_id>")
@scoped(SCOPE)
def one_import(import_id: UUID) -> ResponseReturnValue:
    session = _imported(lambda: imports().get(g.customer_id, import_id))
    return jsonify(import_json(session))


@bp.post("/imports/<uuid:import_id>/examine")
@scoped(SCOPE)
@idempotent
def examine(import_id: UUID) -> ResponseReturnValue:
    given = body()
    choice = _choice(given if isinstance(given, dict) else None)
    session = _imported(lambda: imports().examine_again(g.customer_id, import_id, choice))
    return jsonify(import_json(session, imports().preview(import_id, session.filename)))


@bp.post("/imports/<uuid:import_id>/commit")
@scoped(SCOPE)
@idempotent
def commit(import_id: UUID) -> ResponseReturnValue:
    session = _imported(lambda: imports().commit(g.customer_id, import_id))
    response = jsonify(import_json(session))
    response.status_code = 200 if session.state in ("committed", "failed") else 202
    return response


@bp.get("/imports/templates/<name>")
@scoped(SCOPE)
def template(name: str) -> ResponseReturnValue:
    fmt = load(TemplateQuery, request.args.to_dict())["format"]
    if name not in TEMPLATES:
        raise ApiError(404, "not_found", f"no template {name!r}; templates: "
                       f"{', '.join(TEMPLATES)}")
    return file_answer(fmt, name, lambda out: out.write(template_file(name, fmt)))



def _choice(given: dict[str, Any] | None) -> Choice:
    found = load(ImportChoiceSchema, given if given is not None else {})
    consent = None
    if found["consent_source"] is not None:
        if found["consent_given_at"] is None:
            raise ApiError(400, "invalid_request", "a consent needs consent_given_at",
                           fields={"consent_given_at": ["required with consent_source"]})
        consent = Consent(found["consent_source"], found["consent_given_at"],
                          found["consent_wording"], found["consent_channel"])
    columns = (tuple(c.strip() for c in found["columns"].split(","))
               if found["columns"] else None)
    return Choice(found["target"], columns, found["has_header"], found["list_id"],
                  found["new_list_name"], found["country"].upper(), consent)


def _imported(run: Callable[[], T]) -> T:
    try:
        return refused(run)
    except LookupError as error:
        raise ApiError(404, "not_found", str(error)) from error
    except UploadTooLargeError as error:
        raise ApiError(413, "file_too_large", str(error)) from error
    except FileRejectedError as error:
        raise ApiError(422, f"file_{error.code}", error.message) from error
    except (MappingError, ContactImportError) as error:
        raise ApiError(422, code_of(error), str(error)) from error
    except ImportStateError as error:
        raise ApiError(409, "import_state", str(error)) from error


def import_json(session: ImportSession, preview: list[list[str]] | None = None
                ) -> dict[str, Any]:
    found: dict[str, Any] = {
        "import_id": str(session.import_id), "filename": session.filename,
        "size": session.size, "state": session.state, "request": session.request,
        "report": session.report, "result": session.result, "error": session.error,
        "created_at": time_text(session.created_at),
        "committed_at": time_text(session.committed_at),
    }
    if preview is not None:
        found["preview"] = preview
    return found
