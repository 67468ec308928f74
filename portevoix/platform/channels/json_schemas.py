"""The JSON API's request shapes (marshmallow), and their JSON Schema for the OpenAPI document.

marshmallow checks shape only (types, lengths, enumerations); the send rules (empty text,
invalid numbers, credit...) stay in the domain and come back as refusals.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from portevoix.contacts.personalise import MISSING_FALLBACK, MISSING_REFUSE
from portevoix.platform.callbacks import STATES
from portevoix.platform.campaigns import KINDS, TRANSACTIONAL
from portevoix.platform.messages import MAX_VALIDITY_S, MIN_VALIDITY_S
from portevoix.tenants.options import MAX_URL, http_url_problem

MAX_RECIPIENTS = 10_000
MAX_TEXT = 5_000
PAGE_LIMIT_MAX = 200


def _http_url(value: str | None) -> None:
    """The account option's rule (``options.http_url_problem``); empty: no callbacks."""
    problem = http_url_problem(value) if value else None
    if problem:
        raise ValidationError(f"an absolute http:// or https:// URL: {problem}")


class RowSchema(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    text = fields.String(required=True, validate=validate.Length(max=MAX_TEXT))


class _Recipients(Schema):
    """``numbers`` sharing ``text``, or personalised ``rows``: one of the two."""

    text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    numbers = fields.List(fields.String(validate=validate.Length(min=1, max=32)),
                          load_default=list, validate=validate.Length(max=MAX_RECIPIENTS))
    rows = fields.List(fields.Nested(RowSchema), load_default=list,
                       validate=validate.Length(max=MAX_RECIPIENTS))

    @validates_schema
    def _one_way(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("rows") and (data.get("numbers") or data.get("text")):
            raise ValidationError("give either rows, or numbers with text", "rows")
        ways = [bool(data.get(way)) for way in ("numbers", "rows", "lists", "import_id")]
        if sum(ways) > 1:
            raise ValidationError("give one of numbers, rows, lists or import_id", "_schema")


class QuoteSchema(_Recipients):
    pass


class SendSchema(_Recipients):
    """Besides numbers and rows: ``lists`` (names or ids) or ``import_id`` (a personalised
    sheet), whose recipients get ``text`` rendered for each (its markers filled from the
    contact or the row; a missing value refuses the send unless ``on_missing`` is
    ``fallback`` and ``fallback`` gives it)."""

    lists = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                        load_default=list, validate=validate.Length(max=20))
    import_id = fields.UUID(load_default=None, allow_none=True)
    on_missing = fields.String(load_default=MISSING_REFUSE,
                               validate=validate.OneOf((MISSING_REFUSE, MISSING_FALLBACK)))
    fallback = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=20)),
                           values=fields.String(validate=validate.Length(max=200)),
                           load_default=dict)
    require_consent = fields.Boolean(load_default=None, allow_none=True,
                                     metadata={"description": "send only to contacts with "
                                               "consent; default: for marketing sends"})
    sender = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=20))
    kind = fields.String(load_default=TRANSACTIONAL, validate=validate.OneOf(KINDS))
    scheduled_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                        default_timezone=UTC)
    validity_s = fields.Integer(load_default=None, allow_none=True, strict=True,
                                validate=validate.Range(MIN_VALIDITY_S, MAX_VALIDITY_S))
    flash = fields.Boolean(load_default=False)
    test = fields.Boolean(load_default=False)
    reference = fields.String(load_default="", validate=validate.Length(max=100))
    callback_url = fields.String(load_default="", allow_none=True,
                                 validate=[validate.Length(max=MAX_URL), _http_url])


class CampaignsQuery(Schema):
    after = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, PAGE_LIMIT_MAX))


class MessagesQuery(CampaignsQuery):
    campaign_id = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.Length(min=1, max=40))


class CallbacksQuery(CampaignsQuery):
    state = fields.String(load_default=None, validate=validate.OneOf(STATES))
    campaign_id = fields.UUID(load_default=None)
    message_id = fields.String(load_default=None, validate=validate.Length(min=1, max=48))


# JSON Schema (OpenAPI 3.0 flavour) of the schemas above ----------------------------------


def json_schema(schema: Schema, refs: dict[type[Schema], str] | None = None) -> dict[str, Any]:
    """An object schema of ``schema``'s fields; nested schemas named in ``refs`` as $ref."""
    properties = {name: field_schema(field, refs or {})
                  for name, field in schema.fields.items()}
    required = [name for name, field in schema.fields.items() if field.required]
    found: dict[str, Any] = {"type": "object", "properties": properties,
                             "additionalProperties": False}
    if required:
        found["required"] = required
    return found


_TYPES: list[tuple[type[fields.Field[Any]], dict[str, Any]]] = [
    (fields.AwareDateTime, {"type": "string", "format": "date-time"}),
    (fields.UUID, {"type": "string", "format": "uuid"}),
    (fields.String, {"type": "string"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Boolean, {"type": "boolean"}),
    (fields.Dict, {"type": "object", "additionalProperties": {"type": "string"}}),
]


def field_schema(field: fields.Field[Any], refs: dict[type[Schema], str]) -> dict[str, Any]:
    if isinstance(field, fields.List):
        found: dict[str, Any] = {"type": "array",
                                 "items": field_schema(field.inner, refs)}
    elif isinstance(field, fields.Nested):
        nested = field.schema
        name = refs.get(type(nested))
        found = ({"$ref": f"#/components/schemas/{name}"} if name
                 else json_schema(nested, refs))
    else:
        found = next(dict(s) for kind, s in _TYPES if isinstance(field, kind))
    for rule in field.validators:
        array = found.get("type") == "array"
        if isinstance(rule, validate.Length):
            if rule.min is not None:
                found["minItems" if array else "minLength"] = rule.min
            if rule.max is not None:
                found["maxItems" if array else "maxLength"] = rule.max
        elif isinstance(rule, validate.Range):
            if rule.min is not None:
                found["minimum"] = rule.min
            if rule.max is not None:
                found["maximum"] = rule.max
        elif isinstance(rule, validate.OneOf):
            found["enum"] = list(rule.choices)
    if field.allow_none:
        found["nullable"] = True
    return found
