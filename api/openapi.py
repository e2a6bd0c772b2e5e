"""What the OpenAPI document needs beyond what flask-smorest derives from the schemas.

- Every error an operation can give is listed (not left to `default`): 401, 429 and 503 on
  every /api route but health; 400, 413 and 422 where there is a body; 404 where there is a
  path id; 422 where there is a query.
- API keys are documented as security schemes (X-API-Key or Authorization: Bearer).
- Decimal fields are decimal *strings* (as the API sends them), not JSON numbers.
- A nullable nested field is "that schema, or null" rather than "any object".
- Limits that depend on settings (message length, batch size) are written in.
"""

from __future__ import annotations

import copy
from typing import Any

from apispec import BasePlugin
from flask_smorest import Api

from core.schemas import DecimalText, Money
from core.settings import Settings

ERROR = {"$ref": "#/components/schemas/Error"}
ERROR_DESCRIPTIONS = {
    "400": "invalid_json: the body is not JSON; invalid_upload: a multipart body cannot be read",
    "401": "unauthorized: API keys are on and the key is missing or unknown",
    "404": "not found (or another key's)",
    "413": "payload_too_large or token_limit_exceeded",
    "422": "validation_error (details: one list of messages per field)",
    "429": "rate_limited (see Retry-After)",
    "503": "unavailable: Redis or the broker cannot be reached",
}
SECURITY = [{"ApiKey": []}, {"Bearer": []}]


class ErrorResponses(BasePlugin):
    """Adds the error responses and security of every /api operation as it is registered."""

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        if not path or not path.startswith("/api/") or path == "/api/health":
            return
        for operation in (operations or {}).values():
            statuses = {"401", "429", "503"}
            if "requestBody" in operation:
                statuses |= {"400", "413", "422"}
            if "{" in path:
                statuses.add("404")
            if any(p.get("in") == "query" for p in operation.get("parameters", ())):
                statuses.add("422")
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                responses.setdefault(
                    status,
                    {
                        "description": ERROR_DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": ERROR}},
                    },
                )
            operation.setdefault("security", SECURITY)


def configure(api: Api) -> None:
    api.register_field(DecimalText, "string", "decimal")
    api.register_field(Money, "string", "decimal")
    api.spec.components.security_scheme(
        "ApiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    )
    api.spec.components.security_scheme("Bearer", {"type": "http", "scheme": "bearer"})


def finish(document: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The served document: strict nullable nesting and the limits from settings."""
    document = copy.deepcopy(document)
    schemas = document.get("components", {}).get("schemas", {})
    for schema in schemas.values():
        for name, spec in list((schema.get("properties") or {}).items()):
            refs = [s for s in spec.get("anyOf", ()) if "$ref" in s]
            if refs and {"type": "object", "nullable": True} in spec["anyOf"]:
                rest = {k: v for k, v in spec.items() if k != "anyOf"}
                schema["properties"][name] = {**rest, "allOf": refs, "nullable": True}
    if "TurnRequest" in schemas:
        schemas["TurnRequest"]["properties"]["message"].update(
            minLength=1, maxLength=settings.max_message_chars
        )
    if "BatchRequest" in schemas:
        schemas["BatchRequest"]["properties"]["items"].update(
            minItems=1, maxItems=settings.batch_max_items
        )
    document.setdefault("info", {})["description"] = RATE_LIMITS.format(
        turns=settings.turn_rate_limit,
        reads=settings.read_rate_limit,
        exports=settings.export_concurrency,
        queued=settings.batch_max_queued_items,
    )
    return document


RATE_LIMITS = """Rate limits, per API key (per client address when auth is off or the key is wrong),
shared by every API process, each a moving window:

- turns: {turns} — POST /api/generate-invoice, /api/chat and /api/batches (a batch counts once;
  its items are paced by LLM_RATE_LIMIT in the workers)
- reads: {reads} — every other /api/* call (a long-poll counts once)
- exports rendering at once: {exports}; batch items waiting or running: {queued}

Over a limit: 429 `rate_limited` with `Retry-After` (seconds). /api/health, /metrics and the
API documents are not limited."""
