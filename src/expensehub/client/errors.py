"""Errors of the client: what the API answered (status, stable code, message, request id) or why no
answer came (the connection, after the retries)."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """Every error the client raises."""


class TransportError(ClientError):
    """No answer: the connection failed or timed out on every attempt. ``attempts`` were made."""

    def __init__(self, message: str, *, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class ApiError(ClientError):
    """The API answered with an error status.

    ``code`` is the API's stable error code (``not_found``, ``validation_error``, ``duplicate_email``...),
    ``fields`` the per-field messages of a 422, ``details`` what a 409 says about the resource's state,
    ``request_id`` the id to quote to the server's operator (the ``x-request-id`` header).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        request_id: str | None = None,
        fields: dict[str, list[str]] | None = None,
        details: Any = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(f"{status} {code}: {message}" + (f" (request {request_id})" if request_id else ""))
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.fields = fields or {}
        self.details = details
        self.attempts = attempts


class BadRequest(ApiError):
    """400: the request could not be read (malformed JSON or parameters)."""


class Unauthorized(ApiError):
    """401: the credential is missing, unknown or revoked."""


class Forbidden(ApiError):
    """403: the credential may not do this."""


class NotFound(ApiError):
    """404: no such object in the caller's company (or no such path or version)."""


class Conflict(ApiError):
    """409: the change collides with the object's state or another object (``details`` says which)."""


class ValidationFailed(ApiError):
    """422: a value breaks a rule; ``fields`` maps each field to its messages."""


class RateLimited(ApiError):
    """429 on every attempt: the API kept asking to slow down."""


class ServerError(ApiError):
    """5xx on every attempt."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
    429: RateLimited,
}


def error_for(status: int, body: Any, request_id: str | None, attempts: int) -> ApiError:
    """The typed error of an error answer; the body's ``code``/``message``/``errors`` when it has them
    (expensehub's and Factorial's shapes), else the status alone."""
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    code, message = f"http_{status}", f"HTTP {status}"
    fields: dict[str, list[str]] = {}
    details = None
    if isinstance(body, dict):
        code = str(body.get("code") or code)
        message = str(body.get("message") or body.get("error") or message)
        errors = body.get("errors")
        if isinstance(errors, dict):
            fields = {
                str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in errors.items()
            }
        details = body.get("details")
        request_id = request_id or body.get("request_id")
    return kind(
        status,
        code,
        message,
        request_id=request_id,
        fields=fields,
        details=details,
        attempts=attempts,
    )
