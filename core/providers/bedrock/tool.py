"""The one tool the model must call: `update_invoice {reply, invoice}`.

Its input schema is generated from InvoiceDraftSchema (the one source of truth) as plain JSON
Schema: OpenAPI-only keywords removed, amounts as decimal strings with a pattern.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from core.schemas import DecimalText, InvoiceDraftSchema

TOOL_NAME = "update_invoice"
TOOL_DESCRIPTION = (
    "Answer the person and state the complete invoice draft after this turn. `reply` is the "
    "message shown to the person; `invoice` is the whole draft (every field kept that the "
    "person did not ask to change), or null when nothing changes. State facts only: amounts "
    "are decimal strings, and the server computes every total. VAT categories other than the "
    "rate's (reverse charge, exempt, export, intra-community) are set only when the person "
    "says so; ask when unsure."
)

_DECIMAL_PATTERN = r"^[0-9]+(\.[0-9]+)?$"
_OPENAPI_ONLY = frozenset({"nullable", "example", "discriminator", "xml", "externalDocs"})


def tool_spec() -> dict[str, Any]:
    """The Converse `toolSpec` of update_invoice."""
    return {
        "toolSpec": {
            "name": TOOL_NAME,
            "description": TOOL_DESCRIPTION,
            "inputSchema": {"json": tool_input_schema()},
        }
    }


@cache
def tool_input_schema() -> dict[str, Any]:
    """JSON Schema of the tool input: {"reply": string, "invoice": InvoiceDraft or null}.

    Generated from InvoiceDraftSchema (the one source of truth), with OpenAPI-only keywords
    removed so that it is plain JSON Schema.
    """
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    # No schema names: nested schemas are inlined instead of becoming $refs to components.
    plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)
    APISpec("invoice-agent", "1", "3.1.0", plugins=[plugin])
    # Amounts are decimal strings (as in the API), never JSON numbers the model could round.
    plugin.map_to_openapi_type(DecimalText, "string", None)
    plugin.converter.add_attribute_function(_decimal_pattern)
    draft = _plain_json_schema(plugin.converter.schema2jsonschema(InvoiceDraftSchema))
    draft["type"] = ["object", "null"]
    draft["description"] = "The complete invoice draft after this turn, or null if unchanged."
    return {
        "type": "object",
        "properties": {
            "reply": {"type": "string", "description": "The message to show the person."},
            "invoice": draft,
        },
        "required": ["reply", "invoice"],
    }


def _decimal_pattern(converter: Any, field: Any, **_: Any) -> dict[str, Any]:
    return {"pattern": _DECIMAL_PATTERN} if isinstance(field, DecimalText) else {}


def _plain_json_schema(schema: Any) -> Any:
    """`schema` without OpenAPI keywords (x-*, nullable, example, …); property names kept."""
    if not isinstance(schema, dict):
        return schema
    plain: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-") or key in _OPENAPI_ONLY:
            continue
        if key == "properties":
            plain[key] = {name: _plain_json_schema(sub) for name, sub in value.items()}
        elif key in {"anyOf", "oneOf", "allOf"}:
            plain[key] = [_plain_json_schema(sub) for sub in value]
        elif key in {"items", "additionalProperties", "not"}:
            plain[key] = _plain_json_schema(value)
        else:
            plain[key] = value
    return plain
