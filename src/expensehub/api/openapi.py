"""Helpers that document response shapes in OpenAPI without validating responses at run time."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, create_model


class Meta(BaseModel):
    """Pagination metadata of a list response."""

    limit: int = Field(description="Page size used (at most 100)")
    total: int = Field(description="Number of items matching the filters, over all pages")
    has_next_page: bool = Field(description="Whether items follow this page")
    has_previous_page: bool = Field(description="Whether items precede this page")
    start_cursor: str | None = Field(None, description="Cursor of the first item; pass as `before_id`")
    end_cursor: str | None = Field(None, description="Cursor of the last item; pass as `after_id`")


class ErrorBody(BaseModel):
    """Error response: a stable `code`, a human `message`, and Factorial's `errors` key."""

    code: str = Field(description="Stable snake_case error code")
    message: str = Field(description="Human-readable explanation")
    errors: Any = Field(description="A field map for 422, a list of `{code, error, message}` otherwise")
    details: dict[str, Any] | None = Field(
        None,
        description="On a 409 about a resource's state: the resource and its current state, "
        '`{"resource", "id", "status"}` (the first refused one of a bulk action)',
    )


_ENVELOPES: dict[type[BaseModel], type[BaseModel]] = {}


def envelope(model: type[BaseModel]) -> type[BaseModel]:
    """The ``{data, meta}`` list envelope of ``model`` (one class per model, for OpenAPI)."""
    if model not in _ENVELOPES:
        _ENVELOPES[model] = create_model(
            f"{model.__name__}List",
            __doc__=f"A page of {model.__name__} items.",
            data=(list[model], Field(description="The items of this page, in ascending id order")),  # type: ignore[valid-type]
            meta=(Meta, Field(description="Pagination metadata")),
        )
    return _ENVELOPES[model]


CONFLICT_409 = (
    "Not allowed in the resource's current state, `details` giving that state; also what every request "
    "but the first gets when several change the same resource at once. `conflict` / `concurrent_update`: "
    "the write collided with another one committed at the same time and changed nothing (retry)"
)
BUSY_503 = (
    "`database_busy`: the database stayed locked by other writers longer than the busy timeout (SQLite; "
    "`Retry-After` given). Nothing was changed"
)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing, invalid or revoked credentials"},
    404: {"model": ErrorBody, "description": "Not found (or belongs to another company)"},
    422: {"model": ErrorBody, "description": "Invalid parameters or body"},
}


def doc_list(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a list endpoint."""
    return {200: {"model": envelope(model), "description": "A page of items"}, **ERRORS}


def doc_one(
    model: type[BaseModel], status: int = 200, description: str = "The object"
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an endpoint returning one object."""
    return {status: {"model": model, "description": description}, **ERRORS}


def doc_many(model: type[BaseModel], description: str = "The objects") -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an action returning a bare array."""
    return {200: {"model": list[model], "description": description}, **ERRORS}  # type: ignore[valid-type]


def doc_write(
    model: type[BaseModel] | Any, status: int = 200, description: str = "The object"
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a write: adds 400 (malformed JSON), 409 (state conflict), 413, 415 and 503."""
    return {
        status: {"model": model, "description": description},
        400: {"model": ErrorBody, "description": "Malformed JSON"},
        409: {"model": ErrorBody, "description": CONFLICT_409},
        413: {"model": ErrorBody, "description": "Body too large"},
        415: {"model": ErrorBody, "description": "Body is not JSON"},
        503: {"model": ErrorBody, "description": BUSY_503},
        **ERRORS,
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


def complete_statuses(spec: dict[str, Any]) -> dict[str, Any]:
    """Add to every operation of ``spec`` the statuses the shared request machinery can answer.

    Each route documents its own outcomes; these come from the layers every request passes through,
    so they are added here, once, rather than on each route: the control-character guard (400, any
    path), the version in the path (404), credentials (401 where a security scheme applies),
    parameter and body validation (422), and for operations with a body malformed JSON (400), the
    size limit (413) and the content type (415). Statuses a route already documents are kept as they are.
    """
    for path, operations in spec.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            params = [p for p in operation.get("parameters", []) if p.get("name") != "version"]
            has_body = "requestBody" in operation
            extra: dict[str, str] = {
                "400": "A control character in the path, a query parameter or a header value"
                + (", or a malformed body" if has_body else "")
            }
            if "{version}" in path:
                extra["404"] = "Unknown API version, or not found (or belongs to another company)"
            if operation.get("security"):
                extra["401"] = "Missing, invalid or revoked credentials"
            if params or has_body:
                extra["422"] = "Invalid parameters or body"
            if has_body:
                extra["413"] = "Body too large"
                extra["415"] = "Body of a content type the operation does not read"
            for status, description in extra.items():
                responses.setdefault(status, _error(description))
    return spec
