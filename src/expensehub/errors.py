"""Domain errors with stable snake_case codes.

Nothing here knows about HTTP: ``api/errors.py`` alone maps these classes to status codes.
"""

from __future__ import annotations

from datetime import date
from typing import Any


class AppError(Exception):
    """Base class of every error the domain raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class NotFound(AppError):
    """The resource does not exist or belongs to another company (never tell the two apart)."""

    code = "not_found"


class ValidationFailed(AppError):
    """A request that parses but breaks a rule about its values.

    ``fields`` maps a field name to its messages, as Factorial's 422 bodies do.
    """

    code = "validation_error"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(message, code=code)
        self.fields = fields or {}


class BadRequest(AppError):
    """A malformed request: unparsable body or parameter."""

    code = "bad_request"


class InvalidState(AppError):
    """The action is not allowed in the resource's current state (a lifecycle conflict)."""

    code = "invalid_state"


class Unavailable(AppError):
    """The server cannot do this as it is set up (a missing database role, a disabled feature)."""

    code = "unavailable"


class Conflict(AppError):
    """The change collides with existing data (a unique key, a concurrent edit)."""

    code = "conflict"


class Unauthenticated(AppError):
    """Missing, malformed, unknown or revoked credentials."""

    code = "unauthenticated"


class Forbidden(AppError):
    """The credential is valid but may not perform this action."""

    code = "forbidden"


class PayloadTooLarge(AppError):
    """The request body is larger than the configured limit."""

    code = "payload_too_large"


class UnsupportedMediaType(AppError):
    """The request body has a content type this endpoint does not accept."""

    code = "unsupported_media_type"


REVERSED_RANGE = "invalid_date_range"


def check_date_range(date_from: date | None, date_to: date | None) -> None:
    """A reversed range (``to`` before ``from``) is the same 422 everywhere, API and command line:
    code ``invalid_date_range``, field ``to``."""
    if date_from is not None and date_to is not None and date_to < date_from:
        raise ValidationFailed(
            f"the date range is reversed: to ({date_to}) is before from ({date_from})",
            fields={"to": ["must be on or after from"]},
            code=REVERSED_RANGE,
        )


def check_body_id(body_id: int | None, path_id: int) -> None:
    """A body's ``id``, when sent, repeats the id in the path; another is the same 422 everywhere."""
    if body_id is not None and body_id != path_id:
        raise ValidationFailed("id mismatch", fields={"id": [f"must equal the id in the path ({path_id})"]})


def check_company(caller: int, given: int | None) -> None:
    """A body's ``company_id``, when given, is the caller's company: another is 404, as its ids are."""
    if given is not None and given != caller:
        raise NotFound(f"company {given} not found")
