"""The pieces both parts of the OpenAPI document are written with (``openapi.py``, and
``openapi_contacts.py`` which it merges)."""

from __future__ import annotations

from typing import Any

from portevoix.platform.channels.json_schemas import field_schema

STRING = {"type": "string"}
TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {**TIME, "nullable": True}
UUID_STRING = {"type": "string", "format": "uuid"}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                          "pattern": r"^[A-Za-z0-9_.:-]+$"},
               "description": "the same key and body again: the stored response"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_object(properties: dict[str, Any]) -> dict[str, Any]:
    """An object whose every property is required."""
    return {"type": "object", "properties": properties, "required": list(properties)}


def page_of(item: str) -> dict[str, Any]:
    """A keyset page of ``item``s."""
    return json_object({"data": {"type": "array", "items": ref(item)},
                        "after": {"type": "string", "nullable": True,
                                  "description": "the next page's cursor; null on the last"}})


def query_parameters(schema: Any) -> list[dict[str, Any]]:
    """A marshmallow schema's fields as optional query parameters."""
    return [{"name": name, "in": "query", "required": False,
             "schema": field_schema(field, {})} for name, field in schema.fields.items()]
