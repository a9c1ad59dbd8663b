"""The one place that maps domain errors to HTTP.

Bodies follow Factorial's known shapes and always carry a stable ``code`` and a human ``message``:

* 422 field errors: ``{"code", "message", "errors": {"<field>": ["message", ...]}}``
* everything else:  ``{"code", "message", "errors": [{"code", "error", "message"}]}``

A 409 about a resource's state adds ``details``: the resource and its current state (``{"resource",
"id", "status"}``), ids rendered as the request's API version renders them (details already in wire
shape, such as a webhook delivery's, pass through unchanged). Database errors caused by concurrent
writers (``db/errors.py``) become 409 or 503 with a stable code, never a 500.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from expensehub import logs
from expensehub.db.errors import DATABASE_BUSY, translate
from expensehub.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    InvalidState,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from expensehub.versions import get_version

log = logs.get_logger("expensehub.api")

STATUS_BY_ERROR: dict[type[AppError], int] = {
    BadRequest: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    InvalidState: 409,
    Conflict: 409,
    PayloadTooLarge: 413,
    Unavailable: 503,
    UnsupportedMediaType: 415,
    ValidationFailed: 422,
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_body(
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    details: dict[str, Any] | None = None,
) -> bytes:
    """The JSON body of an error response."""
    body: dict[str, Any] = {"code": code, "message": message}
    if status == 422:
        body["errors"] = fields or {}
    else:
        body["errors"] = [{"code": code, "error": message, "message": message}]
    if details is not None:
        body["details"] = details
    request_id = logs.current("request_id")
    if request_id is not None:
        body["request_id"] = request_id
    return orjson.dumps(body)


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    headers: Any = None,
    details: dict[str, Any] | None = None,
) -> Response:
    return Response(
        error_body(status, code, message, fields, details),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def status_for(exc: AppError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def app_error_response(request: Request, exc: AppError) -> Response:
    status = status_for(exc)
    fields = exc.fields if isinstance(exc, ValidationFailed) else None
    headers: dict[str, str] | None = None
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="expensehub"'}
    elif exc.code == DATABASE_BUSY:
        headers = {"Retry-After": "1"}
    details = None
    if isinstance(exc.details, dict):
        version = get_version(str(request.path_params.get("version", "")))
        details = version.render(exc.details) if version is not None else exc.details
    return error_response(status, exc.code, exc.message, fields, headers, details)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for err in errors:
        fields.setdefault(_field_name(tuple(err.get("loc", ()))), []).append(str(err.get("msg", "invalid")))
    return fields


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return app_error_response(request, exc)

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> Response:
        translated = translate(exc)
        if translated is None:
            log.exception("database error", exc_info=exc)
            return error_response(500, "internal_error", "internal server error")
        log.warning("%s: %s", translated.code, exc.orig)
        return app_error_response(request, translated)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "malformed_json", "the request body is not valid JSON")
        return error_response(422, "validation_error", "the request is invalid", validation_fields(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404:
            message = "no such resource or route"
        return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    # An exception nothing above handles is answered (500 internal_error) and logged with its request
    # id by the outermost middleware, api.middleware.RequestContextMiddleware.
