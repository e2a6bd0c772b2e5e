"""One place turns every exception into the one error shape.

    {"error": {"code": "snake_case", "message": "for a person", "details": {...}}}

No stack trace or internal message reaches a client: unexpected exceptions are logged with
the request id and answered with a generic 500.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from core.errors import (
    InvalidJson,
    InvalidUpload,
    InvoiceAgentError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ValidationFailed,
)

log = logging.getLogger(__name__)


def error_response(error: InvoiceAgentError, headers: dict[str, str] | None = None):
    response = jsonify({"error": error.to_dict()})
    response.status_code = error.http_status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _from_http_exception(exc: HTTPException) -> InvoiceAgentError:
    """Werkzeug and webargs exceptions, in our vocabulary."""
    match exc.code:
        case 400 if request.mimetype == "multipart/form-data":
            return InvalidUpload()
        case 400:
            return InvalidJson()
        case 404:
            return NotFound("There is nothing at this address.")
        case 405:
            return MethodNotAllowed()
        case 413:
            return PayloadTooLarge()
        case 422:
            return ValidationFailed(details=_validation_details(exc))
    error = InvoiceAgentError(exc.description or exc.name)
    error.code, error.http_status = exc.name.lower().replace(" ", "_"), exc.code or 500
    return error


def _validation_details(exc: HTTPException) -> dict[str, Any]:
    """webargs puts {"json": {"field": ["message"]}} in exc.data["messages"]; keep the fields."""
    messages = (getattr(exc, "data", None) or {}).get("messages", {})
    details: dict[str, Any] = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            details.update(location_messages)
    return details


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(InvoiceAgentError)
    def handle_domain_error(error: InvoiceAgentError):
        if isinstance(error, RateLimited):
            return error_response(error, {"Retry-After": str(error.retry_after)})
        return error_response(error)

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        return error_response(_from_http_exception(exc))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("unhandled error", extra={"request_id": g.get("request_id")})
        return error_response(InvoiceAgentError())
