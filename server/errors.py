"""The one JSON error shape: ``{"error": {"code", "message", "fields"?}}`` for every failure, any status.

Clients act on ``code`` (stable, machine-readable); ``message`` is for people and logs; ``fields`` maps an
input field to its problems for validation errors. See docs/adr/0001-error-shape.md.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, current_app, jsonify
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, StatementError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """A failure the client can act on; raised anywhere, turned into the JSON shape by one handler."""

    status = 400
    code = "bad_request"
    message = "The request is not valid."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.fields = fields
        self.headers: dict[str, str] = {}  # e.g. Retry-After on a 429 or 503
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class NotFound(ApiError):
    status, code, message = 404, "not_found", "Not found."


class Unauthorized(ApiError):
    status, code, message = 401, "unauthorized", "Authentication is required."


class Forbidden(ApiError):
    status, code, message = 403, "forbidden", "You are not allowed to do this."


class Conflict(ApiError):
    status, code, message = 409, "conflict", "The request conflicts with the current state."


class Gone(ApiError):
    status, code, message = 410, "gone", "This is no longer available."


class PayloadTooLarge(ApiError):
    status, code, message = 413, "payload_too_large", "The request body is too large."


class UnsupportedMediaType(ApiError):
    status, code, message = 415, "unsupported_media_type", "This content type is not accepted."


class Unprocessable(ApiError):
    status, code, message = 422, "validation_error", "The input is not valid."


class ItemRejected(ApiError):
    """A pushed sync item that will never be accepted as it is: reported in its result, not as the response."""

    status, code = 422, "rejected"


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    response = jsonify({"error": error.to_dict()})
    response.status_code = error.status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_messages(messages: Any) -> dict[str, Any]:
    """flask-smorest nests errors by location (``{"json": {...}}``); clients want the fields themselves."""
    if isinstance(messages, dict):
        merged: dict[str, Any] = {}
        for location, value in messages.items():
            if location in {"json", "query", "form", "headers", "files", "path", "view_args"} and isinstance(
                value, dict
            ):
                merged.update(value)
            else:
                merged[location] = value
        return merged
    return {"_schema": messages if isinstance(messages, list) else [str(messages)]}


def _handle_api_error(error: ApiError) -> Response:
    return error_response(error, error.headers)


def _handle_validation_error(error: ValidationError) -> Response:
    return error_response(Unprocessable(fields=flatten_messages(error.messages)))


def _handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    fields = flatten_messages(data["messages"]) if "messages" in data else None
    if status == 422 or fields:
        return error_response(Unprocessable(fields=fields), _headers_of(error))
    message = error.description if status != 500 else "Internal server error."
    headers = _headers_of(error)
    if status == 429:
        message = "Too many requests; try again later."
        headers.setdefault("Retry-After", _retry_after())
    api_error = ApiError(str(message), code=_CODE_BY_STATUS.get(status, "http_error"), status=status)
    return error_response(api_error, headers)


def _retry_after() -> str:
    """Seconds until the breached rate-limit window ends.

    Rate-limit headers are off on purpose (RATELIMIT_HEADERS_ENABLED): four of them on every sync answer cost
    a 2G phone ~120 bytes each time. Only the refusal needs to say when to come back.
    """
    from .extensions import limiter

    current = limiter.current_limit
    return str(max(1, int(current.reset_at - time.time()) + 1)) if current else "60"


def _headers_of(error: HTTPException) -> dict[str, str]:
    """Keep headers the exception carries that clients rely on (Allow on 405, Retry-After on 429)."""
    keep = {}
    for name, value in error.get_headers():
        if name in {"Allow", "Retry-After", "WWW-Authenticate"}:
            keep[name] = value
    return keep


UNSTORABLE = (DataError, StatementError, OverflowError)


def is_refused_value(error: BaseException) -> bool:
    """A value the database refuses (an id past its integer range, a NUL in PostgreSQL text, a date beyond its
    range), not the database failing (connection lost, ...): the request is at fault, and a 500 would tell the
    client to send it again, forever. Errors raised turning a Python value into a database value count."""
    if isinstance(error, StatementError) and not isinstance(error, DataError):
        return isinstance(error.orig, OverflowError | ValueError | UnicodeError)
    return True


def _handle_unstorable_value(error: Exception) -> Response:
    if not is_refused_value(error):
        return _handle_unexpected(error)  # the database failed, not the value
    # No traceback: the statement's parameters (report text, names) would go to the log with it.
    log.warning(
        "value refused by the database: %s (%s)", type(error).__name__, type(getattr(error, "orig", error)).__name__
    )
    return error_response(
        Unprocessable("A value in the request is out of range or cannot be stored.", code="value_out_of_range")
    )


def _handle_unexpected(error: Exception) -> Response:
    # Indico's rule: under test a bug must fail the test, not hide behind a polite 500.
    if current_app.testing and not current_app.config.get("TEST_CATCH_ALL_ERRORS"):
        raise error
    log.exception("Unhandled error")
    return error_response(ApiError("Internal server error.", code="internal_error", status=500))


# The shape above as a JSON schema: what every non-2xx answer of the spec (``default`` and 422) carries.
ERROR_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine code, e.g. device_revoked"},
                "message": {"type": "string", "description": "For people and logs"},
                "fields": {"type": "object", "description": "Input field -> its problems (validation errors)"},
            },
        }
    },
}


def _document_error_shape(app: Flask) -> None:
    """flask-smorest documents its own error body (``{"code": 422, "status", "errors"}``) under ``Error``.

    Our handlers answer ``{"error": {...}}`` instead, so the spec said something false about every error;
    clients generated from it (and schemathesis, tests/fuzz/) would reject real answers. Replace it.
    """
    for entry in app.extensions.get("flask-smorest", {}).get("apis", {}).values():
        components = entry["ext_obj"].spec.components
        components.schemas_lazy.pop("Error", None)
        components.schemas["Error"] = ERROR_JSON_SCHEMA


def init_app(app: Flask) -> None:
    """Register the handlers; called after flask-smorest's so ours replace its HTTPException handler."""
    _document_error_shape(app)
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(ValidationError, _handle_validation_error)
    for refused in UNSTORABLE:
        app.register_error_handler(refused, _handle_unstorable_value)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
