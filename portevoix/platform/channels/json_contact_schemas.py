"""Request shapes of the contacts part of the JSON API (marshmallow), shape only: the address
book's own rules (E.164 numbers, field lengths, list names) answer with their errors."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, validate

from portevoix.contacts.fields import (
    CONSENT_CHANNELS,
    CONSENT_SOURCES,
    MAX_CUSTOM,
    MAX_CUSTOM_FIELD,
    MAX_EMAIL,
    MAX_LIST_DESCRIPTION,
    MAX_LIST_NAME,
    MAX_NAME,
    MAX_NOTES,
    MAX_WORDING,
)
from portevoix.contacts.files.templates import FORMATS
from portevoix.contacts.importing import TARGETS
from portevoix.platform.channels.json_schemas import PAGE_LIMIT_MAX

MAX_IDS = 10_000  # contacts named in one request


class ConsentSchema(Schema):
    source = fields.String(required=True, validate=validate.OneOf(CONSENT_SOURCES))
    given_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    wording = fields.String(load_default="", validate=validate.Length(max=MAX_WORDING))
    channel = fields.String(load_default="sms", validate=validate.OneOf(CONSENT_CHANNELS))


class ContactSchema(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    last_name = fields.String(load_default="", validate=validate.Length(max=MAX_NAME))
    first_name = fields.String(load_default="", validate=validate.Length(max=MAX_NAME))
    email = fields.String(load_default="", validate=validate.Length(max=MAX_EMAIL))
    company = fields.String(load_default="", validate=validate.Length(max=MAX_NAME))
    custom = fields.List(fields.String(validate=validate.Length(max=MAX_CUSTOM_FIELD)),
                         load_default=list, validate=validate.Length(max=MAX_CUSTOM))
    notes = fields.String(load_default="", validate=validate.Length(max=MAX_NOTES))


class NewContactSchema(ContactSchema):
    consent = fields.Nested(ConsentSchema, load_default=None, allow_none=True)
    list_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=50))


class ContactIdsSchema(Schema):
    contact_ids = fields.List(fields.UUID(), required=True,
                              validate=validate.Length(min=1, max=MAX_IDS))


class BlockSchema(ContactIdsSchema):
    blocked = fields.Boolean(load_default=True)


class MoveSchema(ContactIdsSchema):
    to_list_id = fields.UUID(required=True)


class EraseSchema(Schema):
    """Contacts by id, or every contact carrying a number (a data-protection request)."""

    contact_ids = fields.List(fields.UUID(), load_default=list,
                              validate=validate.Length(max=MAX_IDS))
    number = fields.String(load_default="", validate=validate.Length(max=32))


class MergeSchema(Schema):
    keep = fields.UUID(required=True)
    others = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=100))


class WithdrawSchema(Schema):
    source = fields.String(load_default="api", validate=validate.OneOf(CONSENT_SOURCES))


class ListSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LIST_NAME))
    description = fields.String(load_default="",
                                validate=validate.Length(max=MAX_LIST_DESCRIPTION))


class ContactsQuery(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=MAX_NAME))
    number = fields.String(load_default="", validate=validate.Length(max=32))
    list_id = fields.UUID(load_default=None)
    added_from = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    added_to = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    blocked = fields.Boolean(load_default=None)
    after = fields.String(load_default=None, validate=validate.Length(min=1, max=300))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, PAGE_LIMIT_MAX))


class TemplateQuery(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(FORMATS))


class ExportQuery(TemplateQuery):
    list_id = fields.UUID(load_default=None)


class LimitQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, PAGE_LIMIT_MAX))


class ImportChoiceSchema(Schema):
    """The form fields of an upload (multipart) or the body of a new examination."""

    target = fields.String(load_default="list", validate=validate.OneOf(TARGETS))
    columns = fields.String(load_default=None, validate=validate.Length(min=1, max=2_000),
                            metadata={"description": "the field of each column, comma "
                                      "separated (ignore skips one); absent: guessed"})
    has_header = fields.Boolean(load_default=None)
    list_id = fields.UUID(load_default=None)
    new_list_name = fields.String(load_default="", validate=validate.Length(max=MAX_LIST_NAME))
    country = fields.String(load_default="FR", validate=validate.Length(equal=2))
    consent_source = fields.String(load_default=None, validate=validate.OneOf(CONSENT_SOURCES))
    consent_given_at = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    consent_wording = fields.String(load_default="", validate=validate.Length(max=MAX_WORDING))
    consent_channel = fields.String(load_default="sms",
                                    validate=validate.OneOf(CONSENT_CHANNELS))
